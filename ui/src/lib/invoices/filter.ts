// The invoice list's filter as it lives in the URL query, and its conversion to a backend query.

import type { InvoiceQuery, InvoiceSort, InvoiceState, SortColumn } from '../backend/types';
import { INVOICE_STATES } from '../backend/types';

export interface InvoiceFilter {
  states: InvoiceState[];
  date_from: string | null;
  date_to: string | null;
  counterparty: string | null;
  number: string | null;
  ids: number[] | null;
  sort: InvoiceSort;
}

export const DEFAULT_SORT: InvoiceSort = { column: 'last_event_at', dir: 'desc' };

const SORT_COLUMNS: readonly SortColumn[] = [
  'invoice_number',
  'counterparty',
  'issue_date',
  'gross',
  'state',
  'ksef_number',
  'last_event_at',
];

/** Columns whose natural first look is "newest / largest first". */
const DESC_FIRST: readonly SortColumn[] = ['issue_date', 'gross', 'last_event_at'];

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function text(params: URLSearchParams, name: string): string | null {
  const value = params.get(name)?.trim();
  return value ? value : null;
}

/** Reads the filter from URL params; anything malformed is ignored rather than trusted. */
export function filterFromParams(params: URLSearchParams): InvoiceFilter {
  const states = (params.get('states') ?? '')
    .split(',')
    .filter((s): s is InvoiceState => (INVOICE_STATES as readonly string[]).includes(s));
  const idsRaw = params.get('ids');
  const ids = idsRaw
    ? idsRaw
        .split(',')
        .map(Number)
        .filter((n) => Number.isSafeInteger(n) && n > 0)
    : null;
  const [column, dir] = (params.get('sort') ?? '').split('.');
  const sort: InvoiceSort =
    (SORT_COLUMNS as readonly string[]).includes(column ?? '') && (dir === 'asc' || dir === 'desc')
      ? { column: column as SortColumn, dir }
      : DEFAULT_SORT;
  const date = (name: string) => {
    const value = params.get(name);
    return value && ISO_DATE.test(value) ? value : null;
  };
  return {
    states: [...new Set(states)],
    date_from: date('from'),
    date_to: date('to'),
    counterparty: text(params, 'cp'),
    number: text(params, 'no'),
    ids: ids && ids.length > 0 ? ids : null,
    sort,
  };
}

/** Writes the filter into URL params, keeping unrelated params (e.g. the open invoice). */
export function filterToParams(filter: InvoiceFilter, base?: URLSearchParams): URLSearchParams {
  const params = new URLSearchParams(base);
  const set = (name: string, value: string | null) => (value ? params.set(name, value) : params.delete(name));
  set('states', filter.states.length > 0 ? filter.states.join(',') : null);
  set('from', filter.date_from);
  set('to', filter.date_to);
  set('cp', filter.counterparty);
  set('no', filter.number);
  set('ids', filter.ids ? filter.ids.join(',') : null);
  const isDefaultSort = filter.sort.column === DEFAULT_SORT.column && filter.sort.dir === DEFAULT_SORT.dir;
  set('sort', isDefaultSort ? null : `${filter.sort.column}.${filter.sort.dir}`);
  return params;
}

export function toQuery(filter: InvoiceFilter, offset: number, limit: number, withTotal = true): InvoiceQuery {
  return {
    ...filter,
    states: [...filter.states],
    ids: filter.ids ? [...filter.ids] : null,
    sort: { ...filter.sort },
    offset,
    limit,
    skip_total: !withTotal,
  };
}

/** Clicking a header: the same column flips direction, a new one starts at its natural direction. */
export function nextSort(current: InvoiceSort, column: SortColumn): InvoiceSort {
  if (current.column === column) return { column, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { column, dir: DESC_FIRST.includes(column) ? 'desc' : 'asc' };
}

export function isFiltered(filter: InvoiceFilter): boolean {
  return (
    filter.states.length > 0 ||
    filter.date_from !== null ||
    filter.date_to !== null ||
    filter.counterparty !== null ||
    filter.number !== null ||
    filter.ids !== null
  );
}
