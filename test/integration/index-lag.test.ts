import { randomBytes } from 'node:crypto';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand as DocumentQueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { indexesSettled, indexLagFromEnv, installIndexLag, type IndexLagOptions } from '../../infra/local/index-lag.js';

type Item = Record<string, AttributeValue>;

const endpoint = inject('dynamodbEndpoint');
const connection = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const prefix = `il-${randomBytes(4).toString('hex')}-`;
const clients: DynamoDBClient[] = [];
afterAll(() => clients.forEach((c) => c.destroy()));

/** A client without the lag: creates tables and shows what the table really holds. */
const plain = () => {
  const client = new DynamoDBClient(connection);
  clients.push(client);
  return client;
};
const admin = plain();

const lagged = (options: IndexLagOptions = {}) => {
  const client = plain();
  installIndexLag(client, options);
  return client;
};

/** A hand-driven clock, and delays from listed rolls: with the defaults a roll r waits 200 + 800·r ms. */
const fakeClock = () => {
  const clock = { t: 1_000_000, now: () => clock.t };
  return clock;
};
const rolls = (...values: number[]) => {
  const queue = [...values];
  const dice = { used: 0, random: () => (dice.used++, queue.shift() ?? 0.5) };
  return dice;
};

/**
 * A fresh table per test, so that no test sees another's writes. Key pk+sk; sparse GSIs on `g`
 * with the three projections (sorted by the number `r`, or by the string `label`); an LSI.
 */
let tables = 0;
async function createTable(): Promise<string> {
  const TableName = `${prefix}${++tables}`;
  const key = (hash: string, range: string) => [
    { AttributeName: hash, KeyType: 'HASH' as const },
    { AttributeName: range, KeyType: 'RANGE' as const },
  ];
  await admin.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'g', AttributeType: 'S' },
        { AttributeName: 'r', AttributeType: 'N' },
        { AttributeName: 'label', AttributeType: 'S' },
        { AttributeName: 'l', AttributeType: 'N' },
      ],
      KeySchema: key('pk', 'sk'),
      GlobalSecondaryIndexes: [
        { IndexName: 'byRank', KeySchema: key('g', 'r'), Projection: { ProjectionType: 'ALL' } },
        { IndexName: 'byLabel', KeySchema: key('g', 'label'), Projection: { ProjectionType: 'KEYS_ONLY' } },
        { IndexName: 'byRankSome', KeySchema: key('g', 'r'), Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['x'] } },
      ],
      LocalSecondaryIndexes: [{ IndexName: 'byLocal', KeySchema: key('pk', 'l'), Projection: { ProjectionType: 'KEYS_ONLY' } }],
    }),
  );
  return TableName;
}

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number | string): AttributeValue => ({ N: String(n) });
const item = (pk: string, fields: Item = {}): Item => ({ pk: S(pk), sk: S('1'), ...fields });
const key = (pk: string): Item => ({ pk: S(pk), sk: S('1') });
const pks = (out: { Items?: Item[] }) => (out.Items ?? []).map((i) => i.pk?.S);

/** A query of partition `g` of a GSI (byRank unless told). */
const gsi = (client: DynamoDBClient, table: string, g: string, extra: Partial<QueryCommandInput> = {}) =>
  client.send(
    new QueryCommand({
      TableName: table,
      IndexName: 'byRank',
      KeyConditionExpression: 'g = :g',
      ExpressionAttributeValues: { ':g': S(g) },
      ...extra,
    }),
  );

describe('index lag against DynamoDB Local', () => {
  it('a new item is absent from every GSI until its delay has passed', async () => {
    const table = await createTable();
    const clock = fakeClock();
    const dice = rolls(0.5); // 600 ms
    const db = lagged({ now: clock.now, random: dice.random });
    await db.send(new PutItemCommand({ TableName: table, Item: item('a', { g: S('G'), r: N(1), label: S('a'), x: S('v') }) }));

    // The table has it at once; the indexes do not.
    expect((await db.send(new GetItemCommand({ TableName: table, Key: key('a'), ConsistentRead: true }))).Item).toBeDefined();
    for (const IndexName of ['byRank', 'byLabel', 'byRankSome']) {
      expect(pks(await gsi(db, table, 'G', { IndexName }))).toEqual([]);
    }
    clock.t += 599;
    expect(pks(await gsi(db, table, 'G'))).toEqual([]);
    clock.t += 1;
    for (const IndexName of ['byRank', 'byLabel', 'byRankSome']) {
      expect(pks(await gsi(db, table, 'G', { IndexName }))).toEqual(['a']);
    }
    expect(dice.used).toBe(1);
  });

  it('with the real clock a write shows only after its delay, and indexesSettled() waits for it', async () => {
    const table = await createTable();
    const db = lagged({ minMs: 300, maxMs: 300 });
    const start = Date.now();
    await db.send(new PutItemCommand({ TableName: table, Item: item('a', { g: S('G'), r: N(1) }) }));
    expect(pks(await gsi(db, table, 'G'))).toEqual([]);
    await indexesSettled();
    expect(Date.now() - start).toBeGreaterThanOrEqual(300);
    expect(pks(await gsi(db, table, 'G'))).toEqual(['a']);
  });

  it('an item removed from a sparse index still shows, with its old attributes, until the delay passes', async () => {
    const table = await createTable();
    const clock = fakeClock();
    const db = lagged({ now: clock.now, random: rolls(0, 0.5).random });
    const old = item('a', { g: S('G'), r: N(1), label: S('a'), x: S('old'), y: S('y') });
    await db.send(new PutItemCommand({ TableName: table, Item: old }));
    clock.t += 200;
    await db.send(
      new UpdateItemCommand({ TableName: table, Key: key('a'), UpdateExpression: 'REMOVE g SET x = :x', ExpressionAttributeValues: { ':x': S('new') } }),
    );
    clock.t += 599;
    expect((await gsi(db, table, 'G')).Items).toEqual([old]);
    expect((await gsi(db, table, 'G', { IndexName: 'byRankSome' })).Items).toEqual([{ pk: S('a'), sk: S('1'), g: S('G'), r: N(1), x: S('old') }]);
    expect((await gsi(db, table, 'G', { IndexName: 'byLabel' })).Items).toEqual([{ pk: S('a'), sk: S('1'), g: S('G'), label: S('a') }]);
    clock.t += 1;
    expect(pks(await gsi(db, table, 'G'))).toEqual([]);
    expect(pks(await gsi(db, table, 'G', { IndexName: 'byLabel' }))).toEqual([]);
  });

  it('an updated sort key shows at its old position until the delay passes', async () => {
    const table = await createTable();
    const clock = fakeClock();
    const db = lagged({ now: clock.now, random: rolls(0, 0, 0, 0.5).random });
    for (const [pk, r] of [['a', 1], ['b', 2], ['c', 3]] as const) {
      await db.send(new PutItemCommand({ TableName: table, Item: item(pk, { g: S('G'), r: N(r) }) }));
    }
    clock.t += 200;
    await db.send(new UpdateItemCommand({ TableName: table, Key: key('a'), UpdateExpression: 'SET r = :r', ExpressionAttributeValues: { ':r': N(5) } }));
    const upToTwo = { KeyConditionExpression: 'g = :g AND r <= :r', ExpressionAttributeValues: { ':g': S('G'), ':r': N(2) } };
    clock.t += 1;
    const before = await gsi(db, table, 'G');
    expect(pks(before)).toEqual(['a', 'b', 'c']);
    expect(before.Items?.[0]?.r).toEqual(N(1));
    expect(pks(await gsi(db, table, 'G', upToTwo))).toEqual(['a', 'b']);
    clock.t += 599;
    expect(pks(await gsi(db, table, 'G'))).toEqual(['b', 'c', 'a']);
    expect(pks(await gsi(db, table, 'G', upToTwo))).toEqual(['b']);
  });

  it('a write is hidden from the moment it lands, before its after-image is recorded', async () => {
    const table = await createTable();
    const clock = fakeClock();
    const db = lagged({ now: clock.now, random: () => 0.5 });
    // Hold the lag's read after the write (the second GetItem: the first is the read before).
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let gets = 0;
    db.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetItemCommand' && ++gets === 2) await gate;
        return next(args);
      },
      { step: 'initialize', name: 'testHoldAfterRead' },
    );
    const put = db.send(new PutItemCommand({ TableName: table, Item: item('a', { g: S('G'), r: N(1) }) }));
    try {
      await vi.waitFor(() => expect(gets).toBe(2));
      expect((await admin.send(new GetItemCommand({ TableName: table, Key: key('a'), ConsistentRead: true }))).Item).toBeDefined();
      expect(pks(await gsi(db, table, 'G'))).toEqual([]);
    } finally {
      release(); // else the write stays in flight, and indexesSettled() in later tests waits for it
    }
    await put;
    expect(pks(await gsi(db, table, 'G'))).toEqual([]);
    clock.t += 600;
    expect(pks(await gsi(db, table, 'G'))).toEqual(['a']);
  });

  it('a delete shows until its delay has passed', async () => {
    const table = await createTable();
    const clock = fakeClock();
    const db = lagged({ now: clock.now, random: rolls(0, 1).random });
    await db.send(new PutItemCommand({ TableName: table, Item: item('a', { g: S('G'), r: N(1) }) }));
    clock.t += 200;
    await db.send(new DeleteItemCommand({ TableName: table, Key: key('a') }));
    expect((await db.send(new GetItemCommand({ TableName: table, Key: key('a'), ConsistentRead: true }))).Item).toBeUndefined();
    clock.t += 999;
    expect(pks(await gsi(db, table, 'G'))).toEqual(['a']);
    clock.t += 1;
    expect(pks(await gsi(db, table, 'G'))).toEqual([]);
  });

  it('a failed conditional write and a cancelled transaction record nothing', async () => {
    const table = await createTable();
    const clock = fakeClock();
    const dice = rolls(0);
    const db = lagged({ now: clock.now, random: dice.random });
    const a = item('a', { g: S('G'), r: N(1), x: S('old') });
    await db.send(new PutItemCommand({ TableName: table, Item: a }));
    clock.t += 200;
    await indexesSettled(); // so that the timing below measures only what follows

    await expect(
      db.send(new PutItemCommand({ TableName: table, Item: { ...a, x: S('changed') }, ConditionExpression: 'attribute_not_exists(pk)' })),
    ).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await expect(
      db.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: table, Item: item('b', { g: S('G'), r: N(2) }) } },
            { Update: { TableName: table, Key: key('a'), UpdateExpression: 'SET x = :x', ExpressionAttributeValues: { ':x': S('changed') } } },
            { ConditionCheck: { TableName: table, Key: key('a'), ConditionExpression: 'x = :no', ExpressionAttributeValues: { ':no': S('no') } } },
          ],
        }),
      ),
    ).rejects.toBeInstanceOf(TransactionCanceledException);

    expect(dice.used).toBe(1); // only the first put drew a delay
    const started = Date.now();
    await indexesSettled();
    expect(Date.now() - started).toBeLessThan(100);
    expect((await gsi(db, table, 'G')).Items).toEqual([a]);
  });

  it('each item of a TransactWriteItems and of a BatchWriteItem is lagged on its own', async () => {
    const table = await createTable();
    const clock = fakeClock();
    // a: 200 ms, b: 1000 ms (the transaction); then c: 600 ms, a's delete: 200 ms (the batch).
    const db = lagged({ now: clock.now, random: rolls(0, 1, 0.5, 0).random });
    await db.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: table, Item: item('a', { g: S('G'), r: N(1) }) } },
          { Put: { TableName: table, Item: item('b', { g: S('G'), r: N(2) }) } },
          { ConditionCheck: { TableName: table, Key: key('z'), ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
      }),
    );
    clock.t += 199;
    expect(pks(await gsi(db, table, 'G'))).toEqual([]);
    clock.t += 1;
    expect(pks(await gsi(db, table, 'G'))).toEqual(['a']);
    clock.t += 799;
    expect(pks(await gsi(db, table, 'G'))).toEqual(['a']);
    clock.t += 1;
    expect(pks(await gsi(db, table, 'G'))).toEqual(['a', 'b']);

    await db.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [table]: [{ PutRequest: { Item: item('c', { g: S('G'), r: N(3) }) } }, { DeleteRequest: { Key: key('a') } }],
        },
      }),
    );
    clock.t += 199;
    expect(pks(await gsi(db, table, 'G'))).toEqual(['a', 'b']);
    clock.t += 1;
    expect(pks(await gsi(db, table, 'G'))).toEqual(['b']);
    clock.t += 400;
    expect(pks(await gsi(db, table, 'G'))).toEqual(['b', 'c']);
  });

  it('per key, a later write never becomes visible before an earlier one', async () => {
    const table = await createTable();
    const clock = fakeClock();
    // Drawn delays 600, 200 and 1000 ms: the second write waits for the first.
    const db = lagged({ now: clock.now, random: rolls(0.5, 0, 1).random });
    const setX = (x: string) =>
      db.send(new UpdateItemCommand({ TableName: table, Key: key('a'), UpdateExpression: 'SET g = :g, r = :r, x = :x', ExpressionAttributeValues: { ':g': S('G'), ':r': N(1), ':x': S(x) } }));
    const visibleX = async () => (await gsi(db, table, 'G')).Items?.map((i) => i.x?.S);
    await setX('1'); // visible at +600
    clock.t += 10;
    await setX('2'); // drawn +210, so visible at +600 with the first
    clock.t += 10;
    await setX('3'); // visible at +1020
    clock.t += 190; // +210
    expect(await visibleX()).toEqual([]);
    clock.t += 389; // +599
    expect(await visibleX()).toEqual([]);
    clock.t += 1; // +600
    expect(await visibleX()).toEqual(['2']);
    clock.t += 419; // +1019
    expect(await visibleX()).toEqual(['2']);
    clock.t += 1;
    expect(await visibleX()).toEqual(['3']);
  });

  it('Limit, ScanIndexForward, LastEvaluatedKey, key conditions and the three projections answer as DynamoDB Local does', async () => {
    const table = await createTable();
    const clock = fakeClock();
    const db = lagged({ now: clock.now, random: () => 0.5 });
    const rows: Array<[string, number, string]> = [['a', 1, 'item-a'], ['b', 2, 'item-b'], ['c', 3, 'other-c'], ['d', 4, 'item-d'], ['e', 5, 'item-e']];
    for (const [pk, r, label] of rows) {
      const fields = { g: S('G'), r: N(r), label: S(label), x: S(`x-${pk}`), y: S(`y-${pk}`), m: { M: { a: S(pk), b: S('b') } } };
      await db.send(new PutItemCommand({ TableName: table, Item: item(pk, fields) }));
    }
    clock.t += 600;

    const values = (more: Item = {}) => ({ ':g': S('G'), ...more });
    const queries: Array<Partial<QueryCommandInput>> = [
      {},
      { Limit: 2 },
      { Limit: 2, ScanIndexForward: false },
      { Limit: 5 }, // a full last page carries a LastEvaluatedKey
      { IndexName: 'byRankSome', Limit: 3 },
      { IndexName: 'byLabel', ScanIndexForward: false },
      { ProjectionExpression: 'pk, x, m.a' },
      { Select: 'COUNT' },
      { ReturnConsumedCapacity: 'TOTAL', Limit: 1 },
      { KeyConditionExpression: 'g = :g AND r = :r', ExpressionAttributeValues: values({ ':r': N('2.0') }) },
      { KeyConditionExpression: 'g = :g AND r < :r', ExpressionAttributeValues: values({ ':r': N(4) }) },
      { KeyConditionExpression: 'g = :g AND r <= :r', ExpressionAttributeValues: values({ ':r': N(4) }) },
      { KeyConditionExpression: 'g = :g AND r > :r', ExpressionAttributeValues: values({ ':r': N(2) }) },
      { KeyConditionExpression: 'r >= :r AND g = :g', ExpressionAttributeValues: values({ ':r': N(2) }) },
      { KeyConditionExpression: '(#g = :g) AND (#r BETWEEN :lo AND :hi)', ExpressionAttributeNames: { '#g': 'g', '#r': 'r' }, ExpressionAttributeValues: values({ ':lo': N(2), ':hi': N(4) }) },
      { IndexName: 'byLabel', KeyConditionExpression: '#g = :g AND begins_with(#l, :p)', ExpressionAttributeNames: { '#g': 'g', '#l': 'label' }, ExpressionAttributeValues: values({ ':p': S('item') }) },
      { IndexName: 'byLabel', KeyConditions: { g: { ComparisonOperator: 'EQ', AttributeValueList: [S('G')] }, label: { ComparisonOperator: 'GE', AttributeValueList: [S('item-c')] } } },
    ];
    /** Every page of a query, with what it says besides the items. */
    const allPages = async (client: DynamoDBClient, q: Partial<QueryCommandInput>) => {
      const pages: unknown[] = [];
      let start: Item | undefined;
      do {
        const input = q.KeyConditions ? { KeyConditionExpression: undefined, ExpressionAttributeValues: undefined, ...q } : q;
        const { $metadata: _, ...page } = await gsi(client, table, 'G', { ...input, ExclusiveStartKey: start });
        if (page.ConsumedCapacity) page.ConsumedCapacity = { ...page.ConsumedCapacity, CapacityUnits: -1 }; // counts differ
        pages.push(page);
        start = page.LastEvaluatedKey;
      } while (start);
      return pages;
    };

    // What DynamoDB Local answers, through a client without the lag.
    const truth = [];
    for (const q of queries) truth.push(await allPages(admin, q));
    for (const [i, q] of queries.entries()) expect(await allPages(db, q), JSON.stringify(q)).toEqual(truth[i]);
    // A pending new item in the partition (most queries would find it) makes the lag compute
    // every answer, which must be the same.
    await db.send(new PutItemCommand({ TableName: table, Item: item('p', { g: S('G'), r: N('2.5'), label: S('item-p'), x: S('x-p') }) }));
    for (const [i, q] of queries.entries()) expect(await allPages(db, q), JSON.stringify(q)).toEqual(truth[i]);
    clock.t += 600;
    expect(pks(await gsi(db, table, 'G'))).toEqual(['a', 'b', 'p', 'c', 'd', 'e']);

    // The projections, spelled out.
    const [first] = (await allPages(db, { Limit: 2 })) as Array<{ Items: Item[]; LastEvaluatedKey: Item }>;
    expect(first!.LastEvaluatedKey).toEqual({ pk: S('b'), sk: S('1'), g: S('G'), r: N(2) });
    const byRankSome = await gsi(db, table, 'G', { IndexName: 'byRankSome', Limit: 1 });
    expect(byRankSome.Items).toEqual([{ pk: S('a'), sk: S('1'), g: S('G'), r: N(1), x: S('x-a') }]);
    const byLabel = await gsi(db, table, 'G', { IndexName: 'byLabel', Limit: 1 });
    expect(byLabel.Items).toEqual([{ pk: S('a'), sk: S('1'), g: S('G'), label: S('item-a') }]);
    expect(Object.keys((await gsi(db, table, 'G', { Limit: 1 })).Items![0]!).sort()).toEqual(['g', 'label', 'm', 'pk', 'r', 'sk', 'x', 'y']);
  });

  it('paging over equal sort keys neither repeats nor skips an item while writes come and go', async () => {
    const table = await createTable();
    const clock = fakeClock();
    const db = lagged({ now: clock.now, random: () => 0 });
    const all = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const pk of all) await db.send(new PutItemCommand({ TableName: table, Item: item(pk, { g: S('G'), r: N(1) }) }));
    clock.t += 200;
    const seen: Array<string | undefined> = [];
    let start: Item | undefined;
    let writes = 0;
    do {
      const page = await gsi(db, table, 'G', { Limit: 2, ExclusiveStartKey: start });
      seen.push(...pks(page));
      start = page.LastEvaluatedKey;
      // Between pages the table turns pending (a write elsewhere) and settles again.
      if (writes++ % 2 === 0) await db.send(new PutItemCommand({ TableName: table, Item: item(`other-${writes}`, { g: S('H'), r: N(1) }) }));
      else clock.t += 200;
    } while (start);
    expect(seen.sort()).toEqual(all);
  });

  it('base-table reads: consistent ones are never lagged, eventual ones only with eventualReadMaxMs', async () => {
    const table = await createTable();
    const clock = fakeClock();
    const reads = (db: DynamoDBClient, pk: string, ConsistentRead?: boolean) =>
      Promise.all([
        db.send(new GetItemCommand({ TableName: table, Key: key(pk), ConsistentRead })).then((o) => o.Item?.x?.S),
        db
          .send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': S(pk) }, ConsistentRead }))
          .then((o) => o.Items?.[0]?.x?.S),
        db
          .send(new QueryCommand({ TableName: table, IndexName: 'byLocal', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': S(pk) }, ConsistentRead }))
          .then((o) => o.Items?.[0]?.pk?.S),
        db
          .send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: [key(pk), key('none')], ConsistentRead, ProjectionExpression: 'x' } } }))
          .then((o) => o.Responses?.[table]?.[0]?.x?.S),
      ]);

    // Index lag only: the table's reads see the write at once, eventual or not.
    const indexOnly = lagged({ now: clock.now, random: () => 0.5 });
    await indexOnly.send(new PutItemCommand({ TableName: table, Item: item('a', { g: S('G'), r: N(1), l: N(1), x: S('1') }) }));
    expect(await reads(indexOnly, 'a')).toEqual(['1', '1', 'a', '1']);
    expect(await reads(indexOnly, 'a', true)).toEqual(['1', '1', 'a', '1']);
    expect(pks(await gsi(indexOnly, table, 'G'))).toEqual([]);

    // With eventualReadMaxMs, an eventual read sees a write only after its own delay.
    clock.t += 1000;
    const eventual = lagged({ now: clock.now, random: rolls(0, 0.5, 0, 1).random, eventualReadMaxMs: 500 });
    await eventual.send(new PutItemCommand({ TableName: table, Item: item('b', { l: N(1), x: S('1') }) })); // reads: +250
    expect(await reads(eventual, 'b', true)).toEqual(['1', '1', 'b', '1']);
    expect(await reads(eventual, 'b')).toEqual([undefined, undefined, undefined, undefined]);
    clock.t += 249;
    expect(await reads(eventual, 'b')).toEqual([undefined, undefined, undefined, undefined]);
    clock.t += 1;
    expect(await reads(eventual, 'b')).toEqual(['1', '1', 'b', '1']);
    await eventual.send(new UpdateItemCommand({ TableName: table, Key: key('b'), UpdateExpression: 'SET x = :x', ExpressionAttributeValues: { ':x': S('2') } })); // reads: +500
    clock.t += 499;
    expect(await reads(eventual, 'b')).toEqual(['1', '1', 'b', '1']);
    expect(await reads(eventual, 'b', true)).toEqual(['2', '2', 'b', '2']);
    clock.t += 1;
    expect(await reads(eventual, 'b')).toEqual(['2', '2', 'b', '2']);
  });

  it('works through DynamoDBDocumentClient.from(client)', async () => {
    const table = await createTable();
    const clock = fakeClock();
    const doc = DynamoDBDocumentClient.from(lagged({ now: clock.now, random: () => 0.5 })); // 600 ms each
    const query = (extra: { Limit?: number; ExclusiveStartKey?: Record<string, unknown> } = {}) =>
      doc.send(new DocumentQueryCommand({ TableName: table, IndexName: 'byRank', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': 'G' }, ...extra }));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'a', sk: '1', g: 'G', r: 1, tags: new Set(['t']) } }));
    expect((await query()).Items).toEqual([]);
    clock.t += 300;
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'b', sk: '1', g: 'G', r: 2 } }));
    clock.t += 300; // a is visible, b pending: the lag computes this answer, and the client unmarshalls it
    const page = await query({ Limit: 1 });
    expect(page.Items).toEqual([{ pk: 'a', sk: '1', g: 'G', r: 1, tags: new Set(['t']) }]);
    expect(page.LastEvaluatedKey).toEqual({ pk: 'a', sk: '1', g: 'G', r: 1 });
    expect((await query({ ExclusiveStartKey: page.LastEvaluatedKey })).Items).toEqual([]);
    await doc.send(new UpdateCommand({ TableName: table, Key: { pk: 'a', sk: '1' }, UpdateExpression: 'REMOVE g' }));
    clock.t += 300;
    expect((await query()).Items?.map((i) => i.pk)).toEqual(['a', 'b']);
    clock.t += 300;
    expect((await query()).Items?.map((i) => i.pk)).toEqual(['b']);
  });

  it('clients built separately share the history of their endpoint', async () => {
    const table = await createTable();
    const clock = fakeClock();
    const writer = lagged({ now: clock.now, random: () => 0.5 });
    const reader = lagged({ now: clock.now });
    await writer.send(new PutItemCommand({ TableName: table, Item: item('a', { g: S('G'), r: N(1) }) }));
    expect(pks(await gsi(reader, table, 'G'))).toEqual([]);
    expect(pks(await gsi(admin, table, 'G'))).toEqual(['a']); // the lag is the lagged clients' only
    clock.t += 600;
    expect(pks(await gsi(reader, table, 'G'))).toEqual(['a']);
  });

  it('refuses a FilterExpression on an index query rather than guess', async () => {
    const table = await createTable();
    const db = lagged();
    await expect(
      gsi(db, table, 'G', { FilterExpression: 'x = :x', ExpressionAttributeValues: { ':g': S('G'), ':x': S('1') } }),
    ).rejects.toThrow('index lag does not support FilterExpression');
  });

  it('indexesSettled() waits out the longest pending delay', async () => {
    const table = await createTable();
    const db = lagged({ minMs: 100, maxMs: 400, random: rolls(0, 1).random });
    const start = Date.now();
    await Promise.all([
      db.send(new PutItemCommand({ TableName: table, Item: item('a', { g: S('G'), r: N(1) }) })),
      db.send(new PutItemCommand({ TableName: table, Item: item('b', { g: S('G'), r: N(2) }) })),
    ]);
    await indexesSettled();
    expect(Date.now() - start).toBeGreaterThanOrEqual(400);
    expect(pks(await gsi(db, table, 'G'))).toEqual(['a', 'b']);
  });

  it('indexLagFromEnv reads "min-max" and "ms"', () => {
    expect(indexLagFromEnv(undefined)).toBeUndefined();
    expect(indexLagFromEnv('')).toBeUndefined();
    expect(indexLagFromEnv('0')).toBeUndefined();
    expect(indexLagFromEnv('0-0')).toBeUndefined();
    expect(indexLagFromEnv('200-1000')).toEqual({ minMs: 200, maxMs: 1000 });
    expect(indexLagFromEnv(' 50 - 80 ')).toEqual({ minMs: 50, maxMs: 80 });
    expect(indexLagFromEnv('500')).toEqual({ minMs: 500, maxMs: 500 });
    expect(() => indexLagFromEnv('fast')).toThrow('TIDE_INDEX_LAG_MS');
    expect(() => indexLagFromEnv('900-100')).toThrow('above the maximum');
  });
});
