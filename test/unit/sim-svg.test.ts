import { describe, expect, it } from 'vitest';
import { kpiDefinitions, type Kpis } from '../../sim/kpis.js';
import { summarySvg } from '../../sim/summary-chart.js';
import { summarise, type SummaryContext } from '../../sim/summary.js';
import { barChartSvg, escapeXml } from '../../sim/svg.js';

/** A small well-formedness check: tags nest and close, attributes are quoted, entities are known. */
function assertWellFormed(xml: string) {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let roots = 0;
  for (let m = tag.exec(xml); m; m = tag.exec(xml)) {
    const between = xml.slice(last, m.index);
    expect(between, `stray markup before ${m[0]}`).not.toMatch(/[<>]/);
    expect(between.replace(/&(amp|lt|gt|quot|apos);/g, ''), 'unescaped &').not.toContain('&');
    last = m.index + m[0].length;
    const [, closing, name, , selfClosing] = m;
    if (closing) expect(stack.pop(), `</${name}> closes the wrong element`).toBe(name);
    else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
  }
  expect(xml.slice(last).trim()).toBe('');
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
}

/** Each whisker group: its series and the y of its low and high caps (SVG y grows downwards). */
function whiskers(svg: string) {
  const out: Array<{ series: string; lo: number; hi: number }> = [];
  const group = /<g class="whisker" data-series="([^"]*)"[^>]*><line [^>]*\/>(<line [^>]*\/>)(<line [^>]*\/>)<\/g>/g;
  for (let m = group.exec(svg); m; m = group.exec(svg)) {
    const y = (line: string) => Number(/y1="([-\d.]+)"/.exec(line)![1]);
    out.push({ series: m[1]!, lo: y(m[2]!), hi: y(m[3]!) });
  }
  return out;
}

describe('sim SVG chart', () => {
  const spec = {
    title: 'Policies <compared> & "measured"',
    subtitle: "seed 42, customers' day",
    series: [
      { label: 'A fixed-slot FIFO', color: '#999' },
      { label: 'C Tide (defaults)', color: '#2e7d32' },
    ],
    panels: [
      { title: 'First response p50 (min)', values: [12.5, 3.25], format: (v: number) => v.toFixed(1) },
      { title: 'SLA < 2 min', values: [40, undefined], format: (v: number) => `${v}%`, max: 100 },
      { title: 'Zeros', values: [0, 0], format: (v: number) => String(v) },
    ],
  };

  it('is a single well-formed svg element with escaped text', () => {
    const svg = barChartSvg(spec);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    assertWellFormed(svg);
    expect(svg).toContain('Policies &lt;compared&gt; &amp; &quot;measured&quot;');
    expect(svg).not.toContain('NaN');
    expect(svg).not.toContain('Infinity');
  });

  it('draws one bar per defined value with its label, and n/a for a missing one', () => {
    const svg = barChartSvg(spec);
    const bars = svg.match(/<rect [^>]*fill="#(999|2e7d32)"\/>/g) ?? [];
    // 2 legend swatches + 5 defined values
    expect(bars.length).toBe(7);
    expect(svg).toContain('>12.5<');
    expect(svg).toContain('>3.3<');
    expect(svg).toContain('>40%<');
    expect(svg).toContain('>n/a<');
  });

  it('escapes XML special characters', () => {
    expect(escapeXml(`<a href="x">Tom & Jerry's</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;');
  });

  it('draws an interval as a whisker only where there is one, and says "never" for a missing value when told', () => {
    const svg = barChartSvg({
      title: 'Intervals',
      series: spec.series,
      panels: [
        { title: 'with one interval', values: [10, 20], intervals: [{ lo: 6, hi: 14 }, undefined], format: (v: number) => v.toFixed(0) },
        { title: 'missing', values: [undefined, 5], intervals: [{ lo: 1, hi: 2 }, { lo: 4, hi: 6 }], missing: ['never', undefined], format: (v: number) => v.toFixed(0) },
      ],
    });
    assertWellFormed(svg);
    const found = whiskers(svg);
    // Panel 1: A has one, C none; panel 2: A has no bar (so no whisker), C has one.
    expect(found.map((w) => w.series)).toEqual(['A fixed-slot FIFO', 'C Tide (defaults)']);
    for (const w of found) expect(w.lo).toBeGreaterThan(w.hi);
    expect(svg).toContain('>never<');
  });

  it('scales the axis to the highest whisker, so that an interval above every bar is not cut off', () => {
    const svg = barChartSvg({ title: 't', series: spec.series, panels: [{ title: 'p', values: [1, 1], intervals: [{ lo: 0, hi: 10 }, undefined], format: String }] });
    const [w] = whiskers(svg);
    const bar = /<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="#999"\/>/g;
    const [, barTop, barHeight] = [...svg.matchAll(bar)].at(-1)!;
    const baseline = Number(barTop) + Number(barHeight);
    // The bar is 1 on an axis that reaches past 10: the whisker's top is about ten bars high, inside the plot.
    expect((baseline - w!.hi) / Number(barHeight)).toBeCloseTo(10, 0);
    expect(w!.hi).toBeGreaterThan(96);
  });
});

describe('sim summary chart', () => {
  const kpis = (over: Partial<Kpis>): Kpis => ({ ...(Object.fromEntries(kpiDefinitions.map((d) => [d.key, 0.2])) as unknown as Kpis), ...over });
  const summary = summarise([
    { key: 'B', seed: 1, kpis: kpis({ gaveUpShare: 0.5, engagedFirstReplyP90Seconds: Infinity }) },
    { key: 'B', seed: 2, kpis: kpis({ gaveUpShare: 0.6, engagedFirstReplyP90Seconds: 300 }) },
    { key: 'C', seed: 1, kpis: kpis({ gaveUpShare: 0.45, engagedFirstReplyP90Seconds: 200, resolvedPerAgentHour: Number.NaN }) },
    { key: 'C', seed: 2, kpis: kpis({ gaveUpShare: 0.55, engagedFirstReplyP90Seconds: 240, resolvedPerAgentHour: Number.NaN }) },
  ]);
  const context: SummaryContext = { seeds: [1, 2], day: 'overloaded', slowdown: 0.2, customers: 650, agents: 7, hours: 8, commit: 'abc1234', command: 'npm run simulate -- --seeds 2' };
  const labels = { B: 'B smart capacity, FIFO', C: 'C Tide (defaults)' };

  it('has a panel per charted KPI with whether lower or higher is better, and says what it is of', () => {
    const svg = summarySvg(summary, labels, context);
    assertWellFormed(svg);
    for (const title of ['gave up', 'first reply &lt;= 2 min', 'questions within SLA', 'engaged first reply p90', 'resolved / agent-hour', 'wasted replies', 'idle, every slot full', 'overruns of maxLoad']) {
      expect(svg).toContain(`>${title}<`);
    }
    expect(svg).not.toContain('>slow first reply p50<');
    expect(svg.match(/>lower is better</g)).toHaveLength(5);
    expect(svg.match(/>higher is better</g)).toHaveLength(3);
    expect(svg).toMatch(/2 seeds \(1–2\); overloaded day: 650 customers, 7 agents, 8 h; slowdown 0.2; domain abc1234/);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it("whiskers each policy's interval; an infinite mean is \"never\" and an undefined one \"n/a\", with no whisker", () => {
    const svg = summarySvg(summary, labels, context);
    // Panels in order: gave up (B and C: intervals), first reply, SLA (constant: zero-width whiskers),
    // engaged p90 (B never: C only), resolved (C n/a: B only), wasted, idle, overruns.
    const series = whiskers(svg).map((w) => w.series[0]);
    expect(series).toEqual(['B', 'C', 'B', 'C', 'B', 'C', 'C', 'B', 'B', 'C', 'B', 'C', 'B', 'C']);
    expect(svg).toContain('>never<');
    expect(svg).toContain('>n/a<');
    expect(svg).toContain('>55.0%<'); // B's mean gave-up share, printed as the tables print it
    expect(svg).toContain('>3:40<'); // C's engaged p90 mean, 220 s
  });

  it('draws no whisker with one seed', () => {
    const one = summarise([{ key: 'B', seed: 1, kpis: kpis({}) }, { key: 'C', seed: 1, kpis: kpis({}) }]);
    const svg = summarySvg(one, labels, { ...context, seeds: [1] });
    assertWellFormed(svg);
    expect(whiskers(svg)).toEqual([]);
    expect(svg).toContain('1 seed (1)');
  });
});
