// The invoice list's filters live in the URL: one click on "Odrzucone" filters in the backend,
// shows in the address, and Back undoes it; header clicks sort in the backend, not the webview.

import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { MockBackend } from '../lib/backend/mock';
import { startRouter } from '../lib/router.svelte';
import { contextFor, goTo, NOW, renderIn } from '../test/harness';
import Invoices from './Invoices.svelte';

let stopRouter: (() => void) | null = null;
afterEach(() => stopRouter?.());

async function setup(hash = '#/invoices') {
  goTo(hash);
  stopRouter = startRouter();
  const backend = new MockBackend({ invoices: 2_000, now: () => NOW });
  const list = vi.spyOn(backend, 'list_invoices');
  const ctx = contextFor(backend);
  ctx.shell.ready = true;
  renderIn(Invoices, ctx, {});
  await waitFor(() => expect(list).toHaveBeenCalled());
  return { backend, list, ctx };
}

const lastQuery = (list: MockInstance<MockBackend['list_invoices']>) => list.mock.calls.at(-1)?.[0];

describe('Invoices view', () => {
  it('filters to rejected and invalid invoices with one click and puts the filter in the URL', async () => {
    const { list, backend } = await setup();
    const chip = screen.getByRole('button', { name: /Odrzucone/ });
    await fireEvent.click(chip);
    // "Odrzucone" is everything that did not go through: KSeF's rejections and our own.
    await waitFor(() => expect(lastQuery(list)?.states).toEqual(['rejected', 'invalid']));
    expect(location.hash).toBe('#/invoices?states=rejected%2Cinvalid');
    expect(chip.getAttribute('aria-pressed')).toBe('true');
    // The chip's count is the backend's count of both states, not a count of loaded rows.
    const total = async (state: 'rejected' | 'invalid') => {
      const q = { ...lastQuery(list)!, states: [state], offset: 0, limit: 1, skip_total: false };
      const counted = (await backend.list_invoices(q)).total;
      if (counted === null) throw new Error('the total was asked for');
      return counted;
    };
    const both = (await total('rejected')) + (await total('invalid'));
    expect(within(chip).getByText(new Intl.NumberFormat('pl-PL').format(both))).toBeTruthy();
  });

  it('keeps a chip for invalid invoices alone', async () => {
    const { list } = await setup();
    const chip = screen.getByRole('button', { name: /Błędne/ });
    await fireEvent.click(chip);
    await waitFor(() => expect(lastQuery(list)?.states).toEqual(['invalid']));
    expect(chip.getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByRole('button', { name: /Odrzucone/ }).getAttribute('aria-pressed')).toBe('false');
  });

  it('restores the previous filter on Back', async () => {
    const { list } = await setup('#/invoices?states=accepted');
    await waitFor(() => expect(lastQuery(list)?.states).toEqual(['accepted']));
    await fireEvent.click(screen.getByRole('button', { name: /Wymaga uwagi/ }));
    await waitFor(() => expect(lastQuery(list)?.states).toEqual(['needs_attention']));
    history.back();
    await waitFor(() => expect(lastQuery(list)?.states).toEqual(['accepted']));
  });

  it('sorts in the backend when a column header is clicked, and toggles on the second click', async () => {
    const { list } = await setup();
    await fireEvent.click(screen.getByRole('button', { name: 'Brutto' }));
    await waitFor(() => expect(lastQuery(list)?.sort).toEqual({ column: 'gross', dir: 'desc' }));
    expect(location.hash).toContain('sort=gross.desc');
    await fireEvent.click(screen.getByRole('button', { name: /Brutto/ }));
    await waitFor(() => expect(lastQuery(list)?.sort).toEqual({ column: 'gross', dir: 'asc' }));
  });

  it('sends the counterparty search to the backend after typing pauses', async () => {
    const { list } = await setup();
    vi.useFakeTimers();
    try {
      const input = screen.getByRole('searchbox', { name: 'Kontrahent lub NIP' });
      input.focus();
      await fireEvent.input(input, { target: { value: 'Żuraw' } });
      expect(lastQuery(list)?.counterparty).toBeNull();
      await vi.advanceTimersByTimeAsync(300);
    } finally {
      vi.useRealTimers();
    }
    await waitFor(() => expect(lastQuery(list)?.counterparty).toBe('Żuraw'));
    expect(new URLSearchParams(location.hash.split('?')[1]).get('cp')).toBe('Żuraw');
  });

  it('says what to do when no invoice matches', async () => {
    await setup('#/invoices?no=does-not-exist');
    expect(await screen.findByText('Brak faktur spełniających kryteria')).toBeTruthy();
    expect(screen.getAllByRole('button', { name: 'Wyczyść filtry' }).length).toBeGreaterThan(0);
  });

  it('exports the selected invoices and reports where the file went', async () => {
    const { list, backend, ctx } = await setup();
    const exportSpy = vi.spyOn(backend, 'export_invoices');
    const grid = screen.getByTestId('invoice-grid');
    await waitFor(() => expect(grid.querySelector('[data-row-index="1"]')).not.toBeNull());
    const firstPage = (await list.mock.results[0]!.value) as Awaited<ReturnType<MockBackend['list_invoices']>>;
    grid.focus();
    await fireEvent.keyDown(grid, { key: ' ' });
    await fireEvent.keyDown(grid, { key: 'ArrowDown', shiftKey: true });
    expect(screen.getByText('Zaznaczono 2 faktury')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Eksport CSV' }));
    const expected = firstPage.rows.slice(0, 2).map((r) => r.id);
    await waitFor(() => expect(exportSpy).toHaveBeenCalledWith(expect.arrayContaining(expected), 'csv'));
    expect(exportSpy.mock.calls[0]?.[0]).toHaveLength(2);
    const path = await exportSpy.mock.results[0]!.value;
    // The notice goes to the app-wide toast host (rendered by App, not by this view).
    await waitFor(() => expect(ctx.toasts.items.map((t) => t.text)).toContain(`Zapisano plik ${path}`));
  });
});
