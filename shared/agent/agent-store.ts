import { BatchGetCommand, type BatchGetCommandOutput, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AgentConfig } from '../config/schema.js';
import type { Deps } from '../runtime/deps.js';
import type { Agent, AgentStatus } from './model.js';

type StoreDeps = Pick<Deps, 'db' | 'tables'>;

export async function getAgent(deps: StoreDeps, agentId: string): Promise<Agent | undefined> {
  const { Item } = await deps.db.send(
    new GetCommand({ TableName: deps.tables.agents, Key: { agentId }, ConsistentRead: true }),
  );
  return Item as Agent | undefined;
}

/**
 * Online agents, read consistently. The status index only says who to read (it lags); the
 * consistent batch read gives the current load the routing decision starts from.
 */
export async function listOnlineAgents(deps: StoreDeps): Promise<Agent[]> {
  const ids: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.db.send(
      new QueryCommand({
        TableName: deps.tables.agents,
        IndexName: 'byStatus',
        KeyConditionExpression: '#status = :online',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':online': 'online' },
        ProjectionExpression: 'agentId',
        ExclusiveStartKey: start,
      }),
    );
    ids.push(...(page.Items ?? []).map((i) => i.agentId as string));
    start = page.LastEvaluatedKey;
  } while (start);
  const agents: Agent[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = ids.slice(i, i + 100).map((agentId) => ({ agentId }));
    while (keys && keys.length) {
      const out: BatchGetCommandOutput = await deps.db.send(
        new BatchGetCommand({ RequestItems: { [deps.tables.agents]: { Keys: keys, ConsistentRead: true } } }),
      );
      agents.push(...((out.Responses?.[deps.tables.agents] ?? []) as Agent[]));
      keys = out.UnprocessedKeys?.[deps.tables.agents]?.Keys;
    }
  }
  return agents.filter((a) => a.status === 'online');
}

/**
 * Creates or updates an agent from configuration. Profile fields follow the configuration;
 * status, load and sequence numbers are live state and are kept when the agent exists.
 */
export async function upsertAgentProfile(deps: StoreDeps, profile: AgentConfig): Promise<void> {
  await deps.db.send(
    new UpdateCommand({
      TableName: deps.tables.agents,
      Key: { agentId: profile.id },
      UpdateExpression:
        'SET #name = :name, queues = :queues, preferredConcurrency = :pref, maxLoad = :max, ' +
        '#status = if_not_exists(#status, :offline), active = if_not_exists(active, :zero), ' +
        'worklistSeq = if_not_exists(worklistSeq, :zero)',
      ExpressionAttributeNames: { '#name': 'name', '#status': 'status' },
      ExpressionAttributeValues: {
        ':name': profile.name ?? profile.id,
        ':queues': profile.queues,
        ':pref': profile.preferredConcurrency,
        ':max': profile.maxLoad,
        ':offline': 'offline',
        ':zero': 0,
      },
    }),
  );
}

/**
 * Sets the status; returns the agent as it is afterwards (with `justCameOnline` when this call
 * moved it to online, which starts its ramp-up), or undefined if it does not exist.
 */
export async function writeAgentStatus(
  deps: StoreDeps,
  agentId: string,
  status: AgentStatus,
  now: Date,
): Promise<(Agent & { justCameOnline: boolean }) | undefined> {
  const update = (comingOnline: boolean) =>
    deps.db.send(
      new UpdateCommand({
        TableName: deps.tables.agents,
        Key: { agentId },
        UpdateExpression: comingOnline ? 'SET #status = :status, onlineSince = :now' : 'SET #status = :status',
        ConditionExpression: comingOnline ? 'attribute_exists(agentId) AND #status <> :status' : 'attribute_exists(agentId)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status, ...(comingOnline ? { ':now': now.toISOString() } : {}) },
        ReturnValues: 'ALL_NEW',
      }),
    );
  try {
    if (status === 'online') {
      try {
        return { ...((await update(true)).Attributes as Agent), justCameOnline: true };
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
        // Already online (or missing): a plain update tells which.
      }
    }
    return { ...((await update(false)).Attributes as Agent), justCameOnline: false };
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
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
