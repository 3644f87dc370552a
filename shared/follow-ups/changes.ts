import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { Agent } from '../agent/model.js';
import type { StoredMessage } from '../conversation/message-store.js';
import type { Conversation } from '../conversation/model.js';
import type { TableNames } from '../storage/tables.js';

/** One item's change, as a table's stream reports it: the image before and after (either may be absent). */
export type Change =
  | { table: 'conversations'; before?: Conversation; after?: Conversation }
  | { table: 'agents'; before?: Agent; after?: Agent }
  | { table: 'messages'; before?: StoredMessage; after?: StoredMessage };

/** The table a stream record comes from: its ARN is `…:table/<name>/stream/<label>`. */
const tableOf = (arn: string | undefined) => /:table\/([^/]+)\/stream\//.exec(arn ?? '')?.[1];

/** Turns stream records (Lambda's DynamoDB event) into changes of Tide's tables; others are ignored. */
export function changesOf(records: readonly DynamoDBRecord[], tables: TableNames): Change[] {
  const byName: Record<string, Change['table']> = { [tables.conversations]: 'conversations', [tables.agents]: 'agents', [tables.messages]: 'messages' };
  const image = (value: unknown) => (value ? unmarshall(value as Record<string, AttributeValue>) : undefined);
  return records.flatMap((record) => {
    const table = byName[tableOf(record.eventSourceARN) ?? ''];
    if (!table) return [];
    return [{ table, before: image(record.dynamodb?.OldImage), after: image(record.dynamodb?.NewImage) } as Change];
  });
}
