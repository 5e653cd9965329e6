// Starts the real KSeF Desk app through tauri-driver (which drives WebKitWebDriver) and hands
// tests a webdriverio session, plus the small helpers every test needs: bounded waits,
// screenshots taken after the frame is painted, and fresh data folders.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { remote } from 'webdriverio';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** tauri-driver needs an absolute path to the application binary (TAURI-NOTES gotcha 3). It is a
 *  copy of the custom-protocol build (scripts/e2e): a plain `cargo build -p ksef-desk` elsewhere
 *  rewrites target/debug/ksef-desk as a dev-server build, which shows a blank page here. */
export const APP = resolve(process.env.KSEF_DESK_APP ?? join(REPO, 'target/e2e/ksef-desk'));
export const SCREENSHOTS = join(REPO, 'target/e2e-screenshots');

/** How long tauri-driver may take to accept connections. */
const DRIVER_START_MS = 20_000;
/** The app's single-instance name on the session bus (tauri-plugin-single-instance: the bundle
 *  identifier from tauri.conf.json + ".SingleInstance"). */
const SINGLE_INSTANCE_NAME = 'pl.ksefdesk.app.SingleInstance';
/** How long an ended app's bus name may take to be released. */
const BUS_RELEASE_MS = 15_000;
/** How often bounded waits look again. */
const POLL_MS = 100;

/** A fresh, empty data folder for one app (KSEF_DESK_DATA_DIR). */
export function freshDataDir(label) {
  return mkdtempSync(join(tmpdir(), `ksef-desk-e2e-${label}-`));
}

async function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes; returns that value. */
export async function waitFor(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * tauri-driver with the app's environment: each WebDriver session it serves starts a fresh app
 * process that inherits `KSEF_DESK_DATA_DIR`, so restarting the app on the same data folder is
 * "end the session, start another".
 */
export async function startDriver(dataDir) {
  const port = await freePort();
  const nativePort = await freePort();
  const child = spawn('tauri-driver', ['--port', String(port), '--native-port', String(nativePort)], {
    env: { ...process.env, KSEF_DESK_DATA_DIR: dataDir },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', (code) => r(code)));
  await waitFor(
    `tauri-driver on port ${port}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`tauri-driver exited with ${child.exitCode}`);
      const res = await fetch(`http://127.0.0.1:${port}/status`).catch(() => null);
      return res !== null;
    },
    DRIVER_START_MS,
  );
  return {
    port,
    dataDir,
    /** Starts the app and connects to its webview. */
    async open() {
      // A new app that finds the name still owned hands over to the old instance and exits.
      await waitFor('the previous app to leave the session bus', () => !busNameOwned(), BUS_RELEASE_MS);
      return remote({
        hostname: '127.0.0.1',
        port,
        logLevel: 'warn',
        connectionRetryCount: 0,
        capabilities: {
          'tauri:options': { application: APP },
          // WebKitWebDriver speaks classic WebDriver, not BiDi.
          'wdio:enforceWebDriverClassic': true,
        },
      });
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Whether an app instance still owns the single-instance name on this session bus. */
function busNameOwned() {
  const reply = spawnSync(
    'dbus-send',
    [
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner',
      `string:${SINGLE_INSTANCE_NAME}`,
    ],
    { encoding: 'utf8' },
  );
  if (reply.status !== 0) throw new Error(`dbus-send failed: ${reply.stderr}`);
  return /boolean true/.test(reply.stdout);
}

/** Waits for two animation frames so the screenshot shows the current frame (gotcha 4). */
export async function painted(browser) {
  await browser.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())));
}

/** Saves a screenshot of the window as target/e2e-screenshots/NAME.png; returns the path. */
export async function screenshot(browser, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await painted(browser);
  const path = join(SCREENSHOTS, `${name}.png`);
  await browser.saveScreenshot(path);
  return path;
}

/** Goes to an app route (the UI's router lives in the URL hash). */
export async function go(browser, hash) {
  await browser.execute((h) => {
    location.hash = h;
  }, hash);
}

/**
 * Process ids of app processes started for `dataDir` (read from /proc: the binary and its
 * KSEF_DESK_DATA_DIR). Used to wait until an app has really exited before starting the next one
 * on the same folder: the app is single-instance, so an overlap would hand over to the old one.
 */
export function appPids(dataDir) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/exe`) !== APP) continue;
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      if (env.includes(`KSEF_DESK_DATA_DIR=${dataDir}`)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return pids;
}

/** Whether `pid` has ended: gone, or a zombie (which has already closed its files and its D-Bus
 *  connection). Reading /proc/PID/exe alone is not enough: it fails early in a process's exit. */
function ended(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Ends the WebDriver session and waits until the app process has ended. */
export async function closeApp(browser, dataDir) {
  const pids = appPids(dataDir);
  await browser.deleteSession();
  await waitFor('the app process to exit', () => pids.every(ended) && appPids(dataDir).length === 0, 15_000);
}
