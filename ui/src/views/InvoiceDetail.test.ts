// The detail panel explains problems through the dictionary — title, explanation, what to do —
// in the UI language, and still shows codes the dictionary does not know.

import { fireEvent, screen, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MockBackend } from '../lib/backend/mock';
import { MOCK_DICTIONARY } from '../lib/backend/mock-dictionary';
import type { InvoiceDetail as Detail } from '../lib/backend/types';
import { setLanguage } from '../lib/i18n/index.svelte';
import { contextFor, NOW, renderIn, syntheticRow } from '../test/harness';
import InvoiceDetail from './InvoiceDetail.svelte';

afterEach(() => setLanguage('pl'));

const KNOWN = 'business.nip_checksum';
const UNKNOWN = 'fa3.rule_from_the_future';

function detail(): Detail {
  return {
    row: { ...syntheticRow(6), state: 'rejected', ksef_number: null, error_code: 'ksef.invoice.450' },
    file_name: 'FV_6.xml',
    seller_nip: '5260250274',
    seller_name: 'Sprzedawca sp. z o.o.',
    invoice_type: 'VAT',
    size_bytes: 5_120,
    sha256: 'ab'.repeat(32),
    findings: [
      { code: KNOWN, severity: 'error', message: 'NIP 1234567890', path: '/Faktura/Podmiot2/NIP', line: 31 },
      { code: UNKNOWN, severity: 'warning', message: 'raw validator text', path: null, line: null },
    ],
    rejection: { code: 'ksef.invoice.450', description: 'Błąd weryfikacji semantycznej', details: ['P_15 niezgodne'] },
    events: [
      {
        at: NOW - 60_000,
        actor: 'ksef',
        from_state: 'sent',
        to_state: 'rejected',
        code: 'ksef.invoice.450',
        detail: null,
      },
    ],
    attempts: [],
    upo: { stored: false, verified: false, sha256: null },
  };
}

async function setup() {
  const backend = new MockBackend({ invoices: 0, now: () => NOW });
  vi.spyOn(backend, 'invoice_detail').mockResolvedValue(detail());
  const ctx = contextFor(backend);
  await ctx.dictionary.load(backend);
  renderIn(InvoiceDetail, ctx, { id: 7, onclose: () => {} });
  await screen.findByText('FV/6');
}

const entry = (code: string) => {
  const found = MOCK_DICTIONARY.find((e) => e.code === code);
  if (!found) throw new Error(`test needs ${code} in the dictionary`);
  return found;
};

describe('InvoiceDetail', () => {
  it('renders a finding with its dictionary title, explanation and what to do, code secondary', async () => {
    await setup();
    const card = document.querySelector(`[data-code="${KNOWN}"]`) as HTMLElement;
    expect(within(card).getByText(entry(KNOWN).pl.title)).toBeTruthy();
    expect(within(card).getByText(entry(KNOWN).pl.explanation)).toBeTruthy();
    expect(card.textContent).toContain(entry(KNOWN).pl.action);
    expect(within(card).getByText(KNOWN).className).toContain('code');
    expect(card.textContent).toContain('/Faktura/Podmiot2/NIP');
  });

  it('explains the KSeF rejection through the dictionary too', async () => {
    await setup();
    const card = document.querySelector('[data-code="ksef.invoice.450"]') as HTMLElement;
    expect(within(card).getByText(entry('ksef.invoice.450').pl.title)).toBeTruthy();
    expect(screen.getByText('P_15 niezgodne')).toBeTruthy();
  });

  it('falls back for an unknown code: shows the code and the technical message', async () => {
    await setup();
    const card = document.querySelector(`[data-code="${UNKNOWN}"]`) as HTMLElement;
    expect(card.getAttribute('data-known')).toBe('false');
    expect(within(card).getByText(`Nieopisany kod ${UNKNOWN}`)).toBeTruthy();
    expect(card.textContent).toContain('raw validator text');
  });

  it('switches the explanations to English with the UI language', async () => {
    await setup();
    setLanguage('en');
    const card = document.querySelector(`[data-code="${KNOWN}"]`) as HTMLElement;
    expect(await within(card).findByText(entry(KNOWN).en.title)).toBeTruthy();
  });

  it('shows the stored UPO as indented XML and copies the KSeF number', async () => {
    const backend = new MockBackend({ invoices: 300, now: () => NOW });
    const page = await backend.list_invoices({
      states: ['accepted'],
      date_from: null,
      date_to: null,
      counterparty: null,
      number: null,
      ids: null,
      sort: { column: 'last_event_at', dir: 'desc' },
      offset: 0,
      limit: 50,
    });
    const accepted = page.rows.find((r) => r.has_upo);
    if (!accepted?.ksef_number) throw new Error('seed has no accepted invoice with a UPO');
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText } });
    const ctx = contextFor(backend);
    await ctx.dictionary.load(backend);
    renderIn(InvoiceDetail, ctx, { id: accepted.id, onclose: () => {} });

    expect(await screen.findByText('Skrót zweryfikowany')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: /Kopiuj/ }));
    expect(writeText).toHaveBeenCalledWith(accepted.ksef_number);

    await fireEvent.click(screen.getByRole('button', { name: /Pokaż UPO/ }));
    const dialog = await screen.findByRole('dialog');
    const xml = dialog.querySelector('pre')?.textContent ?? '';
    expect(xml).toContain(`  <Dokument>`);
    expect(xml).toContain(`<NumerKSeFDokumentu>${accepted.ksef_number}</NumerKSeFDokumentu>`);
  });
});
