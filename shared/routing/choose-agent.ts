import { canTakeQueueWork, queueLoadOf, type Agent } from '../agent/model.js';

/**
 * Which agent gets a queued conversation. Pure; the assignment's conditional write has the last word.
 *
 *  - Eligible: online, serving the queue, below their routing limit (preferred concurrency, or
 *    less while ramping up).
 *  - The preferred agent when eligible (history affinity: the customer's previous agent, or the
 *    one they were with before the agent left).
 *  - Otherwise the least loaded (effort-weighted when configured) relative to what they prefer (an agent who prefers 6 is "as busy"
 *    with 2 as one who prefers 3 with 1). Ties go to a random one of them: routers running at once
 *    on the same facts then spread over the tied agents instead of all racing for the same one.
 */
export function chooseAgent(
  agents: Iterable<Agent>,
  queue: string,
  preferredAgentId: string | undefined,
  random: () => number = Math.random,
): Agent | undefined {
  const eligible = [...agents].filter((a) => canTakeQueueWork(a) && a.queues.includes(queue));
  const preferred = eligible.find((a) => a.agentId === preferredAgentId);
  if (preferred) return preferred;
  const load = (a: Agent) => queueLoadOf(a) / a.preferredConcurrency;
  const least = Math.min(...eligible.map(load));
  const tied = eligible.filter((a) => load(a) - least < 1e-9);
  return tied.length ? tied[Math.floor(random() * tied.length)] : undefined;
}
