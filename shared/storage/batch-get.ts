import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Reads items by a single-attribute key, 100 keys per call (DynamoDB's limit), retrying what
 * DynamoDB leaves unprocessed. Missing items are left out; duplicates are read once.
 */
export async function batchGet<T>(db: DynamoDBDocumentClient, table: string, keyName: string, ids: readonly string[], consistent: boolean): Promise<T[]> {
  const items: T[] = [];
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((id) => ({ [keyName]: id }));
    while (keys && keys.length) {
      const out: BatchGetCommandOutput = await db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: consistent } } }));
      items.push(...((out.Responses?.[table] ?? []) as T[]));
      keys = out.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return items;
}
