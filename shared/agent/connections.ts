import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Deps } from '../runtime/deps.js';

/** An open agent WebSocket connection. */
export type Role = 'agent' | 'supervisor' | 'admin';
export const roles = ['agent', 'supervisor', 'admin'] as const;

export interface Connection {
  connectionId: string;
  agentId: string;
  role: Role;
  connectedAt: string;
  /** Epoch seconds; API Gateway ends connections after 2 h, so a row older than that is stale. */
  expiresAt: number;
}

type StoreDeps = Pick<Deps, 'db' | 'tables'>;

const maxConnectionSeconds = 2 * 60 * 60;

export async function registerConnection(
  deps: StoreDeps & Pick<Deps, 'clock'>,
  connection: Omit<Connection, 'connectedAt' | 'expiresAt'>,
): Promise<void> {
  const now = deps.clock.now();
  await deps.db.send(
    new PutCommand({
      TableName: deps.tables.connections,
      Item: {
        ...connection,
        connectedAt: now.toISOString(),
        expiresAt: Math.floor(now.getTime() / 1000) + maxConnectionSeconds + 300,
      } satisfies Connection,
    }),
  );
}

export async function getConnection(deps: StoreDeps, connectionId: string): Promise<Connection | undefined> {
  const { Item } = await deps.db.send(
    new GetCommand({ TableName: deps.tables.connections, Key: { connectionId }, ConsistentRead: true }),
  );
  return Item as Connection | undefined;
}

/** Removes a connection; returns the row that was there, if any. */
export async function removeConnection(deps: StoreDeps, connectionId: string): Promise<Connection | undefined> {
  const out = await deps.db.send(
    new DeleteCommand({ TableName: deps.tables.connections, Key: { connectionId }, ReturnValues: 'ALL_OLD' }),
  );
  return out.Attributes as Connection | undefined;
}

export async function listAgentConnections(deps: StoreDeps, agentId: string): Promise<string[]> {
  const ids: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.db.send(
      new QueryCommand({
        TableName: deps.tables.connections,
        IndexName: 'byAgent',
        KeyConditionExpression: 'agentId = :a',
        ExpressionAttributeValues: { ':a': agentId },
        ProjectionExpression: 'connectionId',
        ExclusiveStartKey: start,
      }),
    );
    ids.push(...(page.Items ?? []).map((i) => i.connectionId as string));
    start = page.LastEvaluatedKey;
  } while (start);
  return ids;
}
