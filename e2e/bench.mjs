// Webview benchmark of the real app: seeds an outbox with N invoices (default 100 000,
// KSEF_E2E_BENCH_INVOICES overrides) through the CLI's import, starts the app on it and measures
// in the webview: start → first rows, filter (chip click → rows updated), sort (header click →
// rows updated), scroll (jump → rows rendered), each from a painted, quiet page, plus scroll jumps
// back to back; then the idle memory of the app's processes.
// The same figures on a small outbox (BASELINE_INVOICES) in the same run are the baseline.
// Prints figures only; asserts nothing about time. Run by `scripts/e2e --bench`.
// The app measured is the one lib/app.mjs starts (KSEF_DESK_APP): `scripts/e2e --bench` sets it to
// the release build with the UI embedded (what users run); KSEF_E2E_APP_BUILD names the build in
// the printed header.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { APP, REPO, appPids, closeApp, freshDataDir, startDriver, waitFor } from './lib/app.mjs';

const INVOICES = Number(process.env.KSEF_E2E_BENCH_INVOICES ?? 100_000);
const BASELINE_INVOICES = 1_000;
/** Repetitions of each interaction. */
const REPS = 30;
/** Idle time before memory is read, as the task defines "idle memory". */
const IDLE_MS = 10_000;
/** One invoice in this many gets a future issue date, so our validation marks it invalid. */
const INVALID_ONE_IN = 10;
/** The seeded company: the official sample's seller, in KSeF's test environment. It is made the
 *  active company, and having no token (no keyring here) it sends nothing: the Sandbox would
 *  start sending the seeded invoices and the figures would be of a busy app, not of the list. */
const SEED_NIP = '9999999999';
const ROW_HEIGHT_PX = 28;
/** Which build APP is (scripts/e2e --bench: release); run by hand, the e2e tests' debug build. */
const BUILD = process.env.KSEF_E2E_APP_BUILD ?? 'debug (deps at opt-level 1)';
const CLI = process.env.KSEF_DESK_CLI ?? join(REPO, 'target/release/ksef-desk-cli');
const SAMPLE = join(REPO, '../shared/ksef/samples/fa3-valid/FA_3_Przyklad_1.xml');

/** Copies of the first official sample with their own numbers. */
function generate(dir, count) {
  const sample = readFileSync(SAMPLE, 'utf8');
  const [head, rest] = sample.split(/<P_2>[^<]*<\/P_2>/);
  for (let i = 0; i < count; i++) {
    const folder = join(dir, String(Math.floor(i / 1_000)).padStart(3, '0'));
    if (i % 1_000 === 0) mkdirSync(folder, { recursive: true });
    let xml = `${head}<P_2>BENCH/${String(i).padStart(7, '0')}</P_2>${rest}`;
    if (i % INVALID_ONE_IN === INVALID_ONE_IN - 1) xml = xml.replace(/<P_1>[^<]*<\/P_1>/, '<P_1>2099-01-01</P_1>');
    writeFileSync(join(folder, `${i}.xml`), xml);
  }
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    max: sorted.at(-1),
    n: sorted.length,
  };
}

/** RSS in KiB of the app process and the WebKit processes it started. */
function memoryKiB(dataDir) {
  const [app] = appPids(dataDir);
  if (app === undefined) return null;
  const procs = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const field = (name) => status.match(new RegExp(`^${name}:\\s*(.+)$`, 'm'))?.[1];
      procs.push({
        pid: Number(entry),
        ppid: Number(field('PPid')),
        name: field('Name'),
        rss: Number((field('VmRSS') ?? '0').split(/\s+/)[0]),
      });
    } catch {
      // Ended while we looked.
    }
  }
  const tree = new Set([app]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) {
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  const out = {};
  for (const p of procs.filter((q) => tree.has(q.pid))) out[p.name] = (out[p.name] ?? 0) + p.rss;
  return out;
}

/**
 * One interaction timed inside the page: the clock starts just before the action and stops when
 * the DOM shows its result (checked on every mutation and animation frame), so WebDriver's
 * round trips are not in the figure.
 *
 * `settle`: before handing back, wait until two more frames have begun, i.e. until the result
 * has been painted, so the next interaction starts from a quiet page, as a person's next click
 * or jump does (nobody acts within a frame of the rows appearing). Without it the next action
 * starts while WebKit is still rasterising the previous result in software (no GPU here: about
 * 20 to 60 ms per full table repaint), and its scroll event waits for that frame; the benchmark
 * prints that back-to-back figure for scrolling as well.
 */
async function timed(browser, kind, arg, settle = true) {
  const result = await browser.executeAsync(
    (kind, arg, rowHeight, settle, done) => {
      // Looked up afresh every time: the view may replace its elements.
      const grid = () => document.querySelector('[data-testid="invoice-grid"]');
      const rows = () => [...document.querySelectorAll('[data-testid="invoice-grid"] .row[data-row-index]')];
      const firstNumber = () =>
        grid()?.querySelector('.row[data-row-index="0"][data-state] .c-number')?.textContent.trim() ?? null;
      let check;
      const t0 = performance.now();
      if (kind === 'filter') {
        document.querySelector(`[data-testid="chip-${arg}"]`).click();
        check = () => {
          const r = rows();
          return r.length > 0 && r.every((x) => x.dataset.state === arg);
        };
      } else if (kind === 'sort') {
        const before = firstNumber();
        grid().querySelector('[data-testid="sort-invoice_number"]').click();
        check = () => {
          const now = firstNumber();
          return now !== null && now !== before;
        };
      } else {
        grid().scrollTop = arg * rowHeight;
        check = () => grid()?.querySelector(`.row[data-row-index="${arg}"][data-state]`) !== null;
      }
      let finished = false;
      const observer = new MutationObserver(() => poll());
      const finish = (value) => {
        finished = true;
        observer.disconnect();
        if (settle) requestAnimationFrame(() => requestAnimationFrame(() => done(value)));
        else done(value);
      };
      function poll() {
        if (finished) return;
        if (check()) finish({ ms: performance.now() - t0 });
        else if (performance.now() - t0 > 20_000) {
          const seen = rows().map((x) => x.dataset.state ?? '-');
          finish({ error: `${kind} ${arg}: no result in 20 s (${location.hash}; rows ${seen.join(' ')})` });
        }
      }
      observer.observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
      });
      const frame = () => {
        poll();
        if (!finished) requestAnimationFrame(frame);
      };
      frame();
    },
    kind,
    arg,
    ROW_HEIGHT_PX,
    settle,
  );
  if (result.error) throw new Error(result.error);
  return result.ms;
}

async function measure(label, count, files) {
  const dataDir = freshDataDir(`bench-${count}`);
  const driver = await startDriver(dataDir);
  try {
    // First run: the app creates the settings and the Sandbox company the invoices are filed under.
    let browser = await driver.open();
    await (await browser.$('[data-testid="generate-demo"]')).waitForExist({ timeout: 60_000 });
    await closeApp(browser, dataDir);

    const importStart = Date.now();
    const cli = spawnSync(
      CLI,
      ['--db', join(dataDir, 'outbox.sqlite'), 'import', '--nip', SEED_NIP, '--env', 'test', files],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
    );
    // Exit status 1 means "some invoices are invalid", which the seed intends.
    const imported = cli.stdout?.trim().split('\n').at(-1) ?? '';
    if (cli.status === null || cli.status > 1 || !imported.startsWith('imported')) {
      throw new Error(`import failed (${cli.status}): ${cli.stderr}`);
    }
    const importS = (Date.now() - importStart) / 1000;
    // The import created the seeded company right after the Sandbox (the app's first run, the
    // only company then), so it has the next id: make it the active one.
    const settingsPath = join(dataDir, 'settings.json');
    const settings = JSON.parse(readFileSync(settingsPath, 'utf8'));
    settings.active_company += 1;
    writeFileSync(settingsPath, JSON.stringify(settings, null, 2));

    const start = Date.now();
    browser = await driver.open();
    await waitFor(
      'the first rows',
      async () => browser.execute(() => document.querySelector('.row[data-row-index="0"][data-state]') !== null),
      120_000,
    );
    const startupMs = Date.now() - start;
    await browser.setTimeout({ script: 60_000 });
    const total = await browser.execute(() =>
      Number(document.querySelector('.title-row .total')?.textContent.replace(/\D/g, '') ?? 0),
    );

    const filter = [];
    for (let i = 0; i < REPS; i++) {
      filter.push(await timed(browser, 'filter', 'invalid'));
      filter.push(await timed(browser, 'filter', 'queued'));
    }
    // Back to every invoice for sorting and scrolling.
    await browser.execute(() => document.querySelector('[aria-label] > button.chip').click());
    await waitFor('every invoice listed again', async () =>
      browser.execute(
        (n) =>
          Number(document.querySelector('.title-row .total')?.textContent.replace(/\D/g, '')) === n &&
          document.querySelector('.row[data-row-index="0"][data-state]') !== null,
        total,
      ),
    );
    const sort = [];
    for (let i = 0; i < REPS; i++) sort.push(await timed(browser, 'sort', null));
    const scroll = [];
    const lastTop = Math.max(1, total - 40);
    // Deterministic jumps spread over the whole list (a stride coprime to most lengths).
    for (let i = 1; i <= REPS; i++) scroll.push(await timed(browser, 'scroll', (i * 7_919 * 13) % lastTop));
    // The same jumps again, each started as soon as the previous one's rows are in the DOM.
    const scrollBackToBack = [];
    for (let i = 1; i <= REPS; i++) {
      scrollBackToBack.push(await timed(browser, 'scroll', (i * 7_919 * 17) % lastTop, false));
    }

    await new Promise((r) => setTimeout(r, IDLE_MS));
    const memory = memoryKiB(dataDir);
    await closeApp(browser, dataDir);
    return {
      label,
      count,
      total,
      imported,
      importS,
      startupMs,
      filter: summary(filter),
      sort: summary(sort),
      scroll: summary(scroll),
      scrollBackToBack: summary(scrollBackToBack),
      memory,
    };
  } finally {
    await driver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function print(r) {
  const f = (s) => `p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, max ${s.max.toFixed(1)} ms (n=${s.n})`;
  const mib = (kib) => `${(kib / 1024).toFixed(0)} MiB`;
  console.log(
    `\n${r.label}: ${r.count} invoices seeded (the list shows ${r.total}), CLI import ${r.importS.toFixed(1)} s`,
  );
  console.log(`  ${r.imported}`);
  console.log(
    `  start → first rows visible: ${r.startupMs} ms (from the WebDriver session request, app launch included)`,
  );
  console.log(`  filter (chip click → rows updated): ${f(r.filter)}`);
  console.log(`  sort (header click → rows updated): ${f(r.sort)}`);
  console.log(`  scroll (jump → rows rendered):      ${f(r.scroll)}`);
  console.log(`  scroll, back-to-back jumps:         ${f(r.scrollBackToBack)}`);
  if (r.memory) {
    const sum = Object.values(r.memory).reduce((a, b) => a + b, 0);
    const parts = Object.entries(r.memory).map(([name, kib]) => `${name} ${mib(kib)}`);
    console.log(`  idle RSS after ${IDLE_MS / 1000} s: ${mib(sum)} (${parts.join(', ')})`);
  }
}

const work = mkdtempSync(join(tmpdir(), 'ksef-desk-bench-'));
console.log(`app measured: ${relative(REPO, APP)}, ${BUILD} build`);
try {
  const small = join(work, 'small');
  const large = join(work, 'large');
  generate(small, BASELINE_INVOICES);
  const genStart = Date.now();
  generate(large, INVOICES);
  console.log(`generated ${INVOICES} invoice files in ${((Date.now() - genStart) / 1000).toFixed(1)} s`);
  const base = await measure('baseline', BASELINE_INVOICES, small);
  print(base);
  const big = await measure('large', INVOICES, large);
  print(big);
  const ratio = (a, b) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
  console.log(`\nratios large/baseline (same run):`);
  console.log(
    `  start ${ratio(big.startupMs, base.startupMs)}×, filter p95 ${ratio(big.filter.p95, base.filter.p95)}×,` +
      ` sort p95 ${ratio(big.sort.p95, base.sort.p95)}×, scroll p95 ${ratio(big.scroll.p95, base.scroll.p95)}×,` +
      ` back-to-back scroll p95 ${ratio(big.scrollBackToBack.p95, base.scrollBackToBack.p95)}×`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
