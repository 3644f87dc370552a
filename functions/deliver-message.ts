import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deliverOutbound } from '../shared/delivery/deliver.js';
import type { DeliveryJob } from '../shared/delivery/delivery-queue.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { logger } from '../shared/runtime/logger.js';
import { observed } from '../shared/runtime/observed.js';

const deps = depsFromEnv();

/**
 * The delivery queue (SQS): one delivery attempt per job, each on its own so a slow channel
 * delays only its messages. A job that throws (a fault of ours or of DynamoDB, not the channel's)
 * is reported failed and comes back after the visibility timeout; after repeated failures SQS
 * moves it to the dead-letter queue, which has an alarm.
 */
export const handler = observed(deps, async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const results = await Promise.allSettled(event.Records.map((r) => deliverOutbound(deps, JSON.parse(r.body) as DeliveryJob)));
  const failed = event.Records.filter((_, i) => results[i]!.status === 'rejected');
  for (const r of failed) logger.error('delivery job failed', { sqsMessageId: r.messageId });
  return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
});
