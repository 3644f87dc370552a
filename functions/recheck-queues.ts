import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { RoutingRecheck } from '../shared/routing/rechecks.js';
import { routeQueue } from '../shared/routing/route-queue.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { observed } from '../shared/runtime/observed.js';

const deps = depsFromEnv();

/**
 * Delayed second routing passes (SQS): a pass that left room unused runs once more after the
 * queue index has caught up. One pass per queue, however many rechecks the batch holds.
 */
export const handler = observed(deps, async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const queues = [...new Set(event.Records.map((r) => (JSON.parse(r.body) as RoutingRecheck).queue))];
  const results = await Promise.allSettled(queues.map((queue) => routeQueue(deps, queue, { queueFirst: true })));
  const failed = new Set(queues.filter((_, i) => results[i]!.status === 'rejected'));
  return { batchItemFailures: event.Records.filter((r) => failed.has((JSON.parse(r.body) as RoutingRecheck).queue)).map((r) => ({ itemIdentifier: r.messageId })) };
});
