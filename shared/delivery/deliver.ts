import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SendOutcome } from '../channels/channel.js';
import { channelOf } from '../channels/registry.js';
import { getMessage, type DeliveryStatus, type StoredMessage } from '../conversation/message-store.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { tideMetrics } from '../runtime/metrics.js';
import { isConditionFailure } from '../storage/commit.js';
import type { DeliveryJob } from './delivery-queue.js';
import { statusesBefore } from './status.js';

/** Backoff before attempt n+1, in seconds: 2, 4, 8, … up to 5 minutes. */
export const retryDelaySeconds = (attempt: number) => Math.min(300, 2 ** Math.min(attempt, 9));
/** Undelivered this long after it was sent by the agent, a message is given up on (DESIGN §4). */
export const giveUpAfterSeconds = 24 * 60 * 60;

export type DeliveryOutcome = 'sent' | 'delivered' | 'failed' | 'retry' | 'skipped';

/**
 * The first attempt runs from the change stream as soon as the message is stored, with this short
 * timeout, so a slow channel holds up that stream's other deliveries for at most this long; its
 * retries run from the delivery queue with the channel's full timeout.
 */
export const firstAttemptTimeoutMs = 1_500;

/**
 * One delivery attempt of an outbound message, never from the agent's request: the first from the
 * change stream, the retries from the delivery queue, so a slow or failing channel delays only
 * deliveries, never an agent's action. Transient failures go back to the queue with a growing
 * delay (`retryDelaySeconds`) for up to 24 hours; permanent ones make the message `failed` with the
 * provider's code. Delivery is at least once: a job the stream handed over twice may send twice
 * (the receiver dedupes by `messageId`), but the status only moves forward.
 */
export async function deliverOutbound(deps: Deps, job: DeliveryJob, options: { timeoutMs?: number } = {}): Promise<DeliveryOutcome> {
  // The job carries the message; an old job without it reads it (and skips one no longer pending).
  const message: StoredMessage | undefined = job.message ? { messageId: job.messageId, ...job.message } : await getMessage(deps, job.messageId);
  if (!message || message.direction !== 'out' || (!job.message && message.status !== 'pending')) return 'skipped';
  const channel = channelOf(message);
  const outcome: SendOutcome = channel.configured(deps.config)
    ? await channel.send(deps, message, options)
    : { kind: 'failed', code: 'channel_not_configured', message: `Tide has no ${channel.provider} channel configured` };
  // Counted once the attempt's result is stored (a job that throws before comes back and counts then).
  const count = (result: DeliveryOutcome, code: string) => deps.metrics?.count(tideMetrics.deliveryOutcomes, { Channel: message.channel, Outcome: result, Code: code || 'unknown' });
  if (outcome.kind === 'sent') {
    const status = outcome.delivered ? 'delivered' : 'sent';
    // Conditional on the status not being past it: a duplicate job's second send changes nothing.
    await moveStatus(deps, message, status, { attempts: job.attempt, ...(outcome.providerMessageId ? { providerMessageId: outcome.providerMessageId } : {}) });
    count(status, 'ok');
    return status;
  }
  const age = deps.clock.now().getTime() - Date.parse(message.sentAt);
  if (outcome.kind === 'retry' && age < giveUpAfterSeconds * 1000) {
    logger.warn('delivery will be retried', { messageId: message.messageId, attempt: job.attempt, reason: outcome.reason });
    await deps.deliveries.enqueue([{ ...job, attempt: job.attempt + 1 }], retryDelaySeconds(job.attempt));
    count('retry', retryCode(outcome.reason));
    return 'retry';
  }
  const error = outcome.kind === 'failed' ? { code: outcome.code, message: outcome.message } : { code: 'gave_up', message: `not delivered after ${job.attempt} attempts in 24 hours` };
  logger.error('delivery failed', { messageId: message.messageId, code: error.code });
  await moveStatus(deps, message, 'failed', { attempts: job.attempt, error });
  count('failed', error.code);
  return 'failed';
}

/**
 * A transient failure's reason as a metric dimension, from a small set (never free text):
 * `http_503`, an error's name (`TimeoutError`), or `transient`.
 */
export function retryCode(reason: string): string {
  const status = /^HTTP (\d{3})\b/.exec(reason)?.[1];
  if (status) return `http_${status}`;
  return /^[A-Za-z]{1,40}$/.test(reason) ? reason : 'transient';
}

/**
 * Moves a message's delivery status forward, never backwards (a late or duplicate report is
 * ignored). Returns false when the message was already at or past `to`.
 */
export async function moveStatus(deps: Pick<Deps, 'db' | 'tables' | 'clock'>, message: Pick<StoredMessage, 'messageId'>, to: DeliveryStatus, extra: Record<string, unknown> = {}): Promise<boolean> {
  const from = statusesBefore(to);
  const fields = { status: to, statusAt: deps.clock.now().toISOString(), ...extra };
  const names = Object.keys(fields);
  try {
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.tables.messages,
        Key: { messageId: message.messageId },
        UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :f${i}`).join(', ')}`,
        ConditionExpression: `#f0 IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
        ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#f${i}`, n])),
        ExpressionAttributeValues: {
          ...Object.fromEntries(names.map((n, i) => [`:f${i}`, (fields as Record<string, unknown>)[n]])),
          ...Object.fromEntries(from.map((s, i) => [`:from${i}`, s])),
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
