// An in-memory Backend with realistic seeded data: used by Vitest and by `npm run dev:mock`.
// It mirrors the real backend's contract (paging, sorting, filtering happen here, not in views)
// and takes its clock and timer from the caller so tests drive time instead of sleeping.

import { MOCK_DICTIONARY } from './mock-dictionary';
import { SELLER, createRng, errorCodeFor, isoDate, ksefNumber, seedInvoices, sha256Hex } from './mock-data';
import type {
  Alert,
  Attempt,
  Backend,
  BackendError,
  BackendEvents,
  Company,
  Dashboard,
  EngineStatus,
  EventName,
  Finding,
  ImportItem,
  ImportSummary,
  InvoiceDetail,
  InvoiceEvent,
  InvoiceQuery,
  InvoiceRow,
  InvoiceState,
  KsefAvailability,
  ListKey,
  SavedUpos,
  SchemaStatus,
  Settings,
  Unlisten,
} from './types';
import { INVOICE_STATES } from './types';

export interface MockOptions {
  /** Number of seeded invoices (0 = first run). */
  invoices?: number;
  seed?: number;
  now?: () => number;
  /** Timer used for simulated background work (imports); tests pass fake timers. */
  setTimer?: (fn: () => void, ms: number) => unknown;
  ksef?: KsefAvailability;
  language?: Settings['language'];
  /** Simulated latency of every call in ms (dev only; 0 in tests). */
  latency_ms?: number;
}

const IMPORT_TICK_MS = 30;
const IMPORT_FILES_PER_TICK = 7;
const FOLDER_FILES = 240;
const DAY_MS = 86_400_000;

function fail(code: string, message: string): BackendError {
  return { code, message };
}

function compare(a: string | number | null, b: string | number | null): number {
  // Nulls sort last in ascending order, like SQL's NULLS LAST.
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'pl');
}

function sortKey(row: InvoiceRow, column: InvoiceQuery['sort']['column']): string | number | null {
  switch (column) {
    case 'invoice_number':
      return row.invoice_number;
    case 'counterparty':
      return row.counterparty_name;
    case 'issue_date':
      return row.issue_date;
    case 'gross':
      return row.gross_minor;
    case 'state':
      return INVOICE_STATES.indexOf(row.state);
    case 'ksef_number':
      return row.ksef_number;
    case 'last_event_at':
      return row.last_event_at;
  }
}

function matches(row: InvoiceRow, q: InvoiceQuery): boolean {
  if (q.states.length > 0 && !q.states.includes(row.state)) return false;
  if (q.ids && !q.ids.includes(row.id)) return false;
  if (q.date_from && (row.issue_date === null || row.issue_date < q.date_from)) return false;
  if (q.date_to && (row.issue_date === null || row.issue_date > q.date_to)) return false;
  if (q.number) {
    const needle = q.number.toLowerCase();
    if (!(row.invoice_number ?? '').toLowerCase().includes(needle)) return false;
  }
  if (q.counterparty) {
    const needle = q.counterparty.toLowerCase();
    const name = (row.counterparty_name ?? '').toLowerCase();
    const nip = row.counterparty_nip ?? '';
    if (!name.includes(needle) && !nip.includes(needle.replaceAll('-', ''))) return false;
  }
  return true;
}

function upoXml(row: InvoiceRow, sessionRef: string, hash: string): string {
  const date = row.issue_date ?? '';
  return `<?xml version="1.0" encoding="UTF-8"?><Potwierdzenie xmlns="http://upo.schematy.mf.gov.pl/KSeF/v4-3"><NazwaPodmiotuPrzyjmujacego>Ministerstwo Finansów</NazwaPodmiotuPrzyjmujacego><NumerReferencyjnySesji>${sessionRef}</NumerReferencyjnySesji><Uwierzytelnienie><IdKontekstu><Nip>${SELLER.nip}</Nip></IdKontekstu><NumerReferencyjnyTokenaKSeF>20261101-EC-2B4F0A9C10-7E3D1A5B62-4C</NumerReferencyjnyTokenaKSeF></Uwierzytelnienie><NazwaStrukturyLogicznej>Schemat_FA(3)_v1-0E.xsd</NazwaStrukturyLogicznej><KodFormularza>FA (3)</KodFormularza><Dokument><NipSprzedawcy>${SELLER.nip}</NipSprzedawcy><NumerKSeFDokumentu>${row.ksef_number ?? ''}</NumerKSeFDokumentu><NumerFaktury>${row.invoice_number ?? ''}</NumerFaktury><DataWystawieniaFaktury>${date}</DataWystawieniaFaktury><DataPrzeslaniaDokumentu>${new Date(row.last_event_at - 40_000).toISOString()}</DataPrzeslaniaDokumentu><DataNadaniaNumeruKSeF>${new Date(row.last_event_at).toISOString()}</DataNadaniaNumeruKSeF><SkrotDokumentu>${hash}</SkrotDokumentu><TrybWysylki>Online</TrybWysylki></Dokument></Potwierdzenie>`;
}

export class MockBackend implements Backend {
  private rows: InvoiceRow[];
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly latency: number;
  private readonly listeners = new Map<EventName, Set<(payload: never) => void>>();
  private readonly cancelled = new Set<number>();
  private nextJob = 1;
  private nextId: number;
  private ksef: KsefAvailability;
  private ksefSince: number | null;
  private settings: Settings;
  private companies: Company[];
  private alerts: Alert[];
  private schemas: SchemaStatus;
  /** Filter+sort results of the last query, so scrolling pages does not re-sort 100 000 rows. */
  private sortedCache: { key: string; rows: InvoiceRow[] } | null = null;

  constructor(options: MockOptions = {}) {
    this.now = options.now ?? (() => Date.now());
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.latency = options.latency_ms ?? 0;
    const now = this.now();
    this.rows = seedInvoices(options.invoices ?? 12_480, now, options.seed ?? 7);
    this.nextId = this.rows.length + 1;
    this.ksef = options.ksef ?? 'available';
    this.ksefSince = this.ksef === 'available' ? null : now - 27 * 60_000;
    this.settings = {
      language: options.language ?? 'pl',
      notifications: true,
      watched_folder: null,
      data_dir: '/home/anna/.local/share/ksef-desk',
    };
    const firstRun = this.rows.length === 0;
    this.companies = [
      { id: 1, name: SELLER.name, nip: SELLER.nip, environment: 'sandbox', active: true, has_token: false },
      ...(firstRun
        ? []
        : [
            { id: 2, name: SELLER.name, nip: SELLER.nip, environment: 'test' as const, active: false, has_token: true },
          ]),
    ];
    this.alerts = firstRun ? [] : this.seedAlerts(now);
    this.schemas = {
      folder: '/home/anna/.local/share/ksef-desk/schemas',
      files: [
        { name: 'schemat_FA(3)_v1-0E.xsd', state: 'ok' },
        { name: 'StrukturyDanych_v10-0E.xsd', state: 'ok' },
        { name: 'ElementarneTypyDanych_v10-0E.xsd', state: 'ok' },
        { name: 'KodyKrajow_v10-0E.xsd', state: 'missing' },
      ],
    };
  }

  private seedAlerts(now: number): Alert[] {
    const find = (state: InvoiceState, code?: string) =>
      this.rows.findLast((r) => r.state === state && (code === undefined || r.error_code === code))?.id ?? null;
    return [
      {
        id: 1,
        kind: 'stuck',
        code: 'engine.stuck',
        invoice_id: find('needs_attention', 'engine.stuck'),
        message: null,
        raised_at: now - 42 * 60_000,
        resolved_at: null,
      },
      {
        id: 2,
        kind: 'terminal_failure',
        code: 'ksef.invoice.450',
        invoice_id: find('rejected', 'ksef.invoice.450'),
        message: 'P_15: wartość niezgodna z sumą pozycji',
        raised_at: now - 3 * 3_600_000,
        resolved_at: null,
      },
      {
        id: 3,
        kind: 'conflict',
        code: 'engine.conflict',
        invoice_id: find('conflict'),
        message: null,
        raised_at: now - 5 * 3_600_000,
        resolved_at: null,
      },
      {
        id: 4,
        kind: 'upo_missing',
        code: 'engine.upo_missing',
        invoice_id: find('accepted'),
        message: null,
        raised_at: now - 26 * 3_600_000,
        resolved_at: null,
      },
      {
        id: 5,
        kind: 'outage',
        code: 'ksef.unavailable',
        invoice_id: null,
        message: 'HTTP 503',
        raised_at: now - 2 * DAY_MS,
        resolved_at: now - 2 * DAY_MS + 47 * 60_000,
      },
    ];
  }

  private async answer<T>(value: () => T): Promise<T> {
    if (this.latency > 0) await new Promise((r) => setTimeout(r, this.latency));
    return value();
  }

  /** Pushes an event to listeners, as the Rust side would (also a hook for tests and demos). */
  emit<E extends EventName>(event: E, payload: BackendEvents[E]): void {
    for (const handler of this.listeners.get(event) ?? []) (handler as (p: BackendEvents[E]) => void)(payload);
  }

  /** Test/demo hook: behaves as if the shell forwarded a drag-and-drop of these paths. */
  simulateDrop(paths: string[]): void {
    this.emit('files_dropped', { paths });
  }

  /** Test/demo hook: flips KSeF availability and pushes an engine_status event. */
  setKsef(state: KsefAvailability): void {
    this.ksef = state;
    this.ksefSince = state === 'available' ? null : this.now();
    this.emit('engine_status', this.status());
  }

  private status(): EngineStatus {
    return { queue_depth: this.queueDepth(), ksef: { state: this.ksef, since: this.ksefSince } };
  }

  private queueDepth(): number {
    return this.rows.filter((r) => r.state === 'queued' || r.state === 'sending' || r.state === 'sent').length;
  }

  private row(id: number): InvoiceRow {
    const row = this.rows.find((r) => r.id === id);
    if (!row) throw fail('invoice.not_found', `no invoice with id ${id}`);
    return row;
  }

  list_invoices(q: InvoiceQuery) {
    return this.answer(() => {
      if (q.limit < 1 || q.limit > 1000 || q.offset < 0) throw fail('query.bad_page', 'offset/limit out of range');
      const rows = this.sorted(q);
      // After a key: from the row after the keyed one (the mock finds it by id).
      const start = q.after ? rows.findIndex((r) => r.id === q.after?.id) + 1 + q.offset : q.offset;
      return { rows: rows.slice(start, start + q.limit), total: q.skip_total ? null : rows.length };
    });
  }

  invoice_anchors(q: InvoiceQuery, every: number) {
    return this.answer(() => {
      if (!Number.isInteger(every) || every < 1) throw fail('desk.invalid_input', 'every must be at least 1');
      const rows = this.sorted(q);
      const anchors: ListKey[] = [];
      for (let at = every - 1; at < rows.length; at += every) {
        const row = rows[at];
        if (row) anchors.push({ value: sortKey(row, q.sort.column), id: row.id });
      }
      return anchors;
    });
  }

  /** The rows `q` selects in its order, kept while the same query pages on. */
  private sorted(q: InvoiceQuery): InvoiceRow[] {
    // Paging is not part of the selection.
    const key = JSON.stringify({ ...q, offset: 0, limit: 0, skip_total: false, after: null });
    if (this.sortedCache?.key !== key) {
      const dir = q.sort.dir === 'asc' ? 1 : -1;
      const rows = this.rows.filter((r) => matches(r, q));
      rows.sort((a, b) => dir * compare(sortKey(a, q.sort.column), sortKey(b, q.sort.column)) || dir * (a.id - b.id));
      this.sortedCache = { key, rows };
    }
    return this.sortedCache.rows;
  }

  invoice_detail(id: number) {
    return this.answer((): InvoiceDetail => {
      const row = this.row(id);
      const rng = createRng(id * 7919);
      const sha256 = sha256Hex(rng);
      const findings: Finding[] = [];
      if (row.state === 'invalid' && row.error_code) {
        findings.push({
          code: row.error_code,
          severity: 'error',
          message: 'cvc-complex-type.2.4.a: Invalid content was found starting with element P_15',
          path: '/Faktura/Fa/P_15',
          line: 48,
        });
      }
      if (rng() < 0.25) {
        findings.push({
          code: 'ours.totals_mismatch',
          severity: 'warning',
          message: 'P_15 = 1230.00, sum of lines = 1229.99',
          path: '/Faktura/Fa/P_15',
          line: 51,
        });
      }
      const rejection =
        row.state === 'rejected' && row.error_code
          ? {
              code: row.error_code,
              description:
                row.error_code === 'ksef.invoice.440'
                  ? 'Duplikat faktury'
                  : 'Błąd weryfikacji semantycznej dokumentu faktury',
              details:
                row.error_code === 'ksef.invoice.440'
                  ? ['originalKsefNumber: ' + ksefNumber(rng, SELLER.nip, row.issue_date ?? isoDate(row.last_event_at))]
                  : ['Pole P_15 (kwota należności ogółem) jest niezgodne z sumą wartości pozycji.'],
            }
          : null;
      const t0 = row.last_event_at - 6 * 60_000;
      const events: InvoiceEvent[] = [
        {
          at: t0,
          actor: 'user',
          from_state: null,
          to_state: row.state === 'invalid' ? 'invalid' : 'queued',
          code: null,
          detail: 'Import: ' + this.fileName(row),
        },
      ];
      const attempts: Attempt[] = [];
      if (!['invalid', 'queued', 'conflict'].includes(row.state)) {
        events.push({
          at: t0 + 60_000,
          actor: 'engine',
          from_state: 'queued',
          to_state: 'sending',
          code: null,
          detail: null,
        });
        if (row.state === 'needs_attention') {
          attempts.push({
            kind: 'send',
            started_at: t0 + 60_000,
            finished_at: t0 + 90_000,
            outcome: 'transient',
            error_code: 'ksef.http.429',
            request_id: '20261120-EE-1A2B3C4D5E-6F7A8B9C0D-11',
          });
          attempts.push({
            kind: 'send',
            started_at: t0 + 150_000,
            finished_at: null,
            outcome: 'unknown',
            error_code: 'ksef.outcome_unknown',
            request_id: null,
          });
          events.push({
            at: row.last_event_at,
            actor: 'reconciler',
            from_state: 'sending',
            to_state: 'needs_attention',
            code: row.error_code,
            detail: null,
          });
        } else {
          attempts.push({
            kind: 'send',
            started_at: t0 + 60_000,
            finished_at: t0 + 61_800,
            outcome: 'sent',
            error_code: null,
            request_id: '20261120-EE-2C7D9A1B3E-4F5A6B7C8D-9E',
          });
          events.push({
            at: t0 + 61_800,
            actor: 'ksef',
            from_state: 'sending',
            to_state: 'sent',
            code: 'ksef.invoice.100',
            detail: null,
          });
          if (row.state === 'accepted' || row.state === 'rejected') {
            attempts.push({
              kind: 'status',
              started_at: row.last_event_at - 2_000,
              finished_at: row.last_event_at,
              outcome: row.state,
              error_code: row.state === 'rejected' ? row.error_code : null,
              request_id: null,
            });
            events.push({
              at: row.last_event_at,
              actor: 'ksef',
              from_state: 'sent',
              to_state: row.state,
              code: row.state === 'accepted' ? 'ksef.invoice.200' : row.error_code,
              detail: null,
            });
          }
        }
      }
      return {
        row,
        file_name: this.fileName(row),
        seller_nip: SELLER.nip,
        seller_name: SELLER.name,
        invoice_type: 'VAT',
        size_bytes: 4_000 + Math.floor(rng() * 9_000),
        sha256,
        findings,
        rejection,
        events,
        attempts,
        upo: { stored: row.has_upo, verified: row.has_upo, sha256: row.has_upo ? sha256Hex(rng) : null },
      };
    });
  }

  private fileName(row: InvoiceRow): string {
    return (row.invoice_number ?? `faktura-${row.id}`).replaceAll('/', '_') + '.xml';
  }

  get_upo_xml(id: number) {
    return this.answer(() => {
      const row = this.row(id);
      if (!row.has_upo) throw fail('engine.upo_missing', 'UPO not stored');
      const rng = createRng(id * 104_729);
      return upoXml(row, '20261120-SO-3F2A1B9C8D-7E6F5A4B3C-21', btoa(sha256Hex(rng).slice(0, 32)));
    });
  }

  start_import(paths: string[]) {
    return this.answer(() => {
      if (paths.length === 0) throw fail('import.no_files', 'nothing to import');
      const job_id = this.nextJob++;
      const files = paths.flatMap((p) => (p.endsWith('/') ? this.folderFiles(p) : [p]));
      const items: ImportItem[] = [];
      let done = 0;
      const step = () => {
        if (this.cancelled.has(job_id)) {
          this.emit('import_finished', { job_id, cancelled: true, summary: this.summarise(items) });
          return;
        }
        const batch = files.slice(done, done + IMPORT_FILES_PER_TICK);
        for (const file of batch) items.push(this.importOne(file, items.length));
        done += batch.length;
        this.emit('import_progress', { job_id, done, total: files.length, current_file: files[done - 1] ?? null });
        if (done < files.length) this.setTimer(step, IMPORT_TICK_MS);
        else {
          this.sortedCache = null;
          this.emit('import_finished', { job_id, cancelled: false, summary: this.summarise(items) });
          this.emit('invoices_changed', { ids: items.flatMap((i) => (i.invoice_id === null ? [] : [i.invoice_id])) });
        }
      };
      this.setTimer(step, IMPORT_TICK_MS);
      return { job_id };
    });
  }

  private folderFiles(folder: string): string[] {
    return Array.from({ length: FOLDER_FILES }, (_, i) => `${folder}FV_2026_11_${String(i + 1).padStart(4, '0')}.xml`);
  }

  /** Imports one file; the outcome mix is deterministic by position so tests can predict it. */
  private importOne(file: string, index: number): ImportItem {
    if (!file.toLowerCase().endsWith('.xml') && !file.toLowerCase().endsWith('.zip')) {
      return { file, outcome: 'unreadable', invoice_id: null, code: 'engine.import_unreadable' };
    }
    if (index % 23 === 7)
      return {
        file,
        outcome: 'already_known',
        invoice_id: this.rows[index % Math.max(1, this.rows.length)]?.id ?? null,
        code: null,
      };
    const state: InvoiceState = index % 31 === 11 ? 'conflict' : index % 17 === 5 ? 'invalid' : 'queued';
    const now = this.now();
    const rng = createRng(index + 1);
    const id = this.nextId++;
    const base = file.split('/').pop() ?? file;
    this.rows.push({
      id,
      invoice_number: base.replace(/\.xml$/i, '').replaceAll('_', '/'),
      counterparty_name: 'Przedsiębiorstwo Budowlane Żuraw sp. z o.o.',
      counterparty_nip: '7010004335',
      issue_date: isoDate(now),
      gross_minor: 10_000 + Math.floor(rng() * 5_000_000),
      currency: 'PLN',
      state,
      ksef_number: null,
      has_upo: false,
      error_code: errorCodeFor(rng, state),
      last_event_at: now,
    });
    const outcome = state === 'queued' ? 'imported' : state;
    return { file, outcome, invoice_id: id, code: state === 'queued' ? null : (this.rows.at(-1)?.error_code ?? null) };
  }

  private summarise(items: ImportItem[]): ImportSummary {
    const count = (o: ImportItem['outcome']) => items.filter((i) => i.outcome === o).length;
    return {
      imported: count('imported'),
      already_known: count('already_known'),
      conflicts: count('conflict'),
      invalid: count('invalid') + count('unreadable'),
      items: [...items],
    };
  }

  cancel_import(job_id: number) {
    return this.answer(() => {
      this.cancelled.add(job_id);
    });
  }

  pick_import_files() {
    return this.answer(() => [
      '/home/anna/Dokumenty/faktury/FV_2026_11_0412.xml',
      '/home/anna/Dokumenty/faktury/FV_2026_11_0413.xml',
      '/home/anna/Dokumenty/faktury/FV_2026_11_0414.xml',
    ]);
  }

  pick_import_folder() {
    return this.answer(() => ['/home/anna/Dokumenty/faktury/listopad/']);
  }

  generate_demo_invoices(count: number) {
    return this.answer((): ImportSummary => {
      const now = this.now();
      const fresh = seedInvoices(count, now, this.nextId).map((r) => ({ ...r, id: this.nextId++ }));
      this.rows.push(...fresh);
      this.sortedCache = null;
      const items: ImportItem[] = fresh.map((r) => ({
        file: this.fileName(r),
        outcome: r.state === 'invalid' ? 'invalid' : r.state === 'conflict' ? 'conflict' : 'imported',
        invoice_id: r.id,
        code: r.state === 'invalid' || r.state === 'conflict' ? r.error_code : null,
      }));
      this.emit('invoices_changed', { ids: fresh.map((r) => r.id) });
      return this.summarise(items);
    });
  }

  invoice_counts() {
    return this.answer(() => this.countsByState());
  }

  engine_status() {
    return this.answer(() => this.status());
  }

  private countsByState(): Record<InvoiceState, number> {
    const counts = Object.fromEntries(INVOICE_STATES.map((s) => [s, 0])) as Record<InvoiceState, number>;
    for (const r of this.rows) counts[r.state] += 1;
    return counts;
  }

  dashboard() {
    return this.answer((): Dashboard => {
      const counts = this.countsByState();
      const now = this.now();
      const days = Array.from({ length: 30 }, (_, i) => isoDate(now - (29 - i) * DAY_MS));
      const daily = new Map(days.map((day) => [day, { day, accepted: 0, rejected: 0, queued: 0 }]));
      const rejections = new Map<string, number>();
      for (const r of this.rows) {
        const bucket = daily.get(isoDate(r.last_event_at));
        if (bucket) {
          if (r.state === 'accepted') bucket.accepted += 1;
          else if (r.state === 'rejected') bucket.rejected += 1;
          else if (r.state === 'queued' || r.state === 'sending' || r.state === 'sent') bucket.queued += 1;
        }
        if (r.state === 'rejected' && r.error_code)
          rejections.set(r.error_code, (rejections.get(r.error_code) ?? 0) + 1);
      }
      const decided = counts.accepted + counts.rejected;
      const active = this.companies.find((c) => c.active);
      return {
        counts,
        queue_depth: this.queueDepth(),
        ksef: { state: this.ksef, since: this.ksefSince, environment: active?.environment ?? 'sandbox' },
        latency_ms: decided > 0 ? { median: 4_200, p95: 19_800 } : { median: null, p95: null },
        rejection_rate: decided > 0 ? counts.rejected / decided : null,
        daily: [...daily.values()],
        top_rejections: [...rejections.entries()]
          .map(([code, count]) => ({ code, count }))
          .sort((a, b) => b.count - a.count)
          .slice(0, 5),
      };
    });
  }

  export_weekly_report(week_start: string) {
    return this.answer(() => `/home/anna/.local/share/ksef-desk/exports/bledy-${week_start}.csv`);
  }

  list_alerts() {
    return this.answer(() => this.alerts.map((a) => ({ ...a })));
  }

  resolve_alert(id: number) {
    return this.answer(() => {
      const alert = this.alerts.find((a) => a.id === id);
      if (!alert) throw fail('alert.not_found', `no alert ${id}`);
      alert.resolved_at = this.now();
    });
  }

  dictionary() {
    return this.answer(() => MOCK_DICTIONARY);
  }

  get_settings() {
    return this.answer(() => ({ ...this.settings }));
  }

  save_settings(s: Settings) {
    return this.answer(() => {
      this.settings = { ...s };
    });
  }

  list_companies() {
    return this.answer(() => this.companies.map((c) => ({ ...c })));
  }

  add_company(c: { name: string; nip: string; environment: Company['environment']; token: string }) {
    return this.answer((): Company => {
      if (this.companies.some((x) => x.nip === c.nip && x.environment === c.environment)) {
        throw fail('company.duplicate', 'company already configured for this environment');
      }
      const company: Company = {
        id: Math.max(0, ...this.companies.map((x) => x.id)) + 1,
        name: c.name,
        nip: c.nip,
        environment: c.environment,
        active: false,
        has_token: c.token.length > 0,
      };
      this.companies.push(company);
      return { ...company };
    });
  }

  test_connection(id: number) {
    return this.answer(() => {
      const company = this.companies.find((c) => c.id === id);
      if (!company) throw fail('company.not_found', `no company ${id}`);
      if (company.environment === 'sandbox') return { ok: true, code: null, message: null };
      if (!company.has_token) return { ok: false, code: 'ksef.http.401', message: 'no token' };
      if (this.ksef === 'unavailable') return { ok: false, code: 'ksef.unavailable', message: 'HTTP 503' };
      return { ok: true, code: null, message: null };
    });
  }

  set_active_company(id: number) {
    return this.answer(() => {
      if (!this.companies.some((c) => c.id === id)) throw fail('company.not_found', `no company ${id}`);
      for (const c of this.companies) c.active = c.id === id;
    });
  }

  schema_status() {
    return this.answer(() => structuredClone(this.schemas));
  }

  fetch_schemas() {
    return this.answer(() => {
      this.schemas = { ...this.schemas, files: this.schemas.files.map((f) => ({ ...f, state: 'ok' as const })) };
      return structuredClone(this.schemas);
    });
  }

  backup_database() {
    return this.answer(() => `${this.settings.data_dir}/backups/ksef-desk-${isoDate(this.now())}.sqlite`);
  }

  export_invoices(ids: number[], format: 'csv' | 'xlsx') {
    return this.answer(() => {
      if (ids.length === 0) throw fail('export.empty', 'no invoices selected');
      return `/home/anna/Dokumenty/KSeF Desk/faktury-${isoDate(this.now())}.${format}`;
    });
  }

  save_upos(ids: number[]): Promise<SavedUpos | null> {
    return this.answer(() => {
      const chosen = this.rows.filter((r) => ids.includes(r.id));
      const saved = chosen.filter((r) => r.has_upo).length;
      return {
        saved,
        without_upo: chosen.length - saved,
        failed: 0,
        folder: '/home/anna/Dokumenty/KSeF Desk/UPO',
      };
    });
  }

  remove_invalid(ids: number[]) {
    return this.answer(() => {
      const before = this.rows.length;
      const removable = new Set(ids);
      this.rows = this.rows.filter((r) => !(removable.has(r.id) && r.state === 'invalid'));
      this.sortedCache = null;
      const removed = before - this.rows.length;
      if (removed > 0) this.emit('invoices_changed', { ids });
      return removed;
    });
  }

  async listen<E extends EventName>(event: E, handler: (payload: BackendEvents[E]) => void): Promise<Unlisten> {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const h = handler as (payload: never) => void;
    set.add(h);
    return () => set.delete(h);
  }
}
