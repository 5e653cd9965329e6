// The Tauri backend speaks the IPC contract: command names and snake_case arguments, errors as
// { code, message }, and backend events delivered to listeners. Uses Tauri's own mockIPC.

import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IPC_UNKNOWN_CODE } from './errors';
import { createTauriBackend } from './tauri';
import type { InvoiceQuery } from './types';

afterEach(() => clearMocks());

const QUERY: InvoiceQuery = {
  states: ['rejected'],
  date_from: null,
  date_to: null,
  counterparty: 'Żuraw',
  number: null,
  ids: null,
  sort: { column: 'gross', dir: 'desc' },
  offset: 200,
  limit: 200,
};

describe('Tauri backend', () => {
  it('invokes commands by name with snake_case arguments and returns their result', async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === 'list_invoices') return { rows: [], total: 42 };
      return null;
    });
    const backend = createTauriBackend();
    expect(await backend.list_invoices(QUERY)).toEqual({ rows: [], total: 42 });
    await backend.cancel_import(7);
    await backend.export_weekly_report('2026-11-16');
    expect(calls).toEqual([
      ['list_invoices', { q: QUERY }],
      ['cancel_import', { job_id: 7 }],
      ['export_weekly_report', { week_start: '2026-11-16' }],
    ]);
  });

  it('passes { code, message } errors through and normalises anything else', async () => {
    mockIPC((cmd) => {
      if (cmd === 'resolve_alert') throw { code: 'alert.not_found', message: 'no alert 3' };
      throw 'panic in command';
    });
    const backend = createTauriBackend();
    await expect(backend.resolve_alert(3)).rejects.toEqual({ code: 'alert.not_found', message: 'no alert 3' });
    await expect(backend.dashboard()).rejects.toEqual({ code: IPC_UNKNOWN_CODE, message: 'panic in command' });
  });

  it('delivers backend events to listeners until they unlisten', async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const backend = createTauriBackend();
    const handler = vi.fn();
    const stop = await backend.listen('engine_status', handler);
    const payload = { queue_depth: 3, ksef: { state: 'unavailable' as const, since: 1 } };
    await emit('engine_status', payload);
    expect(handler).toHaveBeenCalledWith(payload);
    stop();
    await emit('engine_status', payload);
    expect(handler).toHaveBeenCalledTimes(1);
  });
});
