// The dictionary browser finds codes by any language's wording, ignoring Polish diacritics.

import { fireEvent, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { MockBackend } from '../lib/backend/mock';
import { MOCK_DICTIONARY } from '../lib/backend/mock-dictionary';
import { contextFor, NOW, renderIn } from '../test/harness';
import Dictionary from './Dictionary.svelte';

async function setup() {
  const backend = new MockBackend({ invoices: 0, now: () => NOW });
  const ctx = contextFor(backend);
  await ctx.dictionary.load(backend);
  renderIn(Dictionary, ctx, {});
  return screen.getByRole('searchbox');
}

const shownCodes = () => [...document.querySelectorAll('tr[data-code]')].map((r) => r.getAttribute('data-code'));

describe('Dictionary view', () => {
  it('lists every entry until a search narrows it', async () => {
    await setup();
    expect(shownCodes()).toEqual(MOCK_DICTIONARY.map((e) => e.code));
  });

  it('matches Polish text typed without diacritics and English text alike', async () => {
    const search = await setup();
    await fireEvent.input(search, { target: { value: 'blad weryfikacji semantycznej' } });
    expect(shownCodes()).toEqual(['ksef.invoice.450']);
    await fireEvent.input(search, { target: { value: 'semantic verification' } });
    expect(shownCodes()).toEqual(['ksef.invoice.450']);
  });

  it('says what to try when nothing matches', async () => {
    const search = await setup();
    await fireEvent.input(search, { target: { value: 'zzzz' } });
    expect(shownCodes()).toEqual([]);
    expect(screen.getByText(/Nic nie pasuje do „zzzz”/)).toBeTruthy();
  });
});
