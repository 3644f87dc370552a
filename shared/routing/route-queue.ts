import { listOnlineAgents } from '../agent/agent-store.js';
import type { Agent } from '../agent/model.js';
import { nextQueued } from '../conversation/conversation-store.js';
import type { Conversation } from '../conversation/model.js';
import { pushWorklist } from '../push/worklist.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { assignFromQueue } from './assign.js';
import { chooseAgent, currentLimit } from './choose-agent.js';

const maxRounds = 10;

/**
 * Hands out a queue's best conversations to its available agents until either runs out.
 *
 * Called after anything that adds work (a new conversation) or capacity (a close, an agent
 * coming online, a transfer away) — and by the sweeper as a safety net. Any number of these may
 * run at once: candidates come from an index that may lag, and each assignment is a conditional
 * transaction, so a lost race just moves on to the next candidate or agent.
 */
export async function routeQueue(deps: Deps, queue: string): Promise<Conversation[]> {
  const assigned: Conversation[] = [];
  const byAgent = new Map<string, Conversation[]>();
  for (let round = 0; round < maxRounds; round++) {
    const now = deps.clock.now();
    const ramp = deps.config.routing.rampUpSecondsPerSlot;
    let agents: Agent[] = (await listOnlineAgents(deps)).filter((a) => a.queues.includes(queue));
    const capacity = agents.reduce((sum, a) => sum + Math.max(0, currentLimit(a, now, ramp) - a.active), 0);
    if (capacity === 0) break;
    const candidates = await nextQueued(deps, queue, Math.min(capacity + 5, 100));
    if (candidates.length === 0) break;
    let progress = false;
    for (const candidate of candidates) {
      const agent = chooseAgent(agents, queue, { now, rampUpSecondsPerSlot: ramp, preferredAgentId: candidate.preferredAgentId });
      if (!agent) break;
      const limit = currentLimit(agent, now, ramp);
      const result = await assignFromQueue(deps, candidate, agent.agentId, limit < agent.preferredConcurrency ? limit : undefined);
      if (result.outcome === 'assigned') {
        progress = true;
        agent.active += 1;
        agent.lastAssignedAt = deps.clock.now().toISOString();
        assigned.push(result.conversation);
        byAgent.set(agent.agentId, [...(byAgent.get(agent.agentId) ?? []), result.conversation]);
      } else if (result.outcome === 'agent-unavailable') {
        // Someone else filled the agent (or it went away): stop offering it work this round.
        agents = agents.filter((a) => a.agentId !== agent.agentId);
        progress = true;
      }
    }
    if (!progress) break;
  }
  await Promise.all(
    [...byAgent].map(([agentId, fresh]) =>
      pushWorklist(deps, agentId, fresh).catch((error: Error) =>
        logger.warn('work-list push after assignment failed', { agentId, error: error.name }),
      ),
    ),
  );
  return assigned;
}

/** Routes every queue the given agent serves (after the agent freed capacity). */
export async function routeAgentQueues(deps: Deps, queues: readonly string[]): Promise<Conversation[]> {
  const results = await Promise.all(queues.map((q) => routeQueue(deps, q)));
  return results.flat();
}
