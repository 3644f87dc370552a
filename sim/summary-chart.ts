import type { Interval } from './intervals.js';
import { kpiDefinitions, type KpiKey } from './kpis.js';
import { policyColors } from './report.js';
import { describeContext, formatKpi, type Summary, type SummaryContext } from './summary.js';
import { barChartSvg, type Bounds } from './svg.js';

/**
 * The summary as a chart (summary.svg): a panel per KPI, a bar per policy at its mean over the
 * seeds, with its 95% interval as a whisker, the value printed as the tables print it.
 */

/** The KPIs charted, in kpiDefinitions' order: the slow customers' and the p50 percentiles stay in the tables. */
export const chartedKpis: readonly KpiKey[] = [
  'gaveUpShare',
  'firstReplyWithin2minShare',
  'slaShare',
  'engagedFirstReplyP90Seconds',
  'resolvedPerAgentHour',
  'wastedReplies',
  'idleSlotsFullShare',
  'overruns',
];

/**
 * What a mean that cannot be drawn says instead: an infinite percentile (some seed had more than
 * that share of the type never answered; null once through JSON) is "never", anything else "n/a".
 */
function missingLabel(unit: string, mean: number | null): string {
  return mean === Infinity || (mean === null && unit === 'seconds') ? 'never' : 'n/a';
}

const drawable = (x: number | null): x is number => x !== null && Number.isFinite(x);

export function summarySvg(summary: Summary, labels: Record<string, string>, context: SummaryContext): string {
  const keys = Object.keys(summary.policies);
  const of = (key: KpiKey): Interval[] => keys.map((k) => summary.policies[k]![key]);
  return barChartSvg({
    title: 'Tide routing simulation: KPIs by policy, mean over paired seeds with 95% intervals',
    subtitle: describeContext(context),
    series: keys.map((k, i) => ({ label: labels[k] ?? k, color: policyColors[i % policyColors.length]! })),
    columns: 4,
    panels: kpiDefinitions
      .filter((d) => chartedKpis.includes(d.key))
      .map((d) => ({
        title: d.label,
        note: `${d.better} is better`,
        values: of(d.key).map((i) => (drawable(i.mean) ? i.mean : undefined)),
        intervals: of(d.key).map((i): Bounds | undefined => (drawable(i.lo) && drawable(i.hi) ? { lo: i.lo, hi: i.hi } : undefined)),
        missing: of(d.key).map((i) => (drawable(i.mean) ? undefined : missingLabel(d.unit, i.mean))),
        format: (v: number) => formatKpi(d.key, v),
        max: d.unit === 'share' ? 1 : undefined,
      })),
  });
}
