// Vitest setup: jsdom lacks layout, so the table's viewport gets a fixed height here.

import { cleanup } from '@testing-library/svelte';
import { afterEach } from 'vitest';

/** Viewport height the virtualised table sees in tests: 20 rows below a 32 px header. */
export const TEST_VIEWPORT_PX = 32 + 20 * 28;

Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
  configurable: true,
  get(this: HTMLElement) {
    return this.getAttribute('role') === 'grid' ? TEST_VIEWPORT_PX : 0;
  },
});

afterEach(() => {
  cleanup();
  // replaceState, not location.hash: no late hashchange event may reach the next test.
  history.replaceState(null, '', '#');
});
