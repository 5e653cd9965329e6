// Shared helpers for component tests: a fixed clock, an app context around a backend, and
// synthetic invoice rows for tables far larger than any seeded data set.

import { render } from '@testing-library/svelte';
import type { Component } from 'svelte';
import type { Backend, InvoiceRow } from '../lib/backend/types';
import { contextMap, createAppContext, type AppContext } from '../lib/context';
import { syncFromLocation } from '../lib/router.svelte';

/** 20 Nov 2026, 14:00 Warsaw time: every test sees the same "now". */
export const NOW = Date.UTC(2026, 10, 20, 13, 0);

export function contextFor(backend: Backend): AppContext {
  return createAppContext(backend, () => NOW);
}

export function renderIn<Props extends Record<string, unknown>>(
  component: Component<Props>,
  ctx: AppContext,
  props: Props,
) {
  // The library's option type cannot be resolved for a generic component; the props are
  // checked against the component's own Props above.
  const options = { props, context: contextMap(ctx) } as unknown as Parameters<typeof render<Component<Props>>>[1];
  return render(component, options);
}

export function goTo(hash: string): void {
  history.replaceState(null, '', hash);
  syncFromLocation();
}

/** Row `index` of a synthetic result set; ids are index + 1 so the two are easy to tell apart. */
export function syntheticRow(index: number): InvoiceRow {
  return {
    id: index + 1,
    invoice_number: `FV/${index}`,
    counterparty_name: `Kontrahent ${index % 97}`,
    counterparty_nip: '5260250274',
    issue_date: '2026-11-02',
    gross_minor: 100 * index,
    currency: 'PLN',
    state: index % 10 === 0 ? 'rejected' : 'accepted',
    ksef_number: null,
    has_upo: false,
    error_code: null,
    last_event_at: NOW - index * 1000,
  };
}
