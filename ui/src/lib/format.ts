// Formatting and validation helpers for accounting data (amounts, dates, NIP), locale-aware.

import { localeTag } from './i18n/index.svelte';

/**
 * Intl formatters are costly to build in WebKit and the invoice table formats three values in
 * each of ~50 rows at every scroll step, so each kind is built once per locale and reused.
 */
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>();

function once<F extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>(
  kind: string,
  make: (locale: string) => F,
): F {
  const locale = localeTag();
  const key = `${kind}|${locale}`;
  const known = formatters.get(key) as F | undefined;
  if (known) return known;
  const made = make(locale);
  formatters.set(key, made);
  return made;
}

/** Minor units (grosze) → `1 234,56 zł` for PLN, `1 234,56 EUR` for other currencies. */
export function formatMoney(minor: number | null, currency: string | null): string {
  if (minor === null) return '—';
  const code = currency ?? 'PLN';
  // Always pl-PL digits: amounts are Polish accounting data whatever the UI language.
  const amount = once(
    'money',
    () =>
      new Intl.NumberFormat('pl-PL', {
        minimumFractionDigits: 2,
        maximumFractionDigits: 2,
        useGrouping: 'always',
      }),
  ).format(minor / 100);
  // Intl separates thousands with a narrow no-break space in pl-PL; accountants read either fine,
  // but a plain no-break space keeps the column aligned across fonts.
  const text = amount.replace(/\u202f/g, '\u00a0');
  return code === 'PLN' ? `${text}\u00a0zł` : `${text}\u00a0${code}`;
}

export function formatDate(iso: string | null): string {
  if (!iso) return '—';
  const [y, m, d] = iso.split('-');
  if (!y || !m || !d) return iso;
  return localeTag() === 'pl-PL' ? `${d}.${m}.${y}` : `${d}/${m}/${y}`;
}

export function formatDateTime(ms: number): string {
  return once(
    'date-time',
    (locale) =>
      new Intl.DateTimeFormat(locale, {
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      }),
  ).format(ms);
}

export function formatTime(ms: number): string {
  return once('time', (locale) => new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' })).format(ms);
}

/** Time of day for today, otherwise date and time: "14:05" or "18.11.2026, 14:05". */
export function formatMoment(ms: number, now: number): string {
  const sameDay = new Date(ms).toDateString() === new Date(now).toDateString();
  if (sameDay) return formatTime(ms);
  return once(
    'moment',
    (locale) =>
      new Intl.DateTimeFormat(locale, {
        day: '2-digit',
        month: '2-digit',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
      }),
  ).format(ms);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "5 minut temu" / "5 minutes ago"; under a minute: "teraz" / "now". */
export function formatRelative(ms: number, now: number): string {
  const diff = ms - now;
  const rtf = once('relative', (locale) => new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }));
  for (const [unit, size] of UNITS) {
    if (Math.abs(diff) >= size) return rtf.format(Math.round(diff / size), unit);
  }
  return rtf.format(0, 'second');
}

export function formatNip(nip: string | null): string {
  if (!nip) return '—';
  return /^\d{10}$/.test(nip) ? `${nip.slice(0, 3)}-${nip.slice(3, 6)}-${nip.slice(6, 8)}-${nip.slice(8)}` : nip;
}

export function formatBytes(bytes: number): string {
  const nf = once('one-decimal', (locale) => new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }));
  if (bytes < 1024) return `${nf.format(bytes)} B`;
  if (bytes < 1024 * 1024) return `${nf.format(bytes / 1024)} KB`;
  return `${nf.format(bytes / (1024 * 1024))} MB`;
}

export function formatPercent(ratio: number): string {
  return once(
    'percent',
    (locale) => new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }),
  ).format(ratio);
}

export function formatSeconds(ms: number): string {
  return `${once('one-decimal', (locale) => new Intl.NumberFormat(locale, { maximumFractionDigits: 1 })).format(ms / 1000)} s`;
}

export function formatCount(n: number): string {
  return once('count', (locale) => new Intl.NumberFormat(locale)).format(n);
}

export type NipProblem = 'format' | 'checksum';

const NIP_WEIGHTS = [6, 5, 7, 2, 3, 4, 5, 6, 7];

/** Validates a NIP as typed by a person (hyphens/spaces allowed); null when valid. */
export function nipProblem(input: string): NipProblem | null {
  const digits = input.replace(/[\s-]/g, '');
  if (!/^\d{10}$/.test(digits)) return 'format';
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (NIP_WEIGHTS[i] ?? 0);
  const check = sum % 11;
  return check !== 10 && check === Number(digits[9]) ? null : 'checksum';
}

export function normaliseNip(input: string): string {
  return input.replace(/[\s-]/g, '');
}
