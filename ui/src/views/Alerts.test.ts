// Alerts: active ones can be resolved through the backend and then move to the resolved tab.

import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { MockBackend } from '../lib/backend/mock';
import { contextFor, NOW, renderIn } from '../test/harness';
import Alerts from './Alerts.svelte';

describe('Alerts view', () => {
  it('resolves an alert and updates the open-alert count in the chrome', async () => {
    const backend = new MockBackend({ invoices: 500, now: () => NOW });
    const resolve = vi.spyOn(backend, 'resolve_alert');
    const ctx = contextFor(backend);
    await Promise.all([ctx.dictionary.load(backend), ctx.shell.refresh()]);
    const open = (await backend.list_alerts()).filter((a) => a.resolved_at === null);
    expect(ctx.shell.openAlerts).toBe(open.length);
    renderIn(Alerts, ctx, {});
    const buttons = await screen.findAllByRole('button', { name: 'Oznacz jako rozwiązany' });
    expect(buttons.length).toBe(open.length);
    await fireEvent.click(buttons[0]!);
    await waitFor(() => expect(ctx.shell.openAlerts).toBe(open.length - 1));
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(screen.getAllByRole('button', { name: 'Oznacz jako rozwiązany' }).length).toBe(open.length - 1);
  });
});
