// The top bar tells who is sending (company, environment) and whether KSeF can be reached,
// following engine_status events as they come.

import { screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { MockBackend } from '../backend/mock';
import { contextFor, NOW, renderIn } from '../../test/harness';
import TopBar from './TopBar.svelte';

describe('TopBar', () => {
  it('marks Sandbox clearly and reports an outage with the time it started', async () => {
    const backend = new MockBackend({ invoices: 100, now: () => NOW });
    const ctx = contextFor(backend);
    await ctx.shell.refresh();
    await ctx.shell.attach();
    renderIn(TopBar, ctx, {});
    expect(screen.getByText('Sandbox').getAttribute('title')).toMatch(/nic nie trafia do KSeF/);
    expect(screen.getByTestId('ksef-status').textContent).toContain('KSeF dostępny');

    backend.setKsef('unavailable');
    // Expected wall-clock time from Date getters, independent of the Intl formatting under test.
    const at = new Date(NOW);
    const hhmm = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
    await waitFor(() =>
      expect(screen.getByTestId('ksef-status').textContent?.trim()).toBe(`KSeF niedostępny od ${hhmm}`),
    );
  });
});
