import type { PolicyResult } from './metrics.js';
import { barChartSvg } from './svg.js';

/** Seconds as `m:ss` (or `h:mm:ss`); a dash when there is nothing to show. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

interface Column {
  head: string;
  cell: (r: PolicyResult) => string;
  left?: boolean;
}

const pct = (x: number) => (Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`);
const time = (x: number) => (x === Infinity ? 'never' : Number.isNaN(x) ? '-' : formatDuration(x));

/** Each run's honest KPIs (sim/kpis.ts), one row per policy and seed. */
const columns: Column[] = [
  { head: 'policy', cell: (r) => r.label, left: true },
  { head: 'seed', cell: (r) => String(r.seed) },
  { head: 'gave up', cell: (r) => pct(r.kpis.gaveUpShare) },
  { head: '1st<=2m', cell: (r) => pct(r.kpis.firstReplyWithin2minShare) },
  { head: 'SLA', cell: (r) => pct(r.kpis.slaShare) },
  { head: 'engaged p50/p90', cell: (r) => `${time(r.kpis.engagedFirstReplyP50Seconds)}/${time(r.kpis.engagedFirstReplyP90Seconds)}` },
  { head: 'slow p50/p90', cell: (r) => `${time(r.kpis.slowFirstReplyP50Seconds)}/${time(r.kpis.slowFirstReplyP90Seconds)}` },
  { head: 'resolved/agent-h', cell: (r) => (Number.isNaN(r.kpis.resolvedPerAgentHour) ? '-' : r.kpis.resolvedPerAgentHour.toFixed(2)) },
  { head: 'wasted', cell: (r) => String(r.kpis.wastedReplies) },
  { head: 'idle full', cell: (r) => pct(r.kpis.idleSlotsFullShare) },
  { head: 'overruns', cell: (r) => `${r.kpis.overruns} (peak ${r.metrics.capacity.maxActiveSeen})` },
];

export function formatTable(results: readonly PolicyResult[]): string {
  const rows = results.map((r) => columns.map((c) => c.cell(r)));
  const widths = columns.map((c, i) => Math.max(c.head.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (columns[i]!.left ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(columns.map((c) => c.head)), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export const policyColors = ['#9e9e9e', '#c9a227', '#4f81bd', '#2e7d32', '#8e44ad'];

export function resultsSvg(results: readonly PolicyResult[], subtitle: string): string {
  const minutes = (s: number | undefined) => (s === undefined ? undefined : s / 60);
  return barChartSvg({
    title: 'Tide routing simulation: one contact-center day, same workload per policy',
    subtitle,
    series: results.map((r, i) => ({ label: r.label, color: policyColors[i % policyColors.length]! })),
    columns: 3,
    panels: [
      { title: 'First response p50 (min)', note: 'lower is better; only customers who got one', values: results.map((r) => minutes(r.metrics.firstResponse.all.p50)), format: (v) => v.toFixed(1) },
      { title: 'First response p90 (min)', note: 'lower is better; only customers who got one', values: results.map((r) => minutes(r.metrics.firstResponse.all.p90)), format: (v) => v.toFixed(1) },
      { title: 'Engaged: first response p90 (min)', note: 'lower is better', values: results.map((r) => minutes(r.metrics.firstResponse.engaged.p90)), format: (v) => v.toFixed(1) },
      { title: 'Customers who gave up waiting', note: 'lower is better; no agent message within their patience', values: results.map((r) => r.metrics.abandoned), format: (v) => v.toFixed(0) },
      { title: 'SLA attainment (answered in 2 min)', note: 'higher is better; every customer question', values: results.map((r) => (r.metrics.slaAttainment === undefined ? undefined : r.metrics.slaAttainment * 100)), format: (v) => `${v.toFixed(0)}%`, max: 100 },
      { title: 'Resolved customers per agent-hour', note: 'all questions answered; higher is better', values: results.map((r) => r.metrics.resolvedPerAgentHour), format: (v) => v.toFixed(2) },
      { title: 'Handled per agent-hour', note: 'conversations closed with a reply (A2: idle closes count)', values: results.map((r) => r.metrics.handledPerAgentHour), format: (v) => v.toFixed(2) },
      { title: 'Agent utilisation', note: 'share of on-shift time composing replies', values: results.map((r) => (r.metrics.utilisation === undefined ? undefined : r.metrics.utilisation * 100)), format: (v) => `${v.toFixed(0)}%`, max: 100 },
      { title: 'Idle, slots full, work queued', note: 'share of on-shift time; capacity limit binding', values: results.map((r) => { const f = r.diagnostics.floor; return f.onShift ? (100 * f.idleSlotsFull) / f.onShift : undefined; }), format: (v) => `${v.toFixed(0)}%`, max: 100 },
    ],
  });
}
