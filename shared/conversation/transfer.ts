import { putIfUnchanged } from './conversation-store.js';
import { getAgent } from '../agent/agent-store.js';
import { releaseSlot, takeSlotUpToMax } from '../agent/load.js';
import { TideError } from '../errors.js';
import { pushWorklist } from '../push/worklist.js';
import { rankOf } from '../routing/priority.js';
import { routeAgentQueues, routeQueue } from '../routing/route-queue.js';
import type { Deps } from '../runtime/deps.js';
import { transactWrite } from '../storage/transactions.js';
import type { Conversation } from './model.js';
import { ownConversation } from './ownership.js';

export type TransferTarget = { queue: string } | { agentId: string };

const maxAttempts = 5;

/**
 * Hands a conversation over, keeping its history, SLA clock and business priority.
 *  - To a queue: it is queued there and routed like any queued conversation.
 *  - To an agent: the agent must be online or away and below `maxLoad` (a hand-over may go above
 *    preferred concurrency, as a reactivation may); otherwise `invalid_state`.
 * Either way the sender's slot is freed and pulls queued work.
 */
export async function transferConversation(
  deps: Deps,
  agentId: string,
  conversationId: string,
  target: TransferTarget,
): Promise<Conversation> {
  if ('queue' in target && !deps.config.queues[target.queue]) {
    throw new TideError('not_found', `queue ${target.queue} does not exist`);
  }
  if ('agentId' in target) {
    if (target.agentId === agentId) throw new TideError('invalid_request', 'cannot transfer to yourself');
    const receiver = await getAgent(deps, target.agentId);
    if (!receiver) throw new TideError('not_found', `agent ${target.agentId} does not exist`);
    if (receiver.status === 'offline') throw new TideError('invalid_state', `agent ${target.agentId} is offline`);
  }

  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await ownConversation(deps, agentId, conversationId);
    const now = deps.clock.now().toISOString();
    const wasActive = current.state === 'active';
    const moved: Conversation =
      'queue' in target
        ? {
            ...current,
            queue: target.queue,
            state: 'queued',
            queuedIn: target.queue,
            assignedTo: undefined,
            followUpAt: null,
            updatedAt: now,
            version: current.version + 1,
          }
        : { ...current, assignedTo: target.agentId, lastAgentId: target.agentId, updatedAt: now, version: current.version + 1 };
    moved.rank = rankOf(moved, deps.config.priority);

    const result = await transactWrite(deps.db, [
      putIfUnchanged(deps.tables, moved, current.version),
      ...(wasActive ? [releaseSlot(deps.tables, agentId)] : []),
      ...('agentId' in target && wasActive
        ? [takeSlotUpToMax(deps.tables, target.agentId, now, ['online', 'away'])]
        : []),
    ]);
    if (!result.committed) {
      if (result.failed.includes(2)) throw new TideError('invalid_state', `agent ${(target as { agentId: string }).agentId} is at maximum load or offline`);
      continue;
    }
    await pushWorklist(deps, agentId, [moved]);
    if ('agentId' in target) await pushWorklist(deps, target.agentId, [moved]);
    else await routeQueue(deps, target.queue);
    if (wasActive) {
      const sender = await getAgent(deps, agentId);
      await routeAgentQueues(deps, sender?.queues ?? []);
    }
    return moved;
  }
  throw new Error('transfer: too much contention on one conversation');
}
