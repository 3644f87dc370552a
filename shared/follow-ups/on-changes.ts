import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { Deps } from '../runtime/deps.js';
import { changesOf } from './changes.js';
import { followUpsOf, type FollowUp } from './derive.js';
import { runFollowUps } from './run.js';

/**
 * A batch of changes from a table's stream (Lambda's event source mapping; the local stack's
 * poller): the follow-ups of the kinds this consumer owns, coalesced and applied. A throw makes
 * the stream deliver the batch again.
 */
export async function onChanges(deps: Deps, event: DynamoDBStreamEvent, kinds: ReadonlyArray<FollowUp['kind']>): Promise<number> {
  const followUps = changesOf(event.Records, deps.tables)
    .flatMap(followUpsOf)
    .filter((f) => kinds.includes(f.kind));
  await runFollowUps(deps, followUps);
  return followUps.length;
}
