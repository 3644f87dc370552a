import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Deps } from '../runtime/deps.js';
import { isConditionFailure } from '../storage/commit.js';
import type { Conversation } from './model.js';

type StoreDeps = Pick<Deps, 'db' | 'tables'>;

/**
 * A customer on one channel; points at its one open conversation, if any. The pointer is claimed
 * before the conversation is written and released after it closes, each a single conditional
 * write: a pointer to a closed conversation is stale (the close died before releasing it) and a
 * pointer to a missing one marks a conversation whose creation died half way; both are handled
 * where the pointer is read (shared/conversation/receive-message.ts).
 */
export interface Customer {
  customerKey: string;
  channel: string;
  customerId: string;
  openConversationId?: string;
  /** The agent of the customer's last closed conversation (history affinity). */
  lastAgentId?: string;
  /** The customer's last closed conversation: where a "thanks" after the close is filed. */
  lastConversationId?: string;
  /** The customer sent STOP (or the like) and not START since: nothing may be sent to them. */
  optedOut?: boolean;
  optedOutAt?: string;
}

export const customerKey = (channel: string, customerId: string) => `${channel}#${customerId}`;

export async function getCustomer(deps: StoreDeps, key: string, consistent = true): Promise<Customer | undefined> {
  const { Item } = await deps.db.send(new GetCommand({ TableName: deps.tables.customers, Key: { customerKey: key }, ConsistentRead: consistent }));
  return Item as Customer | undefined;
}

/**
 * Points the customer at a new open conversation, if they have none (or only a stale pointer,
 * `replacing`). False when someone else claimed first: the caller joins that conversation.
 */
export async function claimOpenConversation(
  deps: StoreDeps,
  customer: { channel: string; customerId: string },
  conversationId: string,
  replacing: string | undefined,
  at: string,
): Promise<boolean> {
  try {
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.tables.customers,
        Key: { customerKey: customerKey(customer.channel, customer.customerId) },
        UpdateExpression: 'SET openConversationId = :c, channel = :ch, customerId = :id, updatedAt = :at',
        ConditionExpression: replacing ? 'openConversationId = :stale' : 'attribute_not_exists(openConversationId)',
        ExpressionAttributeValues: {
          ':c': conversationId,
          ':ch': customer.channel,
          ':id': customer.customerId,
          ':at': at,
          ...(replacing ? { ':stale': replacing } : {}),
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * After a close: the customer has no open conversation any more; the agent is remembered for the
 * customer's next conversation (history affinity) and the conversation for a late "thanks". Only
 * if the pointer still points at it; a crash before this leaves a stale pointer, which readers
 * treat as none.
 */
export async function releaseOpenConversation(deps: StoreDeps, closed: Conversation): Promise<void> {
  try {
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.tables.customers,
        Key: { customerKey: customerKey(closed.channel, closed.customerId) },
        UpdateExpression: `SET lastConversationId = :c${closed.lastAgentId ? ', lastAgentId = :a' : ''} REMOVE openConversationId`,
        ConditionExpression: 'openConversationId = :c',
        ExpressionAttributeValues: { ':c': closed.conversationId, ...(closed.lastAgentId ? { ':a': closed.lastAgentId } : {}) },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/**
 * Records a customer's opt-out keyword (STOP … START, DESIGN §4b): while opted out, `send`
 * refuses with `opted_out`. One write on the customer item, whether or not it exists yet.
 */
export async function setOptedOut(deps: StoreDeps, key: string, optedOut: boolean, customer: { channel: string; customerId: string }, at: string): Promise<void> {
  await deps.db.send(
    new UpdateCommand({
      TableName: deps.tables.customers,
      Key: { customerKey: key },
      UpdateExpression: optedOut ? 'SET optedOut = :t, optedOutAt = :at, channel = :ch, customerId = :id' : 'SET channel = :ch, customerId = :id REMOVE optedOut, optedOutAt',
      ExpressionAttributeValues: { ':ch': customer.channel, ':id': customer.customerId, ...(optedOut ? { ':t': true, ':at': at } : {}) },
    }),
  );
}
