import { agentIdsWithStatus, commitAgent, getAgents } from '../agent/agent-store.js';
import { activeHeld, loadOf, queueLoadOf, type Agent } from '../agent/model.js';
import { checkPresence, startPresenceGrace } from '../agent/presence.js';
import { onRampTimer } from '../agent/set-status.js';
import { holdingOf, holdsTellWaiting } from '../agent/transitions.js';
import { liveConnections, removeConnection } from '../agent/connections.js';
import { getConversations } from '../conversation/conversation-store.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { recordQueueMetrics } from '../supervision/queue-metrics.js';
import { fireLatenessMs } from '../timers/deadlines.js';
import { redriveFailedTimers } from '../timers/redrive.js';
import { routeQueue } from './route-queue.js';

export interface SweepResult {
  assigned: number;
  /** Queues whose routing pass failed this time (the others were still routed). */
  failedQueues: string[];
  /** Agents whose `holds`/`active` disagreed with their conversations and were repaired. */
  repairedAgents: number;
  /** Agents found gone (no live connection) whose presence check was started or done. */
  presenceChecks: number;
  /** Failed timer fires run again from the dead-letter queue. */
  timersRedriven: number;
}

/**
 * The safety net, once a minute (it is not how work normally moves: the change stream is).
 *  - routes every queue, each on its own: one failing queue does not stop the others;
 *  - repairs an agent whose load disagrees with the conversations it holds (it cannot, by
 *    construction, but a counter that drifted would silently cost a slot forever);
 *  - starts the presence grace for agents left with no live connection (a `$disconnect` that
 *    never came, connections past API Gateway's 2 hours) and ends overdue ones (a lost timer);
 *  - raises the routing limit of agents whose ramp-up timer was lost;
 *  - runs timer fires that failed for good again (their dead-letter queue).
 */
export async function sweep(deps: Deps): Promise<SweepResult> {
  const queues = Object.keys(deps.config.queues);
  const routed = await Promise.allSettled(queues.map((q) => routeQueue(deps, q)));
  const failedQueues = queues.filter((_, i) => routed[i]!.status === 'rejected');
  for (const [i, result] of routed.entries()) {
    if (result.status === 'rejected') logger.error('sweep: routing a queue failed', { queue: queues[i], error: (result.reason as Error)?.name });
  }
  const assigned = routed.reduce((n, r) => n + (r.status === 'fulfilled' ? r.value.assigned.length : 0), 0);

  const ids = [...new Set([...(await agentIdsWithStatus(deps, 'online')), ...(await agentIdsWithStatus(deps, 'away'))])];
  let repairedAgents = 0;
  let presenceChecks = 0;
  // Checking an agent's holds against its conversations reads them all: each sweep checks a
  // tenth of the agents (by id), so every agent is checked every ten minutes.
  const turn = Math.floor(deps.clock.now().getTime() / 60_000) % 10;
  const agents = await getAgents(deps, ids);
  for (const agent of agents) {
    try {
      if ((agent.active !== activeHeld(agent.holds ?? {}) || bucketOf(agent.agentId) === turn) && (await repairLoad(deps, agent))) repairedAgents++;
      if (await presenceOf(deps, agent)) presenceChecks++;
      if (agent.routingLimit !== undefined) await onRampTimer(deps, agent.agentId);
    } catch (error) {
      logger.error('sweep: an agent check failed', { agentId: agent.agentId, error: (error as Error).name });
    }
  }
  if (deps.metrics) await recordQueueMetrics(deps, deps.metrics, agents).catch((error: Error) => logger.warn('sweep: queue metrics not read', { error: error.name }));
  const timersRedriven = deps.failedTimers ? (await redriveFailedTimers(deps, deps.failedTimers)).redriven : 0;
  return { assigned, failedQueues, repairedAgents, presenceChecks, timersRedriven };
}

/** Rewrites `holds` and `active` from the conversations themselves when they disagree. */
async function repairLoad(deps: Deps, agent: Agent): Promise<boolean> {
  const held = await getConversations(deps, Object.keys(agent.holds ?? {}));
  const holds: Agent['holds'] = {};
  for (const c of held) {
    const how = holdingOf(c, agent.agentId, holdsTellWaiting(deps.config));
    if (how) holds[c.conversationId] = how;
  }
  const derived = loadOf(holds, deps.config.routing);
  // An agent stored without `load` (it never held anything since the weight was set) has none to
  // repair; nor has one without `stretch` that holds nothing: it is below preferred anyway, and its
  // first conversation writes the stretch.
  const same =
    derived.active === agent.active &&
    queueLoadOf(derived) === queueLoadOf(agent) &&
    (derived.stretch === agent.stretch || Object.keys(holds).length === 0) &&
    Object.keys(holds).length === Object.keys(agent.holds ?? {}).length &&
    Object.entries(holds).every(([id, h]) => agent.holds[id] === h);
  if (same) return false;
  logger.error('agent load drifted; repaired', { agentId: agent.agentId, counted: agent.active, actual: derived.active });
  // Conditional on the version read: an agent changing meanwhile is left for the next sweep.
  return commitAgent(deps, agent, { ...agent, holds, ...derived, version: agent.version + 1 });
}

const bucketOf = (agentId: string) => [...agentId].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7) % 10;

async function presenceOf(deps: Deps, agent: Agent): Promise<boolean> {
  const now = deps.clock.now();
  // Entries of connections past API Gateway's 2 hours are surely gone (their $disconnect was lost).
  const expired = Object.keys(agent.connections ?? {}).filter((id) => !liveConnections(agent, now).includes(id));
  for (const connectionId of expired) await removeConnection(deps, connectionId, agent.agentId);
  if (liveConnections(agent, now).length > 0) return false;
  if (!agent.presenceCheckAt) {
    await startPresenceGrace(deps, agent);
    return true;
  }
  // A check overdue by more than a timer's lateness: its schedule was lost.
  if (Date.parse(agent.presenceCheckAt) < now.getTime() - fireLatenessMs) return checkPresence(deps, agent);
  return false;
}
