// Chart axes use round numbers and never run past the data.

import { describe, expect, it } from 'vitest';
import { axisTicks, niceStep } from './chart';

describe('chart axis', () => {
  it('rounds steps up to 1, 2 or 5 times a power of ten', () => {
    expect([0.4, 1, 1.5, 3, 7, 12, 26, 240].map(niceStep)).toEqual([1, 1, 2, 5, 10, 20, 50, 500]);
  });

  it('ticks start at zero and stay within the maximum', () => {
    expect(axisTicks(80)).toEqual([0, 20, 40, 60, 80]);
    expect(axisTicks(150)).toEqual([0, 50, 100, 150]);
    expect(axisTicks(1)).toEqual([0, 1]);
  });
});
