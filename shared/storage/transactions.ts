import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';

type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

/**
 * The outcome of a transaction whose conditions may fail: either it committed, or the index of
 * every item whose condition did not hold. Conflicts with a concurrent transaction are retried
 * here (DynamoDB Local never produces them; tests inject them), since the caller's conditions
 * make a retry safe.
 */
export type TransactionOutcome = { committed: true } | { committed: false; failed: number[] };

const conflictRetries = 5;

export async function transactWrite(db: DynamoDBDocumentClient, items: TransactItems): Promise<TransactionOutcome> {
  for (let attempt = 0; ; attempt++) {
    try {
      await db.send(new TransactWriteCommand({ TransactItems: items }));
      return { committed: true };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const failed = reasons.flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : []));
      if (failed.length > 0) return { committed: false, failed };
      const conflicted = reasons.some((r) => r.Code === 'TransactionConflict' || r.Code === 'ThrottlingError');
      if (!conflicted || attempt >= conflictRetries) throw error;
      await new Promise((r) => setTimeout(r, 10 * 2 ** attempt + Math.random() * 20));
    }
  }
}

/** True when a single-item conditional write was refused because its condition did not hold. */
export const isConditionFailure = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';
