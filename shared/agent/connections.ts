import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Deps } from '../runtime/deps.js';
import { isConditionFailure } from '../storage/commit.js';
import { addWatcher, removeWatcher, watchesOverview } from '../supervision/registry.js';
import type { Agent } from './model.js';

/** An open WebSocket connection. */
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

/** API Gateway's maximum connection duration, plus a margin for its clock and ours. */
const maxConnectionSeconds = 2 * 60 * 60 + 300;

/**
 * Records a connection: a row (who it is, for every later frame and for `$disconnect`), and, for
 * someone with an agent profile, an entry in the agent's own `connections`, read consistently by
 * pushes and by presence (an index of connections would lag). A new connection cancels a pending
 * presence check. A supervisor's or admin's connection also joins the overview's watchers
 * (shared/supervision/registry.ts), for the same reason.
 */
export async function registerConnection(
  deps: StoreDeps & Pick<Deps, 'clock'>,
  connection: Omit<Connection, 'connectedAt' | 'expiresAt'>,
): Promise<void> {
  const now = deps.clock.now();
  const expiresAt = Math.floor(now.getTime() / 1000) + maxConnectionSeconds;
  await deps.db.send(
    new PutCommand({ TableName: deps.tables.connections, Item: { ...connection, connectedAt: now.toISOString(), expiresAt } satisfies Connection }),
  );
  if (watchesOverview(connection.role)) await addWatcher(deps, connection.connectionId, expiresAt);
  try {
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.tables.agents,
        Key: { agentId: connection.agentId },
        UpdateExpression: 'SET connections.#c = :exp REMOVE presenceCheckAt',
        ConditionExpression: 'attribute_exists(agentId)',
        ExpressionAttributeNames: { '#c': connection.connectionId },
        ExpressionAttributeValues: { ':exp': expiresAt },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error; // a supervisor or admin without an agent profile
  }
}

export async function getConnection(deps: StoreDeps, connectionId: string): Promise<Connection | undefined> {
  const { Item } = await deps.db.send(new GetCommand({ TableName: deps.tables.connections, Key: { connectionId }, ConsistentRead: true }));
  return Item as Connection | undefined;
}

/** The agent's connections that may still be open (entries past their expiry are surely gone). */
export const liveConnections = (agent: Pick<Agent, 'connections'>, now: Date): string[] =>
  Object.entries(agent.connections ?? {})
    .filter(([, expiresAt]) => expiresAt * 1000 > now.getTime())
    .map(([id]) => id);

/**
 * Forgets a connection ($disconnect, or a push answered 410): the row, the agent's entry and, for
 * a supervisor's or admin's, its place among the overview's watchers. Returns the agent as it is
 * afterwards (undefined for someone without an agent profile), so the caller can start the
 * presence grace when nothing live is left.
 */
export async function removeConnection(deps: StoreDeps, connectionId: string, agentId?: string): Promise<Agent | undefined> {
  const out = await deps.db.send(new DeleteCommand({ TableName: deps.tables.connections, Key: { connectionId }, ReturnValues: 'ALL_OLD' }));
  const row = out.Attributes as Connection | undefined;
  if (watchesOverview(row?.role)) await removeWatcher(deps, connectionId);
  const owner = agentId ?? row?.agentId;
  if (!owner) return undefined;
  try {
    const updated = await deps.db.send(
      new UpdateCommand({
        TableName: deps.tables.agents,
        Key: { agentId: owner },
        UpdateExpression: 'REMOVE connections.#c',
        ConditionExpression: 'attribute_exists(agentId)',
        ExpressionAttributeNames: { '#c': connectionId },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return updated.Attributes as Agent;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}
