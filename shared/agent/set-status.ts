import { listAgentWork, putIfUnchanged } from '../conversation/conversation-store.js';
import type { Conversation } from '../conversation/model.js';
import { TideError } from '../errors.js';
import { pushWorklist } from '../push/worklist.js';
import { rankOf } from '../routing/priority.js';
import { routeAgentQueues } from '../routing/route-queue.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { transactWrite } from '../storage/transactions.js';
import { createHash } from 'node:crypto';
import { getAgent, writeAgentStatus } from './agent-store.js';
import { releaseSlot, takeSlotUpToMax } from './load.js';
import { addSeconds } from '../clock.js';
import { armTimer } from '../timers/arm.js';
import type { Agent, AgentStatus } from './model.js';

/**
 * Changes an agent's presence.
 *  - online: first takes back reactivated conversations that were waiting for this agent, then
 *    pulls queued work from every queue the agent serves, within a second;
 *  - away: keeps its conversations, receives no new ones (reactivations still come back);
 *  - offline: active conversations waiting on the agent go back to their queues (customers must
 *    not wait on someone who left); those waiting on the customer become inactive, staying with
 *    the agent, who remains their `lastAgentId` either way.
 * A work list is pushed in reply.
 */
export async function setAgentStatus(deps: Deps, agentId: string, status: AgentStatus): Promise<Agent> {
  const agent = await writeAgentStatus(deps, agentId, status, deps.clock.now());
  if (!agent) throw new TideError('not_found', `agent ${agentId} does not exist`);
  if (agent.justCameOnline) await scheduleRampUp(deps, agent);
  let requeued: Conversation[] = [];
  let changed: Conversation[] = [];
  if (status === 'offline') requeued = await requeueActiveWork(deps, agentId);
  if (status === 'online') changed = await takeBackWaitingWork(deps, agentId);
  await pushWorklist(deps, agentId, [...requeued, ...changed]);
  if (status === 'online' || requeued.length > 0) {
    const queues = status === 'online' ? agent.queues : [...new Set(requeued.map((c) => c.queue))];
    await routeAgentQueues(deps, queues);
  }
  return agent;
}

/** Puts each of the agent's active conversations back in its queue, freeing the slot with it. */
async function requeueActiveWork(deps: Deps, agentId: string): Promise<Conversation[]> {
  const requeued: Conversation[] = [];
  // A conversation that changes while we requeue it (a message arrives) is read again next pass.
  for (let pass = 0; pass < 3; pass++) {
    const work = (await listAgentWork(deps, agentId)).filter(
      (c) => c.state === 'active' && !requeued.some((r) => r.conversationId === c.conversationId),
    );
    if (work.length === 0) break;
    for (const current of work) await requeueOne(deps, agentId, current, requeued);
  }
  return requeued;
}

async function requeueOne(deps: Deps, agentId: string, current: Conversation, requeued: Conversation[]) {
  {
    const now = deps.clock.now().toISOString();
    const queue = deps.config.queues[current.queue] ?? deps.config.queues.default!;
    const queued: Conversation =
      current.waitingOn === 'agent'
        ? {
            ...current,
            state: 'queued',
            queuedIn: current.queue,
            assignedTo: undefined,
            preferredAgentId: agentId,
            updatedAt: now,
            version: current.version + 1,
          }
        : {
            ...current,
            state: 'inactive',
            inactiveAt: null,
            autoCloseAt: addSeconds(new Date(current.lastCustomerMessageAt ?? now), queue.autoCloseAfterSeconds).toISOString(),
            updatedAt: now,
            version: current.version + 1,
          };
    queued.rank = rankOf(queued, deps.config.priority);
    const result = await transactWrite(deps.db, [
      {
        Put: {
          TableName: deps.tables.conversations,
          Item: queued,
          ConditionExpression: 'version = :v AND assignedTo = :a AND #state = :active',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':v': current.version, ':a': agentId, ':active': 'active' },
        },
      },
      releaseSlot(deps.tables, agentId),
    ]);
    if (result.committed) {
      requeued.push(queued);
      await armTimer(deps, queued);
    }
    else logger.info('requeue: conversation changed, reading it again', { conversationId: current.conversationId });
  }
}

/** Reactivated conversations that waited for this agent to come back: theirs again, up to maxLoad. */
async function takeBackWaitingWork(deps: Deps, agentId: string): Promise<Conversation[]> {
  const waiting = (await listAgentWork(deps, agentId)).filter(
    (c) => c.state === 'inactive' && c.waitingOn === 'agent' && !c.followUpAt,
  );
  const taken: Conversation[] = [];
  for (const current of waiting) {
    const now = deps.clock.now().toISOString();
    const active: Conversation = { ...current, state: 'active', reassignAt: null, updatedAt: now, version: current.version + 1 };
    active.rank = rankOf(active, deps.config.priority);
    const result = await transactWrite(deps.db, [
      putIfUnchanged(deps.tables, active, current.version),
      takeSlotUpToMax(deps.tables, agentId, now, ['online']),
    ]);
    // At maxLoad, the rest stay waiting; their reassign timer queues them.
    if (!result.committed && result.failed.includes(1)) break;
    if (result.committed) taken.push(active);
  }
  return taken;
}

/**
 * While an agent ramps up, their limit grows one slot per interval; a timer at each step routes
 * their queues again so the new slot is filled when it opens, not at the next message.
 */
async function scheduleRampUp(deps: Deps, agent: Agent): Promise<void> {
  const interval = deps.config.routing.rampUpSecondsPerSlot;
  if (interval <= 0 || !agent.onlineSince) return;
  const since = Date.parse(agent.onlineSince);
  for (let step = 1; step < agent.preferredConcurrency; step++) {
    await deps.timers.schedule(rampTimerName(agent.agentId, since, step), new Date(since + step * interval * 1000), {
      kind: 'ramp',
      agentId: agent.agentId,
      onlineSince: agent.onlineSince,
    });
  }
}

export const rampTimerName = (agentId: string, since: number, step: number) =>
  `ramp-${createHash('sha256').update(agentId).digest('hex').slice(0, 24)}-${since}-${step}`;

/** A ramp-up step: the agent may take one more conversation; route their queues. */
export async function onRampTimer(deps: Deps, agentId: string, onlineSince: string): Promise<boolean> {
  const agent = await getAgent(deps, agentId);
  if (!agent || agent.status !== 'online' || agent.onlineSince !== onlineSince) return false;
  await routeAgentQueues(deps, agent.queues);
  return true;
}
