// First run: an empty Sandbox explains itself and fills the list with demo invoices on request.

import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { MockBackend } from '../lib/backend/mock';
import { pl } from '../lib/i18n/pl';
import { contextFor, goTo, NOW, renderIn } from '../test/harness';
import Invoices from './Invoices.svelte';

describe('first run', () => {
  it('offers demo invoices in Sandbox and shows them once generated', async () => {
    goTo('#/invoices');
    const backend = new MockBackend({ invoices: 0, now: () => NOW });
    const ctx = contextFor(backend);
    await ctx.shell.load();
    renderIn(Invoices, ctx, {});
    const generate = await screen.findByRole('button', { name: pl['first.generate'] });
    expect(screen.getByText(pl['first.sandbox'])).toBeTruthy();
    await fireEvent.click(generate);
    await waitFor(() => expect(screen.getByTestId('invoice-grid').getAttribute('aria-rowcount')).toBe(String(50 + 1)));
    expect(screen.queryByText(pl['first.title'])).toBeNull();
  });

  it('does not offer demo invoices outside Sandbox, where they would reach the real KSeF', async () => {
    goTo('#/invoices');
    const backend = new MockBackend({ invoices: 0, now: () => NOW });
    const company = await backend.add_company({ name: 'Firma', nip: '5260250274', environment: 'prd', token: 't' });
    await backend.set_active_company(company.id);
    const ctx = contextFor(backend);
    await ctx.shell.load();
    renderIn(Invoices, ctx, {});
    expect(await screen.findByText(pl['first.real'])).toBeTruthy();
    expect(screen.queryByRole('button', { name: pl['first.generate'] })).toBeNull();
    expect(screen.getByText('Produkcja')).toBeTruthy();
  });
});
