// Adding a company validates the NIP checksum in the form and sends the token only to the backend.

import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { MockBackend } from '../lib/backend/mock';
import { pl } from '../lib/i18n/pl';
import { contextFor, NOW, renderIn } from '../test/harness';
import Settings from './Settings.svelte';

/** A field's label starts with its name; hints and errors follow inside the same label. */
const label = (name: string) => new RegExp(`^${name}`);

async function openForm() {
  const backend = new MockBackend({ invoices: 10, now: () => NOW });
  const add = vi.spyOn(backend, 'add_company');
  const ctx = contextFor(backend);
  await ctx.shell.refresh();
  renderIn(Settings, ctx, {});
  await fireEvent.click(screen.getByRole('button', { name: pl['set.add'] }));
  return { add, ctx };
}

describe('add company form', () => {
  it('rejects a NIP with a wrong check digit and does not call the backend', async () => {
    const { add } = await openForm();
    await fireEvent.input(screen.getByLabelText(label(pl['set.name'])), { target: { value: 'Nowa Firma sp. z o.o.' } });
    await fireEvent.input(screen.getByLabelText(label(pl['set.nip'])), { target: { value: '526-025-02-75' } });
    expect((await screen.findByTestId('nip-error')).textContent).toBe(pl['set.err.nip_checksum']);
    await fireEvent.input(screen.getByLabelText(label(pl['set.token'])), { target: { value: 'secret-token' } });
    await fireEvent.click(screen.getByRole('button', { name: pl['set.save_company'] }));
    expect(add).not.toHaveBeenCalled();
  });

  it('saves a valid company with the NIP normalised and the token as a password field', async () => {
    const { add, ctx } = await openForm();
    const token = screen.getByLabelText(label(pl['set.token'])) as HTMLInputElement;
    expect(token.type).toBe('password');
    await fireEvent.input(screen.getByLabelText(label(pl['set.name'])), { target: { value: 'Nowa Firma sp. z o.o.' } });
    await fireEvent.input(screen.getByLabelText(label(pl['set.nip'])), { target: { value: '526-025-02-74' } });
    await fireEvent.input(token, { target: { value: 'secret-token' } });
    await fireEvent.click(screen.getByRole('button', { name: pl['set.save_company'] }));
    await waitFor(() =>
      expect(add).toHaveBeenCalledWith({
        name: 'Nowa Firma sp. z o.o.',
        nip: '5260250274',
        environment: 'test',
        token: 'secret-token',
      }),
    );
    await waitFor(() => expect(ctx.shell.companies.some((c) => c.nip === '5260250274')).toBe(true));
  });
});
