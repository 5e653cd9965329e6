// What the tests read from and do in the invoice list: chip counts, visible rows, demo invoices.

import { go, waitFor } from './app.mjs';

/** The Sandbox's "generate demo invoices" makes this many (FirstRun/Import DEMO_INVOICES). */
export const DEMO_INVOICES = 50;
/** Sending 50 invoices through the in-process simulator; generous for a loaded 2-core machine. */
export const SETTLE_MS = 180_000;

/** Digits of an element's text as a number ("1 234 faktur" → 1234); null when it has none. */
export function digits(text) {
  const d = text.replace(/\D/g, '');
  return d === '' ? null : Number(d);
}

/** The backend's count shown on a state chip (the rejected chip covers rejected + invalid). */
export async function chipCount(browser, chip) {
  const el = await browser.$(`[data-testid="chip-${chip}"] .chip-count`);
  if (!(await el.isExisting())) return null;
  return digits(await el.getText());
}

/** All chip counts at once, read in one script so they belong to the same render. */
export async function chipCounts(browser) {
  return browser.execute(() => {
    const out = {};
    for (const el of document.querySelectorAll('[data-testid^="chip-"]')) {
      const count = el.querySelector('.chip-count');
      if (count) out[el.dataset.state] = Number(count.textContent.replace(/\D/g, ''));
    }
    return out;
  });
}

/** States of the rows currently rendered in the grid, top to bottom. */
export async function rowStates(browser) {
  return browser.execute(() =>
    [...document.querySelectorAll('[data-testid="invoice-grid"] .row[data-row-index]')]
      .sort((a, b) => Number(a.dataset.rowIndex) - Number(b.dataset.rowIndex))
      .map((r) => r.dataset.state ?? null),
  );
}

/** "N faktur" next to the list's title: the backend's total for the current filter. */
export async function listTotal(browser) {
  const el = await browser.$('.title-row .total');
  return (await el.isExisting()) ? digits(await el.getText()) : null;
}

/** Waits until the chips count `expected` invoices in all (imported, in whatever state). */
export async function waitImported(browser, expected) {
  return waitFor(`${expected} imported invoices`, async () => {
    const c = await chipCounts(browser);
    // The rejected chip already counts the invalid ones.
    const all = Object.entries(c).reduce((sum, [chip, n]) => (chip === 'invalid' ? sum : sum + n), 0);
    return all === expected ? c : null;
  });
}

/** Waits until nothing is queued or in flight and `expected` invoices have a final state. */
export async function waitSettled(browser, expected) {
  return waitFor(
    `${expected} invoices to reach a final state`,
    async () => {
      const c = await chipCounts(browser);
      const inFlight = (c.queued ?? 0) + (c.sending ?? 0) + (c.sent ?? 0);
      // The rejected chip already counts the invalid ones.
      const final = (c.accepted ?? 0) + (c.rejected ?? 0) + (c.conflict ?? 0) + (c.needs_attention ?? 0);
      if (inFlight === 0 && final === expected) return c;
      // Thrown, not returned: a timeout then reports where the invoices were stuck.
      throw new Error(`chip counts ${JSON.stringify(c)}`);
    },
    SETTLE_MS,
  );
}

/** First run in the Sandbox: click "generate demo invoices" and wait for the list to appear. */
export async function generateFirstDemo(browser) {
  const button = await browser.$('[data-testid="generate-demo"]');
  await button.waitForClickable({ timeout: 60_000 });
  await button.click();
  await (await browser.$('[data-testid="invoice-grid"]')).waitForExist({ timeout: 30_000 });
}

/** Another demo batch from the Import view (after the first run). */
export async function generateMoreDemo(browser) {
  await go(browser, '#/import');
  const button = await browser.$('[data-testid="import-demo"]');
  await button.waitForClickable({ timeout: 30_000 });
  await button.click();
  await (await browser.$('[data-testid="import-summary"]')).waitForExist({ timeout: 60_000 });
  await go(browser, '#/invoices');
  await (await browser.$('[data-testid="invoice-grid"]')).waitForExist({ timeout: 30_000 });
}

/** Clicks a state chip and waits until every rendered row is in one of `states`. */
export async function filterByChip(browser, chip, states) {
  await (await browser.$(`[data-testid="chip-${chip}"]`)).click();
  return waitFor(`rows filtered by the ${chip} chip`, async () => {
    const rows = await rowStates(browser);
    return rows.length > 0 && rows.every((s) => states.includes(s)) ? rows : null;
  });
}

/** Opens the first row's detail panel and waits until it shows that invoice's state. */
export async function openFirstRow(browser, states) {
  await (await browser.$('[data-testid="invoice-grid"] .row[data-row-index="0"]')).click();
  const detail = await browser.$('[data-testid="invoice-detail"]');
  await waitFor('the detail panel', async () => states.includes(await detail.getAttribute('data-state')));
  return detail;
}

/** Dismisses the notices in the corner so they do not cover a screenshot. */
export async function dismissToasts(browser) {
  await browser.execute(() => {
    for (const button of document.querySelectorAll('.toasts .toast button')) button.click();
  });
  await waitFor('the notices to close', async () => browser.execute(() => !document.querySelector('.toasts .toast')));
}
