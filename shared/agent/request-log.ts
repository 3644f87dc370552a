import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AckFrame } from '../contract/agent-actions.js';
import type { Deps } from '../runtime/deps.js';
import type { NamedWrite } from '../storage/commit.js';

/**
 * The first answer to each agent request, for 10 minutes (DESIGN §4): a retry of the same action
 * with the same `requestId` and the same fields by the same agent gets that answer again and is
 * not done twice. The same `requestId` with other fields is another request: clients number
 * their requests per connection, and connections are replaced every 2 hours.
 *
 * The record is written in the same commit as the action's change (no extra call, and no window
 * in which the change is done but not yet recorded); it is read only when a request cannot be
 * done as asked, which is where a retry of a done request ends up.
 */
export const rememberSeconds = 10 * 60;

/** The key of a request: who asked, its id, and every field of the frame. */
export function requestKey(agentId: string, frame: Record<string, unknown>): string {
  const canonical = JSON.stringify(Object.keys(frame).sort().map((k) => [k, frame[k]]));
  return createHash('sha256').update(`${agentId}\u0000${canonical}`).digest('base64url');
}

/** Builds, for an action's commit, the write that records its answer (refused if already answered). */
export type RememberAnswer = (ack: Omit<AckFrame, 'type' | 'requestId' | 'action'>) => NamedWrite;

export const requestWriteName = 'request';

export function rememberer(deps: Pick<Deps, 'tables' | 'clock'>, key: string, frame: Pick<AckFrame, 'requestId' | 'action'>): RememberAnswer {
  return (fields) => {
    const now = Math.floor(deps.clock.now().getTime() / 1000);
    return {
      name: requestWriteName,
      write: {
        Put: {
          TableName: deps.tables.requests,
          Item: { requestKey: key, answer: { type: 'ack', ...frame, ...fields }, expiresAt: now + rememberSeconds },
          ConditionExpression: 'attribute_not_exists(requestKey) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': now },
        },
      },
    };
  };
}

/** The first answer to a request, if it was answered in the last 10 minutes. */
export async function recallAnswer(deps: Pick<Deps, 'db' | 'tables' | 'clock'>, key: string): Promise<AckFrame | undefined> {
  const { Item } = await deps.db.send(new GetCommand({ TableName: deps.tables.requests, Key: { requestKey: key }, ConsistentRead: true }));
  if (!Item || (Item.expiresAt as number) * 1000 <= deps.clock.now().getTime()) return undefined;
  return Item.answer as AckFrame;
}

/** A request that was already done: its first answer is the answer (see `recallAnswer`). */
export class RequestAlreadyDone extends Error {
  constructor() {
    super('this request was already done');
    this.name = 'RequestAlreadyDone';
  }
}
