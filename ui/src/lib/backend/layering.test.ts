// Architecture invariant, checked mechanically: only lib/backend/tauri.ts imports @tauri-apps/*,
// so every view works against the Backend interface and can run on the mock.

import { describe, expect, it } from 'vitest';

const sources = import.meta.glob<string>(['../../**/*.ts', '../../**/*.svelte', '!../../**/*.test.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
});

describe('layering', () => {
  it('keeps @tauri-apps imports inside the Tauri backend adapter', () => {
    const offenders = Object.entries(sources)
      .filter(([, text]) => /from\s+['"]@tauri-apps\//.test(text))
      .map(([path]) => path);
    expect(Object.keys(sources).length).toBeGreaterThan(20);
    expect(offenders).toEqual(['./tauri.ts']);
  });
});
