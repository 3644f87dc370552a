import { DeleteCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Deps } from '../runtime/deps.js';
import type { Agent } from '../agent/model.js';
import { batchGet, batchGetTables } from '../storage/batch-get.js';
import { isConditionFailure, type NamedWrite } from '../storage/commit.js';
import { versionedWrite } from '../storage/versioned.js';
import type { Conversation } from './model.js';
import { queryAll } from '../storage/query-all.js';

type StoreDeps = Pick<Deps, 'db' | 'tables'>;

/**
 * Reads a conversation. Commands may read eventually consistent on their first attempt: every
 * write is conditional on the version read, so a stale read only costs a retry, which reads
 * consistently.
 */
export async function getConversation(deps: StoreDeps, conversationId: string, consistent = true): Promise<Conversation | undefined> {
  const { Item } = await deps.db.send(
    new GetCommand({ TableName: deps.tables.conversations, Key: { conversationId }, ConsistentRead: consistent }),
  );
  return Item as Conversation | undefined;
}

/**
 * A conversation and agents in one round trip, strongly consistent: what a command that moves an
 * agent's holding (a close, a hand-over) needs before it decides.
 */
export async function getConversationWithAgents(deps: StoreDeps, conversationId: string, agentIds: readonly string[]): Promise<{ conversation?: Conversation; agents: Agent[] }> {
  const found = await batchGetTables(
    deps.db,
    [
      { table: deps.tables.conversations, keyName: 'conversationId', ids: [conversationId] },
      { table: deps.tables.agents, keyName: 'agentId', ids: agentIds },
    ],
    true,
  );
  return { conversation: found.get(deps.tables.conversations)?.[0] as Conversation | undefined, agents: (found.get(deps.tables.agents) ?? []) as Agent[] };
}

/** Several conversations in one round trip, strongly consistent (missing ones are left out). */
export const getConversations = (deps: StoreDeps, ids: readonly string[]): Promise<Conversation[]> =>
  batchGet<Conversation>(deps.db, deps.tables.conversations, 'conversationId', ids, true);

/**
 * The best queued conversations of a queue, best first: one index query whose cost does not
 * depend on how many are queued. Index reads lag, so each result is a candidate that the
 * assignment's conditional write confirms or refuses.
 */
export async function nextQueued(deps: StoreDeps, queue: string, limit: number): Promise<Conversation[]> {
  const out = await deps.db.send(
    new QueryCommand({
      TableName: deps.tables.conversations,
      IndexName: 'byQueue',
      KeyConditionExpression: 'queuedIn = :q',
      ExpressionAttributeValues: { ':q': queue },
      ScanIndexForward: true,
      Limit: limit,
    }),
  );
  return (out.Items ?? []) as Conversation[];
}

/** The write of a conversation's next image (`before` absent: a new conversation). */
export const conversationWrite = (deps: Pick<Deps, 'tables'>, before: Conversation | undefined, after: Conversation): NamedWrite => ({
  name: 'conversation',
  write: versionedWrite(deps.tables.conversations, { conversationId: after.conversationId }, before, after),
});

/**
 * The ids of a customer's conversations on one channel, every page of the `byCustomer` index
 * (keys only; eventually consistent: one created a moment ago may be missing, one deleted a
 * moment ago may still be listed, so callers read the conversations themselves).
 */
export async function conversationIdsOfCustomer(deps: StoreDeps, channel: string, customerId: string): Promise<string[]> {
  return queryAll(
    deps.db,
    {
      TableName: deps.tables.conversations,
      IndexName: 'byCustomer',
      KeyConditionExpression: 'customerId = :id AND #channel = :ch',
      ExpressionAttributeNames: { '#channel': 'channel' },
      ExpressionAttributeValues: { ':id': customerId, ':ch': channel },
    },
    'conversationId',
  );
}

/**
 * Deletes a closed conversation (an erasure). An open one is refused: it must be closed through
 * the state machine first, which releases its agent. True when it was deleted or was already gone.
 */
export async function deleteClosedConversation(deps: StoreDeps, conversationId: string): Promise<boolean> {
  try {
    await deps.db.send(
      new DeleteCommand({
        TableName: deps.tables.conversations,
        Key: { conversationId },
        ConditionExpression: 'attribute_not_exists(conversationId) OR #state = :closed',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':closed': 'closed' },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
