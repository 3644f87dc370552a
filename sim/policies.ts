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

/** First come, first served: no business priority, no responsiveness, no staleness, no near-breach tier, breached oldest first. */
export const fifoPriority = { priorityStepSeconds: 0, responsivenessWeight: 0, staleAfterSeconds: tenDays, nearBreachFraction: 0, serveSaveableFirst: false };

/**
 * Capacity as Tide had it before issue 11, pinned here so that A, A2 and B stay what they were
 * whatever Tide's defaults become: a fixed inactivity time, and an inactive conversation costs
 * nothing.
 */
const fixedCapacity = { adaptiveInactivity: false as const };
const freeInactive = { inactiveLoadWeight: 0 };

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
      queues: { default: { slaSeconds: 120, inactiveAfterSeconds: tenDays, autoCloseAfterSeconds: 86_400, ...fixedCapacity } },
      routing: freeInactive,
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
      queues: { default: { slaSeconds: 120, inactiveAfterSeconds: 600, autoCloseAfterSeconds: 1, ...fixedCapacity } },
      routing: freeInactive,
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
      queues: { default: { slaSeconds: 120, inactiveAfterSeconds: 600, autoCloseAfterSeconds: 86_400, ...fixedCapacity } },
      routing: freeInactive,
      priority: fifoPriority,
      agents: agentsWith(agents, 3, 5),
      channels,
    }),
  },
  {
    key: 'C',
    label: 'C Tide (defaults)',
    description:
      "Tide's full policy, every default: responsiveness with the first-response boost, serve what can still be saved " +
      '(near-breach, in-SLA, then breached newest first, stale last), adaptive inactivity (2 × the customer pace, 90–180 s), ' +
      'inactive conversations at 0.1 of a slot, reactivation to the same agent.',
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
      "Experiment: Tide's defaults with the queue's SLA at 10 days, so that the breach and near-breach tiers never fire, " +
      'and stale after 15 min: what freshness alone does. The simulator still measures the 2 min SLA itself.',
    build: (agents) => ({
      queues: { default: { slaSeconds: tenDays } },
      priority: { staleAfterSeconds: 900 },
      agents: agentsWith(agents, 3, 5),
      channels,
    }),
  },
];

experiments.push(
  {
    key: 'C0',
    label: 'C0 Tide before issue 11',
    description:
      "Tide's defaults before issue 11: C without the capacity lever (fixed inactivity 600 s, inactive conversations free), " +
      'breached work first and oldest first, new customers ranked as answering in 120 s.',
    build: (agents) => ({
      queues: { default: { ...fixedCapacity } },
      routing: freeInactive,
      priority: { defaultResponseSeconds: 120, serveSaveableFirst: false },
      agents: agentsWith(agents, 3, 5),
      channels,
    }),
  },
  {
    key: 'F',
    label: 'F Tide + dynamic concurrency',
    description:
      "Tide's defaults and dynamic concurrency, which a business opts into: an agent with nothing waiting on them takes " +
      'one conversation above preferred from the queue (dynamicConcurrencyMargin 1).',
    build: (agents) => ({
      queues: { default: {} },
      routing: { dynamicConcurrencyMargin: 1 },
      agents: agentsWith(agents, 3, 5),
      channels,
    }),
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
