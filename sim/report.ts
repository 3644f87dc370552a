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

const pct = (x: number | undefined, digits = 0) => (x === undefined ? '-' : `${(x * 100).toFixed(digits)}%`);
const num = (x: number | undefined, digits = 2) => (x === undefined ? '-' : x.toFixed(digits));

interface Column {
  head: string;
  width: number;
  cell: (r: PolicyResult) => string;
  left?: boolean;
}

const columns: Column[] = [
  { head: 'policy', width: 31, cell: (r) => r.label, left: true },
  { head: 'FRT p50', width: 8, cell: (r) => formatDuration(r.metrics.firstResponse.all.p50) },
  { head: 'FRT p90', width: 8, cell: (r) => formatDuration(r.metrics.firstResponse.all.p90) },
  { head: 'engaged p50/p90', width: 16, cell: (r) => `${formatDuration(r.metrics.firstResponse.engaged.p50)}/${formatDuration(r.metrics.firstResponse.engaged.p90)}` },
  { head: 'slow p50/p90', width: 16, cell: (r) => `${formatDuration(r.metrics.firstResponse.slow.p50)}/${formatDuration(r.metrics.firstResponse.slow.p90)}` },
  { head: 'SLA<=2m', width: 8, cell: (r) => pct(r.metrics.slaAttainment) },
  { head: 'gave up', width: 8, cell: (r) => String(r.metrics.abandoned) },
  { head: 'unans.', width: 7, cell: (r) => String(r.metrics.unansweredAtEnd) },
  { head: 'handled/agent-h', width: 15, cell: (r) => num(r.metrics.handledPerAgentHour) },
  { head: 'resolved/agent-h', width: 16, cell: (r) => num(r.metrics.resolvedPerAgentHour) },
  { head: 'util', width: 6, cell: (r) => pct(r.metrics.utilisation) },
  { head: 'overruns max/pref', width: 18, cell: (r) => `${r.metrics.capacity.overMax}/${r.metrics.capacity.overPreferredUnexplained} (peak ${r.metrics.capacity.maxActiveSeen})` },
];

export function formatTable(results: readonly PolicyResult[]): string {
  const line = (cells: string[]) =>
    cells.map((c, i) => (columns[i]!.left ? c.padEnd(columns[i]!.width) : c.padStart(columns[i]!.width))).join(' ');
  const rows = [line(columns.map((c) => c.head)), line(columns.map((c) => '-'.repeat(c.width)))];
  for (const r of results) rows.push(line(columns.map((c) => c.cell(r))));
  return rows.join('\n');
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
