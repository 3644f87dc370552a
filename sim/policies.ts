import { parseConfig, type TideConfig, type TideConfigInput } from '../shared/config/schema.js';
import type { AgentShift } from './workload.js';

/**
 * The routing policies compared. Each is only a CONFIGURATION of the real Tide code (parsed by
 * the real `parseConfig`): the simulator never re-implements routing.
 */
export interface Policy {
  key: string;
  label: string;
  description: string;
  build(agents: readonly AgentShift[]): TideConfigInput;
}

const tenDays = 10 * 24 * 60 * 60;

/** First come, first served: no business priority, no responsiveness, no staleness, no near-breach tier. */
export const fifoPriority = { priorityStepSeconds: 0, responsivenessWeight: 0, staleAfterSeconds: tenDays, nearBreachFraction: 0 };

const channels = { generic: { secret: 'sim-secret' } };
const agentsWith = (agents: readonly AgentShift[], preferredConcurrency: number, maxLoad: number) =>
  agents.map((a) => ({ id: a.id, queues: ['default'], preferredConcurrency, maxLoad }));

export const policies: Policy[] = [
  {
    key: 'A',
    label: 'A fixed-slot FIFO',
    description:
      'Chat routing: 3 fixed slots per agent, a conversation holds its slot until closed (inactiveAfter 10 days), FIFO order.',
    build: (agents) => ({
      queues: { default: { slaSeconds: 120, inactiveAfterSeconds: tenDays, autoCloseAfterSeconds: 86_400 } },
      priority: fifoPriority,
      agents: agentsWith(agents, 3, 3),
      channels,
    }),
  },
  {
    key: 'A2',
    label: 'A2 fixed-slot FIFO +idle-close',
    description:
      'Chat routing with the usual chat idle timeout: after 10 min of customer silence the conversation is closed ' +
      '(inactiveAfter 600 s, autoCloseAfter 1 s), 3 fixed slots, FIFO. Not one of the three requested policies: added so ' +
      'that the baseline is not a straw man.',
    build: (agents) => ({
      queues: { default: { slaSeconds: 120, inactiveAfterSeconds: 600, autoCloseAfterSeconds: 1 } },
      priority: fifoPriority,
      agents: agentsWith(agents, 3, 3),
      channels,
    }),
  },
  {
    key: 'B',
    label: 'B smart capacity, FIFO',
    description:
      'Tide capacity (inactive after 600 s frees the slot, reactivation to the same agent up to maxLoad; preferred 3, max 5) with FIFO order.',
    build: (agents) => ({
      queues: { default: { slaSeconds: 120, inactiveAfterSeconds: 600, autoCloseAfterSeconds: 86_400 } },
      priority: fifoPriority,
      agents: agentsWith(agents, 3, 5),
      channels,
    }),
  },
  {
    key: 'C',
    label: 'C Tide (defaults)',
    description: "Tide's full policy: every default (responsiveness, staleness, near-breach and breach tiers, inactivity, reactivation).",
    build: (agents) => ({
      queues: { default: {} },
      agents: agentsWith(agents, 3, 5),
      channels,
    }),
  },
];

/**
 * Experiments, run only when named with --policies (never by default): what-ifs used to test an
 * explanation, not policies Tide ships.
 */
export const experiments: Policy[] = [
  {
    key: 'X',
    label: 'X Tide, freshness unmasked',
    description:
      "Experiment: Tide's defaults, but the queue's SLA set to 10 days so the breach and near-breach tiers never fire " +
      "(with the default 120 s SLA every stale conversation is already breached, and tierOf ranks breached first, " +
      'so the stale tier is never used), and stale after 15 min. The simulator still measures the 2 min SLA itself.',
    build: (agents) => ({
      queues: { default: { slaSeconds: tenDays } },
      priority: { staleAfterSeconds: 900 },
      agents: agentsWith(agents, 3, 5),
      channels,
    }),
  },
];

/**
 * Candidate for Tide's next defaults (issue 11): C plus the capacity lever (docs/priority.md):
 * adaptive inactivity, effort-weighted load at LivePerson's 0.1, and the first-response boost.
 * An experiment until the simulator has chosen its defaults over enough seeds.
 */
experiments.push({
  key: 'D',
  label: 'D Tide + capacity lever',
  description:
    "Tide's defaults plus adaptive inactivity (τ = 3 × the customer's response time, 90–600 s; 90 s after a first " +
    'reply that came after 5 min), inactive conversations weighing 0.1 of a slot, and new customers ranked as engaged ' +
    '(defaultResponseSeconds 0).',
  build: (agents) => ({
    queues: { default: { adaptiveInactivity: { multiplier: 3, minSeconds: 90, maxSeconds: 600, longFirstWaitSeconds: 300 } } },
    routing: { inactiveLoadWeight: 0.1 },
    priority: { defaultResponseSeconds: 0 },
    agents: agentsWith(agents, 3, 5),
    channels,
  }),
});

/** D's configuration with more on top: the tuning experiments E–I below. */
const dWith = (agents: readonly AgentShift[], over: { queue?: object; routing?: object; priority?: object; adaptive?: object }): TideConfigInput => ({
  queues: { default: { adaptiveInactivity: { multiplier: 3, minSeconds: 90, maxSeconds: 600, longFirstWaitSeconds: 300, ...over.adaptive }, ...over.queue } },
  routing: { inactiveLoadWeight: 0.1, ...over.routing },
  priority: { defaultResponseSeconds: 0, ...over.priority },
  agents: agentsWith(agents, 3, 5),
  channels,
});

experiments.push(
  {
    key: 'E',
    label: 'E D + serve saveable',
    description: 'D, and serve what can still be saved: near-breach, then in-SLA work, then breached work newest first (serveSaveableFirst).',
    build: (agents) => dWith(agents, { priority: { serveSaveableFirst: true } }),
  },
  {
    key: 'F',
    label: 'F E + dynamic +1',
    description: 'E, and dynamic concurrency: an agent with nothing waiting on them takes 1 more than preferred (dynamicConcurrencyMargin 1).',
    build: (agents) => dWith(agents, { priority: { serveSaveableFirst: true }, routing: { dynamicConcurrencyMargin: 1 } }),
  },
  {
    key: 'G',
    label: 'G E + dynamic +2',
    description: 'E, and dynamic concurrency up to maxLoad (dynamicConcurrencyMargin 2).',
    build: (agents) => dWith(agents, { priority: { serveSaveableFirst: true }, routing: { dynamicConcurrencyMargin: 2 } }),
  },
  {
    key: 'H',
    label: 'H E, age cap 20 min',
    description: 'E with the newest-first age cap (staleAfterSeconds) at 20 minutes instead of an hour.',
    build: (agents) => dWith(agents, { priority: { serveSaveableFirst: true, staleAfterSeconds: 1200 } }),
  },
  {
    key: 'I',
    label: 'I E, τ ≤ 5 min',
    description: 'E with adaptive inactivity clamped to 90–300 s (2 × the customer pace).',
    build: (agents) => dWith(agents, { priority: { serveSaveableFirst: true }, adaptive: { multiplier: 2, maxSeconds: 300 } }),
  },
);

experiments.push(
  {
    key: 'J',
    label: 'J I + dynamic +1',
    description: 'I, and dynamic concurrency of 1 (dynamicConcurrencyMargin 1).',
    build: (agents) => dWith(agents, { priority: { serveSaveableFirst: true }, adaptive: { multiplier: 2, maxSeconds: 300 }, routing: { dynamicConcurrencyMargin: 1 } }),
  },
  {
    key: 'K',
    label: 'K E, τ ≤ 3 min',
    description: 'E with adaptive inactivity 2 × the customer pace, clamped to 90–180 s.',
    build: (agents) => dWith(agents, { priority: { serveSaveableFirst: true }, adaptive: { multiplier: 2, maxSeconds: 180 } }),
  },
  {
    key: 'L',
    label: 'L E, τ 60–300 s ×1.5',
    description: 'E with adaptive inactivity 1.5 × the customer pace, clamped to 60–300 s.',
    build: (agents) => dWith(agents, { priority: { serveSaveableFirst: true }, adaptive: { multiplier: 1.5, minSeconds: 60, maxSeconds: 300 } }),
  },
  {
    key: 'N',
    label: 'N I, weight 0',
    description: 'I with inactive conversations weighing nothing (inactiveLoadWeight 0).',
    build: (agents) => dWith(agents, { priority: { serveSaveableFirst: true }, adaptive: { multiplier: 2, maxSeconds: 300 }, routing: { inactiveLoadWeight: 0 } }),
  },
);

export function policyConfig(policy: Policy, agents: readonly AgentShift[]): TideConfig {
  return parseConfig(policy.build(agents));
}

export function selectPolicies(keys: string | undefined): Policy[] {
  if (!keys) return policies;
  const wanted = keys.split(',').map((k) => k.trim().toUpperCase());
  const all = [...policies, ...experiments];
  const unknown = wanted.filter((k) => !all.some((p) => p.key === k));
  if (unknown.length) throw new Error(`unknown policy ${unknown.join(', ')} (known: ${all.map((p) => p.key).join(', ')})`);
  return all.filter((p) => wanted.includes(p.key));
}
