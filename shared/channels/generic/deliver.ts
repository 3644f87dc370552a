import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Deps } from '../../runtime/deps.js';
import { logger } from '../../runtime/logger.js';
import { isConditionFailure } from '../../storage/transactions.js';
import { channelSecret } from './channel-secret.js';
import { sign, signatureHeader } from './signature.js';

/**
 * At-least-once delivery of agent replies to the generic channel's `outboundUrl` (DESIGN §4):
 * a 2xx is delivered; a 5xx, 408, 429, timeout or refused connection is retried with backoff;
 * another 4xx is a permanent refusal, recorded and not retried. The receiver dedupes by
 * `messageId`. A message stays in the `pendingDelivery` index until one of those outcomes, so a
 * crash between attempts loses nothing: the sweeper picks it up.
 */
export type DeliveryOutcome = 'delivered' | 'rejected' | 'retrying' | 'not-pending';

/** Backoff between rounds of attempts, by the number of attempts made so far. */
export const retryDelaySeconds = (attempts: number) => Math.min(300, 2 ** Math.min(attempts, 9));
/** After this long undelivered, a message is given up on (and logged for an operator). */
const giveUpAfterSeconds = 24 * 60 * 60;

interface PendingMessage {
  messageId: string;
  conversationId: string;
  to: string;
  text: string;
  sentAt: string;
  attempts: number;
  deliveryPending?: string;
}

export async function deliverMessage(deps: Deps, messageId: string, options: { attempts?: number } = {}): Promise<DeliveryOutcome> {
  const { Item } = await deps.db.send(
    new GetCommand({ TableName: deps.tables.messages, Key: { messageId }, ConsistentRead: true }),
  );
  const message = Item as PendingMessage | undefined;
  const channel = deps.config.channels.generic;
  if (!message?.deliveryPending || !channel?.outboundUrl) return 'not-pending';

  const body = JSON.stringify({
    conversationId: message.conversationId,
    messageId: message.messageId,
    to: message.to,
    text: message.text,
  });
  const secret = await channelSecret(deps);
  if (!secret) return 'not-pending';
  const headers = { 'content-type': 'application/json', [signatureHeader]: sign(secret, body) };
  const rounds = options.attempts ?? 3;
  let status: number | string = 'none';
  for (let attempt = 0; attempt < rounds; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * 3 ** (attempt - 1)));
    try {
      status = (await deps.http(channel.outboundUrl, { method: 'POST', headers, body })).status;
    } catch (error) {
      status = (error as Error).name;
    }
    if (typeof status === 'number' && status >= 200 && status < 300) {
      await settle(deps, message, { deliveredAt: deps.clock.now().toISOString() }, rounds);
      return 'delivered';
    }
    if (typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429) {
      logger.error('channel refused a reply', { messageId, status });
      await settle(deps, message, { deliveryFailed: `HTTP ${status}` }, attempt + 1);
      return 'rejected';
    }
  }
  const attempts = (message.attempts ?? 0) + rounds;
  const now = deps.clock.now();
  if (now.getTime() - Date.parse(message.sentAt) > giveUpAfterSeconds * 1000) {
    logger.error('reply undeliverable, giving up', { messageId, attempts, lastStatus: status });
    await settle(deps, message, { deliveryFailed: `gave up after ${attempts} attempts` }, rounds);
    return 'rejected';
  }
  logger.warn('reply not delivered yet, will retry', { messageId, attempts, lastStatus: status });
  await deps.db.send(
    new UpdateCommand({
      TableName: deps.tables.messages,
      Key: { messageId },
      UpdateExpression: 'SET attempts = :a, nextAttemptAt = :next',
      ConditionExpression: 'attribute_exists(deliveryPending)',
      ExpressionAttributeValues: {
        ':a': attempts,
        ':next': new Date(now.getTime() + retryDelaySeconds(attempts) * 1000).toISOString(),
      },
    }),
  ).catch((error) => {
    if (!isConditionFailure(error)) throw error;
  });
  return 'retrying';
}

/** Takes a message out of the pending index with its final outcome. */
async function settle(deps: Deps, message: PendingMessage, outcome: Record<string, string>, attemptsMade: number) {
  const names = Object.keys(outcome);
  await deps.db.send(
    new UpdateCommand({
      TableName: deps.tables.messages,
      Key: { messageId: message.messageId },
      UpdateExpression: `SET attempts = :a, ${names.map((n) => `${n} = :${n}`).join(', ')} REMOVE deliveryPending, nextAttemptAt`,
      ExpressionAttributeValues: {
        ':a': (message.attempts ?? 0) + attemptsMade,
        ...Object.fromEntries(names.map((n) => [`:${n}`, outcome[n]])),
      },
    }),
  );
}

/** Retries every reply whose next attempt is due; used by the sweeper. */
export async function retryDueDeliveries(deps: Deps, channel = 'generic'): Promise<number> {
  const out = await deps.db.send(
    new QueryCommand({
      TableName: deps.tables.messages,
      IndexName: 'pendingDelivery',
      KeyConditionExpression: 'deliveryPending = :c AND nextAttemptAt <= :now',
      ExpressionAttributeValues: { ':c': channel, ':now': deps.clock.now().toISOString() },
      Limit: 100,
    }),
  );
  const due = (out.Items ?? []).map((i) => i.messageId as string);
  await Promise.all(due.map((id) => deliverMessage(deps, id, { attempts: 1 })));
  return due.length;
}
