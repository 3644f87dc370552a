import { describe, expect, it } from 'vitest';
import { kpiDefinitions, type Kpis } from '../../sim/kpis.js';
import { markdownTable } from '../../sim/markdown.js';
import { formatSummaryMarkdown, summarise, type SummaryContext } from '../../sim/summary.js';

const kpis = (over: Partial<Kpis>): Kpis => ({ ...(Object.fromEntries(kpiDefinitions.map((d) => [d.key, 0])) as unknown as Kpis), ...over });

/** The cells of a markdown table's rows (the header, the rule, then the body). */
const cellsOf = (table: string) =>
  table
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) => l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));

describe('sim markdown table', () => {
  it('pads every column to one width, the first left-aligned, the figures right-aligned', () => {
    const table = markdownTable(['KPI', 'B'], [['gave up', '66.4%'], ['a', 'b|c']]);
    const lines = table.split('\n');
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[1]).toBe('| ------- | ----: |');
    expect(lines[2]).toBe('| gave up | 66.4% |');
    // A pipe in a cell is escaped, or it would split the cell.
    expect(lines[3]).toBe('| a       |  b\\|c |');
  });
});

describe('sim summary as markdown', () => {
  const runs = [
    ...[1, 2, 3].map((seed, i) => ({ key: 'B', seed, kpis: kpis({ gaveUpShare: [0.5, 0.4, 0.6][i]!, engagedFirstReplyP90Seconds: Infinity }) })),
    ...[1, 2, 3].map((seed, i) => ({ key: 'C', seed, kpis: kpis({ gaveUpShare: [0.47, 0.38, 0.58][i]!, engagedFirstReplyP90Seconds: 100 }) })),
  ];
  const context: SummaryContext = { seeds: [1, 2, 3], day: 'default', slowdown: 0.09, customers: 500, agents: 7, hours: 8, commit: '4eabf8f', command: 'npm run simulate -- --seeds 3 --policies B,C' };

  it('a row per KPI, a column per policy (mean [lo, hi]) and one per policy but B (the difference to B)', () => {
    const md = formatSummaryMarkdown(summarise(runs), { B: 'B smart capacity, FIFO', C: 'C Tide (defaults)' }, context);
    const [head, , ...body] = cellsOf(md);
    expect(head).toEqual(['KPI', 'B smart capacity, FIFO', 'C Tide (defaults)', 'C − B']);
    expect(body.map((r) => r[0])).toEqual(kpiDefinitions.map((d) => d.label));
    const gaveUp = body[0]!;
    expect(gaveUp[1]).toMatch(/^50\.0% \[\d+\.\d, \d+\.\d\]$/);
    // Per seed C − B is −3, −2, −2 points: steady, so the interval excludes 0.
    expect(gaveUp[3]).toMatch(/^-2\.3 pts \[-\d\.\d, -\d\.\d\]$/);
    const p90 = body.find((r) => r[0] === 'engaged first reply p90')!;
    expect(p90.slice(1)).toEqual(['never', '1:40 [1:40, 1:40]', 'n/a']);
  });

  it('says under the table what it is of and the command that produced it', () => {
    const md = formatSummaryMarkdown(summarise(runs), {}, context);
    const line = md.trim().split('\n').at(-1)!;
    expect(line).toContain('3 seeds (1–3); default day: 500 customers, 7 agents, 8 h; slowdown 0.09; domain 4eabf8f');
    expect(line).toContain('95% interval');
    expect(line).toContain('`npm run simulate -- --seeds 3 --policies B,C`');
    const one = formatSummaryMarkdown(summarise(runs.filter((r) => r.seed === 1)), {}, { ...context, seeds: [1] });
    expect(one).toContain('one seed: no intervals');
    expect(one).not.toMatch(/\[/);
  });
});
