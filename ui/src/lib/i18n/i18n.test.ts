// Polish and English cover the same keys with the same placeholders, Polish plurals pick the
// right form, and switching the language in Settings re-renders the UI's strings.

import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import Settings from '../../views/Settings.svelte';
import { MockBackend } from '../backend/mock';
import { contextFor, NOW, renderIn } from '../../test/harness';
import { en } from './en';
import { setLanguage, t, tn } from './index.svelte';
import { pl } from './pl';

afterEach(() => setLanguage('pl'));

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogues', () => {
  it('have identical key sets (also enforced by the type of en.ts)', () => {
    expectTypeOf<keyof typeof en>().toEqualTypeOf<keyof typeof pl>();
    expect(Object.keys(en).sort()).toEqual(Object.keys(pl).sort());
  });

  it('use the same placeholders in both languages and leave nothing empty', () => {
    for (const key of Object.keys(pl) as (keyof typeof pl)[]) {
      expect(placeholders(en[key]), key).toEqual(placeholders(pl[key]));
      expect(pl[key].trim().length, key).toBeGreaterThan(0);
      expect(en[key].trim().length, key).toBeGreaterThan(0);
    }
  });

  it('chooses Polish plural forms by CLDR rules (1 faktura, 3 faktury, 5 faktur, 22 faktury)', () => {
    expect(tn('inv.count', 1)).toBe('1 faktura');
    expect(tn('inv.count', 3)).toBe('3 faktury');
    expect(tn('inv.count', 5)).toBe('5 faktur');
    expect(tn('inv.count', 22)).toBe('22 faktury');
    expect(tn('inv.count', 12_480)).toBe('12\u00a0480 faktur');
    setLanguage('en');
    expect(tn('inv.count', 1)).toBe('1 invoice');
    expect(tn('inv.count', 3)).toBe('3 invoices');
  });
});

describe('language switch', () => {
  it('changes the strings on screen and saves the choice', async () => {
    const backend = new MockBackend({ invoices: 10, now: () => NOW });
    const save = vi.spyOn(backend, 'save_settings');
    const ctx = contextFor(backend);
    await ctx.shell.refresh();
    renderIn(Settings, ctx, {});
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(pl['set.title']);
    await fireEvent.click(await screen.findByRole('button', { name: 'English' }));
    await waitFor(() => expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(en['set.title']));
    expect(screen.getByText(en['set.companies'])).toBeTruthy();
    expect(save).toHaveBeenCalledWith(expect.objectContaining({ language: 'en' }));
    expect(t('nav.invoices')).toBe('Invoices');
  });
});
