// The invoice filter survives a round trip through the URL, and hostile URLs are not trusted.

import { describe, expect, it } from 'vitest';
import { DEFAULT_SORT, filterFromParams, filterToParams, nextSort, type InvoiceFilter } from './filter';

describe('invoice filter in the URL', () => {
  it('round-trips every field', () => {
    const filter: InvoiceFilter = {
      states: ['rejected', 'needs_attention'],
      date_from: '2026-11-01',
      date_to: '2026-11-30',
      counterparty: 'Żuraw',
      number: 'FV/2026',
      ids: [3, 7],
      sort: { column: 'gross', dir: 'asc' },
    };
    const params = filterToParams(filter);
    expect(filterFromParams(new URLSearchParams(params.toString()))).toEqual(filter);
  });

  it('drops unknown states, malformed dates, bad ids and unknown sort columns', () => {
    const f = filterFromParams(
      new URLSearchParams('states=rejected,bogus&from=1.11.2026&ids=4,-1,x&sort=drop_table.asc'),
    );
    expect(f.states).toEqual(['rejected']);
    expect(f.date_from).toBeNull();
    expect(f.ids).toEqual([4]);
    expect(f.sort).toEqual(DEFAULT_SORT);
  });

  it('keeps unrelated params such as the open invoice', () => {
    const base = new URLSearchParams('open=42&states=accepted');
    const params = filterToParams({ ...filterFromParams(base), states: [] }, base);
    expect(params.get('open')).toBe('42');
    expect(params.has('states')).toBe(false);
  });
});

describe('nextSort', () => {
  it('flips the direction on the same column and starts amounts and dates newest/largest first', () => {
    expect(nextSort({ column: 'gross', dir: 'desc' }, 'gross')).toEqual({ column: 'gross', dir: 'asc' });
    expect(nextSort(DEFAULT_SORT, 'gross')).toEqual({ column: 'gross', dir: 'desc' });
    expect(nextSort(DEFAULT_SORT, 'counterparty')).toEqual({ column: 'counterparty', dir: 'asc' });
  });
});
