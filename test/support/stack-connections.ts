import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { inject } from 'vitest';
import { localCredentials, localRegion } from '../../infra/local/dynamodb.js';
import { connectionsTable } from '../../shared/storage/tables.js';

/**
 * The server side of a running local stack's WebSocket connections, as an operator (or API
 * Gateway at its 2-hour limit) would end them: through the `@connections` management API.
 *
 * The stack's table prefix is random, so its connections are found by agent id in every
 * Connections table of the run's DynamoDB Local, and kept only if this stack's management API
 * knows them (use an agent id no other test file uses).
 */
export async function openConnectionIds(managementUrl: string, agentId: string): Promise<string[]> {
  const db = new DynamoDBClient({ endpoint: inject('dynamodbEndpoint'), region: localRegion, credentials: localCredentials });
  try {
    const names: string[] = [];
    let start: string | undefined;
    do {
      const page = await db.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
      names.push(...(page.TableNames ?? []).filter((n) => n.endsWith(`-${connectionsTable.id}`)));
      start = page.LastEvaluatedTableName;
    } while (start);
    const ids: string[] = [];
    for (const TableName of names) {
      const { Items = [] } = await db.send(
        new ScanCommand({ TableName, FilterExpression: 'agentId = :a', ExpressionAttributeValues: { ':a': { S: agentId } } }),
      );
      ids.push(...Items.map((i) => unmarshall(i).connectionId as string));
    }
    const known = await Promise.all(ids.map(async (id) => ((await fetch(`${managementUrl}/@connections/${encodeURIComponent(id)}`)).status === 200 ? id : undefined)));
    return known.filter((id): id is string => id !== undefined);
  } finally {
    db.destroy();
  }
}

/** `DELETE @connections/{id}`: the gateway closes the socket from its side. */
export async function dropConnection(managementUrl: string, connectionId: string): Promise<void> {
  const res = await fetch(`${managementUrl}/@connections/${encodeURIComponent(connectionId)}`, { method: 'DELETE' });
  if (res.status !== 204) throw new Error(`DELETE @connections/${connectionId}: ${res.status}`);
}
