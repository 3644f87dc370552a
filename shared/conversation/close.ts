import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { getAgent } from '../agent/agent-store.js';
import { deliverMessage } from '../channels/generic/deliver.js';
import { outboundMessageId } from '../ids.js';
import { getConversation } from './conversation-store.js';
import { releaseSlot } from '../agent/load.js';
import { pushWorklist } from '../push/worklist.js';
import { routeAgentQueues } from '../routing/route-queue.js';
import type { Deps } from '../runtime/deps.js';
import { isConditionFailure, transactWrite } from '../storage/transactions.js';
import { customerKey } from './customer-store.js';
import type { Conversation } from './model.js';
import { ownConversation } from './ownership.js';
import { stopWaitingOnAgent } from './waiting.js';

const maxAttempts = 5;

/**
 * Closes an agent's conversation: frees its slot if it was active, releases the customer's open
 * conversation (their next message opens a new one), pushes the work list and pulls queued work
 * into the freed capacity.
 */
export async function closeConversation(deps: Deps, agentId: string, conversationId: string): Promise<Conversation> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await ownConversation(deps, agentId, conversationId);
    const closed = await writeClose(deps, current);
    if (!closed) continue;
    await pushWorklist(deps, agentId, [closed]);
    if (current.state === 'active') {
      const agent = await getAgent(deps, agentId);
      await routeAgentQueues(deps, agent?.queues ?? []);
    }
    return closed;
  }
  throw new Error('close: too much contention on one conversation');
}

/**
 * The customer answered "no, that's all" to the agent's closing question: close, free the slot,
 * tell the agent, and send the queue's closing message if it has one.
 */
export async function closeOnCustomersAnswer(deps: Deps, conversationId: string): Promise<void> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await getConversation(deps, conversationId);
    if (!current || current.state === 'closed') return;
    const closed = await writeClose(deps, current);
    if (!closed) continue;
    if (current.assignedTo) {
      await pushWorklist(deps, current.assignedTo, [closed]);
      if (current.state === 'active') {
        const agent = await getAgent(deps, current.assignedTo);
        await routeAgentQueues(deps, agent?.queues ?? []);
      }
    }
    const text = deps.config.queues[current.queue]?.closingMessage;
    if (text) await sendClosingMessage(deps, closed, text);
    return;
  }
  throw new Error('close: too much contention on one conversation');
}

/** Stores the closing message (once: its id derives from the conversation) and delivers it. */
async function sendClosingMessage(deps: Deps, conversation: Conversation, text: string) {
  const messageId = outboundMessageId('tide', conversation.conversationId, 'closing-message');
  const at = deps.clock.now().toISOString();
  const deliverable = Boolean(deps.config.channels.generic?.outboundUrl) && conversation.channel === 'generic';
  try {
    await deps.db.send(
      new PutCommand({
        TableName: deps.tables.messages,
        Item: {
          messageId,
          conversationId: conversation.conversationId,
          channel: conversation.channel,
          direction: 'out',
          to: conversation.customerId,
          text,
          sentAt: at,
          automatic: true,
          ...(deliverable ? { deliveryPending: conversation.channel, nextAttemptAt: at, attempts: 0 } : {}),
        },
        ConditionExpression: 'attribute_not_exists(messageId)',
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  if (deliverable) await deliverMessage(deps, messageId);
}

/** The close transaction; undefined when the conversation changed since it was read. */
export async function writeClose(deps: Deps, current: Conversation): Promise<Conversation | undefined> {
  const now = deps.clock.now().toISOString();
  const closed: Conversation = {
    ...current,
    state: 'closed',
    assignedTo: undefined,
    queuedIn: undefined,
    ...stopWaitingOnAgent(),
    followUpAt: null,
    inactiveAt: null,
    autoCloseAt: null,
    reassignAt: null,
    closedAt: now,
    updatedAt: now,
    version: current.version + 1,
  };
  const result = await transactWrite(deps.db, [
    {
      Put: {
        TableName: deps.tables.conversations,
        // Undefined index keys are dropped on write, which takes the item out of both indexes.
        Item: closed,
        ConditionExpression: 'version = :v',
        ExpressionAttributeValues: { ':v': current.version },
      },
    },
    {
      Update: {
        TableName: deps.tables.customers,
        Key: { customerKey: customerKey(current.channel, current.customerId) },
        // Remembering the agent lets the customer's next conversation go back to them.
        UpdateExpression:
          'SET lastConversationId = :c' + (current.lastAgentId ? ', lastAgentId = :a' : '') + ' REMOVE openConversationId',
        ConditionExpression: 'openConversationId = :c',
        ExpressionAttributeValues: { ':c': current.conversationId, ...(current.lastAgentId ? { ':a': current.lastAgentId } : {}) },
      },
    },
    ...(current.state === 'active' && current.assignedTo ? [releaseSlot(deps.tables, current.assignedTo)] : []),
  ]);
  return result.committed ? closed : undefined;
}
