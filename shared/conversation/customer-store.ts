import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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
  /**
   * When DynamoDB may delete it (epoch seconds): its last conversation's expiry, set when that
   * closes (docs/data.md). Absent while a conversation is open, and while opted out: the opt-out
   * must outlive the retention of the conversation that carried it, or a later reply would
   * reach someone who said STOP.
   */
  expiresAt?: number;
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
        UpdateExpression: 'SET openConversationId = :c, channel = :ch, customerId = :id, updatedAt = :at REMOVE expiresAt',
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
 * customer's next conversation (history affinity) and the conversation for a late "thanks", and
 * the customer item expires with that conversation unless they opted out. Only if the pointer
 * still points at it; a crash before this leaves a stale pointer, which readers treat as none.
 */
export async function releaseOpenConversation(deps: StoreDeps, closed: Conversation): Promise<void> {
  const release = async (expiresAt: number | undefined) => {
    try {
      await deps.db.send(
        new UpdateCommand({
          TableName: deps.tables.customers,
          Key: { customerKey: customerKey(closed.channel, closed.customerId) },
          UpdateExpression: `SET lastConversationId = :c${closed.lastAgentId ? ', lastAgentId = :a' : ''}${expiresAt ? ', expiresAt = :e' : ''} REMOVE openConversationId`,
          ConditionExpression: `openConversationId = :c${expiresAt ? ' AND attribute_not_exists(optedOut)' : ''}`,
          ExpressionAttributeValues: { ':c': closed.conversationId, ...(closed.lastAgentId ? { ':a': closed.lastAgentId } : {}), ...(expiresAt ? { ':e': expiresAt } : {}) },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
  };
  // One write for nearly everyone; an opted-out customer (or a stale pointer) takes a second.
  if (!(closed.expiresAt && (await release(closed.expiresAt)))) await release(undefined);
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
      // An opt-out is kept until START or erasure, whatever the retention (see `expiresAt`).
      UpdateExpression: optedOut ? 'SET optedOut = :t, optedOutAt = :at, channel = :ch, customerId = :id REMOVE expiresAt' : 'SET channel = :ch, customerId = :id REMOVE optedOut, optedOutAt',
      ExpressionAttributeValues: { ':ch': customer.channel, ':id': customer.customerId, ...(optedOut ? { ':t': true, ':at': at } : {}) },
    }),
  );
}

/** Deletes the customer item (an erasure); true when there was one. */
export async function deleteCustomer(deps: StoreDeps, key: string): Promise<boolean> {
  const { Attributes } = await deps.db.send(new DeleteCommand({ TableName: deps.tables.customers, Key: { customerKey: key }, ReturnValues: 'ALL_OLD' }));
  return Attributes !== undefined;
}
