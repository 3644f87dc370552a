import { randomBytes } from 'node:crypto';
import { DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTables, localCredentials, localRegion } from '../../infra/local/dynamodb.js';
import { environment } from '../../shared/runtime/environment.js';
import { createDocumentClient } from '../../shared/storage/document-client.js';
import { connectionsTable, requestsTable, tableNamesFromEnv } from '../../shared/storage/tables.js';

/**
 * The local tables' TTL, against DynamoDB Local, which deletes expired items by the wall clock:
 * on as deployed by default, off for code on a virtual clock (the simulator, domain tests), whose
 * rows may carry an expiry that is already past by the wall clock.
 */
const endpoint = inject('dynamodbEndpoint');
const admin = new DynamoDBClient({ endpoint, region: localRegion, credentials: localCredentials });
const clients: Array<{ destroy(): void }> = [admin];
afterAll(() => clients.forEach((c) => c.destroy()));

async function fresh(options?: { timeToLive?: boolean }) {
  const env = await createTables(endpoint, `ttl${randomBytes(4).toString('hex')}-`, options);
  const full = { ...env, [environment.dynamodbEndpoint]: endpoint, AWS_REGION: localRegion };
  const db = createDocumentClient(full);
  clients.push(db);
  return { db, tables: tableNamesFromEnv(full), env };
}
const ttlStatus = async (TableName: string) =>
  (await admin.send(new DescribeTimeToLiveCommand({ TableName }))).TimeToLiveDescription?.TimeToLiveStatus;

describe('local tables and TTL', () => {
  it('TTL is on where a table declares it, unless turned off (then an item past its expiry is kept)', async () => {
    const deployed = await fresh();
    const virtual = await fresh({ timeToLive: false });
    for (const def of [connectionsTable, requestsTable]) {
      expect(await ttlStatus(deployed.env[def.envVar]!)).toBe('ENABLED');
      expect(await ttlStatus(virtual.env[def.envVar]!)).toBe('DISABLED');
    }
    // A row as a virtual clock a week in the past writes it: long expired by the wall clock, and
    // kept where TTL is off. (That DynamoDB Local deletes it where TTL is on depends on its
    // background pass, which a loaded machine delays by any amount: not asserted.)
    const row = { connectionId: 'c-past', agentId: 'ann', role: 'agent', expiresAt: Math.floor(Date.now() / 1000) - 7 * 86_400 };
    await virtual.db.send(new PutCommand({ TableName: virtual.tables.connections, Item: row }));
    const kept = await virtual.db.send(new GetCommand({ TableName: virtual.tables.connections, Key: { connectionId: row.connectionId }, ConsistentRead: true }));
    expect(kept.Item).toEqual(row);
  });
});
