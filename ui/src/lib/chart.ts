// Axis arithmetic for the hand-rolled SVG charts.

/** A "nice" step (1, 2 or 5 × 10^n) at least as large as `raw`. */
export function niceStep(raw: number): number {
  const pow = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  const m = raw / pow;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * pow;
}

/** Tick values from 0 up to `max`, about four steps, each a nice number. */
export function axisTicks(max: number): number[] {
  const step = niceStep(max / 4);
  const ticks: number[] = [];
  for (let v = 0; v <= max; v += step) ticks.push(v);
  return ticks;
}
