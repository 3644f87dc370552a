import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/**
 * One attribute of every item a query finds, every page of it. For key-only reads (an index's
 * ids, a queue's Availability rows), which stay small however many pages they take.
 */
export async function queryAll(db: DynamoDBDocumentClient, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>, attribute: string): Promise<string[]> {
  const values: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    values.push(...(page.Items ?? []).map((item) => item[attribute] as string));
    start = page.LastEvaluatedKey;
  } while (start);
  return values;
}
