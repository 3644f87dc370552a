import { meanInterval, pairedDifference, type Interval } from './intervals.js';
import { kpiDefinitions, type KpiKey, type Kpis } from './kpis.js';
import { markdownTable } from './markdown.js';
import { formatDuration } from './report.js';

/**
 * The machine-readable summary of a run over N seeds (`summary.json`): for every policy and KPI
 * the mean over seeds with its 95% t-interval, and `vsB`, the paired difference to the baseline B
 * on the same seeds (this policy minus B). B's own `vsB` is left out (it would be zeros), and so is
 * every policy's when B did not run. Intervals are null with one seed. In the JSON, a null `mean`
 * is a percentile that was infinite on some seed (more than that share of the customers were never
 * answered), or a difference that is not defined (infinite on some seed, sim/intervals.ts).
 */

export const baselineKey = 'B';

export type KpiIntervals = Record<KpiKey, Interval>;
export interface PolicySummary extends KpiIntervals {
  vsB?: KpiIntervals;
}
export interface Summary {
  policies: Record<string, PolicySummary>;
}

/** One run's KPIs, as the summary needs them. */
export interface RunKpis {
  key: string;
  seed: number;
  kpis: Kpis;
}

export class UnpairedSeedsError extends Error {
  constructor(policy: string, seeds: readonly number[], baselineSeeds: readonly number[]) {
    super(`policy ${policy} ran on seeds ${seeds.join(',')} but ${baselineKey} on ${baselineSeeds.join(',')}: differences need the same seeds`);
    this.name = 'UnpairedSeedsError';
  }
}

/** Every run of each policy, by seed (ascending): the order that pairs policies seed by seed. */
function bySeed(runs: readonly RunKpis[]): Map<string, RunKpis[]> {
  const out = new Map<string, RunKpis[]>();
  for (const r of runs) out.set(r.key, [...(out.get(r.key) ?? []), r]);
  for (const list of out.values()) list.sort((a, b) => a.seed - b.seed);
  return out;
}

/**
 * A KPI's own interval clipped to the values it can take (every KPI is at least 0, a share at most
 * 1): with few seeds a t-interval may reach past them. Differences are not clipped.
 */
function withinRange(unit: string, i: Interval): Interval {
  const clip = (x: number | null) => (x === null ? null : Math.min(unit === 'share' ? 1 : Infinity, Math.max(0, x)));
  return { mean: i.mean, lo: clip(i.lo), hi: clip(i.hi) };
}

export function summarise(runs: readonly RunKpis[]): Summary {
  const groups = bySeed(runs);
  const baseline = groups.get(baselineKey);
  const policies: Record<string, PolicySummary> = {};
  for (const [key, list] of groups) {
    const column = (kpi: KpiKey, of: readonly RunKpis[]) => of.map((r) => r.kpis[kpi]);
    const own = Object.fromEntries(kpiDefinitions.map((d) => [d.key, withinRange(d.unit, meanInterval(column(d.key, list)))])) as KpiIntervals;
    const summary: PolicySummary = own;
    if (baseline && key !== baselineKey) {
      const seeds = list.map((r) => r.seed);
      const baseSeeds = baseline.map((r) => r.seed);
      if (seeds.join() !== baseSeeds.join()) throw new UnpairedSeedsError(key, seeds, baseSeeds);
      summary.vsB = Object.fromEntries(kpiDefinitions.map((d) => [d.key, pairedDifference(column(d.key, list), column(d.key, baseline))])) as KpiIntervals;
    }
    policies[key] = summary;
  }
  return { policies };
}

// ---- the printed table ------------------------------------------------------------------------

const unitOf = new Map(kpiDefinitions.map((d) => [d.key, d.unit]));

/**
 * One KPI value as the table shows it (`difference`: signed, shares in percentage points;
 * `bare`: a share without its unit, for an interval's bounds).
 */
export function formatKpi(key: KpiKey, value: number | null, difference = false, bare = false): string {
  if (value === null || Number.isNaN(value)) return difference ? 'n/a' : '-';
  const sign = difference && value > 0 ? '+' : '';
  if (value === Infinity) return difference ? '+inf' : 'never';
  if (value === -Infinity) return '-inf';
  switch (unitOf.get(key)) {
    case 'share':
      return `${sign}${(100 * value).toFixed(1)}${bare ? '' : difference ? ' pts' : '%'}`;
    case 'seconds':
      // An interval's bound may be negative (a t-interval over few seeds): signed like a difference.
      return `${value < 0 ? '-' : sign}${formatDuration(Math.abs(value))}`;
    case 'rate':
      return `${sign}${value.toFixed(2)}`;
    default:
      return `${sign}${value.toFixed(1)}`;
  }
}

/** `mean [lo, hi]`, or the mean alone without an interval. */
export function formatInterval(key: KpiKey, i: Interval | undefined, difference = false): string {
  if (!i) return '';
  const mean = formatKpi(key, i.mean, difference);
  if (i.lo === null || i.hi === null) return mean;
  return `${mean} [${formatKpi(key, i.lo, difference, true)}, ${formatKpi(key, i.hi, difference, true)}]`;
}

/**
 * The summary as a fixed-width table: a row per KPI; a column per policy (mean over seeds and
 * 95% interval), then one per policy other than B (its paired difference to B).
 */
export function formatSummaryTable(summary: Summary, labels: Record<string, string>, seeds: number): string {
  const keys = Object.keys(summary.policies);
  const head = [`KPI (mean of ${seeds} seed${seeds === 1 ? '' : 's'}${seeds > 1 ? ', 95% CI' : ''})`, ...keys.map((k) => labels[k] ?? k)];
  const cells = (d: (typeof kpiDefinitions)[number]) => [d.label, ...keys.map((k) => formatInterval(d.key, summary.policies[k]![d.key]))];
  const diffKeys = keys.filter((k) => summary.policies[k]!.vsB);
  for (const k of diffKeys) head.push(`${k} - ${baselineKey}`);
  const rows = kpiDefinitions.map((d) => [...cells(d), ...diffKeys.map((k) => formatInterval(d.key, summary.policies[k]!.vsB![d.key], true))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  if (seeds === 1) out.push('', 'One seed: no confidence intervals (run --seeds N with N >= 2 for 95% intervals).');
  else if (diffKeys.length > 0) out.push('', `Differences are paired by seed (the same days for every policy): a 95% interval that excludes 0 is unlikely to be seed noise.`);
  if (!summary.policies[baselineKey] && keys.length > 0) out.push(`No differences: policy ${baselineKey} did not run.`);
  return out.join('\n');
}

// ---- the published table ----------------------------------------------------------------------

/** What a summary is of: the line under its markdown table and its chart's subtitle say so. */
export interface SummaryContext {
  seeds: readonly number[];
  day: string;
  slowdown: number;
  customers: number;
  agents: number;
  hours: number;
  /** The domain code's commit (`+`: uncommitted changes in shared/). */
  commit?: string;
  /** The command that reproduces the figures. */
  command: string;
}

/** `3 seeds (42–44)`, or `1 seed (42)`. */
export const describeSeeds = (seeds: readonly number[]): string =>
  seeds.length === 1 ? `1 seed (${seeds[0]})` : `${seeds.length} seeds (${seeds[0]}–${seeds.at(-1)})`;

/** `3 seeds (42–44); default day: 500 customers, 7 agents, 8 h; slowdown 0.09; domain 4eabf8f`. */
export function describeContext(c: SummaryContext): string {
  return [
    describeSeeds(c.seeds),
    `${c.day} day: ${c.customers} customers, ${c.agents} agents, ${c.hours} h`,
    `slowdown ${c.slowdown}`,
    ...(c.commit ? [`domain ${c.commit}`] : []),
  ].join('; ');
}

/**
 * The summary as a markdown table (summary.md, and the README's between its markers): a row per
 * KPI; a column per policy (`mean [lo, hi]`), then one per policy other than B (its paired
 * difference to B), then a line saying what it is of and the command that produced it.
 */
export function formatSummaryMarkdown(summary: Summary, labels: Record<string, string>, context: SummaryContext): string {
  const keys = Object.keys(summary.policies);
  const diffKeys = keys.filter((k) => summary.policies[k]!.vsB);
  const head = ['KPI', ...keys.map((k) => labels[k] ?? k), ...diffKeys.map((k) => `${k} − ${baselineKey}`)];
  const rows = kpiDefinitions.map((d) => [
    d.label,
    ...keys.map((k) => formatInterval(d.key, summary.policies[k]![d.key])),
    ...diffKeys.map((k) => formatInterval(d.key, summary.policies[k]!.vsB![d.key], true)),
  ]);
  const intervals = context.seeds.length > 1 ? 'mean over the seeds with its 95% interval [lo, hi]' : 'one seed: no intervals';
  const differences = diffKeys.length > 0 ? `; ${diffKeys.map((k) => `${k} − ${baselineKey}`).join(', ')}: the paired difference by seed (pts: percentage points)` : '';
  return `${markdownTable(head, rows)}\n\n${describeContext(context)}; ${intervals}${differences}. \`${context.command}\`\n`;
}
