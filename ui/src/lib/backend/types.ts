// The backend contract: the DTOs the UI exchanges with the Rust side, and the one interface the
// UI talks to. The DTOs are generated from desk-api's Rust types by ts-rs (scripts/gen-types, into
// ./generated, checked for staleness by desk-api's tests); this file re-exports them so the UI
// compiles against the real wire format. Nothing here knows about Tauri.

import type { Alert } from './generated/Alert';
import type { Company } from './generated/Company';
import type { ConnectionTest } from './generated/ConnectionTest';
import type { Dashboard } from './generated/Dashboard';
import type { DeskError } from './generated/DeskError';
import type { DictEntry } from './generated/DictEntry';
import type { EngineStatus } from './generated/EngineStatus';
import type { Environment } from './generated/Environment';
import type { ExportFormat } from './generated/ExportFormat';
import type { FilesDropped } from './generated/FilesDropped';
import type { ImportFinished } from './generated/ImportFinished';
import type { ImportJob } from './generated/ImportJob';
import type { ImportProgress } from './generated/ImportProgress';
import type { ImportSummary } from './generated/ImportSummary';
import type { InvoiceDetail } from './generated/InvoiceDetail';
import type { InvoicePage } from './generated/InvoicePage';
import type { InvoiceQuery } from './generated/InvoiceQuery';
import type { InvoiceState } from './generated/InvoiceState';
import type { InvoicesChanged } from './generated/InvoicesChanged';
import type { ListKey } from './generated/ListKey';
import type { Navigate } from './generated/Navigate';
import type { NewCompany } from './generated/NewCompany';
import type { SavedUpos } from './generated/SavedUpos';
import type { SchemaStatus } from './generated/SchemaStatus';
import type { Settings } from './generated/Settings';

export type { Alert } from './generated/Alert';
export type { AlertKind } from './generated/AlertKind';
export type { Attempt } from './generated/Attempt';
export type { CodeCount } from './generated/CodeCount';
export type { Company } from './generated/Company';
export type { ConnectionTest } from './generated/ConnectionTest';
export type { DailyCounts } from './generated/DailyCounts';
export type { Dashboard } from './generated/Dashboard';
export type { DashboardKsef } from './generated/DashboardKsef';
export type { DeskError } from './generated/DeskError';
export type { DictEntry } from './generated/DictEntry';
export type { DictSource } from './generated/DictSource';
export type { DictText } from './generated/DictText';
export type { EngineStatus } from './generated/EngineStatus';
export type { Environment } from './generated/Environment';
export type { EventActor } from './generated/EventActor';
export type { ExportFormat } from './generated/ExportFormat';
export type { FilesDropped } from './generated/FilesDropped';
export type { Finding } from './generated/Finding';
export type { FindingSeverity } from './generated/FindingSeverity';
export type { ImportFinished } from './generated/ImportFinished';
export type { ImportItem } from './generated/ImportItem';
export type { ImportJob } from './generated/ImportJob';
export type { ImportOutcome } from './generated/ImportOutcome';
export type { ImportProgress } from './generated/ImportProgress';
export type { ImportSummary } from './generated/ImportSummary';
export type { InvoiceDetail } from './generated/InvoiceDetail';
export type { InvoiceEvent } from './generated/InvoiceEvent';
export type { InvoicePage } from './generated/InvoicePage';
export type { InvoiceQuery } from './generated/InvoiceQuery';
export type { InvoiceRow } from './generated/InvoiceRow';
export type { InvoiceSort } from './generated/InvoiceSort';
export type { InvoiceState } from './generated/InvoiceState';
export type { InvoicesChanged } from './generated/InvoicesChanged';
export type { KsefAvailability } from './generated/KsefAvailability';
export type { KsefStatus } from './generated/KsefStatus';
export type { Language } from './generated/Language';
export type { Latency } from './generated/Latency';
export type { ListKey } from './generated/ListKey';
export type { Navigate } from './generated/Navigate';
export type { NewCompany } from './generated/NewCompany';
export type { Rejection } from './generated/Rejection';
export type { SavedUpos } from './generated/SavedUpos';
export type { SchemaFile } from './generated/SchemaFile';
export type { SchemaFileState } from './generated/SchemaFileState';
export type { SchemaStatus } from './generated/SchemaStatus';
export type { Settings } from './generated/Settings';
export type { SortColumn } from './generated/SortColumn';
export type { SortDir } from './generated/SortDir';
export type { UpoStatus } from './generated/UpoStatus';

/** Every state, in the order the UI lists them. `types.test.ts` checks it names every state. */
export const INVOICE_STATES = [
  'queued',
  'sending',
  'sent',
  'accepted',
  'rejected',
  'needs_attention',
  'conflict',
  'invalid',
] as const satisfies readonly InvoiceState[];

/** Every KSeF environment, from the safest to production. */
export const ENVIRONMENTS = ['sandbox', 'test', 'demo', 'prd'] as const satisfies readonly Environment[];

/** Every call rejects with this shape; the UI switches on `code`, never on `message`. */
export type BackendError = DeskError;

/** Push events from the backend, keyed by their wire name. */
export interface BackendEvents {
  import_progress: ImportProgress;
  import_finished: ImportFinished;
  files_dropped: FilesDropped;
  engine_status: EngineStatus;
  invoices_changed: InvoicesChanged;
  /** The shell asks for a view (a desktop notification was clicked). */
  navigate: Navigate;
}

export type EventName = keyof BackendEvents;
export type Unlisten = () => void;

/** The one seam between the UI and the application: Tauri in the app, a mock in tests/demos. */
export interface Backend {
  list_invoices(q: InvoiceQuery): Promise<InvoicePage>;
  /**
   * Sort keys of rows `every - 1`, `2 * every - 1`, … of the list `q` selects (its paging is
   * ignored): far pages of the same query are then asked for `after` one of them.
   */
  invoice_anchors(q: InvoiceQuery, every: number): Promise<ListKey[]>;
  invoice_detail(id: number): Promise<InvoiceDetail>;
  get_upo_xml(id: number): Promise<string>;

  start_import(paths: string[]): Promise<ImportJob>;
  cancel_import(job_id: number): Promise<void>;
  pick_import_files(): Promise<string[]>;
  pick_import_folder(): Promise<string[]>;
  generate_demo_invoices(count: number): Promise<ImportSummary>;

  dashboard(): Promise<Dashboard>;
  /** Invoices per state (every state listed): the invoice list's chips, without the dashboard. */
  invoice_counts(): Promise<Dashboard['counts']>;
  /** Queue depth and KSeF's state (the app chrome), without the dashboard's metrics. */
  engine_status(): Promise<EngineStatus>;
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
  /** Asks for a folder in the native dialog and saves the UPOs there; `null` when cancelled. */
  save_upos(ids: number[]): Promise<SavedUpos | null>;
  remove_invalid(ids: number[]): Promise<number>;

  listen<E extends EventName>(event: E, handler: (payload: BackendEvents[E]) => void): Promise<Unlisten>;
}
