/** Small helpers shared by the benchmark sections: seeded randomness, statistics, tables. */
import { mulberry32 } from '../../sim/prng.js';

/** Deterministic PRNG (the simulator's mulberry32): the same seed gives the same workload. */
export const rng = (seed: number): (() => number) => mulberry32(seed >>> 0 || 0x9e3779b9);

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Nearest-rank percentile of a sample (p in 0..100); undefined for an empty sample. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export interface Summary {
  n: number;
  p50?: number;
  p95?: number;
  p99?: number;
  max?: number;
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    p99: round(percentile(values, 99)),
    max: round(values.length ? Math.max(...values) : undefined),
  };
}

export function median(values: readonly number[]): number | undefined {
  return percentile(values, 50);
}

export function round(value: number | undefined, digits = 1): number | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Formats a number for a table cell; `-` when there is none. */
export function num(value: number | undefined, digits = 1): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export type Align = 'l' | 'r';

/** A fixed-width text table: a title line, a header, a rule, the rows. */
export function table(title: string, headers: string[], rows: string[][], align?: Align[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (text: string, i: number) => {
    const a = align?.[i] ?? (i === 0 ? 'l' : 'r');
    return a === 'l' ? text.padEnd(widths[i]!) : text.padStart(widths[i]!);
  };
  const line = (r: string[]) => r.map((c, i) => cell(c ?? '', i)).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [title, line(headers), rule, ...rows.map(line)].join('\n');
}

/** Keeps `concurrency` promises running over `items`. */
export async function pool<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  });
  await Promise.all(workers);
}
