import { describe, expect, it } from 'vitest';
import { kpiDefinitions, type Kpis } from '../../sim/kpis.js';
import type { PolicyResult } from '../../sim/metrics.js';
import { cellWorkload, formatSensitivityMarkdown, planSensitivity, sensitivityCells, summariseCells } from '../../sim/sensitivity.js';

const settings = { sweepSeconds: 60, idlePollSeconds: 300, sampleSeconds: 120 };
const kpis = (over: Partial<Kpis>): Kpis => ({ ...(Object.fromEntries(kpiDefinitions.map((d) => [d.key, 0])) as unknown as Kpis), ...over });

describe('sim sensitivity grid', () => {
  it('is every day kind × every slowdown: 9 cells', () => {
    const cells = sensitivityCells();
    expect(cells).toHaveLength(9);
    expect(new Set(cells.map((c) => `${c.day}/${c.slowdown}`)).size).toBe(9);
    expect(cells.map((c) => c.slowdown)).toEqual([0, 0.09, 0.2, 0, 0.09, 0.2, 0, 0.09, 0.2]);
    expect(cells.map((c) => c.day)).toEqual(['light', 'light', 'light', 'default', 'default', 'default', 'overloaded', 'overloaded', 'overloaded']);
  });

  it("sets each cell's slowdown and scales an explicit size by the day's load, so the days differ", () => {
    const size = { conversations: 20, agents: 2, dayHours: 0.5 };
    const light = cellWorkload({ day: 'light', slowdown: 0 }, true, size, { switchSeconds: 5 });
    const heavy = cellWorkload({ day: 'overloaded', slowdown: 0.2 }, true, size, { switchSeconds: 5 });
    expect([light.conversations, heavy.conversations]).toEqual([14, 26]);
    expect([light.agents, light.dayHours]).toEqual([2, 0.5]);
    expect([light.model!.slowdown, heavy.model!.slowdown]).toEqual([0, 0.2]);
    // Other model flags hold in every cell.
    expect(heavy.model!.switchSeconds).toBe(5);
    // Without a size, the mode's own (--quick: 120 customers) scaled as --day scales it.
    expect(cellWorkload({ day: 'overloaded', slowdown: 0.09 }, true, {}, {}).conversations).toBe(156);
    expect(cellWorkload({ day: 'default', slowdown: 0.09 }, false, {}, {}).conversations).toBe(500);
  });

  it('plans one job per cell, seed and policy, indexed in one list, each with tables of its own', () => {
    const plan = planSensitivity([42, 43], ['B', 'C'], settings, 'simx', { quick: true, size: {}, model: {} });
    expect(plan.jobs).toHaveLength(9 * 2 * 2);
    expect(plan.jobs.map((j) => j.index)).toEqual(plan.jobs.map((_, i) => i));
    expect(new Set(plan.jobs.map((j) => j.tablePrefix)).size).toBe(plan.jobs.length);
    expect(plan.cells.flatMap((c) => c.jobs).sort((a, b) => a - b)).toEqual(plan.jobs.map((j) => j.index));
    for (const cell of plan.cells) {
      const jobs = cell.jobs.map((i) => plan.jobs[i]!);
      // Seeds outer, policies inner: both policies on the same days (paired).
      expect(jobs.map((j) => `${j.workload.seed}${j.policyKey}`)).toEqual(['42B', '42C', '43B', '43C']);
      for (const j of jobs) expect(j.workload.model!.slowdown).toBe(cell.slowdown);
    }
  });

  it("summarises each cell from its own jobs' results, and tabulates B's gave-up share and each policy's difference to B", () => {
    const plan = planSensitivity([1, 2], ['B', 'C'], settings, 'simx', { quick: true, size: { conversations: 20 }, model: {} });
    // C gives up 2 points less than B everywhere, and the more so the heavier the cell.
    const results = plan.jobs.map((job) => {
      const cell = plan.cells.find((c) => c.jobs.includes(job.index))!;
      const base = 0.3 + cell.slowdown + (job.workload.seed === 2 ? 0.1 : 0);
      const gaveUpShare = job.policyKey === 'B' ? base : base - 0.02;
      return { key: job.policyKey, seed: job.workload.seed!, kpis: kpis({ gaveUpShare, resolvedPerAgentHour: 2 }) } as unknown as PolicyResult;
    });
    const cells = summariseCells(plan, results);
    expect(cells).toHaveLength(9);
    const overloaded = cells.find((c) => c.day === 'overloaded' && c.slowdown === 0.2)!;
    expect(overloaded.customers).toBe(26);
    expect(overloaded.summary.policies.B!.gaveUpShare.mean).toBeCloseTo(0.55);
    expect(overloaded.summary.policies.C!.vsB!.gaveUpShare.mean).toBeCloseTo(-0.02);

    const md = formatSensitivityMarkdown(cells, { seeds: [1, 2], commit: 'abc', command: 'npm run simulate -- --sensitivity --quick' });
    const rows = md.split('\n').filter((l) => l.startsWith('|')).map((l) => l.slice(1, -1).split('|').map((c) => c.trim()));
    expect(rows[0]).toEqual([
      'day',
      'α',
      'customers',
      'B gave up',
      'C − B: gave up',
      'C − B: first reply ≤ 2 min',
      'C − B: SLA',
      'C − B: resolved / agent-h',
      'C − B: idle, every slot full',
    ]);
    expect(rows).toHaveLength(2 + 9);
    const last = rows.at(-1)!;
    expect(last.slice(0, 3)).toEqual(['overloaded', '0.2', '26']);
    expect(last[3]).toMatch(/^55\.0% \[/);
    expect(last[4]).toBe('-2.0 pts [-2.0, -2.0]');
    expect(last[7]).toBe('0.00 [0.00, 0.00]');
    expect(md).toContain('2 seeds (1–2)');
    expect(md).toContain('`npm run simulate -- --sensitivity --quick`');
  });
});
