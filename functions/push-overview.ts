import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { logger } from '../shared/runtime/logger.js';
import { observed } from '../shared/runtime/observed.js';
import type { OverviewJob } from '../shared/supervision/overview-requests.js';
import { pushOverview } from '../shared/supervision/push-overview.js';

const deps = depsFromEnv();

/**
 * Supervisors' overview jobs (SQS): one overview for the whole batch, posted to every supervisor
 * and admin connection. A failure fails the batch, which comes back after the visibility timeout
 * (every job is safe to run twice: it only reads and posts).
 */
export const handler = observed(deps, async (event: SQSEvent): Promise<SQSBatchResponse> => {
  try {
    await pushOverview(deps, event.Records.map((r) => JSON.parse(r.body) as OverviewJob));
    return { batchItemFailures: [] };
  } catch (error) {
    logger.error('overview job failed', { jobs: event.Records.length, error: (error as Error).name });
    return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
  }
});
