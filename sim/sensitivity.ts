import type { SimJob } from './jobs.js';
import type { KpiKey } from './kpis.js';
import { markdownTable } from './markdown.js';
import type { PolicyResult } from './metrics.js';
import { dayLoad, modelWith, type DayKind, type ModelOverrides } from './model.js';
import { planJobs, type RunSettings } from './plan.js';
import { baselineKey, describeSeeds, formatInterval, summarise, type Summary } from './summary.js';
import { dayOptions, defaultWorkloadOptions, type WorkloadOptions } from './workload.js';

/**
 * The sensitivity grid (`npm run simulate -- --sensitivity`): does a policy's difference to B
 * hold on a lighter and a heavier day, and with free or costlier multitasking? Every cell is a day
 * kind × a slowdown α, run on the same seeds for every policy; all the cells' jobs go to the pool
 * at once. Pure: building the grid, grouping its results and the table; sim/main.ts runs it.
 */

export const sensitivityDays: readonly DayKind[] = ['light', 'default', 'overloaded'];
/** Free multitasking, the model's default, and a heavier cost (sim/README.md, The model). */
export const sensitivitySlowdowns: readonly number[] = [0, 0.09, 0.2];
/** The policies the grid compares unless `--policies` says otherwise. */
export const sensitivityPolicies = `${baselineKey},C`;

export interface SensitivityCell {
  day: DayKind;
  slowdown: number;
}

/** Every cell, days outer: light α 0, light α 0.09, …, overloaded α 0.2. */
export const sensitivityCells = (): SensitivityCell[] => sensitivityDays.flatMap((day) => sensitivitySlowdowns.map((slowdown) => ({ day, slowdown })));

/**
 * A cell's day (without its seed). `--conversations` gives the default day's size here, and the
 * light and overloaded cells scale it by their load as they scale the default size (outside the
 * grid an explicit size wins over `--day`): otherwise every day of the grid would be the same day.
 */
export function cellWorkload(cell: SensitivityCell, quick: boolean, size: Partial<WorkloadOptions>, model: ModelOverrides): Partial<WorkloadOptions> {
  const scaled = size.conversations === undefined ? size : { ...size, conversations: Math.max(1, Math.round(size.conversations * dayLoad[cell.day])) };
  return { ...dayOptions(cell.day, quick, scaled), model: modelWith({ ...model, slowdown: cell.slowdown }) };
}

export interface PlannedCell extends SensitivityCell {
  workload: Partial<WorkloadOptions>;
  /** Indexes of its jobs in the plan. */
  jobs: number[];
}

export interface SensitivityPlan {
  cells: PlannedCell[];
  jobs: SimJob[];
}

/** Every cell's jobs (seeds × policies), one list for the pool; `tag` names the batch's tables. */
export function planSensitivity(
  seeds: readonly number[],
  policyKeys: readonly string[],
  settings: RunSettings,
  tag: string,
  size: { quick: boolean; size: Partial<WorkloadOptions>; model: ModelOverrides },
): SensitivityPlan {
  const jobs: SimJob[] = [];
  const cells = sensitivityCells().map((cell) => {
    const workload = cellWorkload(cell, size.quick, size.size, size.model);
    const days = seeds.map((seed) => ({ ...workload, seed }));
    const batch = planJobs(days, policyKeys, settings, `${tag}-${cell.day}-a${cell.slowdown}`, jobs.length);
    jobs.push(...batch);
    return { ...cell, workload, jobs: batch.map((j) => j.index) };
  });
  return { cells, jobs };
}

export interface SensitivityResult extends SensitivityCell {
  customers: number;
  agents: number;
  hours: number;
  summary: Summary;
}

/** Each cell's summary over its seeds, from the plan's results (indexed as its jobs). */
export function summariseCells(plan: SensitivityPlan, results: readonly PolicyResult[]): SensitivityResult[] {
  return plan.cells.map((c) => {
    const w = { ...defaultWorkloadOptions, ...c.workload };
    return { day: c.day, slowdown: c.slowdown, customers: w.conversations, agents: w.agents, hours: w.dayHours, summary: summarise(c.jobs.map((i) => results[i]!)) };
  });
}

/** The table's columns for each policy but B: its paired difference to B on each. */
const compared: readonly { key: KpiKey; label: string }[] = [
  { key: 'gaveUpShare', label: 'gave up' },
  { key: 'firstReplyWithin2minShare', label: 'first reply ≤ 2 min' },
  { key: 'slaShare', label: 'SLA' },
  { key: 'resolvedPerAgentHour', label: 'resolved / agent-h' },
  { key: 'idleSlotsFullShare', label: 'idle, every slot full' },
];

/**
 * The grid as a markdown table: a row per cell; B's own gave-up share (how hard the day is), then
 * for each other policy its paired difference to B on the main KPIs, each with its 95% interval;
 * then a line saying what it is of and the command that produced it.
 */
export function formatSensitivityMarkdown(cells: readonly SensitivityResult[], context: { seeds: readonly number[]; commit?: string; command: string }): string {
  const others = [...new Set(cells.flatMap((c) => Object.keys(c.summary.policies)))].filter((k) => k !== baselineKey);
  const head = ['day', 'α', 'customers', `${baselineKey} gave up`, ...others.flatMap((k) => compared.map((c) => `${k} − ${baselineKey}: ${c.label}`))];
  const rows = cells.map((cell) => {
    const p = cell.summary.policies;
    return [
      cell.day,
      String(cell.slowdown),
      String(cell.customers),
      formatInterval('gaveUpShare', p[baselineKey]?.gaveUpShare),
      ...others.flatMap((k) => compared.map((c) => formatInterval(c.key, p[k]?.vsB?.[c.key], true) || 'n/a')),
    ];
  });
  const first = cells[0];
  const agents = first ? `${first.agents} agents, ${first.hours} h; ` : '';
  const line =
    `Each cell: ${describeSeeds(context.seeds)}, the same days for every policy; ${agents}` +
    `${context.seeds.length > 1 ? 'mean with its 95% interval [lo, hi]' : 'one seed: no intervals'}; ` +
    `policy − ${baselineKey}: the paired difference by seed (pts: percentage points)` +
    `${context.commit ? `; domain ${context.commit}` : ''}. \`${context.command}\``;
  return `${markdownTable(head, rows)}\n\n${line}\n`;
}
