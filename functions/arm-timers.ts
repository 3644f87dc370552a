import type { DynamoDBStreamEvent } from 'aws-lambda';
import { onChanges } from '../shared/follow-ups/on-changes.js';
import { consumerKinds } from '../shared/follow-ups/run.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { observed } from '../shared/runtime/observed.js';

const deps = depsFromEnv();

/**
 * Conversations stream, second consumer: creates the Scheduler schedule of every timer a change
 * armed. Its own consumer, so that a Scheduler outage delays timers and nothing else; the
 * batch is retried until the schedules exist.
 */
export const handler = observed(deps, async (event: DynamoDBStreamEvent): Promise<void> => {
  await onChanges(deps, event, consumerKinds.timers);
});
