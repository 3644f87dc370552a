import type { DynamoDBStreamEvent } from 'aws-lambda';
import { onChanges } from '../shared/follow-ups/on-changes.js';
import { consumerKinds } from '../shared/follow-ups/run.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { observed } from '../shared/runtime/observed.js';

const deps = depsFromEnv();

/**
 * Conversations and Agents streams: routing passes (queued work, freed capacity) and work-list
 * pushes, coalesced per batch. A throw makes the event source mapping retry the batch.
 */
export const handler = observed(deps, async (event: DynamoDBStreamEvent): Promise<void> => {
  await onChanges(deps, event, consumerKinds.work);
});
