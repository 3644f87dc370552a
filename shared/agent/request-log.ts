import { createHash } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AckFrame, ErrorFrame } from '../contract/agent-actions.js';
import type { Deps } from '../runtime/deps.js';
import { isConditionFailure } from '../storage/commit.js';

/**
 * The first answer to each agent request, for 10 minutes (DESIGN §4): a retry of the same action
 * with the same `requestId` and the same fields by the same agent gets that answer again and is
 * not done twice. The same `requestId` with other fields is another request: clients number
 * their requests per connection, and connections are replaced every 2 hours.
 */
export const rememberSeconds = 10 * 60;

type Answer = AckFrame | ErrorFrame;

/** The key of a request: who asked, its id, and every field of the frame. */
export function requestKey(agentId: string, frame: Record<string, unknown>): string {
  const canonical = JSON.stringify(Object.keys(frame).sort().map((k) => [k, frame[k]]));
  return createHash('sha256').update(`${agentId}\u0000${canonical}`).digest('base64url');
}

export async function recallAnswer(deps: Pick<Deps, 'db' | 'tables' | 'clock'>, key: string): Promise<Answer | undefined> {
  const { Item } = await deps.db.send(new GetCommand({ TableName: deps.tables.requests, Key: { requestKey: key }, ConsistentRead: true }));
  if (!Item || (Item.expiresAt as number) * 1000 <= deps.clock.now().getTime()) return undefined;
  return Item.answer as Answer;
}

/**
 * Keeps the answer, unless a concurrent copy of the request got there first: then that first
 * answer is returned, and is the one the client must see for both.
 */
export async function rememberAnswer(deps: Pick<Deps, 'db' | 'tables' | 'clock'>, key: string, answer: Answer): Promise<Answer> {
  const now = deps.clock.now().getTime();
  try {
    await deps.db.send(
      new PutCommand({
        TableName: deps.tables.requests,
        Item: { requestKey: key, answer, expiresAt: Math.floor(now / 1000) + rememberSeconds },
        ConditionExpression: 'attribute_not_exists(requestKey) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': Math.floor(now / 1000) },
      }),
    );
    return answer;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return (await recallAnswer(deps, key)) ?? answer;
  }
}
