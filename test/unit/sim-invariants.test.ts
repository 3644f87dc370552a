import { describe, expect, it } from 'vitest';
import { failureReport, violations } from '../../sim/invariants.js';
import { computeMetrics, dayTime, relativeTimes, type MetricsInput, type PolicyResult } from '../../sim/metrics.js';
import { policies } from '../../sim/policies.js';
import { generateWorkload } from '../../sim/workload.js';

/** A run in which nothing happened: every invariant holds. */
function cleanResult(): PolicyResult {
  const workload = generateWorkload({ conversations: 1, agents: 1 });
  const input: MetricsInput = {
    policy: policies[0]!,
    workload,
    contacts: [],
    dayStart: 0,
    dayEnd: workload.dayMs,
    endedAt: workload.dayMs,
    closedBy: new Map(),
    repliedConversations: new Set(),
    timerEvents: {},
    capacity: { maxActiveSeen: 0, observations: 0, overMax: 0, overPreferredUnexplained: 0, counterDrift: 0 },
    counters: {
      missedPushes: 0, frameMismatches: 0, sweepAssigned: 0, repairedAgents: 0, presenceChecks: 0, droppedAgents: 0, staleActions: 0,
      domainErrors: 0, looks: 0, composeMs: 0, onShiftMs: 0, replies: 0, wastedReplies: 0, staleItemsSeen: 0, staleItemsInBreachTier: 0, stalePicks: 0,
    },
    model: { slowdownMs: 0, switches: 0, switchMs: 0, slowedAnswers: 0, breaks: 0, breakMs: 0, timerLateMsMean: 0 },
    finalStates: {},
    openWaitingOnAgent: 0,
    slaSeconds: 120,
    evidence: [],
    domainLog: { tally: {}, examples: [] },
    timersCreated: 0,
    pushes: 0,
    frames: {},
    followUps: { settles: 0, rounds: 0, records: 0, followUps: 0, failedBatches: 0, rechecks: 0, recheckAssigned: 0, streamCalls: 0, emptyReads: 0, unmarkedRecords: 0 },
    deliveriesQueued: 0,
    dbCalls: 0,
    callsBy: {},
    timeline: [],
    floor: { samples: 0, onShift: 0, away: 0, composing: 0, idleSlotsFull: 0, idleWithCapacity: 0, idleQueueEmpty: 0 },
    wallMs: 0,
  };
  return computeMetrics(input);
}

describe('sim invariants', () => {
  it('a clean run breaks none', () => {
    expect(violations(cleanResult())).toEqual([]);
  });

  it('names each broken rule with its count', () => {
    const r = cleanResult();
    r.metrics.capacity.overMax = 2;
    r.diagnostics.missedPushes = 1;
    r.diagnostics.floor.idleWithCapacity = 3;
    r.diagnostics.domainErrors = 1;
    r.diagnostics.followUps.unmarkedRecords = 4;
    const broken = violations(r);
    expect(broken).toHaveLength(5);
    expect(broken[0]).toMatch(/active above maxLoad: 2$/);
    expect(broken.join('\n')).toMatch(/missed push.*: 1/);
    expect(broken.join('\n')).toMatch(/lost wake-up.*: 3/);
  });

  it.each([
    ['a missed push', (r: PolicyResult) => void (r.diagnostics.missedPushes = 1), /^missed push: .*: 1$/],
    ['an idle agent with free capacity while work is queued', (r: PolicyResult) => void (r.diagnostics.floor.idleWithCapacity = 1), /^lost wake-up: .*: 1$/],
    ['work the sweep had to assign', (r: PolicyResult) => void (r.diagnostics.sweepAssigned = 2), /^lost wake-up: the sweep found work to assign: 2$/],
    ['active above maxLoad', (r: PolicyResult) => void (r.metrics.capacity.overMax = 1), /^capacity overrun: active above maxLoad: 1$/],
    ['active above preferred, unexplained', (r: PolicyResult) => void (r.metrics.capacity.overPreferredUnexplained = 1), /^capacity overrun: .*preferred.*: 1$/],
    ['counter drift', (r: PolicyResult) => void (r.metrics.capacity.counterDrift = 3), /^counter drift: .*: 3$/],
  ])('%s alone breaks the run', (_what, breakIt, expected) => {
    const r = cleanResult();
    breakIt(r);
    const broken = violations(r);
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatch(expected);
  });

  it('a count the run did not keep breaks it too', () => {
    const r = cleanResult();
    (r.diagnostics as { missedPushes?: number }).missedPushes = undefined;
    r.metrics.capacity.counterDrift = Number.NaN;
    expect(violations(r)).toEqual([
      "counter drift: the agent's active/holds disagree with its conversations: not counted (NaN)",
      'missed push: an idle agent found work only by re-reading its list: not counted (undefined)',
    ]);
  });

  it('the failure report names every broken rule and where the evidence is; none when nothing broke', () => {
    expect(failureReport([], '/tmp/tide-sim/latest.json')).toBeUndefined();
    const report = failureReport(['B smart capacity, FIFO: missed push: an idle agent found work only by re-reading its list: 35', 'C Tide (defaults): counter drift: x: 1'], '/tmp/tide-sim/latest.json');
    expect(report!.split('\n')).toEqual([
      'FAILED: 2 invariants broken (evidence: diagnostics.evidence of each policy in /tmp/tide-sim/latest.json):',
      '  B smart capacity, FIFO: missed push: an idle agent found work only by re-reading its list: 35',
      '  C Tide (defaults): counter drift: x: 1',
    ]);
  });

  it('KPIs are measurements, not failures', () => {
    const r = cleanResult();
    r.metrics.abandoned = 500;
    r.diagnostics.staleActions = 3;
    expect(violations(r)).toEqual([]);
  });
});

describe('sim times of day', () => {
  const start = Date.parse('2030-01-02T08:00:00.000Z');
  it('formats offsets from the day start', () => {
    expect(dayTime(start, start)).toBe('00:00:00');
    expect(dayTime(start + 3_723_400, start)).toBe('01:02:03');
    expect(dayTime(start - 60_000, start)).toBe('-00:01:00');
  });

  it('turns every ISO timestamp in evidence into a time of day, leaving the rest', () => {
    expect(
      relativeTimes({ at: '2030-01-02T09:30:00.000Z', list: ['2030-01-02T08:00:05Z', 'text', 7], nested: { rank: '3:000001', none: null } }, start),
    ).toEqual({ at: '01:30:00', list: ['00:00:05', 'text', 7], nested: { rank: '3:000001', none: null } });
  });
});
