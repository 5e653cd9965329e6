// Page cache behind the virtualised invoice table: rows are fetched from the backend in fixed
// pages as the viewport needs them, kept, and dropped wholesale when the query changes. Only a
// couple of pages are fetched at a time, and a page is asked for only if it is still in view
// when a fetch slot frees: a fast scroll through 100 000 rows does not queue a fetch for every
// page it passed (the backend answers them one by one) before the page it stopped at.
// Only the first page of a query, and the first visible page of a refresh after the data
// changed, ask for the total: counting every match again costs milliseconds per page at
// 100 000 invoices, and the total of an unchanged query does not change while scrolling.
// Far pages are seeks: once a query's first page is in, the cache asks (once, in the background)
// for the sort keys of every ANCHOR_ROWS-th row and then fetches a page at row r as "after anchor
// r / ANCHOR_ROWS - 1, skip r % ANCHOR_ROWS" instead of "skip r" (at 100 000 rows SQLite walked
// up to 23 ms to skip; the seek takes under 1 ms). Anchors belong to one query and one state of
// the data: a new query, a failed load and changed invoices drop them.

import type { InvoicePage, InvoiceRow, ListKey } from '../backend/types';

/** Rows per `list_invoices` call: large enough to scroll smoothly, small enough to stay cheap. */
export const PAGE_ROWS = 200;
/** Pages kept in memory; beyond this the least recently fetched are evicted (~10 000 rows). */
export const PAGES_KEPT_MAX = 50;
/** Pages being fetched at once: a viewport spans at most two pages. */
export const LOADS_IN_FLIGHT_MAX = 2;
/** Rows between two anchors (a multiple of PAGE_ROWS, so a page never straddles an anchor). */
export const ANCHOR_ROWS = 1_000;

/**
 * Fetches rows `[offset, offset + limit)`, counted from just after the row with key `after` when
 * given; the answer's total may be null unless `withTotal` (the cache then keeps the total it has).
 */
export type PageFetcher = (offset: number, limit: number, withTotal: boolean, after?: ListKey) => Promise<InvoicePage>;

/** The sort keys of rows `every - 1`, `2 * every - 1`, … of the same query. */
export type AnchorFetcher = (every: number) => Promise<ListKey[]>;

export class PageCache {
  /** Total rows matching the query; null until the first page arrives. */
  total = $state<number | null>(null);
  /** Bumped whenever rows arrive, so views that read rows re-render. */
  version = $state(0);
  error = $state<unknown>(null);

  private pages = new Map<number, InvoiceRow[]>();
  private inflight = new Set<number>();
  /** Pages of the latest `ensure` window, fetched as slots free up. */
  private wanted: number[] = [];
  /** Generation of the current query; answers for an older query are dropped. */
  private generation = 0;
  /** Null until the first `reset`; nothing is fetched before a query exists. */
  private fetcher: PageFetcher | null = null;
  private anchorFetcher: AnchorFetcher | null = null;
  /** Keys of rows ANCHOR_ROWS - 1, 2 * ANCHOR_ROWS - 1, … of this generation, once they arrive. */
  private anchors: ListKey[] | null = null;
  private anchorsAsked = false;

  /**
   * Starts over for a new query (filters or sort changed). Without `anchorFetcher` every page is
   * fetched by offset.
   */
  reset(fetcher: PageFetcher, anchorFetcher?: AnchorFetcher): void {
    this.fetcher = fetcher;
    this.anchorFetcher = anchorFetcher ?? null;
    this.nextGeneration();
    this.pages.clear();
    this.inflight.clear();
    this.wanted = [];
    this.total = null;
    this.error = null;
    this.version += 1;
  }

  /** Drops cached rows but keeps the total (after a failed load: start over for this query). */
  invalidate(): void {
    this.nextGeneration();
    this.pages.clear();
    this.inflight.clear();
    this.version += 1;
  }

  /**
   * Re-reads rows `[from, to)` after the data changed, keeping the old rows on screen until the
   * new ones arrive (no flashing placeholders). Pages outside the range are dropped and fetched
   * fresh when scrolled to. Resolves when the visible pages are in.
   */
  async refresh(from: number, to: number): Promise<void> {
    // Rows may have moved: the anchors are asked again once the first page is back.
    this.nextGeneration();
    this.inflight.clear();
    const visible = this.pageRange(from, to);
    for (const page of [...this.pages.keys()]) if (!visible.includes(page)) this.pages.delete(page);
    this.version += 1;
    // One recount is enough: every page of this refresh sees the same data.
    await Promise.all(visible.map((page, i) => this.load(page, 1, i === 0)));
  }

  /** Answers still on their way belong to the old generation; so do the anchors. */
  private nextGeneration(): void {
    this.generation += 1;
    this.anchors = null;
    this.anchorsAsked = false;
  }

  row(index: number): InvoiceRow | undefined {
    return this.pages.get(Math.floor(index / PAGE_ROWS))?.[index % PAGE_ROWS];
  }

  /** Every row currently loaded, in index order (for "select all loaded"). */
  loadedRows(): InvoiceRow[] {
    return [...this.pages.entries()].sort(([a], [b]) => a - b).flatMap(([, rows]) => rows);
  }

  /**
   * Makes sure rows `[from, to)` are loaded or on their way. The window replaces the previous
   * one: pages wanted before but not started by now are no longer fetched.
   */
  ensure(from: number, to: number): void {
    this.wanted = this.pageRange(from, to);
    this.pump();
  }

  /**
   * Starts fetches for wanted pages while slots are free. Adjacent missing pages go in one
   * request: a window across a page boundary costs one backend call, not two in a row.
   */
  private pump(): void {
    let run: number[] = [];
    const start = () => {
      if (run.length > 0) void this.load(run[0] ?? 0, run.length);
      run = [];
    };
    for (const page of this.wanted) {
      if (this.pages.has(page) || this.inflight.has(page)) {
        start();
        continue;
      }
      if (this.inflight.size + run.length >= LOADS_IN_FLIGHT_MAX) break;
      run.push(page);
    }
    start();
  }

  /** Page numbers covering rows `[from, to)`, clipped to the known total; at least page 0. */
  private pageRange(from: number, to: number): number[] {
    const upper = this.total === null ? to : Math.min(to, this.total);
    const first = Math.floor(Math.max(0, from) / PAGE_ROWS);
    const last = Math.floor(Math.max(0, upper - 1) / PAGE_ROWS);
    const pages: number[] = [];
    for (let page = first; page <= last; page++) pages.push(page);
    return pages;
  }

  /** Fetches `count` pages from `first` in one request, with the total while it is unknown. */
  private async load(first: number, count = 1, withTotal = this.total === null): Promise<void> {
    const fetcher = this.fetcher;
    if (fetcher === null) return;
    const generation = this.generation;
    const pages = Array.from({ length: count }, (_, i) => first + i);
    for (const page of pages) this.inflight.add(page);
    try {
      const offset = first * PAGE_ROWS;
      // A page in block b >= 1 starts after the last row of block b - 1.
      const anchor = this.anchors?.[Math.floor(offset / ANCHOR_ROWS) - 1];
      const result = anchor
        ? await fetcher(offset % ANCHOR_ROWS, count * PAGE_ROWS, withTotal, anchor)
        : await fetcher(offset, count * PAGE_ROWS, withTotal);
      if (generation !== this.generation) return;
      for (const page of pages) {
        const at = (page - first) * PAGE_ROWS;
        this.pages.set(page, result.rows.slice(at, at + PAGE_ROWS));
      }
      this.evict(first);
      if (result.total !== null) this.total = result.total;
      this.error = null;
      this.askAnchors();
    } catch (e) {
      if (generation === this.generation) this.error = e;
    } finally {
      if (generation === this.generation) {
        for (const page of pages) this.inflight.delete(page);
        this.version += 1;
        this.pump();
      }
    }
  }

  /**
   * Asks for this generation's anchors once, after its first page is in (never with it: the
   * first page of a query must not wait for them), and only when there are far pages to seek.
   */
  private askAnchors(): void {
    const anchorFetcher = this.anchorFetcher;
    if (anchorFetcher === null || this.anchorsAsked || (this.total ?? 0) <= ANCHOR_ROWS) return;
    this.anchorsAsked = true;
    const generation = this.generation;
    anchorFetcher(ANCHOR_ROWS).then(
      (anchors) => {
        if (generation === this.generation) this.anchors = anchors;
      },
      // Without anchors pages are fetched by offset: slower far down, still right.
      () => {},
    );
  }

  private evict(keep: number): void {
    if (this.pages.size <= PAGES_KEPT_MAX) return;
    // Evict the pages farthest from the one just loaded: they are the least likely to be seen next.
    const far = [...this.pages.keys()].sort((a, b) => Math.abs(b - keep) - Math.abs(a - keep));
    for (const page of far.slice(0, this.pages.size - PAGES_KEPT_MAX)) this.pages.delete(page);
  }
}
