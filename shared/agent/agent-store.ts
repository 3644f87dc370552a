import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AgentConfig } from '../config/schema.js';
import type { Deps } from '../runtime/deps.js';
import { batchGet } from '../storage/batch-get.js';
import { commit, withRetries, type NamedWrite } from '../storage/commit.js';
import { versionedWrite } from '../storage/versioned.js';
import type { Agent, AgentStatus } from './model.js';
import { RequestAlreadyDone, requestWriteName } from './request-log.js';
import { availabilityChanges, withProfile } from './transitions.js';
import { queryAll } from '../storage/query-all.js';

type StoreDeps = Pick<Deps, 'db' | 'tables'>;

/** Agent attributes changed by atomic operations, never by a versioned write. */
const untracked = ['worklistSeq', 'connections', 'presenceGen', 'presenceCheckAt'] as const;

export async function getAgent(deps: StoreDeps, agentId: string, consistent = true): Promise<Agent | undefined> {
  const { Item } = await deps.db.send(new GetCommand({ TableName: deps.tables.agents, Key: { agentId }, ConsistentRead: consistent }));
  return Item as Agent | undefined;
}

/** Several agents in one round trip (missing ones are left out). */
export const getAgents = (deps: StoreDeps, agentIds: readonly string[], consistent = true): Promise<Agent[]> =>
  batchGet<Agent>(deps.db, deps.tables.agents, 'agentId', agentIds, consistent);

/** Ids of agents in a status (the sweep's list; the index lags, so callers read the agents themselves). */
export async function agentIdsWithStatus(deps: StoreDeps, status: AgentStatus): Promise<string[]> {
  return queryAll(
    deps.db,
    {
      TableName: deps.tables.agents,
      IndexName: 'byStatus',
      KeyConditionExpression: '#status = :s',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':s': status },
    },
    'agentId',
  );
}

/**
 * The writes of an agent's next image: the agent (conditional on the version read) and the
 * Availability rows that flip with it, in the same transaction so the rows are exact.
 */
export function agentWrites(deps: Pick<Deps, 'tables'>, before: Agent | undefined, after: Agent): NamedWrite[] {
  const writes: NamedWrite[] = [
    { name: `agent:${after.agentId}`, write: versionedWrite(deps.tables.agents, { agentId: after.agentId }, before, after, untracked) },
  ];
  const { add, remove } = availabilityChanges(before, after);
  for (const queue of add) {
    writes.push({ name: `available:${queue}:${after.agentId}`, write: { Put: { TableName: deps.tables.availability, Item: { queue, agentId: after.agentId } } } });
  }
  for (const queue of remove) {
    writes.push({ name: `unavailable:${queue}:${after.agentId}`, write: { Delete: { TableName: deps.tables.availability, Key: { queue, agentId: after.agentId } } } });
  }
  return writes;
}

/**
 * Writes one agent change (with `also`, anything that must commit with it); false when the agent
 * changed since it was read. Throws `RequestAlreadyDone` when `also` recorded a request that was.
 */
export async function commitAgent(deps: StoreDeps, before: Agent | undefined, after: Agent, also: readonly NamedWrite[] = []): Promise<boolean> {
  const outcome = await commit(deps.db, [...agentWrites(deps, before, after), ...also]);
  if (!outcome.committed && outcome.conflicts.some((c) => c.name === requestWriteName)) throw new RequestAlreadyDone();
  return outcome.committed;
}

/**
 * Creates or updates an agent from configuration (deploy-time seeding, the local stack, the admin
 * API). Profile fields follow the configuration; status, load and holds are live state and kept.
 */
export async function upsertAgentProfile(deps: StoreDeps, profile: AgentConfig): Promise<Agent> {
  return withRetries<Agent>('upsert agent', async () => {
    const current = await getAgent(deps, profile.id);
    const next = withProfile(current, profile);
    return (await commitAgent(deps, current, next)) ? { done: true, value: next } : { done: false };
  });
}

/**
 * Hands out the next work-list sequence number and returns the agent as it is now. Taking the
 * number *before* reading the work list is what makes the highest `seq` the freshest list: every
 * change happens before the push it triggers takes its number, and that push reads after it.
 */
export async function takeWorklistSeq(deps: StoreDeps, agentId: string): Promise<Agent | undefined> {
  try {
    const out = await deps.db.send(
      new UpdateCommand({
        TableName: deps.tables.agents,
        Key: { agentId },
        UpdateExpression: 'ADD worklistSeq :one',
        ConditionExpression: 'attribute_exists(agentId)',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes as Agent;
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
}
