import { getAgent } from '../agent/agent-store.js';
import { releaseSlot, takeSlotUpToMax } from '../agent/load.js';
import { addSeconds } from '../clock.js';
import { writeClose } from '../conversation/close.js';
import { getConversation, putIfUnchanged } from '../conversation/conversation-store.js';
import type { Conversation } from '../conversation/model.js';
import { pushWorklist } from '../push/worklist.js';
import { rankOf } from '../routing/priority.js';
import { routeAgentQueues, routeQueue } from '../routing/route-queue.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { transactWrite } from '../storage/transactions.js';
import { armTimer } from './arm.js';
import { startWaitingOnAgent } from '../conversation/waiting.js';
import { dueEvent, type TimedEvent } from './deadlines.js';

/**
 * A conversation's timer fired. Re-reads the conversation and performs whatever is due *now*:
 * a late fire does late work, an early one does nothing, a duplicate finds the work done, and a
 * fire from a superseded schedule (older generation) leaves everything to the current one.
 * Returns the events it performed.
 */
export async function onConversationTimer(deps: Deps, conversationId: string, gen: number): Promise<TimedEvent[]> {
  const performed: TimedEvent[] = [];
  let conversation = await getConversation(deps, conversationId);
  if (!conversation || (conversation.armedGen ?? 0) > gen) return performed;
  for (let step = 0; step < 8 && conversation && conversation.state !== 'closed'; step++) {
    const event = dueEvent(conversation, deps.clock.now());
    if (!event) break;
    const done = await perform(deps, conversation, event);
    if (done) performed.push(event);
    conversation = await getConversation(deps, conversationId);
  }
  if (conversation && conversation.state !== 'closed') await armTimer(deps, conversation, gen);
  return performed;
}

/** Performs one timed event; false when the conversation changed first (the caller re-reads). */
async function perform(deps: Deps, current: Conversation, event: TimedEvent): Promise<boolean> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const queue = deps.config.queues[current.queue] ?? deps.config.queues.default!;
  const owner = current.assignedTo;
  const next: Conversation = { ...current, updatedAt: at, version: current.version + 1 };
  const extra = [];
  let requeue = false;

  switch (event) {
    case 'autoClose': {
      const closed = await writeClose(deps, current);
      if (closed && owner) await pushWorklist(deps, owner, [closed]);
      return Boolean(closed);
    }
    case 'slaWarning':
      Object.assign(next, { slaNearBreach: true });
      break;
    case 'stale':
      Object.assign(next, { stale: true });
      break;
    case 'slaBreach':
      // Escalates: the breached tier outranks all other waiting work, in the queue and the lists.
      Object.assign(next, { slaBreached: true, slaBreachedAt: at, slaBreaches: (current.slaBreaches ?? 0) + 1 });
      logger.warn('SLA breached', { conversationId: current.conversationId, queue: current.queue, agentId: owner });
      break;
    case 'inactive':
      // The customer went dark: the conversation stays with its agent but frees the slot.
      Object.assign(next, { state: 'inactive', inactiveAt: null, autoCloseAt: autoCloseAt(current, queue.autoCloseAfterSeconds, now) });
      if (owner) extra.push(releaseSlot(deps.tables, owner));
      break;
    case 'followUp':
    case 'reassign': {
      // Back to actionable: with its agent if they can take it (up to maxLoad), else queued.
      const returning = event === 'followUp';
      Object.assign(next, {
        ...(returning || !current.waitingSince ? startWaitingOnAgent(now, queue, deps.config.priority) : {}),
        waitingOn: 'agent',
        followUpAt: null,
        reassignAt: null,
        followUpDue: returning ? true : current.followUpDue,
      });
      const agent = owner ? await getAgent(deps, owner) : undefined;
      if (agent && agent.status !== 'offline' && agent.active < agent.maxLoad) {
        next.state = 'active';
        extra.push(takeSlotUpToMax(deps.tables, agent.agentId, at, ['online', 'away']));
      } else {
        Object.assign(next, { state: 'queued', queuedIn: current.queue, assignedTo: undefined });
        requeue = true;
      }
      break;
    }
  }
  next.rank = rankOf(next, deps.config.priority);
  const result = await transactWrite(deps.db, [
    putIfUnchanged(deps.tables, next, current.version),
    ...extra,
  ]);
  if (!result.committed) return false;

  if (owner) await pushWorklist(deps, owner, [next]);
  if (next.assignedTo && next.assignedTo !== owner) await pushWorklist(deps, next.assignedTo, [next]);
  if (requeue) await routeQueue(deps, next.queue);
  if (event === 'inactive' && owner) {
    const agent = await getAgent(deps, owner);
    await routeAgentQueues(deps, agent?.queues ?? []);
  }
  return true;
}

/** Auto-close counts from the customer's last message, and never before the conversation went inactive. */
function autoCloseAt(c: Conversation, afterSeconds: number, now: Date): string {
  const from = c.lastCustomerMessageAt ? new Date(c.lastCustomerMessageAt) : now;
  return new Date(Math.max(addSeconds(from, afterSeconds).getTime(), now.getTime())).toISOString();
}
