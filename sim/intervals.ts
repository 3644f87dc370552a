/**
 * 95% confidence intervals over seeds: Student's t on a KPI's per-seed values, and on the per-seed
 * differences between a policy and the baseline when both ran on the same seeds (paired: each
 * seed is the same day for every policy, so the day's own luck cancels out of the difference).
 * Pure; the t quantile is computed, not looked up, so any number of seeds works.
 */

/** A mean with the bounds of its 95% interval; `lo`/`hi` are null with one seed (no spread to measure). */
export interface Interval {
  mean: number;
  lo: number | null;
  hi: number | null;
}

export const confidence = 0.95;

/** ln Γ(x) for x > 0 (Lanczos, g = 7, nine terms: about 15 significant digits). */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The continued fraction of the regularised incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = 1 + aa / c;
    c = Math.abs(c) < tiny ? tiny : c;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = 1 + aa / c;
    c = Math.abs(c) < tiny ? tiny : c;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The t with P(T ≤ t) = p (0.5 ≤ p < 1), by bisection on the CDF: t(0.975, 1) = 12.706, t(0.975, 9) = 2.262. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p >= 0.5 && p < 1)) throw new RangeError(`quantile ${p} is not within [0.5, 1)`);
  if (!(df >= 1)) throw new RangeError(`degrees of freedom ${df} must be at least 1`);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The mean of `values` and its 95% t-interval (mean ± t(0.975, n−1)·s/√n). One value: the mean
 * and no interval. An infinite value (a percentile over customers never answered, sim/kpis.ts)
 * makes the mean infinite and the interval meaningless: `Infinity` and no bounds.
 */
export function meanInterval(values: readonly number[]): Interval {
  if (values.length === 0) throw new RangeError('an interval needs at least one value');
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n === 1 || !Number.isFinite(mean)) return { mean, lo: null, hi: null };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  const half = studentTQuantile(1 - (1 - confidence) / 2, n - 1) * Math.sqrt(variance / n);
  return { mean, lo: mean - half, hi: mean + half };
}

/**
 * The paired difference `a − b` over the same seeds (a[i] and b[i] ran on seed i): the mean of the
 * per-seed differences and its t-interval. NaN (no difference defined: both infinite on a seed)
 * when either side is infinite on some seed.
 */
export function pairedDifference(a: readonly number[], b: readonly number[]): Interval {
  if (a.length !== b.length) throw new RangeError(`paired samples differ in length (${a.length} and ${b.length})`);
  const differences = a.map((x, i) => x - b[i]!);
  if (differences.some((d) => !Number.isFinite(d))) return { mean: Number.NaN, lo: null, hi: null };
  return meanInterval(differences);
}

/** Whether the interval lies entirely on one side of zero (the difference is unlikely to be seed noise). */
export const excludesZero = (i: Interval): boolean => i.lo !== null && i.hi !== null && (i.lo > 0 || i.hi < 0);
