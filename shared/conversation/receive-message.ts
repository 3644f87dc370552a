import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { addSeconds } from '../clock.js';
import { TideError } from '../errors.js';
import { inboundMessageId, newConversationId } from '../ids.js';
import { pushWorklist, sendToAgent } from '../push/worklist.js';
import { rankOf } from '../routing/priority.js';
import { routeQueue } from '../routing/route-queue.js';
import type { Deps } from '../runtime/deps.js';
import type { QueueConfig } from '../config/schema.js';
import { logger } from '../runtime/logger.js';
import { transactWrite } from '../storage/transactions.js';
import { getAgent } from '../agent/agent-store.js';
import { takeSlotUpToMax } from '../agent/load.js';
import { armTimer } from '../timers/arm.js';
import { getConversation, putIfUnchanged } from './conversation-store.js';
import { classifyCustomerMessage } from '../classifier/classify.js';
import { priorityFromRules, raisedPriority } from '../routing/priority-rules.js';
import { closeOnCustomersAnswer } from './close.js';
import { customerKey, getCustomer } from './customer-store.js';
import type { Conversation } from './model.js';
import { customerResponseSeconds, startWaitingOnAgent } from './waiting.js';

export interface InboundMessage {
  channel: string;
  externalId: string;
  /** The customer's address on the channel (phone number, PSID, …). */
  from: string;
  text: string;
  queue: string;
  name?: string;
  /** Business priority sent by the channel. */
  priority?: number;
}

export interface Received {
  conversationId: string;
  messageId: string;
  /** True when this externalId was already stored: nothing was written. */
  duplicate: boolean;
}

const maxAttempts = 8;

/**
 * Stores a customer's message and the conversation change it causes in one transaction, then
 * routes or notifies. Once this returns the message is kept, whatever happens to the routing and
 * pushes that follow (the sweeper recovers those).
 *
 * Exactly-once storage under retries and concurrent duplicates: the message id is derived from
 * the channel's externalId and written with `attribute_not_exists`, in the same transaction as
 * the conversation. One open conversation per customer and channel: the customer item points at
 * it and is claimed conditionally.
 */
export async function receiveMessage(deps: Deps, message: InboundMessage): Promise<Received> {
  const queueConfig = deps.config.queues[message.queue];
  if (!queueConfig) throw new TideError('unknown_queue', `queue ${message.queue} does not exist`);
  const messageId = inboundMessageId(message.channel, message.externalId);
  const key = customerKey(message.channel, message.from);

  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const now = deps.clock.now();
    const at = now.toISOString();
    const summary = { messageId, direction: 'in' as const, text: message.text, at };
    const customer = await getCustomer(deps, key);
    const open = customer?.openConversationId ? await getConversation(deps, customer.openConversationId) : undefined;
    const existing = open && open.state !== 'closed' ? open : undefined;

    // What the message means for the workflow (shared/classifier): courtesy ("thanks", 👍) does
    // not make anything actionable; "no, that's all" after "anything else?" closes.
    const kind = classifyCustomerMessage(
      message.text,
      { afterClosingQuestion: Boolean(existing?.closingQuestionAsked && existing.waitingOn === 'customer') },
      deps.config.classifier,
    );
    if (!existing && kind === 'ineffectual' && customer?.lastConversationId) {
      // "Thanks!" after the conversation closed: kept with that conversation, no new work.
      const filed = await fileWithClosedConversation(deps, message, messageId, customer.lastConversationId, at);
      if (filed) return filed;
      continue;
    }
    const { conversation, write: conversationWrite, slot } = existing
      ? kind === 'normal'
        ? await continueConversation(deps, existing, message, summary, now)
        : { ...noteWithoutActing(deps, existing, summary), slot: undefined }
      : { ...openConversation(deps, message, summary, now, customer?.lastAgentId), slot: undefined };

    const result = await transactWrite(deps.db, [
      {
        Put: {
          TableName: deps.tables.messages,
          Item: {
            messageId,
            conversationId: conversation.conversationId,
            channel: message.channel,
            externalId: message.externalId,
            direction: 'in',
            from: message.from,
            text: message.text,
            sentAt: at,
          },
          ConditionExpression: 'attribute_not_exists(messageId)',
        },
      },
      conversationWrite,
      existing
        ? {
            ConditionCheck: {
              TableName: deps.tables.customers,
              Key: { customerKey: key },
              ConditionExpression: 'openConversationId = :c',
              ExpressionAttributeValues: { ':c': existing.conversationId },
            },
          }
        : {
            Update: {
              TableName: deps.tables.customers,
              Key: { customerKey: key },
              UpdateExpression: 'SET openConversationId = :c, channel = :ch, customerId = :id, updatedAt = :now',
              ConditionExpression: 'attribute_not_exists(openConversationId) OR openConversationId = :stale',
              ExpressionAttributeValues: {
                ':c': conversation.conversationId,
                ':ch': message.channel,
                ':id': message.from,
                ':now': at,
                ':stale': customer?.openConversationId ?? '-',
              },
            },
          },
      ...(slot ? [slot] : []),
    ]);

    if (result.committed) {
      await afterReceive(deps, conversation, existing).catch((error: Error) =>
        logger.warn('routing after an inbound message failed; the sweeper will retry', {
          conversationId: conversation.conversationId,
          error: error.name,
        }),
      );
      if (existing && kind === 'closing-answer') {
        await closeOnCustomersAnswer(deps, conversation.conversationId);
        return { conversationId: conversation.conversationId, messageId, duplicate: false };
      }
      // Unlike routing, nothing else would arm a lost timer: if this throws, the channel gets a
      // 5xx, retries, and the retry (a duplicate) arms again.
      await armTimer(deps, conversation);
      return { conversationId: conversation.conversationId, messageId, duplicate: false };
    }
    if (result.failed.includes(0)) {
      const stored = await deps.db.send(
        new GetCommand({ TableName: deps.tables.messages, Key: { messageId }, ConsistentRead: true }),
      );
      const conversationId = stored.Item!.conversationId as string;
      // A provider retry after a failure: make sure the conversation's timer is armed (a no-op
      // when it is, which is almost always).
      const current = await getConversation(deps, conversationId);
      if (current && current.state !== 'closed') await armTimer(deps, current);
      return { conversationId, messageId, duplicate: true };
    }
    // The conversation or the customer's open conversation changed under us: read again.
  }
  throw new Error('inbound message: too much contention on one conversation');
}

type Summary = Conversation['lastMessage'];
type QueueSettings = QueueConfig;

/**
 * A message on an open conversation: it now waits on the agent. An inactive conversation (the
 * customer went dark, or a follow-up is pending) is reactivated:
 *  - with its agent when the agent is online or away and below `maxLoad`, even above preferred
 *    concurrency (the customer continues with the person who knows the case);
 *  - if the agent is offline, it waits `offlineReactivationWaitSeconds` for them (a timer then
 *    queues it), so an agent on a short break does not lose the customer;
 *  - otherwise it is queued, the agent kept as `lastAgentId` for routing preference.
 */
async function continueConversation(deps: Deps, existing: Conversation, message: InboundMessage, summary: Summary, now: Date) {
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
function noteWithoutActing(deps: Deps, existing: Conversation, summary: Summary) {
  const conversation: Conversation = { ...existing, lastMessage: summary, updatedAt: summary.at, version: existing.version + 1 };
  conversation.rank = rankOf(conversation, deps.config.priority);
  return {
    conversation,
    write: putIfUnchanged(deps.tables, conversation, existing.version),
  };
}

/** Stores a courtesy message under the customer's closed conversation; undefined to retry. */
async function fileWithClosedConversation(
  deps: Deps,
  message: InboundMessage,
  messageId: string,
  conversationId: string,
  at: string,
): Promise<Received | undefined> {
  const result = await transactWrite(deps.db, [
    {
      Put: {
        TableName: deps.tables.messages,
        Item: {
          messageId,
          conversationId,
          channel: message.channel,
          externalId: message.externalId,
          direction: 'in',
          from: message.from,
          text: message.text,
          sentAt: at,
          afterClose: true,
        },
        ConditionExpression: 'attribute_not_exists(messageId)',
      },
    },
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
function openConversation(deps: Deps, message: InboundMessage, summary: Summary, now: Date, previousAgentId?: string) {
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

async function afterReceive(deps: Deps, conversation: Conversation, previous: Conversation | undefined) {
  if (conversation.state === 'queued') {
    // New work, or a reactivation whose agent could not take it.
    if (!previous || previous.state !== 'queued') await routeQueue(deps, conversation.queue);
    if (previous?.assignedTo) await pushWorklist(deps, previous.assignedTo, [conversation]);
    return;
  }
  if (conversation.assignedTo) {
    const { lastMessage } = conversation;
    await sendToAgent(deps, conversation.assignedTo, {
      type: 'message',
      conversationId: conversation.conversationId,
      message: { id: lastMessage.messageId, direction: lastMessage.direction, text: lastMessage.text, at: lastMessage.at },
    });
    await pushWorklist(deps, conversation.assignedTo, [conversation]);
  }
}
