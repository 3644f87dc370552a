import { describe, expect, it } from 'vitest';
import { excludesZero, meanInterval, pairedDifference, studentTCdf, studentTQuantile } from '../../sim/intervals.js';
import { computeKpis, firstReplySeconds, isResolved, kpiDefinitions, type Kpis } from '../../sim/kpis.js';
import type { ContactRecord } from '../../sim/metrics.js';
import { percentile } from '../../sim/stats.js';
import { formatInterval, formatKpi, formatSummaryTable, summarise, UnpairedSeedsError, type RunKpis } from '../../sim/summary.js';

const s = 1000;

describe('sim paired intervals', () => {
  it("Student's t quantiles match the tables", () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 3);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.3027, 3);
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.2622, 3);
    expect(studentTQuantile(0.975, 19)).toBeCloseTo(2.093, 3);
    expect(studentTQuantile(0.975, 1000)).toBeCloseTo(1.9623, 3);
    expect(studentTQuantile(0.5, 5)).toBeCloseTo(0, 6);
    expect(studentTCdf(-2.2622, 9)).toBeCloseTo(0.025, 4);
    expect(() => studentTQuantile(0.3, 5)).toThrow(RangeError);
    expect(() => studentTQuantile(0.975, 0)).toThrow(RangeError);
  });

  it('the mean with its 95% t-interval; one value has no interval', () => {
    const i = meanInterval([1, 2, 3]);
    expect(i.mean).toBe(2);
    expect(i.lo!).toBeCloseTo(2 - 4.3027 / Math.sqrt(3), 3);
    expect(i.hi!).toBeCloseTo(2 + 4.3027 / Math.sqrt(3), 3);
    expect(meanInterval([0.4])).toEqual({ mean: 0.4, lo: null, hi: null });
    expect(meanInterval([5, 5, 5])).toEqual({ mean: 5, lo: 5, hi: 5 });
    expect(meanInterval([60, Infinity])).toEqual({ mean: Infinity, lo: null, hi: null });
    expect(() => meanInterval([])).toThrow(RangeError);
  });

  it('pairs by seed: the interval of the per-seed differences, narrower than unpaired when days vary', () => {
    // Day-to-day spread is large, the policy's effect a steady +2 (1.9, 2.1, 2.0).
    const b = [10, 30, 50];
    const a = [11.9, 32.1, 52];
    const d = pairedDifference(a, b);
    expect(d.mean).toBeCloseTo(2);
    expect(d.lo!).toBeCloseTo(2 - (4.3027 * 0.1) / Math.sqrt(3), 3);
    expect(excludesZero(d)).toBe(true);
    // The same values unpaired: the days' spread swamps the effect.
    expect(meanInterval(a).lo!).toBeLessThan(meanInterval(b).hi!);
    expect(excludesZero(pairedDifference([1, 3, 2], [2, 2, 2]))).toBe(false);
    expect(excludesZero(pairedDifference([3], [1]))).toBe(false); // one seed: no interval, nothing excluded
    expect(Number.isNaN(pairedDifference([Infinity, 5], [60, 5]).mean)).toBe(true);
    expect(() => pairedDifference([1, 2], [1])).toThrow(RangeError);
  });
});

describe('sim honest KPIs', () => {
  const q = (at: number, answeredAt?: number) => ({ at: at * s, ...(answeredAt === undefined ? {} : { answeredAt: answeredAt * s }) });
  const contact = (type: ContactRecord['type'], fields: Partial<ContactRecord>): ContactRecord => ({ type, firstMessageAt: 0, replies: 0, conversationIds: [], questions: [], ...fields });
  const contacts: ContactRecord[] = [
    contact('engaged', { firstAgentAt: 60 * s, questions: [q(0, 60)], closingAskedAt: 60 * s }),
    // Gave up at 5 min, answered (with the closing question) at 6:40: a wasted reply, not resolved.
    contact('engaged', { firstAgentAt: 400 * s, abandonedAt: 300 * s, questions: [q(0, 400)], closingAskedAt: 400 * s }),
    // Patience shorter than the SLA: answered within 2 min, but after they had left.
    contact('engaged', { firstAgentAt: 90 * s, abandonedAt: 80 * s, questions: [q(0, 90)] }),
    contact('engaged', { firstAgentAt: 30 * s, questions: [q(0, 30)], closingAskedAt: 30 * s }),
    contact('engaged', { firstAgentAt: 100 * s, questions: [q(0, 100)] }),
    // Answered twice, then gave up on the third question.
    contact('slow', { firstAgentAt: 200 * s, abandonedAt: 4000 * s, questions: [q(0, 200), q(1000, 1050), q(2000)], closingAskedAt: undefined }),
    // Never answered, still waiting when the day ended.
    contact('slow', { questions: [q(0)] }),
  ];
  const kpis = computeKpis({ contacts, slaSeconds: 120, dayEnd: 10_000 * s, agentHours: 4, wastedReplies: 1, floor: { onShift: 100, idleSlotsFull: 25 }, overruns: 0 });

  it('a first reply counts only if it came while the customer was there; otherwise it is never', () => {
    expect(contacts.map(firstReplySeconds)).toEqual([60, Infinity, Infinity, 30, 100, 200, Infinity]);
    expect(contacts.map(isResolved)).toEqual([true, false, false, true, false, false, false]);
  });

  it('every KPI is over every arrival', () => {
    expect(kpis.firstReplyWithin2minShare).toBeCloseTo(3 / 7);
    expect(kpis.gaveUpShare).toBeCloseTo(3 / 7);
    // 9 questions; within the SLA while the customer was there: 60 s, 50 s (the slow one's second), 30 s, 100 s.
    expect(kpis.slaShare).toBeCloseTo(4 / 9);
    expect(kpis.resolvedPerAgentHour).toBe(0.5);
    expect(kpis.wastedReplies).toBe(1);
    expect(kpis.idleSlotsFullShare).toBe(0.25);
    expect(kpis.overruns).toBe(0);
  });

  it('first-reply percentiles count the never-answered as +Infinity', () => {
    // Engaged: 30, 60, 100, ∞, ∞. The median falls on 100; p90 (and even p70) on ∞.
    expect(kpis.engagedFirstReplyP50Seconds).toBe(100);
    expect(kpis.engagedFirstReplyP90Seconds).toBe(Infinity);
    expect(percentile([30, 60, 100, Infinity, Infinity], 70)).toBe(Infinity);
    expect(percentile([30, 60, 100, Infinity, Infinity], 25)).toBe(60);
    // Slow: 200, ∞: the median lies between them.
    expect(kpis.slowFirstReplyP50Seconds).toBe(Infinity);
    expect(percentile([200, Infinity], 0)).toBe(200);
  });

  it('an empty sample is not a measurement (NaN), never zero', () => {
    const none = computeKpis({ contacts: [], slaSeconds: 120, dayEnd: 0, agentHours: 0, wastedReplies: 0, floor: { onShift: 0, idleSlotsFull: 0 }, overruns: 0 });
    expect(Number.isNaN(none.gaveUpShare)).toBe(true);
    expect(Number.isNaN(none.engagedFirstReplyP90Seconds)).toBe(true);
  });
});

describe('sim summary', () => {
  const kpisWith = (over: Partial<Kpis>): Kpis => ({
    ...(Object.fromEntries(kpiDefinitions.map((d) => [d.key, 0])) as unknown as Kpis),
    ...over,
  });
  const runs: RunKpis[] = [
    ...[1, 2, 3].map((seed, i) => ({ key: 'B', seed, kpis: kpisWith({ gaveUpShare: [0.5, 0.4, 0.6][i]!, engagedFirstReplyP90Seconds: Infinity, wastedReplies: 100 }) })),
    // C listed out of seed order: the summary pairs by seed, not by position.
    ...[3, 1, 2].map((seed, i) => ({ key: 'C', seed, kpis: kpisWith({ gaveUpShare: [0.58, 0.47, 0.38][i]!, engagedFirstReplyP90Seconds: [90, 100, 110][i]!, wastedReplies: 90 }) })),
  ];

  it("is the issue's shape: policies → KPI → {mean, lo, hi}, and vsB (this policy minus B) on every KPI but B's own", () => {
    const summary = summarise(runs);
    expect(Object.keys(summary)).toEqual(['policies']);
    expect(Object.keys(summary.policies)).toEqual(['B', 'C']);
    for (const key of ['gaveUpShare', 'slaShare', 'firstReplyWithin2minShare', 'engagedFirstReplyP90Seconds', 'resolvedPerAgentHour', 'wastedReplies', 'idleSlotsFullShare', 'overruns']) {
      expect(Object.keys(summary.policies.C![key as keyof Kpis])).toEqual(['mean', 'lo', 'hi']);
      expect(summary.policies.C!.vsB![key as keyof Kpis]).toBeDefined();
    }
    expect(summary.policies.B!.vsB).toBeUndefined();
    expect(summary.policies.B!.gaveUpShare.mean).toBeCloseTo(0.5);
    // Per seed C − B: 1 → −0.03, 2 → −0.02, 3 → −0.02.
    expect(summary.policies.C!.vsB!.gaveUpShare.mean).toBeCloseTo(-0.07 / 3);
    expect(summary.policies.C!.vsB!.gaveUpShare.hi!).toBeLessThan(0);
    expect(summary.policies.C!.vsB!.wastedReplies).toEqual({ mean: -10, lo: -10, hi: -10 });
    // A KPI's own interval stays within what it can be (a t-interval over few seeds may not).
    expect(summary.policies.B!.gaveUpShare.lo!).toBeGreaterThan(0);
    const spread = summarise([0.1, 0.9].map((gaveUpShare, seed) => ({ key: 'B', seed, kpis: kpisWith({ gaveUpShare }) })));
    expect(spread.policies.B!.gaveUpShare).toEqual({ mean: 0.5, lo: 0, hi: 1 });
  });

  it('writes an infinite percentile, and a difference that is not defined, as null in the JSON', () => {
    const json = JSON.parse(JSON.stringify(summarise(runs)));
    expect(json.policies.B.engagedFirstReplyP90Seconds).toEqual({ mean: null, lo: null, hi: null });
    expect(json.policies.C.engagedFirstReplyP90Seconds.mean).toBe(100);
    expect(json.policies.C.vsB.engagedFirstReplyP90Seconds).toEqual({ mean: null, lo: null, hi: null });
  });

  it('refuses to pair policies run on different seeds', () => {
    expect(() => summarise([...runs, { key: 'C', seed: 4, kpis: kpisWith({}) }])).toThrow(UnpairedSeedsError);
  });

  it('without B there is nothing to compare with; one seed gives no intervals, and the table says so', () => {
    const onlyC = summarise(runs.filter((r) => r.key === 'C'));
    expect(onlyC.policies.C!.vsB).toBeUndefined();
    const one = summarise(runs.filter((r) => r.seed === 1));
    expect(one.policies.C!.vsB!.gaveUpShare).toEqual({ mean: expect.closeTo(-0.03), lo: null, hi: null });
    const table = formatSummaryTable(one, { B: 'B smart capacity', C: 'C Tide' }, 1);
    expect(table).toMatch(/C - B/);
    expect(table).toMatch(/One seed: no confidence intervals/);
    expect(formatSummaryTable(onlyC, {}, 3)).toMatch(/policy B did not run/);
  });

  it('prints shares as percentages, differences in points, times as m:ss, never answered as never', () => {
    expect(formatKpi('gaveUpShare', 0.123)).toBe('12.3%');
    expect(formatKpi('gaveUpShare', -0.031, true)).toBe('-3.1 pts');
    expect(formatKpi('engagedFirstReplyP90Seconds', 125)).toBe('2:05');
    expect(formatKpi('engagedFirstReplyP90Seconds', -65, true)).toBe('-1:05');
    expect(formatKpi('engagedFirstReplyP90Seconds', -65)).toBe('-1:05'); // an interval's lower bound
    expect(formatKpi('engagedFirstReplyP90Seconds', Infinity)).toBe('never');
    expect(formatKpi('engagedFirstReplyP90Seconds', Number.NaN, true)).toBe('n/a');
    expect(formatKpi('resolvedPerAgentHour', 0.25, true)).toBe('+0.25');
    expect(formatInterval('gaveUpShare', { mean: 0.5, lo: 0.45, hi: 0.55 })).toBe('50.0% [45.0, 55.0]');
    expect(formatInterval('gaveUpShare', { mean: -0.02, lo: -0.03, hi: -0.01 }, true)).toBe('-2.0 pts [-3.0, -1.0]');
    expect(formatInterval('slaShare', { mean: 0.5, lo: null, hi: null })).toBe('50.0%');
  });
});
