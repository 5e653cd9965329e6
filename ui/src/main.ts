// Entry point: picks the backend (Tauri in the app, the seeded mock for `npm run dev:mock`) and
// mounts the UI.

import { mount } from 'svelte';
import App from './App.svelte';
import type { Backend } from './lib/backend/types';
import { createAppContext } from './lib/context';
import './styles/app.css';

declare const __MOCK_BACKEND__: boolean;

async function createBackend(): Promise<Backend> {
  if (__MOCK_BACKEND__) {
    const { MockBackend } = await import('./lib/backend/mock');
    // ?empty shows the first run, ?ksef=unavailable an outage, ?lang=en English: for screenshots.
    const query = new URLSearchParams(location.search);
    const ksef = query.get('ksef');
    return new MockBackend({
      invoices: query.has('empty') ? 0 : Number(query.get('invoices') ?? 12_480),
      ksef: ksef === 'unavailable' || ksef === 'degraded' ? ksef : 'available',
      language: query.get('lang') === 'en' ? 'en' : 'pl',
      latency_ms: 40,
    });
  }
  const { createTauriBackend } = await import('./lib/backend/tauri');
  return createTauriBackend();
}

const target = document.getElementById('app');
if (target) {
  const backend = await createBackend();
  const ctx = createAppContext(backend);
  mount(App, { target, props: { ctx } });
  // Mock only: ?run=import starts a folder import at once (screenshots of progress and summary).
  if (__MOCK_BACKEND__ && new URLSearchParams(location.search).get('run') === 'import') {
    void backend.pick_import_folder().then((paths) => ctx.imports.start(paths));
  }
}
