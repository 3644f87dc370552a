import { describe, expect, it } from 'vitest';
import { composeWithSlowdown, defaultModel, modelWith } from '../../sim/model.js';
import { Rng } from '../../sim/prng.js';
import { percentile } from '../../sim/stats.js';
import { agentBreaks, dayOptions, generateWorkload } from '../../sim/workload.js';

const draws = (n: number, f: () => number) => Array.from({ length: n }, f);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const minute = 60_000;

describe('sim distributions', () => {
  it('exponential: the mean it is given, memoryless, never negative', () => {
    const rng = new Rng(1);
    const xs = draws(50_000, () => rng.exponential(10));
    expect(mean(xs)).toBeCloseTo(10, 0);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    // P(X > 10) = e^-1, and P(X > 20 | X > 10) is the same.
    const over10 = xs.filter((x) => x > 10);
    expect(over10.length / xs.length).toBeCloseTo(Math.exp(-1), 1);
    expect(over10.filter((x) => x > 20).length / over10.length).toBeCloseTo(Math.exp(-1), 1);
  });

  it('normal and lognormal: the median and spread they are given', () => {
    const rng = new Rng(2);
    const z = draws(50_000, () => rng.normal());
    expect(mean(z)).toBeCloseTo(0, 1);
    expect(Math.sqrt(mean(z.map((x) => x * x)))).toBeCloseTo(1, 1);
    const l = draws(50_000, () => rng.lognormal(20, 0.5));
    expect(percentile(l, 50)!).toBeGreaterThan(19);
    expect(percentile(l, 50)!).toBeLessThan(21);
    // p90 of a lognormal = median · e^(1.2816 σ).
    expect(percentile(l, 90)! / 20).toBeCloseTo(Math.exp(1.2816 * 0.5), 1);
  });

  it('compose time grows with the active conversations: compose × (1 + α·(active − 1))', () => {
    expect(composeWithSlowdown(60_000, 1, 0.09)).toBe(60_000);
    expect(composeWithSlowdown(60_000, 3, 0.09)).toBe(70_800);
    expect(composeWithSlowdown(60_000, 5, 0.2)).toBe(108_000);
    expect(composeWithSlowdown(60_000, 5, 0)).toBe(60_000);
    expect(composeWithSlowdown(60_000, 0, 0.2)).toBe(60_000);
  });
});

describe('sim workload model', () => {
  const w = generateWorkload({ seed: 42, conversations: 4000 });
  const of = (type: string) => w.customers.filter((c) => c.type === type);

  it('response times are lognormal around each type: the engaged and slow clusters overlap', () => {
    const engaged = of('engaged').flatMap((c) => c.responseDelaysMs);
    const slow = of('slow').flatMap((c) => c.responseDelaysMs);
    expect(percentile(engaged, 50)! / 1000).toBeGreaterThan(17);
    expect(percentile(engaged, 50)! / 1000).toBeLessThan(23);
    expect(percentile(slow, 50)! / minute).toBeGreaterThan(13);
    expect(percentile(slow, 50)! / minute).toBeLessThan(17);
    // No clean gap: the slowest engaged answers are slower than the quickest slow ones.
    expect(percentile(engaged, 99.5)!).toBeGreaterThan(percentile(slow, 0.5)!);
    // Customers differ from each other, not only answer to answer: the spread of their own medians.
    const ownMedians = of('engaged').map((c) => percentile(c.responseDelaysMs, 50)!);
    expect(percentile(ownMedians, 90)! / percentile(ownMedians, 10)!).toBeGreaterThan(3);
  });

  it('patience is exponential on every question, longer after the first; a share leave silently', () => {
    const firstEngaged = of('engaged').map((c) => c.patienceMs[0]!);
    const laterEngaged = of('engaged').flatMap((c) => c.patienceMs.slice(1));
    expect(mean(firstEngaged) / minute).toBeGreaterThan(9);
    expect(mean(firstEngaged) / minute).toBeLessThan(11);
    expect(mean(laterEngaged) / minute).toBeGreaterThan(18);
    expect(mean(laterEngaged) / minute).toBeLessThan(22);
    // No floor: some customers give up within two minutes of their first message.
    expect(firstEngaged.filter((ms) => ms < 2 * minute).length / firstEngaged.length).toBeCloseTo(1 - Math.exp(-0.2), 1);
    expect(mean(of('slow').map((c) => c.patienceMs[0]!)) / minute).toBeGreaterThan(54);
    const silent = w.customers.filter((c) => c.leavesSilently).length / w.customers.length;
    expect(silent).toBeGreaterThan(0.67);
    expect(silent).toBeLessThan(0.73);
  });

  it('a share of customers carry a business priority', () => {
    const withPriority = w.customers.filter((c) => c.priority !== undefined);
    expect(withPriority.length / w.customers.length).toBeGreaterThan(0.08);
    expect(withPriority.length / w.customers.length).toBeLessThan(0.12);
    expect(new Set(withPriority.map((c) => c.priority))).toEqual(new Set([1]));
  });

  it('changing one part of the model leaves every other draw of the day alone', () => {
    const base = generateWorkload({ seed: 7, conversations: 300 });
    const other = generateWorkload({ seed: 7, conversations: 300, model: modelWith({ patience: { silentShare: 0.1 }, priority: { share: 0.5 } }) });
    expect(other.customers.map((c) => c.patienceMs)).toEqual(base.customers.map((c) => c.patienceMs));
    expect(other.customers.map((c) => c.responseDelaysMs)).toEqual(base.customers.map((c) => c.responseDelaysMs));
    expect(other.customers.map((c) => c.type)).toEqual(base.customers.map((c) => c.type));
    expect(other.customers.filter((c) => c.leavesSilently).length).toBeLessThan(base.customers.filter((c) => c.leavesSilently).length);
    expect(other.agents).toEqual(base.agents);
  });

  it('agents take breaks inside their shift, never in its first or last half hour', () => {
    const rng = new Rng(3);
    const start = 2 * 60 * minute;
    const end = start + 6 * 60 * minute;
    for (let i = 0; i < 50; i++) {
      const breaks = agentBreaks(rng, start, end, defaultModel.breaks);
      expect(breaks).toHaveLength(2);
      for (const b of breaks) {
        expect(b.endMs - b.startMs).toBe(15 * minute);
        expect(b.startMs).toBeGreaterThanOrEqual(start + 30 * minute);
        expect(b.endMs).toBeLessThanOrEqual(end - 30 * minute);
      }
      expect(breaks[1]!.startMs).toBeGreaterThan(breaks[0]!.endMs);
    }
    expect(agentBreaks(rng, start, end, { everyMinutes: 120, minutes: 0 })).toEqual([]);
    expect(generateWorkload({ seed: 1, conversations: 10 }).agents.every((a) => a.breaks.length === 2)).toBe(true);
  });

  it('the named days scale the customers against the same agents; explicit sizes win', () => {
    expect(dayOptions('default', false)).toMatchObject({ conversations: 500, agents: 7, dayHours: 8 });
    expect(dayOptions('light', false)).toMatchObject({ conversations: 350, agents: 7 });
    expect(dayOptions('overloaded', false)).toMatchObject({ conversations: 650, agents: 7 });
    expect(dayOptions('default', true)).toMatchObject({ conversations: 120, agents: 3, dayHours: 4 });
    expect(dayOptions('overloaded', true)).toMatchObject({ conversations: 156, agents: 3 });
    expect(dayOptions('light', false, { conversations: 400, agents: 8 })).toMatchObject({ conversations: 400, agents: 8 });
  });
});
