// Transient notices ("Saved file …") and backend errors rendered through the dictionary.

import type { BackendError } from './backend/types';

/** How long a success notice stays visible; errors stay until dismissed. */
export const NOTICE_VISIBLE_MS = 6_000;

export interface Toast {
  id: number;
  kind: 'success' | 'error';
  text: string;
  error: BackendError | null;
}

export class Toasts {
  items = $state<Toast[]>([]);
  private nextId = 1;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;

  constructor(setTimer: (fn: () => void, ms: number) => unknown = (fn, ms) => setTimeout(fn, ms)) {
    this.setTimer = setTimer;
  }

  success(text: string): void {
    const id = this.nextId++;
    this.items.push({ id, kind: 'success', text, error: null });
    this.setTimer(() => this.dismiss(id), NOTICE_VISIBLE_MS);
  }

  error(error: BackendError): void {
    this.items.push({ id: this.nextId++, kind: 'error', text: '', error });
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}
