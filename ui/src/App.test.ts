// The shell end to end on the mock: routes render their views, and files dropped on the window
// (forwarded by the Tauri shell as `files_dropped`) start an import and show it.

import { screen, waitFor } from '@testing-library/svelte';
import { render } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import { MockBackend } from './lib/backend/mock';
import { pl } from './lib/i18n/pl';
import { contextFor, goTo, NOW } from './test/harness';

function setup() {
  const ticks: (() => void)[] = [];
  const backend = new MockBackend({ invoices: 300, now: () => NOW, setTimer: (fn) => ticks.push(fn) });
  const ctx = contextFor(backend);
  goTo('#/invoices');
  render(App, { props: { ctx } });
  return { backend, ticks };
}

const heading = () => screen.getByRole('heading', { level: 1 }).textContent;

describe('App', () => {
  it('renders the view of each route', async () => {
    setup();
    await waitFor(() => expect(heading()).toBe(pl['inv.title']));
    const routes: [string, string][] = [
      ['#/dashboard', pl['dash.title']],
      ['#/import', pl['imp.title']],
      ['#/alerts', pl['alerts.title']],
      ['#/dictionary', pl['dictv.title']],
      ['#/settings', pl['set.title']],
    ];
    for (const [hash, title] of routes) {
      location.hash = hash;
      await waitFor(() => expect(heading()).toBe(title));
    }
  });

  it('starts an import when files are dropped on the window and shows its progress', async () => {
    const { backend, ticks } = setup();
    await waitFor(() => expect(heading()).toBe(pl['inv.title']));
    backend.simulateDrop(['/tmp/a.xml', '/tmp/b.xml', '/tmp/notes.txt']);
    await waitFor(() => expect(heading()).toBe(pl['imp.title']));
    await waitFor(() => expect(ticks.length).toBe(1));
    ticks.shift()?.();
    const summary = await screen.findByTestId('import-summary');
    // notes.txt is not an invoice: it is reported unreadable and counted with the invalid ones.
    const count = (tone: string) => summary.querySelector(`.tone-${tone} .count`)?.textContent;
    expect(count('ok')).toBe('2');
    expect(count('bad')).toBe('1');
    expect(location.hash).toBe('#/import');
  });

  it('tells about a finished import when the person has moved on to another view', async () => {
    const { backend, ticks } = setup();
    await waitFor(() => expect(heading()).toBe(pl['inv.title']));
    backend.simulateDrop(['/tmp/a.xml']);
    await waitFor(() => expect(ticks.length).toBe(1));
    location.hash = '#/dashboard';
    await waitFor(() => expect(heading()).toBe(pl['dash.title']));
    ticks.shift()?.();
    expect(await screen.findByText('Import zakończony: zaimportowano 1, do sprawdzenia 0.')).toBeTruthy();
  });

  it('shows the filtered list a clicked desktop notification asks for, and ignores other targets', async () => {
    const { backend } = setup();
    location.hash = '#/dashboard';
    await waitFor(() => expect(heading()).toBe(pl['dash.title']));
    backend.emit('navigate', { route: 'https://example.com/#/settings' });
    backend.emit('navigate', { route: '/settings' });
    expect(location.hash).toBe('#/dashboard');
    backend.emit('navigate', { route: '#/invoices?states=rejected&ids=4,7' });
    await waitFor(() => expect(heading()).toBe(pl['inv.title']));
    const params = new URLSearchParams(location.hash.split('?')[1]);
    expect(params.get('states')).toBe('rejected');
    expect(params.get('ids')).toBe('4,7');
  });

  it('stays quiet about an import that found only invoices it already had', async () => {
    const { backend } = setup();
    location.hash = '#/dashboard';
    await waitFor(() => expect(heading()).toBe(pl['dash.title']));
    const item = { file: '/erp/FV-1.xml', outcome: 'already_known' as const, invoice_id: 1, code: null };
    const summary = { imported: 0, already_known: 1, conflicts: 0, invalid: 0, items: [item] };
    backend.emit('import_finished', { job_id: 7, cancelled: false, summary });
    backend.emit('import_finished', {
      job_id: 8,
      cancelled: false,
      summary: { ...summary, imported: 1, already_known: 0, items: [{ ...item, outcome: 'imported' as const }] },
    });
    expect(await screen.findByText('Import zakończony: zaimportowano 1, do sprawdzenia 0.')).toBeTruthy();
    expect(screen.getAllByText(/Import zakończony/)).toHaveLength(1);
  });
});
