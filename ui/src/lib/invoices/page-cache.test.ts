// The page cache fetches each page once, and never lets an old query's answer overwrite a new one.

import { describe, expect, it } from 'vitest';
import type { InvoicePage, InvoiceRow, ListKey } from '../backend/types';
import { ANCHOR_ROWS, LOADS_IN_FLIGHT_MAX, PAGE_ROWS, PageCache } from './page-cache.svelte';

function row(id: number): InvoiceRow {
  return {
    id,
    invoice_number: `FV/${id}`,
    counterparty_name: null,
    counterparty_nip: null,
    issue_date: null,
    gross_minor: null,
    currency: null,
    state: 'queued',
    ksef_number: null,
    has_upo: false,
    error_code: null,
    last_event_at: 0,
  };
}

/**
 * A fetcher whose answers the test releases by hand, in any order. Like the backend it counts
 * the matches only when asked; `data.total` may change between calls (invoices changed).
 */
function controlled(total: number, idBase = 0) {
  const data = { total };
  const pending: { offset: number; limit: number; withTotal: boolean; after?: ListKey; resolve: () => void }[] = [];
  const fetcher = (offset: number, limit: number, withTotal: boolean, after?: ListKey) =>
    new Promise<InvoicePage>((resolve) => {
      // Row ids are idBase + position, so a key's id says where it stands.
      const start = after ? after.id - idBase + 1 + offset : offset;
      const rows = Array.from({ length: Math.max(0, Math.min(limit, data.total - start)) }, (_, i) =>
        row(idBase + start + i),
      );
      const answer = { rows, total: withTotal ? data.total : null };
      pending.push({ offset, limit, withTotal, after, resolve: () => resolve(answer) });
    });
  return { fetcher, pending, data };
}

/** An anchor source the test answers by hand: the keys of rows every - 1, 2 * every - 1, … */
function controlledAnchors(total: number, idBase = 0) {
  const asked: { every: number; resolve: () => void }[] = [];
  const anchors = (every: number) =>
    new Promise<ListKey[]>((resolve) => {
      const keys: ListKey[] = [];
      for (let at = every - 1; at < total; at += every) keys.push({ value: `k${at}`, id: idBase + at });
      asked.push({ every, resolve: () => resolve(keys) });
    });
  return { anchors, asked };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('PageCache', () => {
  it('requests the pages covering the range once, adjacent pages in one request', async () => {
    const { fetcher, pending } = controlled(10_000);
    const cache = new PageCache();
    cache.reset(fetcher);
    cache.ensure(PAGE_ROWS - 5, PAGE_ROWS + 5);
    cache.ensure(PAGE_ROWS - 5, PAGE_ROWS + 5);
    expect(pending.map((p) => [p.offset, p.limit])).toEqual([[0, 2 * PAGE_ROWS]]);
    pending.forEach((p) => p.resolve());
    await flush();
    expect(cache.total).toBe(10_000);
    expect(cache.row(PAGE_ROWS + 1)?.id).toBe(PAGE_ROWS + 1);
  });

  it('drops an answer that arrives after the query changed', async () => {
    const old = controlled(500, 0);
    const cache = new PageCache();
    cache.reset(old.fetcher);
    cache.ensure(0, 10);
    const fresh = controlled(3, 9_000);
    cache.reset(fresh.fetcher);
    cache.ensure(0, 10);
    fresh.pending[0]?.resolve();
    await flush();
    old.pending[0]?.resolve();
    await flush();
    expect(cache.total).toBe(3);
    expect(cache.row(0)?.id).toBe(9_000);
  });

  it('refreshes the visible rows in place and drops the rest', async () => {
    let generation = 0;
    const pending: (() => void)[] = [];
    const fetcher = (offset: number, limit: number) =>
      new Promise<InvoicePage>((resolve) => {
        const base = generation * 100_000;
        pending.push(() =>
          resolve({ rows: Array.from({ length: limit }, (_, i) => row(base + offset + i)), total: 10_000 }),
        );
      });
    const cache = new PageCache();
    cache.reset(fetcher);
    cache.ensure(0, PAGE_ROWS * 3);
    // Three pages with two fetch slots: the third starts when a slot frees.
    for (let round = 0; round < 2; round++) {
      pending.splice(0).forEach((release) => release());
      await flush();
    }
    expect(cache.row(2 * PAGE_ROWS)?.id).toBe(2 * PAGE_ROWS);

    generation = 1;
    const done = cache.refresh(0, 10);
    // Old rows stay visible while the new page is on its way; pages out of view are gone.
    expect(cache.row(0)?.id).toBe(0);
    expect(cache.row(2 * PAGE_ROWS)).toBeUndefined();
    pending.splice(0).forEach((release) => release());
    await done;
    expect(cache.row(0)?.id).toBe(100_000);
  });

  it('asks for the total only with the first page of a query and keeps it while scrolling', async () => {
    const { fetcher, pending } = controlled(100_000);
    const cache = new PageCache();
    cache.reset(fetcher);
    cache.ensure(0, 30);
    pending[0]?.resolve();
    await flush();
    cache.ensure(PAGE_ROWS * 10, PAGE_ROWS * 10 + 30);
    pending[1]?.resolve();
    await flush();
    expect(pending.map((p) => p.withTotal)).toEqual([true, false]);
    expect(cache.total).toBe(100_000);
    expect(cache.row(PAGE_ROWS * 10)?.id).toBe(PAGE_ROWS * 10);

    // A new query starts without a total, so its first page counts again.
    const next = controlled(7);
    cache.reset(next.fetcher);
    cache.ensure(0, 30);
    expect(next.pending.map((p) => p.withTotal)).toEqual([true]);
    next.pending[0]?.resolve();
    await flush();
    expect(cache.total).toBe(7);
  });

  it('recounts the total once when a refresh follows changed invoices', async () => {
    const { fetcher, pending, data } = controlled(10_000);
    const cache = new PageCache();
    cache.reset(fetcher);
    cache.ensure(0, PAGE_ROWS + 10);
    pending.splice(0).forEach((p) => p.resolve());
    await flush();
    expect(cache.total).toBe(10_000);

    data.total = 9_990;
    const done = cache.refresh(0, PAGE_ROWS + 10);
    expect(pending.map((p) => [p.offset, p.withTotal])).toEqual([
      [0, true],
      [PAGE_ROWS, false],
    ]);
    pending.splice(0).forEach((p) => p.resolve());
    await done;
    expect(cache.total).toBe(9_990);
  });

  it('fetches only the pages still in view when a slot frees, not every page scrolled past', async () => {
    const { fetcher, pending } = controlled(100_000);
    const cache = new PageCache();
    cache.reset(fetcher);
    cache.ensure(0, 30);
    cache.ensure(PAGE_ROWS * 10, PAGE_ROWS * 10 + 30);
    expect(pending.map((p) => p.offset)).toEqual([0, PAGE_ROWS * 10]);
    // Both slots busy: a fast scroll passes pages 20, 30 and stops at 40.
    for (const page of [20, 30, 40]) cache.ensure(PAGE_ROWS * page, PAGE_ROWS * page + 30);
    expect(pending).toHaveLength(LOADS_IN_FLIGHT_MAX);
    pending[0]?.resolve();
    await flush();
    expect(pending.map((p) => p.offset)).toEqual([0, PAGE_ROWS * 10, PAGE_ROWS * 40]);
    pending[2]?.resolve();
    await flush();
    expect(cache.row(PAGE_ROWS * 40 + 1)?.id).toBe(PAGE_ROWS * 40 + 1);
  });

  it('fetches far pages after an anchor once the anchors arrive, and near pages by offset', async () => {
    const { fetcher, pending } = controlled(100_000);
    const { anchors, asked } = controlledAnchors(100_000);
    const cache = new PageCache();
    cache.reset(fetcher, anchors);
    cache.ensure(0, 30);
    // The first page goes alone: the anchors are asked only once it is in.
    expect(asked).toHaveLength(0);
    pending[0]?.resolve();
    await flush();
    expect(asked.map((a) => a.every)).toEqual([ANCHOR_ROWS]);

    // Before the anchors arrive a far page is skipped to by offset.
    const far = 40 * ANCHOR_ROWS + 3 * PAGE_ROWS;
    cache.ensure(far, far + 30);
    expect(pending[1]).toMatchObject({ offset: far, after: undefined });
    pending[1]?.resolve();
    await flush();

    asked[0]?.resolve();
    await flush();
    const farther = 70 * ANCHOR_ROWS + 2 * PAGE_ROWS;
    cache.ensure(farther, farther + 30);
    // Row 70 000 + 400 is 400 rows after the last row of block 69 (row 69 999).
    expect(pending[2]).toMatchObject({ offset: 2 * PAGE_ROWS, after: { id: 70 * ANCHOR_ROWS - 1 } });
    pending[2]?.resolve();
    await flush();
    expect(cache.row(farther + 5)?.id).toBe(farther + 5);
    // Pages of the first block have no anchor before them.
    cache.ensure(2 * PAGE_ROWS, 2 * PAGE_ROWS + 30);
    expect(pending[3]).toMatchObject({ offset: 2 * PAGE_ROWS, after: undefined });
    expect(asked).toHaveLength(1);
  });

  it('asks for no anchors when the whole list is one block', async () => {
    const { fetcher, pending } = controlled(ANCHOR_ROWS);
    const { anchors, asked } = controlledAnchors(ANCHOR_ROWS);
    const cache = new PageCache();
    cache.reset(fetcher, anchors);
    cache.ensure(0, 30);
    pending[0]?.resolve();
    await flush();
    expect(asked).toHaveLength(0);
  });

  it('drops the anchors when the data changes and asks again after the refresh', async () => {
    const { fetcher, pending } = controlled(100_000);
    const { anchors, asked } = controlledAnchors(100_000);
    const cache = new PageCache();
    cache.reset(fetcher, anchors);
    cache.ensure(0, 30);
    pending[0]?.resolve();
    await flush();
    asked[0]?.resolve();
    await flush();

    const done = cache.refresh(0, 30);
    pending[1]?.resolve();
    await done;
    // Rows may have moved: the old keys are gone, a far page goes by offset until new ones come.
    expect(asked).toHaveLength(2);
    const far = 50 * ANCHOR_ROWS;
    cache.ensure(far, far + 30);
    expect(pending[2]).toMatchObject({ offset: far, after: undefined });
    asked[1]?.resolve();
    await flush();
    cache.ensure(far + PAGE_ROWS, far + PAGE_ROWS + 30);
    expect(pending[3]).toMatchObject({ offset: PAGE_ROWS, after: { id: far - 1 } });
  });

  it('never uses the anchors of an older query', async () => {
    const old = controlled(100_000);
    const oldAnchors = controlledAnchors(100_000);
    const cache = new PageCache();
    cache.reset(old.fetcher, oldAnchors.anchors);
    cache.ensure(0, 30);
    old.pending[0]?.resolve();
    await flush();
    expect(oldAnchors.asked).toHaveLength(1);

    const fresh = controlled(50_000, 500_000);
    const freshAnchors = controlledAnchors(50_000, 500_000);
    cache.reset(fresh.fetcher, freshAnchors.anchors);
    cache.ensure(0, 30);
    // The old query's anchors arrive after the query changed.
    oldAnchors.asked[0]?.resolve();
    await flush();
    const far = 20 * ANCHOR_ROWS;
    cache.ensure(far, far + 30);
    expect(fresh.pending.map((p) => [p.offset, p.after])).toEqual([
      [0, undefined],
      [far, undefined],
    ]);
    // The new query asks for its own once its first page is in.
    fresh.pending[0]?.resolve();
    await flush();
    expect(freshAnchors.asked).toHaveLength(1);
  });
});
