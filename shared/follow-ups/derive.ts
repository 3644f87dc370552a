import { canTakeQueueWork, type Agent } from '../agent/model.js';
import type { DeliveryStatus, StoredMessage } from '../conversation/message-store.js';
import type { Conversation } from '../conversation/model.js';
import { sameValue } from '../storage/versioned.js';
import type { Change } from './changes.js';

/**
 * What must follow a change, as a pure function of the item's image before and after it. Commands
 * only write state; everything that follows is derived here from the change stream and applied
 * by one runner (./run.ts). So a follow-up cannot be forgotten by a command, nor lost when the
 * invocation that made the change dies after committing it: the stream delivers the change until
 * its follow-ups are done.
 */
export type FollowUp =
  /** Queued work or capacity appeared: a routing pass over the queue (with what the stream saw). */
  | { kind: 'route'; queue: string; conversation?: Conversation; agent?: Agent }
  /** The agent's work list changed: push it. */
  | { kind: 'push'; agentId: string }
  /** A customer message reached a conversation the agent holds: a `message` frame. */
  | { kind: 'message'; agentId: string; conversation: Conversation }
  /** A timer was armed: its schedule must exist. */
  | { kind: 'arm'; conversationId: string; gen: number; at: string }
  /** A new outbound message: its first delivery attempt. */
  | { kind: 'deliver'; message: StoredMessage }
  /** An outbound message's delivery status moved: tell the agent who sent it, if they still hold it. */
  | { kind: 'delivery'; conversationId: string; messageId: string; agentId?: string; status: DeliveryStatus; error?: StoredMessage['error'] }
  /** Something supervisors' overview shows changed (shared/supervision). */
  | { kind: 'overview' };

export function followUpsOf(change: Change): FollowUp[] {
  switch (change.table) {
    case 'conversations':
      return conversationFollowUps(change.before, change.after);
    case 'agents':
      return agentFollowUps(change.before, change.after);
    case 'messages':
      return messageFollowUps(change.before, change.after);
  }
}

/** The fields a work-list item shows (or orders by): a change to any of them is pushed. */
const shown = ['state', 'waitingOn', 'assignedTo', 'queue', 'customerName', 'lastMessage', 'slaDueAt', 'slaBreached', 'followUpAt', 'priority', 'rank', 'transferNote'] as const;
/** The fields of a conversation the overview counts by (a new message alone changes none of them). */
const counted = ['state', 'queuedIn', 'queue', 'assignedTo', 'waitingOn', 'waitingSince', 'slaDueAt', 'slaBreached'] as const;
/** The fields of an agent the overview shows (its push counter and connections change none of them). */
const overviewed = ['status', 'name', 'queues', 'holds', 'preferredConcurrency', 'maxLoad'] as const;
const changedIn = <T extends object>(fields: readonly (keyof T)[], before: T | undefined, after: T | undefined) =>
  !before || !after || fields.some((field) => !sameValue(before[field] ?? null, after[field] ?? null));

function conversationFollowUps(before: Conversation | undefined, after: Conversation | undefined): FollowUp[] {
  if (!after) return [];
  const out: FollowUp[] = changedIn(counted, before, after) ? [{ kind: 'overview' }] : [];
  if (after.state === 'queued' && after.queuedIn && before?.version !== after.version) {
    out.push({ kind: 'route', queue: after.queuedIn, conversation: after });
  }
  const visible = !before || shown.some((field) => !sameValue(before[field] ?? null, after[field] ?? null));
  if (visible) {
    // The agent who let go of it in a command that pushed their list before its ack (a close, a
    // transfer) has had this change pushed already.
    const pushedAlready = after.releasePushedAt === after.version ? before?.assignedTo : undefined;
    for (const agentId of new Set([before?.assignedTo, after.assignedTo])) if (agentId && agentId !== pushedAlready) out.push({ kind: 'push', agentId });
  }
  if (after.assignedTo && after.lastMessage.direction === 'in' && after.lastMessage.messageId !== before?.lastMessage.messageId) {
    out.push({ kind: 'message', agentId: after.assignedTo, conversation: after });
  }
  if ((after.armedGen ?? 0) > (before?.armedGen ?? 0) && after.armedAt) {
    out.push({ kind: 'arm', conversationId: after.conversationId, gen: after.armedGen!, at: after.armedAt });
  }
  return out;
}

function agentFollowUps(before: Agent | undefined, after: Agent | undefined): FollowUp[] {
  // An agent removed by an administrator leaves the overview.
  if (!after) return before ? [{ kind: 'overview' }] : [];
  const out: FollowUp[] = changedIn(overviewed, before, after) ? [{ kind: 'overview' }] : [];
  // Only room that was not there can have work waiting for it. While the agent had room, every
  // conversation queued in its queues found it in its own pass (which saw it in the Availability
  // rows), or that pass asked for a recheck (shared/routing/route-queue.ts, `leftBehind`); so a
  // slot freed by an agent who had room anyway routes nothing, which on a day with room is most of them.
  const capacityAppeared = canTakeQueueWork(after) && (!before || !canTakeQueueWork(before) || !sameValue(before.queues, after.queues));
  if (capacityAppeared) for (const queue of after.queues) out.push({ kind: 'route', queue, agent: after });
  // The list's header. `active` is left out: it only changes with a conversation, whose own
  // change pushes the list. The agent's push counter and connections change nothing shown.
  const header = ['status', 'preferredConcurrency', 'maxLoad', 'name'] as const;
  if (before && header.some((field) => !sameValue(before[field], after[field]))) out.push({ kind: 'push', agentId: after.agentId });
  return out;
}

function messageFollowUps(before: StoredMessage | undefined, after: StoredMessage | undefined): FollowUp[] {
  if (!after || after.direction !== 'out' || !after.status) return [];
  if (!before && after.status === 'pending') return [{ kind: 'deliver', message: after }];
  if (before && before.status !== after.status) {
    return [{ kind: 'delivery', conversationId: after.conversationId, messageId: after.messageId, agentId: after.agentId, status: after.status, error: after.error }];
  }
  return [];
}
