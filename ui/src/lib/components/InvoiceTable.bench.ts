// Cost of showing the invoice table does not grow with the number of invoices: mounting and
// jumping to the middle is measured at 1 000 rows (baseline) and at 100 000 rows in the same run.
// Run with `npm run bench`; Vitest prints each case and the ratio between them.

import { cleanup, fireEvent } from '@testing-library/svelte';
import { tick } from 'svelte';
import { SvelteSet } from 'svelte/reactivity';
import { bench, describe } from 'vitest';
import { MockBackend } from '../backend/mock';
import type { InvoiceQuery } from '../backend/types';
import { DEFAULT_SORT } from '../invoices/filter';
import { contextFor, renderIn, syntheticRow } from '../../test/harness';
import '../../test/setup';
import InvoiceTable, { ROW_HEIGHT_PX } from './InvoiceTable.svelte';

const FILTER = {
  states: [],
  date_from: null,
  date_to: null,
  counterparty: null,
  number: null,
  ids: null,
  sort: DEFAULT_SORT,
};

async function settle() {
  // The stub answers immediately; a few microtask turns let pages arrive and the DOM update.
  for (let i = 0; i < 6; i++) await tick();
}

async function mountScrollUnmount(total: number) {
  const backend = new MockBackend({ invoices: 0 });
  backend.list_invoices = async (q: InvoiceQuery) => ({
    rows: Array.from({ length: Math.max(0, Math.min(q.limit, total - q.offset)) }, (_, i) =>
      syntheticRow(q.offset + i),
    ),
    total,
  });
  const { getByTestId } = renderIn(InvoiceTable, contextFor(backend), {
    filter: FILTER,
    selected: new SvelteSet<number>(),
    onopen: () => {},
    onsort: () => {},
  });
  await settle();
  const grid = getByTestId('invoice-grid');
  const middle = Math.floor(total / 2);
  Object.defineProperty(grid, 'scrollTop', { configurable: true, writable: true, value: middle * ROW_HEIGHT_PX });
  await fireEvent.scroll(grid);
  await settle();
  if (!grid.querySelector(`[data-row-index="${middle}"]`)?.textContent?.includes(`FV/${middle}`)) {
    throw new Error(`row ${middle} not rendered`);
  }
  cleanup();
}

describe('invoice table: mount, jump to the middle, unmount', () => {
  bench('1 000 invoices (baseline)', () => mountScrollUnmount(1_000), { iterations: 30, time: 0 });
  bench('100 000 invoices', () => mountScrollUnmount(100_000), { iterations: 30, time: 0 });
});
