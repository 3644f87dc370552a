import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tables, type TableDefinition } from '../../shared/storage/tables.js';
import { assertPortFree, freePort, PortInUseError } from './free-port.js';

/** Static credentials DynamoDB Local accepts; nothing here can reach AWS. */
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
export const localRegion = 'us-east-1';

export interface RunningDynamoDb {
  endpoint: string;
  /** The watchdog's pid (the JVM is its child). */
  pid: number;
  stop(): Promise<void>;
}

/** DynamoDB Local's JVM runs behind this; it ends the JVM when our end of its stdin closes. */
const watchdogPath = fileURLToPath(new URL('./dynamodb-watchdog.mjs', import.meta.url));
/** How long stop() waits for the watchdog, which itself gives the JVM 3 s before SIGKILL. */
const STOP_WAIT_MS = 5_000;

/**
 * Starts Amazon's DynamoDB Local (in memory, one shared database) and waits until it answers.
 *
 * The JVM is not our child but the watchdog's (infra/local/dynamodb-watchdog.mjs), which holds a
 * pipe from us: it ends the JVM when the pipe closes, so the JVM cannot outlive this process, even
 * when this process is killed with SIGKILL. The watchdog gets its own process group: a Ctrl-C in
 * the terminal signals the whole foreground group, and DynamoDB must not stop before the gateways
 * and handlers that use it have (the stack stops it last).
 */
export async function startDynamoDbLocal(options: { host?: string; port?: number } = {}): Promise<RunningDynamoDb> {
  const host = options.host ?? '127.0.0.1';
  if (options.port !== undefined) await assertPortFree('dynamodbPort', host, options.port);
  const port = options.port ?? (await freePort(host));
  // The JVM's options: the serial collector and the client compiler only. On two cores shared
  // with everything else, the server compiler's background work costs more CPU than it saves in
  // the minutes a local stack, a test file or a benchmark step runs (measured: about a third less
  // CPU per request). The launcher takes no JVM flags, so they go through JAVA_TOOL_OPTIONS.
  const javaToolOptions = [process.env.JAVA_TOOL_OPTIONS, '-XX:+UseSerialGC -XX:TieredStopAtLevel=1'].filter(Boolean).join(' ');
  const child = spawn(process.execPath, [watchdogPath, String(port)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, JAVA_TOOL_OPTIONS: javaToolOptions },
  });
  // The JVM's stderr, kept (the end of it) to say why a start failed; it is never printed.
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4_000)));
  child.stdin!.on('error', () => {}); // the watchdog gone first: nothing left to tell
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));

  const endpoint = `http://${host}:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_WAIT_MS);
      await exited;
      clearTimeout(timer);
    }
    child.stderr!.destroy();
  };
  const client = new DynamoDBClient({ endpoint, region: localRegion, credentials: localCredentials });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      if (spawnError) throw new Error(`cannot start DynamoDB Local: ${spawnError.message}`, { cause: spawnError });
      if (exitedEarly) {
        if (/BindException|Address already in use/.test(stderr)) throw new PortInUseError('dynamodbPort', host, port);
        const why = stderr.trim().split('\n').filter((line) => !line.startsWith('Picked up JAVA_TOOL_OPTIONS')).slice(-1)[0];
        throw new Error(`DynamoDB Local exited during start-up (is Java 17 installed?)${why ? `: ${why}` : ''}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint}`, { cause: error });
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, pid: child.pid!, stop };
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
