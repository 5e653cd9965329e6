// The UI's lists of states and environments cover exactly the unions generated from Rust, so a
// new state added in desk-api fails the type check here instead of silently missing from filters.

import { describe, expect, expectTypeOf, it } from 'vitest';
import { ENVIRONMENTS, INVOICE_STATES, type Environment, type InvoiceState } from './types';

describe('contract lists', () => {
  it('name every invoice state exactly once', () => {
    expectTypeOf<Exclude<InvoiceState, (typeof INVOICE_STATES)[number]>>().toBeNever();
    expect(new Set(INVOICE_STATES).size).toBe(INVOICE_STATES.length);
  });

  it('name every environment exactly once', () => {
    expectTypeOf<Exclude<Environment, (typeof ENVIRONMENTS)[number]>>().toBeNever();
    expect(new Set(ENVIRONMENTS).size).toBe(ENVIRONMENTS.length);
  });
});
