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
});
