// What every view needs, passed through Svelte context: the backend, the dictionary, notices
// and the clock (injected so tests and screenshots are deterministic).

import { getContext, setContext } from 'svelte';
import type { Backend } from './backend/types';
import { DictionaryStore } from './dictionary.svelte';
import { ImportJob } from './import-job.svelte';
import { ShellState } from './shell.svelte';
import { Toasts } from './toasts.svelte';

export interface AppContext {
  backend: Backend;
  dictionary: DictionaryStore;
  toasts: Toasts;
  imports: ImportJob;
  shell: ShellState;
  now: () => number;
}

const KEY = Symbol('ksef-desk-app');

export function createAppContext(backend: Backend, now: () => number = () => Date.now()): AppContext {
  return {
    backend,
    dictionary: new DictionaryStore(),
    toasts: new Toasts(),
    imports: new ImportJob(backend),
    shell: new ShellState(backend),
    now,
  };
}

export function provideApp(ctx: AppContext): void {
  setContext(KEY, ctx);
}

export function app(): AppContext {
  const ctx = getContext<AppContext | undefined>(KEY);
  if (!ctx) throw new Error('app context missing: render inside <App> or pass it in tests');
  return ctx;
}

/** Context map for `render(Component, { context })` in component tests. */
export function contextMap(ctx: AppContext): Map<symbol, AppContext> {
  return new Map([[KEY, ctx]]);
}
