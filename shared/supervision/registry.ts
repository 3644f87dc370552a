import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Role } from '../agent/connections.js';
import type { Deps } from '../runtime/deps.js';
import { isConditionFailure } from '../storage/commit.js';

/**
 * Who watches the overview: one item in the Connections table listing every supervisor and admin
 * connection (connection id → epoch seconds after which it is surely gone), kept as the agent
 * item's `connections` is, on `$connect`, `$disconnect` and a push answered 410. One item read
 * consistently, where an index of connection rows would lag. It also carries the overview's
 * sequence number and the mark of a pending overview job (./overview-requests.ts).
 */
export interface SupervisorRegistry {
  connectionId: typeof registryId;
  watchers?: Record<string, number>;
  /** Last overview sequence number handed out; strictly increasing over all supervisors' connections. */
  overviewSeq?: number;
  /** An overview job is pending and runs at this wall-clock time (epoch ms) at the earliest. */
  overviewDueMs?: number;
  /** The pending job is a second look after the index lag, not one asked for by a change. */
  overviewSettle?: boolean;
}

/** API Gateway connection ids are base64 characters: never `#`. */
export const registryId = '#supervisors';
export const registryKey = { connectionId: registryId } as const;

type StoreDeps = Pick<Deps, 'db' | 'tables'>;

/** Roles that watch the overview (DESIGN §4b). */
export const watchesOverview = (role: Role | undefined): boolean => role === 'supervisor' || role === 'admin';

export async function readRegistry(deps: StoreDeps): Promise<SupervisorRegistry | undefined> {
  const { Item } = await deps.db.send(new GetCommand({ TableName: deps.tables.connections, Key: registryKey, ConsistentRead: true }));
  return Item as SupervisorRegistry | undefined;
}

/** Adds a watcher. The map is created by the first one (a path into a missing map cannot be SET). */
export async function addWatcher(deps: StoreDeps, connectionId: string, expiresAt: number): Promise<void> {
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      await deps.db.send(
        new UpdateCommand({
          TableName: deps.tables.connections,
          Key: registryKey,
          UpdateExpression: 'SET watchers.#c = :exp',
          ConditionExpression: 'attribute_exists(watchers)',
          ExpressionAttributeNames: { '#c': connectionId },
          ExpressionAttributeValues: { ':exp': expiresAt },
        }),
      );
      return;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    try {
      await deps.db.send(
        new UpdateCommand({
          TableName: deps.tables.connections,
          Key: registryKey,
          UpdateExpression: 'SET watchers = :one',
          ConditionExpression: 'attribute_not_exists(watchers)',
          ExpressionAttributeValues: { ':one': { [connectionId]: expiresAt } },
        }),
      );
      return;
    } catch (error) {
      // Another supervisor created the map meanwhile: add to it.
      if (!isConditionFailure(error)) throw error;
    }
  }
  throw new Error('the supervisor registry kept changing');
}

export async function removeWatcher(deps: StoreDeps, connectionId: string): Promise<void> {
  await deps.db
    .send(
      new UpdateCommand({
        TableName: deps.tables.connections,
        Key: registryKey,
        UpdateExpression: 'REMOVE watchers.#c',
        ConditionExpression: 'attribute_exists(watchers.#c)',
        ExpressionAttributeNames: { '#c': connectionId },
      }),
    )
    .catch((error) => {
      if (!isConditionFailure(error)) throw error;
    });
}

/** Watchers that may still be open, and those surely gone (past API Gateway's 2 hours). */
export function watchersOf(registry: SupervisorRegistry | undefined, now: Date): { live: string[]; expired: string[] } {
  const entries = Object.entries(registry?.watchers ?? {});
  const isLive = (expiresAt: number) => expiresAt * 1000 > now.getTime();
  return { live: entries.filter(([, e]) => isLive(e)).map(([id]) => id), expired: entries.filter(([, e]) => !isLive(e)).map(([id]) => id) };
}

/**
 * Hands out the next overview sequence number and returns the registry as it is now. Taking the
 * number before reading what the overview shows makes the highest `seq` the freshest overview,
 * as for work lists. A job also takes back its own mark here (`dueMs`): a change after this
 * moment asks for a new job, a change before it is read by this one. With `onlyWithMark`, a job
 * whose mark is no longer there takes nothing and gets undefined.
 */
export async function takeOverviewSeq(deps: StoreDeps, dueMs?: number, options: { onlyWithMark?: boolean } = {}): Promise<SupervisorRegistry | undefined> {
  if (dueMs !== undefined) {
    try {
      const out = await deps.db.send(
        new UpdateCommand({
          TableName: deps.tables.connections,
          Key: registryKey,
          UpdateExpression: 'REMOVE overviewDueMs, overviewSettle ADD overviewSeq :one',
          ConditionExpression: 'overviewDueMs = :due',
          ExpressionAttributeValues: { ':one': 1, ':due': dueMs },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as SupervisorRegistry;
    } catch (error) {
      // The mark is another job's now (this one ran before, or its mark went stale): leave it.
      if (!isConditionFailure(error)) throw error;
      if (options.onlyWithMark) return undefined;
    }
  }
  const out = await deps.db.send(
    new UpdateCommand({
      TableName: deps.tables.connections,
      Key: registryKey,
      UpdateExpression: 'ADD overviewSeq :one',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return out.Attributes as SupervisorRegistry;
}
