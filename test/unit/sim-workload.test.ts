import { describe, expect, it } from 'vitest';
import { fifoPriority, policies, policyConfig } from '../../sim/policies.js';
import { agentShifts, arrivalRate, generateWorkload, workloadMix } from '../../sim/workload.js';

describe('sim workload', () => {
  it('is deterministic given the seed, and changes with it', () => {
    const a = generateWorkload({ seed: 42, conversations: 200 });
    const b = generateWorkload({ seed: 42, conversations: 200 });
    const c = generateWorkload({ seed: 43, conversations: 200 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(c.customers)).not.toBe(JSON.stringify(a.customers));
  });

  it('has the intended size, mix and per-type behaviour', () => {
    const w = generateWorkload({ seed: 42, conversations: 2000 });
    expect(w.customers).toHaveLength(2000);
    const mix = workloadMix(w);
    expect(mix.engaged / 2000).toBeGreaterThan(0.5);
    expect(mix.engaged / 2000).toBeLessThan(0.6);
    expect(mix.slow / 2000).toBeGreaterThan(0.21);
    expect(mix.slow / 2000).toBeLessThan(0.29);
    expect(mix.gone / 2000).toBeGreaterThan(0.16);
    expect(mix.gone / 2000).toBeLessThan(0.24);
    for (const c of w.customers) {
      expect(c.exchanges).toBeGreaterThanOrEqual(2);
      expect(c.exchanges).toBeLessThanOrEqual(6);
      expect(c.patienceMs).toHaveLength(c.exchanges);
      for (const ms of c.composeMs) expect(ms >= 30_000 && ms <= 90_000).toBe(true);
      if (c.type === 'gone') {
        expect(c.messages).toBeLessThan(c.exchanges);
        expect(c.answersClosingQuestion).toBe(false);
      } else expect(c.messages).toBe(c.exchanges);
    }
    const gone = w.customers.filter((c) => c.type === 'gone');
    const neverAgain = gone.filter((c) => c.messages === 1).length / gone.length;
    expect(neverAgain).toBeGreaterThan(0.5); // half never answer again, plus mid-way vanishers with 1 message
    expect(new Set(w.customers.map((c) => c.phone)).size).toBe(2000);
  });

  it('places arrivals within the intake window, in order, peaking mid-day', () => {
    const w = generateWorkload({ seed: 1, conversations: 4000 });
    const window = w.dayMs - w.options.intakeClosesMinutesBeforeEnd * 60_000;
    const times = w.customers.map((c) => c.arrivalMs);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times[0]!).toBeGreaterThanOrEqual(0);
    expect(times.at(-1)!).toBeLessThan(window);
    const hour = (h: number) => times.filter((t) => t >= h * 3_600_000 && t < (h + 1) * 3_600_000).length;
    expect(hour(3) + hour(4)).toBeGreaterThan(1.8 * (hour(0) + hour(7)));
    expect(arrivalRate(0.5)).toBe(1);
    expect(arrivalRate(0)).toBeCloseTo(0.3);
  });

  it('staggers agent shifts from the start to the end of the day', () => {
    const day = 8 * 3_600_000;
    const shifts = agentShifts(7, day, 0.75);
    expect(shifts[0]).toMatchObject({ id: 'agent-1', startMs: 0, endMs: 6 * 3_600_000 });
    expect(shifts.at(-1)).toMatchObject({ startMs: 2 * 3_600_000, endMs: day });
    for (let i = 1; i < shifts.length; i++) expect(shifts[i]!.startMs).toBeGreaterThan(shifts[i - 1]!.startMs);
  });

  it('turns every policy into a valid Tide configuration', () => {
    const agents = agentShifts(3, 3_600_000, 0.75);
    for (const policy of policies) {
      const config = policyConfig(policy, agents);
      expect(config.agents.map((a) => a.id)).toEqual(['agent-1', 'agent-2', 'agent-3']);
      expect(config.queues.default!.slaSeconds).toBe(120);
    }
    const [a, , b, c] = policies.map((p) => policyConfig(p, agents));
    expect(a!.agents[0]).toMatchObject({ preferredConcurrency: 3, maxLoad: 3 });
    expect(a!.priority).toMatchObject(fifoPriority);
    expect(b!.priority).toMatchObject(fifoPriority);
    expect(b!.agents[0]).toMatchObject({ preferredConcurrency: 3, maxLoad: 5 });
    expect(c!.priority).toMatchObject({ responsivenessWeight: 0.5, priorityStepSeconds: 300, staleAfterSeconds: 3600 });
  });
});
