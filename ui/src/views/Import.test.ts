// Import: progress events drive the bar, cancel reaches the backend, and the summary's counts
// link to exactly the affected invoices. Time is driven by hand through the mock's timer.

import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { MockBackend } from '../lib/backend/mock';
import type { ImportFinished } from '../lib/backend/types';
import { contextFor, NOW, renderIn } from '../test/harness';
import Import from './Import.svelte';

async function setup() {
  const ticks: (() => void)[] = [];
  const backend = new MockBackend({ invoices: 100, now: () => NOW, setTimer: (fn) => ticks.push(fn) });
  const cancel = vi.spyOn(backend, 'cancel_import');
  const finished: ImportFinished[] = [];
  await backend.listen('import_finished', (f) => finished.push(f));
  const ctx = contextFor(backend);
  await ctx.imports.attach();
  await ctx.shell.refresh();
  renderIn(Import, ctx, {});
  const tick = async () => {
    const next = ticks.shift();
    if (!next) throw new Error('no pending import step');
    next();
  };
  return { backend, cancel, finished, tick, ticks };
}

describe('Import view', () => {
  it('shows progress from import_progress events and cancels through the backend', async () => {
    const { cancel, finished, tick } = await setup();
    await fireEvent.click(screen.getByRole('button', { name: /Wybierz folder/ }));
    await waitFor(() => expect(screen.getByRole('progressbar')).toBeTruthy());
    await tick();
    const bar = await screen.findByRole('progressbar');
    await waitFor(() => expect(Number(bar.getAttribute('aria-valuenow'))).toBeGreaterThan(0));
    const done = Number(bar.getAttribute('aria-valuenow'));
    const total = Number(bar.getAttribute('aria-valuemax'));
    expect(screen.getByText(`${done} z ${total} plików`)).toBeTruthy();
    expect(screen.getByText(/FV_2026_11_/)).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: 'Przerwij import' }));
    expect(cancel).toHaveBeenCalledWith(1);
    await tick();
    await screen.findByText(/Import przerwany/);
    expect(finished[0]?.cancelled).toBe(true);
    expect(finished[0]?.summary.items.length).toBe(done);
  });

  it('links each summary count to the invoices it counts', async () => {
    const { finished, tick, ticks } = await setup();
    await fireEvent.click(screen.getByRole('button', { name: /Wybierz folder/ }));
    await waitFor(() => expect(ticks.length).toBe(1));
    while (ticks.length > 0) await tick();
    await screen.findByTestId('import-summary');
    const summary = finished[0]?.summary;
    if (!summary) throw new Error('import did not finish');
    const importedIds = summary.items.filter((i) => i.outcome === 'imported').map((i) => i.invoice_id);
    expect(importedIds.length).toBe(summary.imported);

    const link = document.querySelector('a[data-bucket="imp.imported"]') as HTMLAnchorElement;
    const params = new URLSearchParams(link.getAttribute('href')?.split('?')[1]);
    expect(params.get('ids')?.split(',').map(Number)).toEqual(importedIds);

    const conflictIds = summary.items.filter((i) => i.outcome === 'conflict').map((i) => i.invoice_id);
    const conflictLink = document.querySelector('a[data-bucket="imp.conflicts"]') as HTMLAnchorElement;
    expect(new URLSearchParams(conflictLink.getAttribute('href')?.split('?')[1]).get('ids')).toBe(
      conflictIds.join(','),
    );
  });
});
