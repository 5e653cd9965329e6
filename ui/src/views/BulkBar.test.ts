// The bulk bar's "save UPOs": the shell asks for a folder, desk-api writes the files, and the
// person reads what was saved and what was skipped; a cancelled dialog says nothing.

import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { tick } from 'svelte';
import { SvelteSet } from 'svelte/reactivity';
import { describe, expect, it, vi } from 'vitest';
import { MockBackend } from '../lib/backend/mock';
import { contextFor, NOW, renderIn } from '../test/harness';
import BulkBar from './BulkBar.svelte';

function setup() {
  const backend = new MockBackend({ invoices: 50, now: () => NOW });
  const ctx = contextFor(backend);
  const selected = new SvelteSet([3, 5, 8]);
  renderIn(BulkBar, ctx, { selected });
  return { backend, ctx };
}

describe('BulkBar', () => {
  it('saves the selected invoices’ UPOs and reports saved and skipped counts', async () => {
    const { backend, ctx } = setup();
    const save = vi
      .spyOn(backend, 'save_upos')
      .mockResolvedValue({ saved: 2, without_upo: 1, failed: 0, folder: '/home/anna/UPO' });
    await fireEvent.click(screen.getByRole('button', { name: 'Zapisz UPO' }));
    await waitFor(() => expect(save).toHaveBeenCalledTimes(1));
    expect([...(save.mock.calls[0]?.[0] ?? [])].sort((a, b) => a - b)).toEqual([3, 5, 8]);
    await waitFor(() =>
      expect(ctx.toasts.items.map((t) => t.text)).toContain(
        'Zapisano UPO: 2 w folderze /home/anna/UPO; bez UPO: 1, nie zapisano: 0',
      ),
    );
  });

  it('says nothing when the folder dialog is cancelled', async () => {
    const { backend, ctx } = setup();
    const save = vi.spyOn(backend, 'save_upos').mockResolvedValue(null);
    await fireEvent.click(screen.getByRole('button', { name: 'Zapisz UPO' }));
    await waitFor(() => expect(save).toHaveBeenCalledTimes(1));
    await save.mock.results[0]?.value;
    await tick();
    expect(ctx.toasts.items).toEqual([]);
  });

  it('shows a failure through the dictionary, not as raw text', async () => {
    const { backend, ctx } = setup();
    vi.spyOn(backend, 'save_upos').mockRejectedValue({ code: 'desk.invalid_input', message: 'not a folder' });
    await fireEvent.click(screen.getByRole('button', { name: 'Zapisz UPO' }));
    await waitFor(() => expect(ctx.toasts.items.map((t) => t.error?.code)).toEqual(['desk.invalid_input']));
  });
});
