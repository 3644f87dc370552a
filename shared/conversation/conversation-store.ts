import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Deps } from '../runtime/deps.js';
import type { Conversation } from './model.js';

type StoreDeps = Pick<Deps, 'db' | 'tables'>;

export async function getConversation(deps: StoreDeps, conversationId: string): Promise<Conversation | undefined> {
  const { Item } = await deps.db.send(
    new GetCommand({ TableName: deps.tables.conversations, Key: { conversationId }, ConsistentRead: true }),
  );
  return Item as Conversation | undefined;
}

/**
 * The best queued conversations of a queue, best first: one index query whose cost does not
 * depend on how many are queued. Index reads lag, so callers treat each result as a candidate
 * that the assignment's conditional write confirms or refuses.
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

/** Every open conversation an agent owns, in rank order. */
export async function listAgentWork(deps: StoreDeps, agentId: string): Promise<Conversation[]> {
  const items: Conversation[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.db.send(
      new QueryCommand({
        TableName: deps.tables.conversations,
        IndexName: 'byAgent',
        KeyConditionExpression: 'assignedTo = :a',
        ExpressionAttributeValues: { ':a': agentId },
        ScanIndexForward: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...((page.Items ?? []) as Conversation[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Conversations an agent still owns while offline that are active (they go back to the queue). */
export const activeOnly = (conversations: Conversation[]) => conversations.filter((c) => c.state === 'active');

/**
 * The transaction item that writes a conversation's next image, if nobody changed it since
 * `previousVersion` was read (optimistic concurrency: the loser re-reads and decides again).
 */
export function putIfUnchanged(tables: Deps['tables'], next: Conversation, previousVersion: number) {
  return {
    Put: {
      TableName: tables.conversations,
      Item: next,
      ConditionExpression: 'version = :v',
      ExpressionAttributeValues: { ':v': previousVersion },
    },
  };
}
