import type { Deps } from '../runtime/deps.js';
import { queryAll } from '../storage/query-all.js';

/**
 * The agents who can take work from a queue now: its Availability rows, which change in the same
 * transaction as the agent (shared/agent/agent-store.ts). A strongly consistent query, so an
 * agent who just freed a slot is never missed, and its cost grows only with the agents who have
 * room (about 80 per read unit), not with every agent online.
 */
export async function availableAgentIds(deps: Pick<Deps, 'db' | 'tables'>, queue: string): Promise<string[]> {
  return queryAll(
    deps.db,
    {
      TableName: deps.tables.availability,
      KeyConditionExpression: '#q = :q',
      ExpressionAttributeNames: { '#q': 'queue' },
      ExpressionAttributeValues: { ':q': queue },
      ConsistentRead: true,
    },
    'agentId',
  );
}
