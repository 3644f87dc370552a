import type { Agent } from '../agent/model.js';

/**
 * Which agent gets the next conversation of a queue. Pure; the assignment's conditional write
 * has the last word.
 *
 *  - Eligible: online, serving the queue, below their current limit: preferred concurrency, or
 *    less while ramping up after coming online (`rampUpSecondsPerSlot`: one slot at once, one
 *    more per interval), so an agent who logs in is not handed a full load in one burst.
 *  - The customer's previous agent, when eligible (history affinity: they know the case).
 *  - Otherwise the least loaded relative to what they prefer (an agent who prefers 6 is "as busy"
 *    with 2 as one who prefers 3 with 1), then the longest since their last assignment.
 */
export function currentLimit(agent: Agent, now: Date, rampUpSecondsPerSlot: number): number {
  if (rampUpSecondsPerSlot <= 0 || !agent.onlineSince) return agent.preferredConcurrency;
  const elapsed = Math.max(0, now.getTime() - Date.parse(agent.onlineSince)) / 1000;
  return Math.min(agent.preferredConcurrency, 1 + Math.floor(elapsed / rampUpSecondsPerSlot));
}

export function eligibleAgents(agents: readonly Agent[], queue: string, now: Date, rampUpSecondsPerSlot = 0): Agent[] {
  return agents.filter(
    (a) => a.status === 'online' && a.queues.includes(queue) && a.active < currentLimit(a, now, rampUpSecondsPerSlot),
  );
}

export function chooseAgent(
  agents: readonly Agent[],
  queue: string,
  options: { now?: Date; rampUpSecondsPerSlot?: number; preferredAgentId?: string } = {},
): Agent | undefined {
  const eligible = eligibleAgents(agents, queue, options.now ?? new Date(0), options.rampUpSecondsPerSlot ?? 0);
  return eligible.find((a) => a.agentId === options.preferredAgentId) ?? eligible.sort(compareForAssignment)[0];
}

export function compareForAssignment(a: Agent, b: Agent): number {
  const load = a.active / a.preferredConcurrency - b.active / b.preferredConcurrency;
  if (load !== 0) return load;
  const idleA = a.lastAssignedAt ?? '';
  const idleB = b.lastAssignedAt ?? '';
  if (idleA !== idleB) return idleA < idleB ? -1 : 1;
  return a.agentId < b.agentId ? -1 : 1;
}
