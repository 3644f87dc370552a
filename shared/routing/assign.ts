import { getConversation } from '../conversation/conversation-store.js';
import type { Conversation } from '../conversation/model.js';
import type { Deps } from '../runtime/deps.js';
import { transactWrite } from '../storage/transactions.js';

export type AssignOutcome =
  | { outcome: 'assigned'; conversation: Conversation }
  | { outcome: 'conversation-taken' }
  | { outcome: 'agent-unavailable' };

/**
 * Gives a queued conversation to an agent in one transaction on both items, so concurrent
 * routers can never assign a conversation twice nor push an agent past its limit:
 *  - the agent must be online, serve the queue and be below `preferredConcurrency`;
 *  - the conversation must still be queued in that queue.
 * The conversation's rank does not change: queued and active-waiting-on-agent share a tier.
 */
export async function assignFromQueue(
  deps: Deps,
  candidate: Pick<Conversation, 'conversationId' | 'queue'>,
  agentId: string,
  /** Below preferred concurrency while the agent ramps up (shared/routing/choose-agent.ts). */
  limit?: number,
): Promise<AssignOutcome> {
  const now = deps.clock.now().toISOString();
  const result = await transactWrite(deps.db, [
    {
      Update: {
        TableName: deps.tables.agents,
        Key: { agentId },
        UpdateExpression: 'SET active = active + :one, lastAssignedAt = :now',
        ConditionExpression:
          '#status = :online AND active < preferredConcurrency AND contains(queues, :queue)' +
          (limit !== undefined ? ' AND active < :limit' : ''),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':one': 1,
          ':now': now,
          ':online': 'online',
          ':queue': candidate.queue,
          ...(limit !== undefined ? { ':limit': limit } : {}),
        },
      },
    },
    {
      Update: {
        TableName: deps.tables.conversations,
        Key: { conversationId: candidate.conversationId },
        UpdateExpression:
          'SET #state = :active, assignedTo = :agent, lastAgentId = :agent, assignedAt = :now, updatedAt = :now ADD version :one REMOVE queuedIn',
        ConditionExpression: '#state = :queued AND queuedIn = :queue',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':active': 'active',
          ':queued': 'queued',
          ':queue': candidate.queue,
          ':agent': agentId,
          ':now': now,
          ':one': 1,
        },
      },
    },
  ]);
  if (!result.committed) {
    return result.failed.includes(1) ? { outcome: 'conversation-taken' } : { outcome: 'agent-unavailable' };
  }
  const conversation = await getConversation(deps, candidate.conversationId);
  return { outcome: 'assigned', conversation: conversation! };
}
