import type { Agent } from '../agent/model.js';

/**
 * Which agent gets the next conversation of a queue: among agents online, serving the queue and
 * below their preferred concurrency, the least loaded relative to what they prefer (an agent who
 * prefers 6 is "as busy" with 2 as one who prefers 3 with 1), then the one who has waited longest
 * since their last assignment. Pure; the assignment's conditional write has the last word.
 */
export function eligibleAgents(agents: readonly Agent[], queue: string): Agent[] {
  return agents.filter(
    (a) => a.status === 'online' && a.queues.includes(queue) && a.active < a.preferredConcurrency,
  );
}

export function chooseAgent(agents: readonly Agent[], queue: string): Agent | undefined {
  return eligibleAgents(agents, queue).sort(compareForAssignment)[0];
}

export function compareForAssignment(a: Agent, b: Agent): number {
  const load = a.active / a.preferredConcurrency - b.active / b.preferredConcurrency;
  if (load !== 0) return load;
  const idleA = a.lastAssignedAt ?? '';
  const idleB = b.lastAssignedAt ?? '';
  if (idleA !== idleB) return idleA < idleB ? -1 : 1;
  return a.agentId < b.agentId ? -1 : 1;
}
