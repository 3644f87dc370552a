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
  it('TTL is on where a table declares it, unless turned off; with it off, an item past its expiry stays', async () => {
    const deployed = await fresh();
    const virtual = await fresh({ timeToLive: false });
    for (const def of [connectionsTable, requestsTable]) {
      expect(await ttlStatus(deployed.env[def.envVar]!)).toBe('ENABLED');
      expect(await ttlStatus(virtual.env[def.envVar]!)).toBe('DISABLED');
    }
    // A connection row as a virtual clock a week in the past writes it: long expired by the wall clock.
    const row = { connectionId: 'c-past', agentId: 'ann', role: 'agent', expiresAt: Math.floor(Date.now() / 1000) - 7 * 86_400 };
    const read = (s: typeof deployed) =>
      s.db.send(new GetCommand({ TableName: s.tables.connections, Key: { connectionId: row.connectionId }, ConsistentRead: true }));
    await deployed.db.send(new PutCommand({ TableName: deployed.tables.connections, Item: row }));
    await virtual.db.send(new PutCommand({ TableName: virtual.tables.connections, Item: row }));
    // Once DynamoDB Local's TTL pass has taken the deployed table's row twice over (written again
    // after the first was gone; the passes are about 10 s apart), a whole pass has been over the
    // other table too.
    for (let pass = 0; pass < 2; pass++) {
      if (pass > 0) await deployed.db.send(new PutCommand({ TableName: deployed.tables.connections, Item: row }));
      await expect.poll(async () => (await read(deployed)).Item, { timeout: 20_000, interval: 200 }).toBeUndefined();
    }
    expect((await read(virtual)).Item).toEqual(row);
  }, 60_000);
});
