// The invoice table stays fast at 100 000 rows: it renders only what is visible, fetches pages as
// the viewport reaches them, and drives selection and opening from the keyboard.

import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { tick } from 'svelte';
import { SvelteSet } from 'svelte/reactivity';
import { describe, expect, it, vi } from 'vitest';
import { MockBackend } from '../backend/mock';
import type { InvoiceQuery } from '../backend/types';
import { DEFAULT_SORT, type InvoiceFilter } from '../invoices/filter';
import { ANCHOR_ROWS, PAGE_ROWS } from '../invoices/page-cache.svelte';
import { TEST_VIEWPORT_PX } from '../../test/setup';
import { contextFor, renderIn, syntheticRow } from '../../test/harness';
import InvoiceTable, { OVERSCAN_ROWS, ROW_HEIGHT_PX } from './InvoiceTable.svelte';

const TOTAL = 100_000;

const FILTER: InvoiceFilter = {
  states: [],
  date_from: null,
  date_to: null,
  counterparty: null,
  number: null,
  ids: null,
  sort: DEFAULT_SORT,
};

function setup(openId: number | null = null) {
  const backend = new MockBackend({ invoices: 0 });
  /** What the backend answers next; `gate` holds answers back until the test releases them. */
  const edition: { suffix: string; gate: Promise<void> | null } = { suffix: '', gate: null };
  const list = vi.spyOn(backend, 'list_invoices').mockImplementation(async (q: InvoiceQuery) => {
    await edition.gate;
    return {
      rows: Array.from({ length: Math.min(q.limit, TOTAL - q.offset) }, (_, i) => {
        const row = syntheticRow(q.offset + i);
        return { ...row, invoice_number: `${row.invoice_number}${edition.suffix}` };
      }),
      total: TOTAL,
    };
  });
  const selected = new SvelteSet<number>();
  const onopen = vi.fn();
  const onsort = vi.fn();
  renderIn(InvoiceTable, contextFor(backend), { filter: FILTER, selected, openId, onopen, onsort });
  const grid = screen.getByTestId('invoice-grid');
  return { list, selected, onopen, onsort, grid, backend, edition };
}

function renderedRowIndexes(grid: HTMLElement): number[] {
  return [...grid.querySelectorAll('[data-row-index]')].map((el) => Number(el.getAttribute('data-row-index')));
}

function scrollTo(grid: HTMLElement, top: number) {
  Object.defineProperty(grid, 'scrollTop', { configurable: true, writable: true, value: top });
  fireEvent.scroll(grid);
}

describe('InvoiceTable', () => {
  it('renders only the visible rows plus overscan for 100 000 invoices', async () => {
    const { grid, list } = setup();
    await waitFor(() => expect(grid.querySelector('[data-row-index="0"]')?.textContent).toContain('FV/0'));
    const visibleRows = Math.ceil(TEST_VIEWPORT_PX / ROW_HEIGHT_PX);
    const indexes = renderedRowIndexes(grid);
    expect(indexes.length).toBeLessThanOrEqual(visibleRows + 2 * OVERSCAN_ROWS);
    expect(indexes.length).toBeGreaterThanOrEqual(visibleRows);
    expect(grid.getAttribute('aria-rowcount')).toBe(String(TOTAL + 1));
    expect(list).toHaveBeenCalledTimes(1);
    expect(list.mock.calls[0]?.[0]).toMatchObject({ offset: 0, limit: PAGE_ROWS });
  });

  it('fetches the pages under the viewport when scrolled far down, and nothing in between', async () => {
    const { grid, list } = setup();
    await waitFor(() => expect(list).toHaveBeenCalledTimes(1));
    const target = 50_000;
    scrollTo(grid, target * ROW_HEIGHT_PX);
    await waitFor(() =>
      expect(grid.querySelector(`[data-row-index="${target}"]`)?.textContent).toContain(`FV/${target}`),
    );
    const firstNeeded = Math.floor((target - OVERSCAN_ROWS) / PAGE_ROWS) * PAGE_ROWS;
    const offsets = list.mock.calls.map(([q]) => q.offset);
    expect(offsets).toContain(firstNeeded);
    expect(offsets.every((o) => o === 0 || o >= firstNeeded)).toBe(true);
    expect(offsets.length).toBeLessThanOrEqual(3);
    expect(Math.min(...renderedRowIndexes(grid))).toBeGreaterThanOrEqual(target - OVERSCAN_ROWS);
  });

  it('reports a header click as a sort request for that column', async () => {
    const { onsort } = setup();
    await fireEvent.click(screen.getByRole('button', { name: 'Brutto' }));
    expect(onsort).toHaveBeenCalledWith('gross');
  });

  it('moves with arrows, selects with Space, extends with Shift and opens with Enter', async () => {
    const { grid, selected, onopen } = setup();
    await waitFor(() => expect(grid.querySelector('[data-row-index="3"]')).not.toBeNull());
    grid.focus();
    await fireEvent.keyDown(grid, { key: 'ArrowDown' });
    await fireEvent.keyDown(grid, { key: 'ArrowDown' });
    await fireEvent.keyDown(grid, { key: ' ' });
    expect([...selected]).toEqual([syntheticRow(2).id]);
    await fireEvent.keyDown(grid, { key: 'ArrowDown', shiftKey: true });
    await fireEvent.keyDown(grid, { key: 'ArrowDown', shiftKey: true });
    expect([...selected].sort((a, b) => a - b)).toEqual([2, 3, 4].map((i) => syntheticRow(i).id));
    expect(grid.querySelector('[data-row-index="4"]')?.getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(grid, { key: 'Enter' });
    expect(onopen).toHaveBeenCalledWith(syntheticRow(4).id);
    await fireEvent.keyDown(grid, { key: 'Escape' });
    expect(selected.size).toBe(0);
  });

  it('selects every loaded row with Ctrl+A, not the 100 000 it has not seen', async () => {
    const { grid, selected } = setup();
    await waitFor(() => expect(grid.querySelector('[data-row-index="0"]')).not.toBeNull());
    await fireEvent.keyDown(grid, { key: 'a', ctrlKey: true });
    expect(selected.size).toBe(PAGE_ROWS);
  });

  it('moves the open detail panel along with the cursor, but not while extending a selection', async () => {
    const { grid, onopen } = setup(syntheticRow(0).id);
    await waitFor(() => expect(grid.querySelector('[data-row-index="2"]')).not.toBeNull());
    await fireEvent.keyDown(grid, { key: 'ArrowDown' });
    expect(onopen).toHaveBeenLastCalledWith(syntheticRow(1).id);
    await fireEvent.keyDown(grid, { key: 'ArrowDown', shiftKey: true });
    expect(onopen).toHaveBeenCalledTimes(1);
  });

  it('re-reads visible rows in place when invoices change, without blanking them', async () => {
    const { grid, backend, edition } = setup();
    await waitFor(() => expect(grid.querySelector('[data-row-index="0"]')?.textContent).toContain('FV/0'));
    let release = () => {};
    edition.gate = new Promise((resolve) => (release = resolve));
    edition.suffix = '-korekta';
    backend.emit('invoices_changed', { ids: [syntheticRow(0).id] });
    await tick();
    expect(grid.querySelector('[data-row-index="0"]')?.textContent).toContain('FV/0');
    release();
    await waitFor(() => expect(grid.querySelector('[data-row-index="0"]')?.textContent).toContain('FV/0-korekta'));
  });

  it("sends a jump's fetch before it renders the placeholders", async () => {
    const { grid, list } = setup();
    await waitFor(() => expect(list).toHaveBeenCalledTimes(1));
    const target = 60_000;
    let placeholdersRendered: boolean | null = null;
    list.mockImplementationOnce(async () => {
      placeholdersRendered = grid.querySelector(`[data-row-index="${target}"]`) !== null;
      return { rows: [], total: TOTAL };
    });
    scrollTo(grid, target * ROW_HEIGHT_PX);
    await waitFor(() => expect(list).toHaveBeenCalledTimes(2));
    // The request left while the old rows were still in the DOM: IPC overlaps the render.
    expect(placeholdersRendered).toBe(false);
    await waitFor(() => expect(grid.querySelector(`[data-row-index="${target}"]`)).not.toBeNull());
  });

  it('asks for anchors after the first page and fetches far pages after one', async () => {
    const { grid, list, backend } = setup();
    const anchors = vi
      .spyOn(backend, 'invoice_anchors')
      .mockImplementation(async (_q, every) =>
        Array.from({ length: TOTAL / every }, (_, block) => ({ value: `k${block}`, id: (block + 1) * every - 1 })),
      );
    await waitFor(() => expect(anchors).toHaveBeenCalledTimes(1));
    expect(anchors.mock.calls[0]?.[0]).toMatchObject({ sort: DEFAULT_SORT });
    expect(anchors.mock.calls[0]?.[1]).toBe(ANCHOR_ROWS);
    await tick();
    const target = 50_000 + 3 * PAGE_ROWS;
    scrollTo(grid, target * ROW_HEIGHT_PX);
    await waitFor(() => expect(list.mock.calls.some(([q]) => q.after !== undefined)).toBe(true));
    const page = Math.floor((target - OVERSCAN_ROWS) / PAGE_ROWS) * PAGE_ROWS;
    const block = Math.floor(page / ANCHOR_ROWS);
    expect(list.mock.calls.find(([q]) => q.after !== undefined)?.[0]).toMatchObject({
      after: { value: `k${block - 1}`, id: block * ANCHOR_ROWS - 1 },
      offset: page % ANCHOR_ROWS,
    });
  });
});
