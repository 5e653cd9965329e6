// The backend contract: every type the UI exchanges with the Rust side, and the one interface the
// UI talks to. Names and shapes are snake_case because they will be generated from Rust (ts-rs);
// keep them exactly in step with the Rust DTOs. Nothing here knows about Tauri.

/** Our submission state of one invoice (never KSeF's numeric status codes). */
export type InvoiceState =
  'invalid' | 'conflict' | 'queued' | 'sending' | 'sent' | 'accepted' | 'rejected' | 'needs_attention';

/** Every state, in the order the UI lists them (worst problems first for filters). */
export const INVOICE_STATES: readonly InvoiceState[] = [
  'queued',
  'sending',
  'sent',
  'accepted',
  'rejected',
  'needs_attention',
  'conflict',
  'invalid',
];

export type SortColumn =
  'invoice_number' | 'counterparty' | 'issue_date' | 'gross' | 'state' | 'ksef_number' | 'last_event_at';

export type SortDir = 'asc' | 'desc';

export interface InvoiceSort {
  column: SortColumn;
  dir: SortDir;
}

/** One page request; filtering, sorting and paging happen in the backend (SQL). */
export interface InvoiceQuery {
  states: InvoiceState[];
  /** ISO date (YYYY-MM-DD), inclusive, compared with the issue date. */
  date_from: string | null;
  date_to: string | null;
  /** Substring of the counterparty's name or NIP. */
  counterparty: string | null;
  /** Substring of the invoice number. */
  number: string | null;
  /** Restricts to these invoice ids (import summary links); null = no restriction. Addition to the brief. */
  ids: number[] | null;
  sort: InvoiceSort;
  offset: number;
  limit: number;
}

export interface InvoiceRow {
  id: number;
  invoice_number: string | null;
  counterparty_name: string | null;
  counterparty_nip: string | null;
  issue_date: string | null;
  /** Gross amount in minor units (grosze). */
  gross_minor: number | null;
  currency: string | null;
  state: InvoiceState;
  ksef_number: string | null;
  has_upo: boolean;
  error_code: string | null;
  /** Unix milliseconds. */
  last_event_at: number;
}

export interface InvoicePage {
  rows: InvoiceRow[];
  total: number;
}

export interface Finding {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  path: string | null;
  line: number | null;
}

export interface Rejection {
  code: string;
  description: string | null;
  details: string[];
}

export type EventActor = 'user' | 'engine' | 'ksef' | 'reconciler';

export interface InvoiceEvent {
  at: number;
  actor: EventActor;
  from_state: InvoiceState | null;
  to_state: InvoiceState | null;
  code: string | null;
  detail: string | null;
}

export interface Attempt {
  kind: string;
  started_at: number;
  finished_at: number | null;
  outcome: string;
  error_code: string | null;
  request_id: string | null;
}

export interface UpoStatus {
  stored: boolean;
  verified: boolean;
  sha256: string | null;
}

export interface InvoiceDetail {
  row: InvoiceRow;
  file_name: string;
  seller_nip: string | null;
  seller_name: string | null;
  invoice_type: string | null;
  size_bytes: number;
  sha256: string;
  findings: Finding[];
  rejection: Rejection | null;
  events: InvoiceEvent[];
  attempts: Attempt[];
  upo: UpoStatus;
}

export type ImportOutcome = 'imported' | 'already_known' | 'conflict' | 'invalid' | 'unreadable';

export interface ImportItem {
  file: string;
  outcome: ImportOutcome;
  invoice_id: number | null;
  code: string | null;
}

export interface ImportSummary {
  imported: number;
  already_known: number;
  conflicts: number;
  invalid: number;
  items: ImportItem[];
}

export interface ImportJob {
  job_id: number;
}

export interface ImportProgress {
  job_id: number;
  done: number;
  total: number;
  current_file: string | null;
}

export interface ImportFinished {
  job_id: number;
  cancelled: boolean;
  summary: ImportSummary;
}

export type KsefAvailability = 'available' | 'degraded' | 'unavailable';

export interface KsefStatus {
  state: KsefAvailability;
  since: number | null;
}

export interface DailyCounts {
  day: string;
  accepted: number;
  rejected: number;
  queued: number;
}

export interface Dashboard {
  /** Invoices per state. ts-rs renders the Rust map with optional keys, so read with `?? 0`. */
  counts: { [key in InvoiceState]?: number };
  queue_depth: number;
  ksef: KsefStatus & { environment: string };
  latency_ms: { median: number | null; p95: number | null };
  rejection_rate: number | null;
  daily: DailyCounts[];
  top_rejections: { code: string; count: number }[];
}

export type AlertKind = 'stuck' | 'terminal_failure' | 'conflict' | 'outage' | 'upo_missing';

export interface Alert {
  id: number;
  kind: AlertKind;
  code: string;
  invoice_id: number | null;
  message: string | null;
  raised_at: number;
  resolved_at: number | null;
}

export interface DictText {
  title: string;
  explanation: string;
  action: string;
}

export interface DictEntry {
  code: string;
  source: 'ksef' | 'ours' | 'engine';
  pl: DictText;
  en: DictText;
}

export type Language = 'pl' | 'en';

export interface Settings {
  language: Language;
  notifications: boolean;
  watched_folder: string | null;
  data_dir: string;
}

export type Environment = 'sandbox' | 'test' | 'demo' | 'prd';

export const ENVIRONMENTS: readonly Environment[] = ['sandbox', 'test', 'demo', 'prd'];

export interface Company {
  id: number;
  name: string;
  nip: string;
  environment: Environment;
  active: boolean;
  has_token: boolean;
}

export interface NewCompany {
  name: string;
  nip: string;
  environment: Environment;
  /** KSeF token; the backend stores it in the OS keyring and never returns it. */
  token: string;
}

export interface ConnectionTest {
  ok: boolean;
  code: string | null;
  message: string | null;
}

export type SchemaFileState = 'ok' | 'missing' | 'mismatch';

export interface SchemaStatus {
  files: { name: string; state: SchemaFileState }[];
  folder: string | null;
}

export type ExportFormat = 'csv' | 'xlsx';

export interface SavedUpos {
  saved: number;
  folder: string;
}

export interface EngineStatus {
  queue_depth: number;
  ksef: KsefStatus;
}

/** Every call rejects with this shape; the UI switches on `code`, never on `message`. */
export interface BackendError {
  code: string;
  message: string;
}

/** Push events from the backend, keyed by their wire name. */
export interface BackendEvents {
  import_progress: ImportProgress;
  import_finished: ImportFinished;
  files_dropped: { paths: string[] };
  engine_status: EngineStatus;
  invoices_changed: { ids: number[] };
}

export type EventName = keyof BackendEvents;
export type Unlisten = () => void;

/** The one seam between the UI and the application: Tauri in the app, a mock in tests/demos. */
export interface Backend {
  list_invoices(q: InvoiceQuery): Promise<InvoicePage>;
  invoice_detail(id: number): Promise<InvoiceDetail>;
  get_upo_xml(id: number): Promise<string>;

  start_import(paths: string[]): Promise<ImportJob>;
  cancel_import(job_id: number): Promise<void>;
  pick_import_files(): Promise<string[]>;
  pick_import_folder(): Promise<string[]>;
  generate_demo_invoices(count: number): Promise<ImportSummary>;

  dashboard(): Promise<Dashboard>;
  export_weekly_report(week_start: string): Promise<string>;

  list_alerts(): Promise<Alert[]>;
  resolve_alert(id: number): Promise<void>;

  dictionary(): Promise<DictEntry[]>;

  get_settings(): Promise<Settings>;
  save_settings(s: Settings): Promise<void>;
  list_companies(): Promise<Company[]>;
  add_company(c: NewCompany): Promise<Company>;
  test_connection(id: number): Promise<ConnectionTest>;
  set_active_company(id: number): Promise<void>;
  schema_status(): Promise<SchemaStatus>;
  fetch_schemas(): Promise<SchemaStatus>;
  backup_database(): Promise<string>;

  export_invoices(ids: number[], format: ExportFormat): Promise<string>;
  save_upos(ids: number[]): Promise<SavedUpos>;
  remove_invalid(ids: number[]): Promise<number>;

  listen<E extends EventName>(event: E, handler: (payload: BackendEvents[E]) => void): Promise<Unlisten>;
}
