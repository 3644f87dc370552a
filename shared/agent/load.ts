import type { TableNames } from '../storage/tables.js';

/**
 * Transaction items that move an agent's active load. They are always written in the same
 * transaction as the conversation change that causes them, so load and conversations agree.
 */
export function releaseSlot(tables: TableNames, agentId: string) {
  return {
    Update: {
      TableName: tables.agents,
      Key: { agentId },
      UpdateExpression: 'SET active = active - :one',
      ConditionExpression: 'active > :zero',
      ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
    },
  };
}

/**
 * Takes a slot up to the agent's hard cap (`maxLoad`): used for hand-overs and reactivations,
 * which may go above preferred concurrency. Queue routing uses the stricter check in assign.ts.
 */
export function takeSlotUpToMax(tables: TableNames, agentId: string, now: string, statuses: readonly string[]) {
  const names = statuses.map((_, i) => `:s${i}`);
  return {
    Update: {
      TableName: tables.agents,
      Key: { agentId },
      UpdateExpression: 'SET active = active + :one, lastAssignedAt = :now',
      ConditionExpression: `#status IN (${names.join(', ')}) AND active < maxLoad`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':one': 1,
        ':now': now,
        ...Object.fromEntries(statuses.map((s, i) => [`:s${i}`, s])),
      },
    },
  };
}
