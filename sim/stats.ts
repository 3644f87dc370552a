/** Small statistics helpers for the report. */

/**
 * The p-th percentile (0 ≤ p ≤ 100) by linear interpolation between closest ranks (the
 * "R-7" / NumPy default definition). Undefined for an empty sample.
 *
 * `Infinity` is a value like any other (a customer never answered: sim/kpis.ts): it sorts last,
 * and a percentile that falls on it, or between it and a finite value, is `Infinity`.
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is not within 0..100`);
  const sorted = [...values].sort((a, b) => a - b);
  const position = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const weight = position - lower;
  // Exactly on a rank: that value (∞ − x times 0 would be NaN).
  if (weight === 0 || sorted[lower] === sorted[upper]) return sorted[lower]!;
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * weight;
}

export function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((s, v) => s + v, 0) / values.length;
}

/** A fraction, or undefined when nothing was counted. */
export const ratio = (part: number, whole: number): number | undefined => (whole === 0 ? undefined : part / whole);
