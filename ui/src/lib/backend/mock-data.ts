// Deterministic seed data for the mock backend: realistic Polish counterparties, invoice numbers,
// amounts, KSeF numbers and states. Everything derives from a seeded PRNG and an injected "now".

import type { InvoiceRow, InvoiceState } from './types';

/** Small, fast, seedable PRNG (mulberry32); deterministic across runs and platforms. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rng: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

const NIP_WEIGHTS = [6, 5, 7, 2, 3, 4, 5, 6, 7] as const;

/** Completes nine digits with the NIP check digit, or returns null when none exists (mod 11 = 10). */
export function completeNip(first9: string): string | null {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(first9[i]) * (NIP_WEIGHTS[i] ?? 0);
  const check = sum % 11;
  return check === 10 ? null : first9 + String(check);
}

/** CRC-8 (poly 0x07, init 0, no reflection) as used by KSeF numbers (KSEF-API.md §9). */
export function ksefCrc8(text: string): number {
  let c = 0;
  for (let i = 0; i < text.length; i++) {
    c ^= text.charCodeAt(i) & 0xff;
    for (let b = 0; b < 8; b++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
  }
  return c;
}

function hex(rng: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += Math.floor(rng() * 16).toString(16);
  return out;
}

export function ksefNumber(rng: () => number, sellerNip: string, date: string): string {
  const head = `${sellerNip}-${date.replaceAll('-', '')}-${hex(rng, 12).toUpperCase()}`;
  return `${head}-${ksefCrc8(head).toString(16).toUpperCase().padStart(2, '0')}`;
}

export function sha256Hex(rng: () => number): string {
  return hex(rng, 64);
}

export const SELLER = { name: 'Hurtownia Elektryczna Volt sp. z o.o.', nip: '5272681932' } as const;

const COUNTERPARTY_NAMES = [
  'Przedsiębiorstwo Budowlane Żuraw sp. z o.o.',
  'Łódzkie Zakłady Mięsne S.A.',
  'Kowalski i Wspólnicy sp.j.',
  'Apteka Pod Różą s.c.',
  'Gospodarstwo Ogrodnicze Wiśniewski',
  'Mazowiecka Spółdzielnia Mleczarska',
  'Biuro Rachunkowe Ćwik & Zając',
  'Śląskie Centrum Logistyczne sp. z o.o.',
  'Pracownia Architektoniczna Gęślicki',
  'Zakład Usług Transportowych Mróz',
  'Hotel Źródło sp. z o.o.',
  'Kancelaria Prawna Dąbrowska i Partnerzy',
  'Sklep Wielobranżowy „Jagódka”',
  'Fabryka Mebli Świerk S.A.',
  'Piekarnia Złoty Kłos',
  'Instalbud Gdańsk sp. z o.o.',
  'Elektromontaż Poznań S.A.',
  'Agencja Reklamowa Ósemka',
  'Przychodnia Lekarska Zdrowie',
  'Warsztat Samochodowy Łukasz Nowicki',
  'Drukarnia Offsetowa Kraków sp. z o.o.',
  'Tartak Bór sp.k.',
  'Szkoła Językowa Polyglot',
  'Cukiernia Słodki Kącik',
  'Pensjonat Pod Świerkami',
  'Miejskie Przedsiębiorstwo Wodociągów i Kanalizacji',
  'Centrum Ogrodnicze Bratek',
  'Spółdzielnia Mieszkaniowa Śródmieście',
  'Stocznia Remontowa Gryf S.A.',
  'Dom Handlowy Żagiel sp. z o.o.',
] as const;

export interface Counterparty {
  name: string;
  nip: string;
}

export function counterparties(rng: () => number): Counterparty[] {
  return COUNTERPARTY_NAMES.map((name) => {
    for (;;) {
      const first = String(1 + Math.floor(rng() * 9));
      const rest = String(Math.floor(rng() * 1e8)).padStart(8, '0');
      const nip = completeNip(first + rest);
      if (nip !== null) return { name, nip };
    }
  });
}

const DAY_MS = 86_400_000;

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Weighted state draw; recent invoices are more often still on their way. */
function drawState(rng: () => number, ageDays: number): InvoiceState {
  const r = rng();
  if (ageDays < 1) {
    if (r < 0.35) return 'queued';
    if (r < 0.45) return 'sending';
    if (r < 0.55) return 'sent';
  }
  if (r < 0.05) return 'rejected';
  if (r < 0.07) return 'needs_attention';
  if (r < 0.08) return 'conflict';
  if (r < 0.105) return 'invalid';
  if (r < 0.115) return 'queued';
  return 'accepted';
}

const ERROR_CODES: Partial<Record<InvoiceState, readonly string[]>> = {
  rejected: ['ksef.invoice.450', 'ksef.invoice.450', 'ksef.invoice.440', 'ksef.invoice.430', 'ksef.invoice.410'],
  needs_attention: ['engine.stuck', 'ksef.outcome_unknown', 'engine.attempts_exhausted', 'engine.upo_missing'],
  invalid: ['schema.invalid', 'business.nip_checksum', 'xml.bom', 'business.issue_date_in_future'],
  conflict: ['engine.conflict', 'engine.duplicate_foreign'],
};

export function errorCodeFor(rng: () => number, state: InvoiceState): string | null {
  const codes = ERROR_CODES[state];
  return codes ? pick(rng, codes) : null;
}

function drawAmountMinor(rng: () => number): number {
  // Log-uniform between 49 zł and 180 000 zł: many small invoices, a long tail of large ones.
  const min = Math.log(4_900);
  const max = Math.log(18_000_000);
  return Math.round(Math.exp(min + rng() * (max - min)));
}

function drawCurrency(rng: () => number): string {
  const r = rng();
  if (r < 0.94) return 'PLN';
  if (r < 0.985) return 'EUR';
  return 'USD';
}

/** Generates `count` invoices issued over the last ~180 days, oldest first (id order). */
export function seedInvoices(count: number, now: number, seed: number): InvoiceRow[] {
  const rng = createRng(seed);
  const parties = counterparties(rng);
  const spanDays = 180;
  const perMonth = new Map<string, number>();
  const rows: InvoiceRow[] = [];
  for (let i = 0; i < count; i++) {
    // Spread issue dates evenly over the span with jitter, so ids grow with time.
    const ageDays = Math.max(0, spanDays * (1 - (i + rng()) / count));
    const issuedAt = now - ageDays * DAY_MS;
    const issue_date = isoDate(issuedAt);
    const month = issue_date.slice(0, 7);
    const seq = (perMonth.get(month) ?? 0) + 1;
    perMonth.set(month, seq);
    const party = pick(rng, parties);
    const state = drawState(rng, ageDays);
    const eventLag = Math.floor(rng() * 6 * 3_600_000);
    const last_event_at = Math.min(now - Math.floor(rng() * 120_000), issuedAt + eventLag);
    const accepted = state === 'accepted';
    rows.push({
      id: i + 1,
      invoice_number:
        state === 'invalid' && rng() < 0.2 ? null : `FV/${month.replace('-', '/')}/${String(seq).padStart(4, '0')}`,
      counterparty_name: party.name,
      counterparty_nip: party.nip,
      issue_date,
      gross_minor: drawAmountMinor(rng),
      currency: drawCurrency(rng),
      state,
      ksef_number: accepted ? ksefNumber(rng, SELLER.nip, isoDate(last_event_at)) : null,
      has_upo: accepted && rng() > 0.01,
      error_code: errorCodeFor(rng, state),
      last_event_at,
    });
  }
  return rows;
}
