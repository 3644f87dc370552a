import { createHash } from 'node:crypto';
import { TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ContentionError } from '../errors.js';

/**
 * Writing a change: the one place that talks to DynamoDB for state changes, and the one retry loop.
 *
 * A change is a list of *named* writes (`conversation`, `agent:alice`, `customer`, …), each with its
 * own condition. One write goes out as a single conditional write (half the cost of a
 * transaction); several as one transaction. Either way the outcome names the writes whose
 * condition failed, with the item as it is now, so nobody decodes failures by position.
 */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface NamedWrite {
  name: string;
  write: TransactItem;
}

export type CommitOutcome =
  | { committed: true }
  | { committed: false; conflicts: Array<{ name: string; current?: Record<string, unknown> }> };

/** Retries of a transaction DynamoDB cancelled for a reason that is not ours (conflict, throttling). */
const transientRetries = 5;

export async function commit(db: DynamoDBDocumentClient, writes: readonly NamedWrite[]): Promise<CommitOutcome> {
  if (writes.length === 0) return { committed: true };
  if (writes.length === 1 && !writes[0]!.write.ConditionCheck) return commitOne(db, writes[0]!);
  // The token makes the SDK's retry of an ambiguous commit (a timeout after DynamoDB applied it)
  // idempotent instead of a false conflict: it is a digest of the writes, so a retry with the
  // same writes carries the same token, and a different change never reuses one.
  const token = createHash('sha256').update(JSON.stringify(writes)).digest('base64url').slice(0, 36);
  for (let attempt = 0; ; attempt++) {
    try {
      await db.send(
        new TransactWriteCommand({
          ClientRequestToken: token,
          TransactItems: writes.map((w) => withReturnOnFailure(w.write)),
        }),
      );
      return { committed: true };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) {
        if ((error as Error).name === 'TransactionInProgressException' && attempt < transientRetries) {
          await pause(attempt);
          continue;
        }
        throw error;
      }
      const reasons = error.CancellationReasons ?? [];
      const conflicts = reasons.flatMap((reason, i) =>
        reason.Code === 'ConditionalCheckFailed'
          ? [{ name: writes[i]?.name ?? `#${i}`, current: reason.Item ? unmarshall(reason.Item as Record<string, AttributeValue>) : undefined }]
          : [],
      );
      if (conflicts.length > 0) return { committed: false, conflicts };
      const transient = reasons.some((r) => r.Code === 'TransactionConflict' || r.Code === 'ThrottlingError');
      if (!transient || attempt >= transientRetries) throw error;
      await pause(attempt);
    }
  }
}

async function commitOne(db: DynamoDBDocumentClient, { name, write }: NamedWrite): Promise<CommitOutcome> {
  try {
    if (write.Put) await db.send(new PutCommand({ ...write.Put, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
    else if (write.Update) await db.send(new UpdateCommand({ ...write.Update, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
    else if (write.Delete) await db.send(new DeleteCommand({ ...write.Delete, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
    return { committed: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const item = (error as { Item?: Record<string, AttributeValue> }).Item;
    return { committed: false, conflicts: [{ name, current: item ? unmarshall(item) : undefined }] };
  }
}

const withReturnOnFailure = (write: TransactItem): TransactItem => {
  const [kind] = Object.keys(write) as Array<keyof TransactItem>;
  const inner = write[kind!] as Record<string, unknown>;
  return { [kind!]: { ...inner, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } } as TransactItem;
};

const pause = (attempt: number) => new Promise((r) => setTimeout(r, 5 * 2 ** attempt + Math.random() * 10));

/** True when a single-item conditional write was refused because its condition did not hold. */
export const isConditionFailure = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/**
 * The one retry loop of optimistic concurrency. Each round reads what the command needs, decides
 * (a pure transition) and commits; a round that lost a race returns `retry` and the command reads
 * again. Rounds back off with jitter, so that concurrent losers do not collide again in step.
 */
export type Round<T> = { done: true; value: T } | { done: false };

export async function withRetries<T>(command: string, round: (attempt: number) => Promise<Round<T>>, maxRounds = 8): Promise<T> {
  for (let attempt = 0; attempt < maxRounds; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(200, 4 * 2 ** attempt) * (0.5 + Math.random())));
    const outcome = await round(attempt);
    if (outcome.done) return outcome.value;
  }
  throw new ContentionError(command);
}
