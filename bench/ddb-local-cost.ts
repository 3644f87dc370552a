/**
 * `npx tsx bench/ddb-local-cost.ts`: what one DynamoDB call costs on this machine, in the DynamoDB
 * Local JVM and in Node (the AWS SDK's own work), by operation. The busy hour's "stack CPU per 1,000
 * messages" counts both, so this is the floor under it: calls per message × these figures. A fresh
 * DynamoDB Local, one table with a stream (as Tide's are), items of about 700 bytes, 8 requests in
 * flight, 300 warm-up calls per operation. Printed, never asserted.
 */
import '../infra/local/sdk-node-warning.js';
import { readFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { localCredentials, localRegion, startDynamoDbLocal } from '../infra/local/dynamodb.js';
import { cmdline, descendants } from './lib/proc.js';

/** CPU milliseconds a process has used (utime + stime; Linux's clock ticks are 10 ms). */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

const calls = 2_000;
const ddb = await startDynamoDbLocal();
try {
  const jvm = descendants(ddb.pid).find((pid) => cmdline(pid).includes('DynamoDBLocal.jar'))!;
  const client = new DynamoDBClient({ endpoint: ddb.endpoint, region: localRegion, credentials: localCredentials });
  const db = DynamoDBDocumentClient.from(client);
  const TableName = 'cost';
  await client.send(
    new CreateTableCommand({
      TableName,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  const key = (i: number) => ({ id: `k${i % 200}` });
  for (let i = 0; i < 200; i++) await db.send(new PutCommand({ TableName, Item: { ...key(i), text: 'x'.repeat(600), v: 0 } }));
  const bump = (i: number) => ({ TableName, Key: key(i), UpdateExpression: 'SET v = v + :one', ExpressionAttributeValues: { ':one': 1 } });
  const operations: Array<[string, (i: number) => Promise<unknown>]> = [
    ['GetItem (consistent)', (i) => db.send(new GetCommand({ TableName, Key: key(i), ConsistentRead: true }))],
    ['UpdateItem', (i) => db.send(new UpdateCommand(bump(i)))],
    ['BatchGetItem of 4', (i) => db.send(new BatchGetCommand({ RequestItems: { [TableName]: { Keys: [0, 1, 2, 3].map((k) => key(i * 4 + k)), ConsistentRead: true } } }))],
    ['TransactWriteItems of 2', (i) => db.send(new TransactWriteCommand({ TransactItems: [{ Update: bump(i * 2) }, { Update: bump(i * 2 + 1) }] }))],
  ];
  console.log(`DynamoDB Local cost per call (${calls} calls each, 8 in flight)`);
  console.log(`${'operation'.padEnd(24)}  JVM ms  Node ms  wall ms`);
  for (const [name, op] of operations) {
    for (let i = 0; i < 300; i++) await op(i);
    const jvm0 = cpuMs(jvm);
    const node0 = process.cpuUsage();
    const start = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => { while (next < calls) await op(next++); }));
    const node = process.cpuUsage(node0);
    const row = [(cpuMs(jvm) - jvm0) / calls, (node.user + node.system) / 1000 / calls, (performance.now() - start) / calls];
    console.log(`${name.padEnd(24)}  ${row.map((v) => v.toFixed(2).padStart(6)).join('  ')}`);
  }
  client.destroy();
} finally {
  await ddb.stop();
}
