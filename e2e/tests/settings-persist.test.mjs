// Settings survive a restart: switch the language to English, end the app process, start a new
// one on the same data folder, and the UI comes up in English.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeApp, freshDataDir, go, screenshot, startDriver, waitFor } from '../lib/app.mjs';

let driver;
let browser;
before(async () => {
  driver = await startDriver(freshDataDir('settings'));
});
after(async () => {
  if (browser) await closeApp(browser, driver.dataDir).catch(() => {});
  await driver?.stop();
});

const heading = async (b) => (await (await b.$('main h1, .page-head h1')).getText()).trim();
const navLabels = async (b) =>
  b.execute(() => [...document.querySelectorAll('nav a')].map((a) => a.textContent.trim()));

test('the language chosen in Settings is still active after a restart', async () => {
  browser = await driver.open();
  await go(browser, '#/settings');
  await waitFor('the Polish settings page', async () => (await heading(browser)) === 'Ustawienia');
  const polish = await navLabels(browser);
  assert.ok(polish.includes('Faktury'), `a fresh install starts in Polish: ${polish}`);
  await screenshot(browser, 'settings');

  await (await browser.$('button.seg=English')).click();
  await waitFor('the English settings page', async () => (await heading(browser)) === 'Settings');
  await closeApp(browser, driver.dataDir);
  browser = null;

  browser = await driver.open();
  await waitFor('the restarted app in English', async () => (await navLabels(browser)).includes('Invoices'), 30_000);
  await go(browser, '#/settings');
  await waitFor('the English settings page after restart', async () => (await heading(browser)) === 'Settings');
  const english = await browser.$('button.seg=English');
  assert.equal(await english.getAttribute('aria-pressed'), 'true');
  await screenshot(browser, 'settings-en-after-restart');
});
