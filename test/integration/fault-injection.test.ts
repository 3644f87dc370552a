import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { createTables, localCredentials, localRegion } from '../../infra/local/dynamodb.js';
import { busyDayFaults, FaultInjector, faultPlanFromEnv, FaultPlanError } from '../../infra/local/fault-injection.js';
import { commit } from '../../shared/storage/commit.js';
import { tableNamesFromEnv } from '../../shared/storage/tables.js';

/**
 * The fault injector itself (infra/local/fault-injection.ts), on DynamoDB Local through the real
 * SDK: its faults are the services' own exceptions, which the SDK retries as it would the real
 * ones, and an ambiguous write has really been applied.
 */
async function faultyClient(plan: ConstructorParameters<typeof FaultInjector>[0]) {
  const injector = new FaultInjector(plan);
  const client = new DynamoDBClient({ endpoint: inject('dynamodbEndpoint'), region: localRegion, credentials: localCredentials, maxAttempts: 3 });
  injector.decorate(client as never, 'DynamoDB');
  const env = await createTables(inject('dynamodbEndpoint'), `f${randomBytes(4).toString('hex')}-`, { timeToLive: false });
  return { injector, db: DynamoDBDocumentClient.from(client), table: tableNamesFromEnv(env).customers };
}

describe('TIDE_FAULTS', () => {
  it('parses the busy mix and kind=share pairs, and refuses anything else', () => {
    expect(faultPlanFromEnv(undefined)).toBeUndefined();
    expect(faultPlanFromEnv(' ')).toBeUndefined();
    expect(faultPlanFromEnv('busy')).toEqual(busyDayFaults);
    expect(faultPlanFromEnv('throttle=0.05, conflict=0.2,seed=7')).toEqual({ throttle: 0.05, conflict: 0.2, seed: 7 });
    expect(faultPlanFromEnv('busy,pushGone=0,seed=3')).toEqual({ ...busyDayFaults, pushGone: 0, seed: 3 });
    for (const bad of ['throttle=2', 'throttle=', 'slow=0.1', 'throttle', 'seed=x', 'pushGone=0,busy']) expect(() => faultPlanFromEnv(bad)).toThrow(FaultPlanError);
  });
});

describe('faults on DynamoDB Local', () => {
  it('throttles as DynamoDB does: the SDK retries each call, and a throttle that outlasts its attempts reaches the caller', async () => {
    const { injector, db, table } = await faultyClient({ throttle: 1 });
    const error = await db.send(new GetCommand({ TableName: table, Key: { customerKey: 'x' } })).catch((e: Error) => e);
    expect(['ProvisionedThroughputExceededException', 'ThrottlingException']).toContain((error as Error).name);
    expect(injector.counts.throttle).toBe(3); // every attempt of the SDK's three
  });

  it('cancels transactions with TransactionConflict, which commit() retries and then reports', async () => {
    const { injector, db, table } = await faultyClient({ conflict: 1 });
    const writes = [
      { name: 'a', write: { Put: { TableName: table, Item: { customerKey: 'a' } } } },
      { name: 'b', write: { Put: { TableName: table, Item: { customerKey: 'b' } } } },
    ];
    const error = await commit(db, writes).catch((e: Error) => e);
    expect((error as Error).name).toBe('TransactionCanceledException');
    expect(injector.counts.conflict).toBeGreaterThan(1); // commit() retried the transient conflict
    injector.plan.conflict = 0;
    expect((await db.send(new GetCommand({ TableName: table, Key: { customerKey: 'a' }, ConsistentRead: true }))).Item).toBeUndefined();
    expect(await commit(db, writes)).toEqual({ committed: true });
  });

  it('loses the answer of an applied write: the SDK sends it again, and a conditional put then meets its own write', async () => {
    const { injector, db, table } = await faultyClient({ ambiguous: 1 });
    const put = new PutCommand({ TableName: table, Item: { customerKey: 'once', n: 1 }, ConditionExpression: 'attribute_not_exists(customerKey)' });
    const error = await db.send(put).catch((e: Error) => e);
    // The false conflict every caller of a conditional write must be ready for.
    expect((error as Error).name).toBe('ConditionalCheckFailedException');
    expect(injector.counts.ambiguous).toBe(1);
    injector.plan.ambiguous = 0;
    expect((await db.send(new GetCommand({ TableName: table, Key: { customerKey: 'once' }, ConsistentRead: true }))).Item).toEqual({ customerKey: 'once', n: 1 });
  });

  it('makes a transaction with a ClientRequestToken idempotent through an ambiguous commit', async () => {
    const { injector, db, table } = await faultyClient({ ambiguous: 1 });
    const outcome = await commit(db, [
      { name: 'c', write: { Put: { TableName: table, Item: { customerKey: 'c' }, ConditionExpression: 'attribute_not_exists(customerKey)' } } },
      { name: 'd', write: { Put: { TableName: table, Item: { customerKey: 'd' }, ConditionExpression: 'attribute_not_exists(customerKey)' } } },
    ]).catch((e: Error) => e);
    // Each retry is applied again by the token (a no-op) and its answer lost again: a timeout, never a false conflict.
    expect(outcome).toMatchObject({ name: 'TimeoutError' });
    expect(injector.counts.ambiguous).toBe(3);
    injector.plan.ambiguous = 0;
    const token = await db.send(new TransactWriteCommand({ TransactItems: [{ ConditionCheck: { TableName: table, Key: { customerKey: 'c' }, ConditionExpression: 'attribute_exists(customerKey)' } }] }));
    expect(token.$metadata.httpStatusCode).toBe(200);
  });

  it('draws the same faults from the same seed', () => {
    const pattern = (seed: number) => {
      const injector = new FaultInjector({ throttle: 0.3, seed });
      return Array.from({ length: 40 }, () => (injector as unknown as { hits(kind: string): boolean }).hits('throttle'));
    };
    expect(pattern(5)).toEqual(pattern(5));
    expect(pattern(5)).not.toEqual(pattern(6));
    expect(pattern(5).filter(Boolean).length).toBeGreaterThan(4);
  });
});
