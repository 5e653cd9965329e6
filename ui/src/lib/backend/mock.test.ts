// The mock backend honours the list contract (filter, sort, page) the way the SQL backend will,
// so component tests against it mean something; and its KSeF numbers carry valid checksums.

import { describe, expect, it } from 'vitest';
import { ksefCrc8 } from './mock-data';
import { MockBackend } from './mock';
import type { InvoiceQuery } from './types';

const NOW = Date.UTC(2026, 10, 20, 13, 0);

function query(over: Partial<InvoiceQuery> = {}): InvoiceQuery {
  return {
    states: [],
    date_from: null,
    date_to: null,
    counterparty: null,
    number: null,
    ids: null,
    sort: { column: 'last_event_at', dir: 'desc' },
    offset: 0,
    limit: 1000,
    ...over,
  };
}

describe('MockBackend.list_invoices', () => {
  const backend = new MockBackend({ invoices: 3_000, now: () => NOW });

  it('filters by state and pages through the whole result without overlap', async () => {
    const all = await backend.list_invoices(query({ states: ['rejected'] }));
    expect(all.rows.every((r) => r.state === 'rejected')).toBe(true);
    const first = await backend.list_invoices(query({ states: ['rejected'], limit: 10 }));
    const second = await backend.list_invoices(query({ states: ['rejected'], offset: 10, limit: 10 }));
    expect(first.total).toBe(all.total);
    expect([...first.rows, ...second.rows].map((r) => r.id)).toEqual(all.rows.slice(0, 20).map((r) => r.id));
  });

  it('sorts by gross amount in both directions', async () => {
    const asc = (await backend.list_invoices(query({ sort: { column: 'gross', dir: 'asc' } }))).rows.map(
      (r) => r.gross_minor ?? 0,
    );
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    const desc = (await backend.list_invoices(query({ sort: { column: 'gross', dir: 'desc' } }))).rows.map(
      (r) => r.gross_minor ?? 0,
    );
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
  });

  it('matches counterparty by NIP substring as well as by name', async () => {
    const any = (await backend.list_invoices(query({ limit: 1 }))).rows[0];
    const nip = any?.counterparty_nip ?? '';
    const page = await backend.list_invoices(query({ counterparty: nip.slice(2, 8) }));
    expect(page.total).toBeGreaterThan(0);
    expect(page.rows.every((r) => (r.counterparty_nip ?? '').includes(nip.slice(2, 8)))).toBe(true);
  });

  it('rejects an out-of-range page with a typed error code', async () => {
    await expect(backend.list_invoices(query({ limit: 0 }))).rejects.toMatchObject({ code: 'query.bad_page' });
  });
});

describe('KSeF number checksum', () => {
  it('matches the example from the KSeF documentation (KSEF-API.md §9)', () => {
    expect(ksefCrc8('5265877635-20250826-0100001AF629').toString(16).toUpperCase()).toBe('AF');
  });

  it('is valid on every generated KSeF number', async () => {
    const backend = new MockBackend({ invoices: 500, now: () => NOW });
    const rows = (await backend.list_invoices(query({ states: ['accepted'] }))).rows;
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      const n = r.ksef_number ?? '';
      expect(n).toMatch(/^\d{10}-\d{8}-[0-9A-F]{12}-[0-9A-F]{2}$/);
      expect(ksefCrc8(n.slice(0, 32)).toString(16).toUpperCase().padStart(2, '0')).toBe(n.slice(33));
    }
  });
});
