// The Backend implemented over Tauri IPC: the only module in the UI that imports @tauri-apps/*.
// Rust commands are declared with `rename_all = "snake_case"` (src-tauri/src/commands.rs), so
// argument keys stay snake_case: q, id, paths, job_id, count, week_start, s, c, ids, format.

import { invoke } from '@tauri-apps/api/core';
import { listen as tauriListen } from '@tauri-apps/api/event';
import { toBackendError } from './errors';
import type { Backend, BackendEvents, EventName, Unlisten } from './types';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    // Errors cross IPC as { code, message }; anything else is normalised so callers can rely on it.
    throw toBackendError(e);
  }
}

export function createTauriBackend(): Backend {
  return {
    list_invoices: (q) => call('list_invoices', { q }),
    invoice_anchors: (q, every) => call('invoice_anchors', { q, every }),
    invoice_detail: (id) => call('invoice_detail', { id }),
    get_upo_xml: (id) => call('get_upo_xml', { id }),

    start_import: (paths) => call('start_import', { paths }),
    cancel_import: (job_id) => call('cancel_import', { job_id }),
    pick_import_files: () => call('pick_import_files'),
    pick_import_folder: () => call('pick_import_folder'),
    generate_demo_invoices: (count) => call('generate_demo_invoices', { count }),

    dashboard: () => call('dashboard'),
    invoice_counts: () => call('invoice_counts'),
    engine_status: () => call('engine_status'),
    export_weekly_report: (week_start) => call('export_weekly_report', { week_start }),

    list_alerts: () => call('list_alerts'),
    resolve_alert: (id) => call('resolve_alert', { id }),

    dictionary: () => call('dictionary'),

    get_settings: () => call('get_settings'),
    save_settings: (s) => call('save_settings', { s }),
    list_companies: () => call('list_companies'),
    add_company: (c) => call('add_company', { c }),
    test_connection: (id) => call('test_connection', { id }),
    set_active_company: (id) => call('set_active_company', { id }),
    schema_status: () => call('schema_status'),
    fetch_schemas: () => call('fetch_schemas'),
    backup_database: () => call('backup_database'),

    export_invoices: (ids, format) => call('export_invoices', { ids, format }),
    save_upos: (ids) => call('save_upos', { ids }),
    remove_invalid: (ids) => call('remove_invalid', { ids }),

    async listen<E extends EventName>(event: E, handler: (payload: BackendEvents[E]) => void): Promise<Unlisten> {
      return tauriListen<BackendEvents[E]>(event, (e) => handler(e.payload));
    },
  };
}
