// The app chrome (queue depth, KSeF's state, open alerts) reads the engine status, never the
// whole dashboard: at 100 000 invoices the dashboard's metrics hold the store for a while.

import { describe, expect, it, vi } from 'vitest';
import { MockBackend } from './backend/mock';
import { ShellState } from './shell.svelte';

const NOW = Date.UTC(2026, 10, 20, 13, 0);

describe('ShellState', () => {
  it('loads the queue and KSeF state from the engine status, without the dashboard', async () => {
    const backend = new MockBackend({ invoices: 400, now: () => NOW, ksef: 'unavailable' });
    const dashboard = vi.spyOn(backend, 'dashboard');
    const shell = new ShellState(backend);
    await shell.load();
    expect(dashboard).not.toHaveBeenCalled();
    // Independent of the status call: the counts per state give the same queue.
    const counts = await backend.invoice_counts();
    expect(shell.queueDepth).toBe(counts.queued + counts.sending + counts.sent);
    expect(shell.queueDepth).toBeGreaterThan(0);
    expect(shell.ksef.state).toBe('unavailable');
    expect(shell.ksef.since).toBe(NOW - 27 * 60_000);
    expect(shell.ready).toBe(true);
  });
});
