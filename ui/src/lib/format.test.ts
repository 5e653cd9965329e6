// Amount, date and NIP formatting as Polish accountants expect it.

import { afterEach, describe, expect, it } from 'vitest';
import { formatCount, formatDate, formatMoney, formatNip, formatRelative, nipProblem } from './format';
import { setLanguage } from './i18n/index.svelte';

const NBSP = '\u00a0';

afterEach(() => setLanguage('pl'));

describe('formatMoney', () => {
  it('groups thousands with a space and uses a decimal comma and "zł" for PLN', () => {
    expect(formatMoney(123_456, 'PLN')).toBe(`1${NBSP}234,56${NBSP}zł`);
    expect(formatMoney(100_000_000, 'PLN')).toBe(`1${NBSP}000${NBSP}000,00${NBSP}zł`);
  });

  it('shows the currency code for other currencies and a dash when the amount is unknown', () => {
    expect(formatMoney(5, 'EUR')).toBe(`0,05${NBSP}EUR`);
    expect(formatMoney(null, 'PLN')).toBe('—');
  });
});

describe('formatDate', () => {
  it('renders ISO dates as DD.MM.YYYY in Polish and keeps malformed input visible', () => {
    expect(formatDate('2026-11-05')).toBe('05.11.2026');
    expect(formatDate('listopad')).toBe('listopad');
    expect(formatDate(null)).toBe('—');
  });
});

describe('NIP', () => {
  // 526-025-02-74 is the Ministry of Finance's published NIP; its checksum was computed by hand:
  // 5·6+2·5+6·7+0·2+2·3+5·4+0·5+2·6+7·7 = 169, 169 mod 11 = 4.
  it('accepts a valid NIP typed with or without hyphens', () => {
    expect(nipProblem('5260250274')).toBeNull();
    expect(nipProblem('526-025-02-74')).toBeNull();
    expect(formatNip('5260250274')).toBe('526-025-02-74');
  });

  it('tells a wrong check digit apart from a wrong length', () => {
    expect(nipProblem('5260250275')).toBe('checksum');
    expect(nipProblem('526025027')).toBe('format');
    expect(nipProblem('52602502ab')).toBe('format');
  });
});

describe('reused formatters', () => {
  it('follow a change of language (one formatter per locale)', () => {
    const now = Date.UTC(2026, 10, 21, 12, 0, 0);
    const fiveMinutesAgo = now - 5 * 60_000;
    setLanguage('pl');
    const pl = [formatRelative(fiveMinutesAgo, now), formatCount(1234567)];
    setLanguage('en');
    const en = [formatRelative(fiveMinutesAgo, now), formatCount(1234567)];
    expect(en).toEqual([
      new Intl.RelativeTimeFormat('en-GB', { numeric: 'auto' }).format(-5, 'minute'),
      new Intl.NumberFormat('en-GB').format(1234567),
    ]);
    setLanguage('pl');
    expect([formatRelative(fiveMinutesAgo, now), formatCount(1234567)]).toEqual(pl);
    expect(pl[0]).not.toEqual(en[0]);
  });
});
