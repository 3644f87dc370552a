import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Reads items by a single-attribute key, 100 keys per call (DynamoDB's limit), retrying what
 * DynamoDB leaves unprocessed. Missing items are left out; duplicates are read once.
 */
export async function batchGet<T>(db: DynamoDBDocumentClient, table: string, keyName: string, ids: readonly string[], consistent: boolean): Promise<T[]> {
  const items: T[] = [];
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 100) {
    const found = await batchGetTables(db, [{ table, keyName, ids: unique.slice(i, i + 100) }], consistent);
    items.push(...((found.get(table) ?? []) as T[]));
  }
  return items;
}

/**
 * Items of several tables in one round trip (BatchGetItem takes up to 100 keys in all), each
 * table's by its single-attribute key; what DynamoDB leaves unprocessed is asked again.
 */
export async function batchGetTables(
  db: DynamoDBDocumentClient,
  requests: ReadonlyArray<{ table: string; keyName: string; ids: readonly string[] }>,
  consistent: boolean,
): Promise<Map<string, unknown[]>> {
  const found = new Map<string, unknown[]>(requests.map((r) => [r.table, []]));
  let pending: NonNullable<BatchGetCommandOutput['UnprocessedKeys']> | undefined = Object.fromEntries(
    requests.filter((r) => r.ids.length > 0).map((r) => [r.table, { Keys: [...new Set(r.ids)].map((id) => ({ [r.keyName]: id })), ConsistentRead: consistent }]),
  );
  while (pending && Object.keys(pending).length > 0) {
    const out: BatchGetCommandOutput = await db.send(new BatchGetCommand({ RequestItems: pending }));
    for (const [table, items] of Object.entries(out.Responses ?? {})) found.get(table)?.push(...items);
    pending = out.UnprocessedKeys;
  }
  return found;
}
