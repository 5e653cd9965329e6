// First run in the Sandbox: "generate demo invoices" → they are sent to the in-process KSeF
// simulator and reach "accepted"; the detail panel of an accepted invoice shows its KSeF number
// (with valid check digits) and its stored, verified UPO, whose document names that number.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeApp, freshDataDir, go, screenshot, startDriver, waitFor } from '../lib/app.mjs';
import {
  DEMO_INVOICES,
  dismissToasts,
  filterByChip,
  generateFirstDemo,
  openFirstRow,
  waitSettled,
} from '../lib/ui.mjs';

/** KSeF numbers: seller NIP, date, 12 hex digits, 2 hex check digits (KSEF-API.md §9). */
const KSEF_NUMBER = /^\d{10}-\d{8}-[0-9A-F]{12}-[0-9A-F]{2}$/;

/** The KSeF number's check digits: CRC-8 (poly 0x07, init 0) over its first 32 characters. */
function ksefCrc8(text) {
  let c = 0;
  for (const b of Buffer.from(text, 'ascii')) {
    c ^= b;
    for (let i = 0; i < 8; i++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
  }
  return c.toString(16).toUpperCase().padStart(2, '0');
}

let driver;
let browser;
before(async () => {
  driver = await startDriver(freshDataDir('accepted'));
  browser = await driver.open();
});
after(async () => {
  if (browser) await closeApp(browser, driver.dataDir).catch(() => {});
  await driver?.stop();
});

test('demo invoices reach accepted and the detail panel shows the UPO', async () => {
  await screenshot(browser, 'first-run');
  await generateFirstDemo(browser);

  const counts = await waitSettled(browser, DEMO_INVOICES);
  assert.ok(counts.accepted > 0, `some demo invoices are valid and accepted: ${JSON.stringify(counts)}`);
  await dismissToasts(browser);
  await screenshot(browser, 'invoices');

  await filterByChip(browser, 'accepted', ['accepted']);
  const detail = await openFirstRow(browser, ['accepted']);

  const number = await (await detail.$('[data-testid="ksef-number"]')).getText();
  assert.match(number, KSEF_NUMBER);
  assert.equal(number.slice(33), ksefCrc8(number.slice(0, 32)), 'the KSeF number check digits are valid');
  const upo = await detail.$('[data-testid="upo"]');
  await upo.waitForExist({ timeout: 10_000 });
  // The receipt is stored and its signature checked (the badge is not the "bad" variant).
  const verified = await upo.$('.verified');
  assert.equal(await verified.isExisting(), true, 'the UPO section shows its verification badge');
  assert.doesNotMatch(await verified.getAttribute('class'), /\bbad\b/);
  await upo.scrollIntoView();
  await dismissToasts(browser);
  await screenshot(browser, 'invoice-detail-upo');
  // The stored receipt's SHA-256 is shown under the badge.
  const hash = await upo.$('.hash');
  assert.match((await hash.getProperty('textContent')).trim(), /^[0-9a-fA-F]{64}$/);

  // The receipt itself: KSeF's UPO document names this invoice's KSeF number.
  const invoiceNumber = (await (await detail.$('header h2')).getProperty('textContent')).trim();
  await (await upo.$('[data-testid="upo-view"]')).click();
  const xml = await browser.$('[data-testid="upo-xml"]');
  await xml.waitForExist({ timeout: 10_000 });
  const text = await waitFor('the UPO document', async () => (await xml.getProperty('textContent')) || null);
  // A session UPO lists every document of the session: find this one's entry by its KSeF number
  // and check it is this invoice.
  const entry = [...text.matchAll(/<Dokument>([\s\S]*?)<\/Dokument>/g)]
    .map((m) => m[1])
    .find((d) => d.includes(`<NumerKSeFDokumentu>${number}</NumerKSeFDokumentu>`));
  assert.ok(entry, `the UPO lists ${number}`);
  assert.ok(entry.includes(`<NumerFaktury>${invoiceNumber}</NumerFaktury>`), `the UPO entry is ${invoiceNumber}`);
  await screenshot(browser, 'upo-document');
  await browser.keys('Escape');
  await xml.waitForExist({ reverse: true, timeout: 10_000 });

  await go(browser, '#/dashboard');
  await (await browser.$('[data-testid="dash-ksef"]')).waitForExist({ timeout: 10_000 });
  await screenshot(browser, 'dashboard');
});
