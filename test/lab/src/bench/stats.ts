/** Summaries of timing samples: nearest-rank percentiles, no interpolation. */

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return {
    n: s.length,
    min: s[0] ?? Number.NaN,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? Number.NaN,
    mean: s.length ? sum / s.length : Number.NaN,
  };
}

/** Formats milliseconds for tables: 0.42, 3.1, 154, 2 410. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return Math.round(ms).toLocaleString('en-US');
}

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

export function fmtPct(fraction: number): string {
  if (!Number.isFinite(fraction)) return '–';
  const pct = fraction * 100;
  return (pct === 100 || pct === 0 ? pct.toFixed(0) : pct.toFixed(1)) + ' %';
}

/** Least-squares slope of y over x (e.g. MB per minute), NaN for fewer than two points. */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

/**
 * Slope of the lower envelope: the minimum of each `windowS`-second window, then least squares.
 * Short spikes (a second capture ring during a step roll) do not move it; steady growth does.
 */
export function envelopeSlope(points: readonly (readonly [number, number])[], windowS: number): number {
  const windows = new Map<number, [number, number]>();
  for (const [x, y] of points) {
    const k = Math.floor(x / windowS);
    const cur = windows.get(k);
    if (!cur || y < cur[1]) windows.set(k, [x, y]);
  }
  return slope([...windows.values()]);
}
