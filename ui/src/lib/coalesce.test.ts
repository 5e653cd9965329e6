// A burst of change events costs one re-read plus one catch-up, not one per event.

import { describe, expect, it } from 'vitest';
import { coalesce } from './coalesce';

describe('coalesce', () => {
  it('runs once for the first call and once more for everything that arrived meanwhile', async () => {
    const releases: (() => void)[] = [];
    let runs = 0;
    const refresh = coalesce(async () => {
      runs += 1;
      await new Promise<void>((resolve) => releases.push(resolve));
    });
    void refresh();
    for (let i = 0; i < 10; i++) void refresh();
    expect(runs).toBe(1);
    releases.shift()?.();
    await Promise.resolve();
    await Promise.resolve();
    expect(runs).toBe(2);
    releases.shift()?.();
    await Promise.resolve();
    await Promise.resolve();
    expect(runs).toBe(2);
  });

  it('keeps working after a failed run', async () => {
    let runs = 0;
    const refresh = coalesce(async () => {
      runs += 1;
      if (runs === 1) throw new Error('backend down');
    });
    await expect(refresh()).rejects.toThrow('backend down');
    await refresh();
    expect(runs).toBe(2);
  });
});
