// Dates typed the Polish way (dd.mm.rrrr) for filter fields: WebKitGTK's native date input
// follows the system locale and shows US order, which finance teams misread.

const POLISH = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-03-29` → `29.03.2026`; anything else as it is. */
export function isoToPolish(iso: string | null): string {
  const m = ISO.exec(iso ?? '');
  return m ? `${m[3]}.${m[2]}.${m[1]}` : (iso ?? '');
}

/**
 * Text typed into a date field → an ISO date. `null` for an empty field, `undefined` for text
 * that is not a real calendar date (31.02.2026, 12/03/2026…). ISO input is accepted too.
 */
export function polishToIso(text: string): string | null | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const polish = POLISH.exec(trimmed);
  const iso = ISO.exec(trimmed);
  const [day, month, year] = polish
    ? [Number(polish[1]), Number(polish[2]), Number(polish[3])]
    : iso
      ? [Number(iso[3]), Number(iso[2]), Number(iso[1])]
      : [0, 0, 0];
  if (year === 0) return undefined;
  const date = new Date(Date.UTC(year, month - 1, day));
  const real = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return real ? `${year}-${pad(month)}-${pad(day)}` : undefined;
}
