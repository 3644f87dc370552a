import type { DynamoDBStreamEvent } from 'aws-lambda';
import { onChanges } from '../shared/follow-ups/on-changes.js';
import { consumerKinds } from '../shared/follow-ups/run.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { observed } from '../shared/runtime/observed.js';

const deps = depsFromEnv();

/**
 * Messages stream: every new outbound message goes to the delivery queue (the stream guarantees
 * none is forgotten), and every delivery status change is pushed to the agent.
 */
export const handler = observed(deps, async (event: DynamoDBStreamEvent): Promise<void> => {
  await onChanges(deps, event, consumerKinds.messages);
});
