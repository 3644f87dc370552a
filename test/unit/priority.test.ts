import { describe, expect, it } from 'vitest';
import { defaultPriorityWeights, rankOf, tierOf, type RankedFacts } from '../../shared/routing/priority.js';

const base: RankedFacts = {
  state: 'queued',
  waitingOn: 'agent',
  waitingSince: '2026-11-21T10:00:00.000Z',
  priority: 0,
  slaBreached: false,
  followUpAt: null,
  lastMessage: { messageId: 'm', direction: 'in', text: 'hi', at: '2026-11-21T10:00:00.000Z' },
};
const sorted = (...items: RankedFacts[]) => items.map((c) => rankOf(c)).sort();
/** The order before serving what can still be saved became the default: breached first, oldest first. */
const breachedFirst = { ...defaultPriorityWeights, serveSaveableFirst: false };

describe('rankOf', () => {
  it('orders waiting on the agent before waiting on the customer, then inactive, then follow-ups', () => {
    const agent = { ...base, state: 'active' as const };
    const customer = { ...agent, waitingOn: 'customer' as const, waitingSince: null };
    const inactive = { ...customer, state: 'inactive' as const };
    const followUp = { ...agent, state: 'inactive' as const, followUpAt: '2026-11-21T09:00:00.000Z' };
    expect(sorted(followUp, inactive, customer, agent)).toEqual([agent, customer, inactive, followUp].map((c) => rankOf(c)));
    expect([agent, customer, inactive, followUp].map((c) => tierOf(c))).toEqual([3, 5, 6, 7]);
  });

  it('puts a breached SLA ahead of everything else waiting, with serveSaveableFirst off', () => {
    const older = { ...base, waitingSince: '2026-11-21T08:00:00.000Z', priority: 10 };
    const breached = { ...base, slaBreached: true };
    expect(rankOf(breached, breachedFirst) < rankOf(older, breachedFirst)).toBe(true);
  });

  it('is first come, first served within a tier', () => {
    const early = { ...base, waitingSince: '2026-11-21T09:59:00.000Z' };
    expect(rankOf(early) < rankOf(base)).toBe(true);
  });

  it('ranks an engaged customer (answers in seconds) above a slow one (every 20 minutes) who wrote earlier', () => {
    const slow = { ...base, waitingSince: '2026-11-21T10:00:00.000Z', customerResponseSeconds: 1200 };
    const engaged = { ...base, waitingSince: '2026-11-21T10:04:00.000Z', customerResponseSeconds: 8 };
    expect(rankOf(engaged) < rankOf(slow)).toBe(true);
    // …but responsiveness is not everything: a slow customer waiting long enough comes first again.
    const slowButOld = { ...slow, waitingSince: '2026-11-21T09:45:00.000Z' };
    expect(rankOf(slowButOld) < rankOf(engaged)).toBe(true);
  });

  it('orders breached, then near breach, then waiting, then stale, with serveSaveableFirst off', () => {
    const breached = { ...base, slaBreached: true, waitingSince: '2026-11-21T10:30:00.000Z' };
    const near = { ...base, slaNearBreach: true, waitingSince: '2026-11-21T10:20:00.000Z' };
    const stale = { ...base, stale: true, waitingSince: '2026-11-21T02:00:00.000Z', priority: 10 };
    const rank = (c: RankedFacts) => rankOf(c, breachedFirst);
    expect([stale, base, near, breached].map(rank).sort()).toEqual([breached, near, base, stale].map(rank));
  });

  it('ranks stale work after fresh work even when its SLA is breached (it always is by then)', () => {
    const staleBreached = { ...base, stale: true, slaBreached: true, waitingSince: '2026-11-21T08:00:00.000Z' };
    const fresh = { ...base, waitingSince: '2026-11-21T10:00:00.000Z' };
    expect(rankOf(fresh) < rankOf(staleBreached)).toBe(true);
    expect(tierOf(staleBreached)).toBe(4);
  });

  it('takes its weights from configuration', () => {
    const slow = { ...base, customerResponseSeconds: 1200 };
    const engaged = { ...base, waitingSince: '2026-11-21T10:04:00.000Z', customerResponseSeconds: 8 };
    const fifo = { priorityStepSeconds: 0, responsivenessWeight: 0, defaultResponseSeconds: 0, maxResponseSeconds: 1 };
    expect(rankOf(slow, fifo) < rankOf(engaged, fifo)).toBe(true);
  });

  it('counts each level of business priority as five minutes of extra waiting', () => {
    const urgent = { ...base, priority: 1, waitingSince: '2026-11-21T10:04:59.000Z' };
    const later = { ...base, priority: 1, waitingSince: '2026-11-21T10:05:01.000Z' };
    expect(rankOf(urgent) < rankOf(base)).toBe(true);
    expect(rankOf(later) > rankOf(base)).toBe(true);
  });

  it('sorts as a string the same way as by time, across digit-count boundaries', () => {
    const ancient = { ...base, waitingSince: '1970-01-02T00:00:00.000Z' };
    expect(rankOf(ancient) < rankOf(base)).toBe(true);
    expect(rankOf(base)).toMatch(/^3:\d{15}$/);
    // Newest first counts down from the largest key: a recent breach sorts before an old one, in 15 digits.
    const breached = (at: string) => rankOf({ ...base, slaBreached: true, waitingSince: at });
    expect(breached('2026-11-21T10:00:00.000Z')).toMatch(/^2:\d{15}$/);
    expect(breached('2026-11-21T10:00:00.000Z') < breached('1970-01-02T00:00:00.000Z')).toBe(true);
  });

  it('puts a follow-up that came due first of all, even before a breached SLA', () => {
    const breached = { ...base, slaBreached: true, waitingSince: '2026-11-21T08:00:00.000Z' };
    const returned = { ...base, state: 'active' as const, followUpDue: true };
    expect(rankOf(returned) < rankOf(breached)).toBe(true);
  });
});

describe('rankOf, serving what can still be saved first', () => {
  const weights = { ...defaultPriorityWeights, serveSaveableFirst: true };
  const rank = (c: RankedFacts) => rankOf(c, weights);

  it('orders near breach, then breached (a breach still escalates), then inside the SLA, then stale', () => {
    const breached = { ...base, slaBreached: true, slaNearBreach: true, waitingSince: '2026-11-21T09:30:00.000Z' };
    const near = { ...base, slaNearBreach: true, waitingSince: '2026-11-21T10:20:00.000Z' };
    const stale = { ...base, stale: true, slaBreached: true, waitingSince: '2026-11-21T02:00:00.000Z' };
    const ranks = [stale, base, breached, near].map(rank).sort();
    expect(ranks).toEqual([near, breached, base, stale].map(rank));
  });

  it('answers the newest breached customer first, the likeliest to be still there', () => {
    const older = { ...base, slaBreached: true, waitingSince: '2026-11-21T09:00:00.000Z' };
    const newer = { ...base, slaBreached: true, waitingSince: '2026-11-21T09:40:00.000Z' };
    expect(rank(newer) < rank(older)).toBe(true);
    // Business priority still lifts a customer, and slowness still lowers one, within that order.
    const vip = { ...older, priority: 10 }; // ten steps of 300 s: fifty minutes
    expect(rank(vip) < rank(newer)).toBe(true);
    // Half an hour of slowness (3600 s × 0.5, against the default 120 s × 0.5) outweighs 20 minutes of being newer.
    const slowNewer = { ...newer, waitingSince: '2026-11-21T09:20:00.000Z', customerResponseSeconds: 3600 };
    expect(rank(older) < rank(slowNewer)).toBe(true);
    expect(rank({ ...slowNewer, customerResponseSeconds: undefined }) < rank(older)).toBe(true);
  });

  it('keeps oldest first inside the SLA and among the stale', () => {
    const early = { ...base, waitingSince: '2026-11-21T09:59:00.000Z' };
    expect(rank(early) < rank(base)).toBe(true);
    const staleOld = { ...base, stale: true, waitingSince: '2026-11-21T01:00:00.000Z' };
    const staleNew = { ...base, stale: true, waitingSince: '2026-11-21T02:00:00.000Z' };
    expect(rank(staleOld) < rank(staleNew)).toBe(true);
  });

  it('is the default, and moves only the SLA tiers', () => {
    const breached = { ...base, slaBreached: true };
    expect(rankOf(breached)).toBe(rank(breached));
    expect(tierOf(breached)).toBe(2);
    expect(tierOf(breached, false)).toBe(1);
    const customer = { ...base, state: 'active' as const, waitingOn: 'customer' as const };
    expect(rankOf(customer, breachedFirst)).toBe(rank(customer));
  });
});
