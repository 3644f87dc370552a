import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { listAgentConnections } from '../agent/connections.js';
import { classifyCustomerMessage } from '../classifier/classify.js';
import { TideError } from '../errors.js';
import { inboundMessageId } from '../ids.js';
import { pushWorklist, sendToAgent } from '../push/worklist.js';
import { routeQueue } from '../routing/route-queue.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { transactWrite } from '../storage/transactions.js';
import { armTimer } from '../timers/arm.js';
import { closeOnCustomersAnswer } from './close.js';
import { getConversation } from './conversation-store.js';
import { customerKey, getCustomer } from './customer-store.js';
import {
  continueConversation,
  fileWithClosedConversation,
  inboundMessageItem,
  noteWithoutActing,
  openConversation,
  putNewMessage,
} from './inbound-changes.js';
import type { Conversation } from './model.js';

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
      putNewMessage(deps, inboundMessageItem(message, messageId, conversation.conversationId, at)),
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

async function afterReceive(deps: Deps, conversation: Conversation, previous: Conversation | undefined) {
  if (conversation.state === 'queued') {
    // New work, or a reactivation whose agent could not take it.
    if (!previous || previous.state !== 'queued') await routeQueue(deps, conversation.queue);
    if (previous?.assignedTo) await pushWorklist(deps, previous.assignedTo, [conversation]);
    return;
  }
  if (conversation.assignedTo) {
    const { lastMessage } = conversation;
    // Both frames go to the same connections: list them once (this runs for every message).
    const connectionIds = await listAgentConnections(deps, conversation.assignedTo);
    if (connectionIds.length === 0) return;
    await sendToAgent(
      deps,
      conversation.assignedTo,
      {
        type: 'message',
        conversationId: conversation.conversationId,
        message: { id: lastMessage.messageId, direction: lastMessage.direction, text: lastMessage.text, at: lastMessage.at },
      },
      connectionIds,
    );
    await pushWorklist(deps, conversation.assignedTo, [conversation], connectionIds);
  }
}
