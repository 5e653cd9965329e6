// An invoice that did not go through shows up under the one-click "Odrzucone" chip (KSeF's
// rejections and the ones our validation stopped), and its detail panel explains it through the
// error dictionary: a title and what to do, not just a code.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeApp, freshDataDir, go, screenshot, startDriver } from '../lib/app.mjs';
import {
  DEMO_INVOICES,
  chipCount,
  dismissToasts,
  filterByChip,
  generateFirstDemo,
  generateMoreDemo,
  listTotal,
  openFirstRow,
  waitImported,
} from '../lib/ui.mjs';

/** Our validation stops the broken ones at import, so they need no sending. About one demo
 *  invoice in ten is broken; 50 with none broken happens ~0.5 % of the time, so
 *  the test adds batches until one is (three batches all clean: ~1 in 10^7). */
const DEMO_BATCHES_MAX = 3;
const FAILED = ['rejected', 'invalid'];

let driver;
let browser;
before(async () => {
  driver = await startDriver(freshDataDir('rejected'));
  browser = await driver.open();
});
after(async () => {
  if (browser) await closeApp(browser, driver.dataDir).catch(() => {});
  await driver?.stop();
});

test('a failed invoice is under the Rejected chip with its dictionary explanation', async () => {
  await generateFirstDemo(browser);
  await waitImported(browser, DEMO_INVOICES);
  for (let batch = 1; (await chipCount(browser, 'rejected')) === 0 && batch < DEMO_BATCHES_MAX; batch++) {
    await generateMoreDemo(browser);
    await waitImported(browser, DEMO_INVOICES * (batch + 1));
  }
  await dismissToasts(browser);
  await screenshot(browser, 'invoices-imported');
  const failed = await chipCount(browser, 'rejected');
  assert.ok(failed > 0, 'the demo batches contain a broken invoice');

  const rows = await filterByChip(browser, 'rejected', FAILED);
  assert.ok(rows.length > 0);
  assert.equal(await listTotal(browser), failed, 'the filtered list has as many invoices as the chip says');

  const detail = await openFirstRow(browser, FAILED);
  // The error itself (not a warning such as a skipped schema check), explained by the dictionary.
  const explained = await detail.$('.explain.tone-error[data-known="true"]');
  await explained.waitForExist({ timeout: 10_000 });
  const code = await explained.getAttribute('data-code');
  const title = (await (await explained.$('.title')).getText()).trim();
  const action = (await (await explained.$('.action')).getText()).trim();
  assert.ok(title.length > 0 && title !== code, `a dictionary title for ${code}, not the raw code`);
  // "Co zrobić: …" with something after the label.
  assert.match(action, /^[^:]+:\s*\S/);
  await dismissToasts(browser);
  await screenshot(browser, 'rejected-explained');

  await go(browser, '#/dashboard');
  await (await browser.$('[data-testid="dash-ksef"]')).waitForExist({ timeout: 10_000 });
  await screenshot(browser, 'dashboard-imported');
});
