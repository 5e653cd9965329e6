import { describe, expect, it } from 'vitest';
import { isoToPolish, polishToIso } from './dates';

describe('Polish date fields', () => {
  it('reads dd.mm.rrrr, with or without leading zeros, and ISO', () => {
    expect(polishToIso('29.03.2026')).toBe('2026-03-29');
    expect(polishToIso(' 1.3.2026 ')).toBe('2026-03-01');
    expect(polishToIso('2026-10-25')).toBe('2026-10-25');
    expect(polishToIso('29.02.2028')).toBe('2028-02-29');
  });

  it('an empty field clears the filter', () => {
    expect(polishToIso('')).toBeNull();
    expect(polishToIso('   ')).toBeNull();
  });

  it('refuses what is not a calendar date rather than guessing', () => {
    for (const bad of ['31.02.2026', '29.02.2026', '03/29/2026', '2026-13-01', '12.2026', 'wczoraj', '00.01.2026']) {
      expect(polishToIso(bad), bad).toBeUndefined();
    }
  });

  it('shows ISO dates in Polish order and round-trips them', () => {
    expect(isoToPolish('2026-03-29')).toBe('29.03.2026');
    expect(isoToPolish(null)).toBe('');
    for (const iso of ['2026-01-01', '2026-12-31', '2028-02-29']) expect(polishToIso(isoToPolish(iso))).toBe(iso);
  });
});
