import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { getAgent } from '../agent/agent-store.js';
import { addSeconds } from '../clock.js';
import { takeSlotUpToMax } from '../agent/load.js';
import type { QueueConfig } from '../config/schema.js';
import { newConversationId } from '../ids.js';
import { rankOf } from '../routing/priority.js';
import { priorityFromRules, raisedPriority } from '../routing/priority-rules.js';
import type { Deps } from '../runtime/deps.js';
import { transactWrite } from '../storage/transactions.js';
import { putIfUnchanged } from './conversation-store.js';
import { customerKey } from './customer-store.js';
import type { Conversation } from './model.js';
import type { InboundMessage, Received } from './receive-message.js';
import { customerResponseSeconds, startWaitingOnAgent } from './waiting.js';

/**
 * What a customer's message does to their conversation, as the next image of the conversation
 * and the transaction item that writes it (shared/conversation/receive-message.ts commits them
 * together with the message). One function per case.
 */

type Summary = Conversation['lastMessage'];
type QueueSettings = QueueConfig;

/** The stored form of an inbound message. */
export const inboundMessageItem = (message: InboundMessage, messageId: string, conversationId: string, at: string) => ({
  messageId,
  conversationId,
  channel: message.channel,
  externalId: message.externalId,
  direction: 'in' as const,
  from: message.from,
  text: message.text,
  sentAt: at,
});

/** Writes a message once: its id is derived from the channel's id, so this is also the dedupe. */
export const putNewMessage = (deps: Deps, item: Record<string, unknown>) => ({
  Put: { TableName: deps.tables.messages, Item: item, ConditionExpression: 'attribute_not_exists(messageId)' },
});

/**
 * A message on an open conversation: it now waits on the agent. An inactive conversation (the
 * customer went dark, or a follow-up is pending) is reactivated:
 *  - with its agent when the agent is online or away and below `maxLoad`, even above preferred
 *    concurrency (the customer continues with the person who knows the case);
 *  - if the agent is offline, it waits `offlineReactivationWaitSeconds` for them (a timer then
 *    queues it), so an agent on a short break does not lose the customer;
 *  - otherwise it is queued, the agent kept as `lastAgentId` for routing preference.
 */
export async function continueConversation(deps: Deps, existing: Conversation, message: InboundMessage, summary: Summary, now: Date) {
  const queue = deps.config.queues[existing.queue] ?? (deps.config.queues.default as QueueSettings);
  const wasWaitingOnAgent = existing.waitingOn === 'agent' && !existing.followUpAt;
  const conversation: Conversation = {
    ...existing,
    customerName: message.name ?? existing.customerName,
    // The SLA clock runs from the first unanswered message; later ones don't restart it.
    ...(wasWaitingOnAgent && existing.waitingSince ? {} : startWaitingOnAgent(now, queue, deps.config.priority)),
    waitingOn: 'agent',
    lastMessage: summary,
    lastCustomerMessageAt: summary.at,
    customerResponseSeconds: customerResponseSeconds(existing, now),
    closingQuestionAsked: false,
    priority: raisedPriority(
      existing.priority,
      message.priority,
      priorityFromRules(message.text, existing.queue, deps.config.priorityRules),
    ),
    followUpAt: null,
    inactiveAt: null,
    autoCloseAt: null,
    updatedAt: summary.at,
    version: existing.version + 1,
  };
  let slot: ReturnType<typeof takeSlotUpToMax> | undefined;
  if (existing.state === 'inactive' && existing.assignedTo) {
    const agent = await getAgent(deps, existing.assignedTo);
    const wait = deps.config.routing.offlineReactivationWaitSeconds;
    if (agent && agent.status !== 'offline' && agent.active < agent.maxLoad) {
      conversation.state = 'active';
      conversation.reassignAt = null;
      slot = takeSlotUpToMax(deps.tables, agent.agentId, summary.at, ['online', 'away']);
    } else if (agent?.status === 'offline' && wait > 0) {
      conversation.reassignAt = existing.reassignAt ?? addSeconds(now, wait).toISOString();
    } else {
      Object.assign(conversation, {
        state: 'queued',
        queuedIn: existing.queue,
        assignedTo: undefined,
        reassignAt: null,
        preferredAgentId: existing.assignedTo,
      });
    }
  }
  conversation.rank = rankOf(conversation, deps.config.priority);
  return {
    conversation,
    slot,
    write: putIfUnchanged(deps.tables, conversation, existing.version),
  };
}

/**
 * A message that changes nothing in the workflow (courtesy, or the answer that will close the
 * conversation): it is kept and shown, but the conversation keeps its state, owner, timers and
 * who it waits on.
 */
export function noteWithoutActing(deps: Deps, existing: Conversation, summary: Summary) {
  const conversation: Conversation = { ...existing, lastMessage: summary, updatedAt: summary.at, version: existing.version + 1 };
  conversation.rank = rankOf(conversation, deps.config.priority);
  return {
    conversation,
    write: putIfUnchanged(deps.tables, conversation, existing.version),
  };
}

/** Stores a courtesy message under the customer's closed conversation; undefined to retry. */
export async function fileWithClosedConversation(
  deps: Deps,
  message: InboundMessage,
  messageId: string,
  conversationId: string,
  at: string,
): Promise<Received | undefined> {
  const result = await transactWrite(deps.db, [
    putNewMessage(deps, { ...inboundMessageItem(message, messageId, conversationId, at), afterClose: true }),
    {
      // Still no open conversation (else the message belongs there).
      ConditionCheck: {
        TableName: deps.tables.customers,
        Key: { customerKey: customerKey(message.channel, message.from) },
        ConditionExpression: 'attribute_not_exists(openConversationId)',
      },
    },
  ]);
  if (result.committed) return { conversationId, messageId, duplicate: false };
  if (result.failed.includes(0)) {
    const stored = await deps.db.send(new GetCommand({ TableName: deps.tables.messages, Key: { messageId }, ConsistentRead: true }));
    return { conversationId: stored.Item!.conversationId as string, messageId, duplicate: true };
  }
  return undefined;
}

/** A customer without an open conversation: a new one, queued. */
export function openConversation(deps: Deps, message: InboundMessage, summary: Summary, now: Date, previousAgentId?: string) {
  const queue = deps.config.queues[message.queue] as QueueSettings;
  const conversation: Conversation = {
    conversationId: newConversationId(),
    channel: message.channel,
    customerId: message.from,
    customerName: message.name,
    queue: message.queue,
    state: 'queued',
    waitingOn: 'agent',
    queuedIn: message.queue,
    preferredAgentId: previousAgentId,
    rank: '',
    priority: raisedPriority(queue.priority, message.priority, priorityFromRules(message.text, message.queue, deps.config.priorityRules)),
    lastMessage: summary,
    lastCustomerMessageAt: summary.at,
    waitingSince: summary.at,
    slaDueAt: null,
    slaBreached: false,
    ...startWaitingOnAgent(now, queue, deps.config.priority),
    followUpAt: null,
    createdAt: summary.at,
    updatedAt: summary.at,
    version: 1,
  };
  conversation.rank = rankOf(conversation, deps.config.priority);
  return {
    conversation,
    write: {
      Put: {
        TableName: deps.tables.conversations,
        Item: conversation,
        ConditionExpression: 'attribute_not_exists(conversationId)',
      },
    },
  };
}

