/**
 * The local DynamoDB Streams event source mapping, against the run's DynamoDB Local: event shape,
 * ordering, batching, retries, partial batch responses, discards, drain/stop, and throughput.
 * Iterator loss and shard lineage cannot be provoked in DynamoDB Local on demand (iterators last
 * 15 minutes, shards roll over every 4 hours), so those tests intercept the Streams client's send().
 */
import { describe, it, expect, inject, beforeAll, afterAll, afterEach, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue as DynamoAttributeValue,
  type StreamViewType,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type _Record as StreamsRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { localCredentials, localRegion } from '../../infra/local/dynamodb.js';
import {
  startStreamPoller,
  toLambdaRecord,
  type RunningStreamPoller,
  type StreamPollerOptions,
} from '../../infra/local/stream-poller.js';

const endpoint = inject('dynamodbEndpoint');
const ddb = new DynamoDBClient({ endpoint, region: localRegion, credentials: localCredentials });
const createdTables: string[] = [];
const running: RunningStreamPoller[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((poller) => poller.stop()));
  vi.restoreAllMocks();
});

afterAll(async () => {
  await Promise.all(createdTables.map((name) => ddb.send(new DeleteTableCommand({ TableName: name }))));
  ddb.destroy();
});

interface StreamTable {
  name: string;
  streamArn: string;
}

async function streamTable(tag: string, viewType: StreamViewType = 'NEW_AND_OLD_IMAGES'): Promise<StreamTable> {
  const name = `sp-${randomBytes(4).toString('hex')}-${tag}`;
  const { TableDescription } = await ddb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: viewType },
    }),
  );
  createdTables.push(name);
  return { name, streamArn: TableDescription!.LatestStreamArn! };
}

function put(table: StreamTable, pk: string, attributes: Record<string, DynamoAttributeValue> = {}) {
  return ddb.send(new PutItemCommand({ TableName: table.name, Item: { pk: { S: pk }, ...attributes } }));
}

/** Writes `keys` in order, 25 to a BatchWriteItem call (each call's items land in order). */
async function putAll(table: StreamTable, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 25) {
    const items = keys.slice(i, i + 25).map((pk) => ({ PutRequest: { Item: { pk: { S: pk } } } }));
    await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table.name]: items } }));
  }
}

const keysOf = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
const keyOf = (record: DynamoDBRecord) => record.dynamodb!.Keys!.pk!.S!;
const seqOf = (record: DynamoDBRecord) => record.dynamodb!.SequenceNumber!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const alwaysFails = async (): Promise<void> => {
  throw new Error('down');
};

type Behaviour = (event: DynamoDBStreamEvent, call: number) => Promise<void | DynamoDBBatchResponse>;

/** A handler that records every event it gets (copied, as Lambda serializes each invocation) and the time. */
function recorder(behaviour: Behaviour = async () => {}) {
  const calls: { event: DynamoDBStreamEvent; at: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const handler = async (event: DynamoDBStreamEvent) => {
    calls.push({ event: structuredClone(event), at: performance.now() });
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      return await behaviour(event, calls.length);
    } finally {
      inFlight--;
    }
  };
  return {
    handler,
    calls,
    maxInFlight: () => maxInFlight,
    batches: () => calls.map((c) => c.event.Records.map(keyOf)),
    keys: () => calls.flatMap((c) => c.event.Records.map(keyOf)),
    records: () => calls.flatMap((c) => c.event.Records),
  };
}

async function poll(
  table: StreamTable,
  handler: StreamPollerOptions['handler'],
  options: Partial<StreamPollerOptions> = {},
): Promise<RunningStreamPoller> {
  const poller = await startStreamPoller({ endpoint, tableName: table.name, handler, ...options });
  running.push(poller);
  return poller;
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('the Lambda event', () => {
  it('delivers INSERT, MODIFY and REMOVE in write order, shaped like Lambda delivers them', async () => {
    const table = await streamTable('shape');
    const seen = recorder();
    const poller = await poll(table, seen.handler, { region: 'eu-west-1' });
    const writtenFrom = Date.now();
    await put(table, 'a', { n: { N: '1' }, bin: { B: new Uint8Array([1, 2, 3]) }, tags: { SS: ['x', 'y'] } });
    await ddb.send(
      new UpdateItemCommand({
        TableName: table.name,
        Key: { pk: { S: 'a' } },
        UpdateExpression: 'SET n = :n',
        ExpressionAttributeValues: { ':n': { N: '2' } },
      }),
    );
    await ddb.send(new DeleteItemCommand({ TableName: table.name, Key: { pk: { S: 'a' } } }));
    await put(table, 'b');
    const writtenTo = Date.now();
    await poller.drain();

    const records = seen.records();
    expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE', 'INSERT']);
    const imageA1 = { pk: { S: 'a' }, n: { N: '1' }, bin: { B: 'AQID' }, tags: { SS: ['x', 'y'] } };
    const imageA2 = { ...imageA1, n: { N: '2' } };
    const common = {
      eventID: expect.any(String),
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-west-1',
      eventSourceARN: table.streamArn,
    };
    const streamRecord = {
      ApproximateCreationDateTime: expect.any(Number),
      SequenceNumber: expect.any(String),
      SizeBytes: expect.any(Number),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    };
    // toStrictEqual: no extra keys and no keys set to undefined (Lambda's JSON has neither).
    expect(records).toStrictEqual([
      { ...common, eventName: 'INSERT', dynamodb: { ...streamRecord, Keys: { pk: { S: 'a' } }, NewImage: imageA1 } },
      {
        ...common,
        eventName: 'MODIFY',
        dynamodb: { ...streamRecord, Keys: { pk: { S: 'a' } }, NewImage: imageA2, OldImage: imageA1 },
      },
      { ...common, eventName: 'REMOVE', dynamodb: { ...streamRecord, Keys: { pk: { S: 'a' } }, OldImage: imageA2 } },
      { ...common, eventName: 'INSERT', dynamodb: { ...streamRecord, Keys: { pk: { S: 'b' } }, NewImage: { pk: { S: 'b' } } } },
    ]);
    // Lambda's key order, as in the documented sample event.
    expect(Object.keys(records[0]!)).toEqual([
      'eventID',
      'eventName',
      'eventVersion',
      'eventSource',
      'awsRegion',
      'dynamodb',
      'eventSourceARN',
    ]);
    for (const record of records) {
      const created = record.dynamodb!.ApproximateCreationDateTime!;
      // Epoch seconds, not milliseconds or a Date; DynamoDB Local rounds down to the minute.
      expect(Number.isInteger(created)).toBe(true);
      expect(created).toBeGreaterThanOrEqual(Math.floor(writtenFrom / 1000) - 60);
      expect(created).toBeLessThanOrEqual(Math.ceil(writtenTo / 1000));
      expect(record.dynamodb!.SizeBytes).toBeGreaterThan(0);
    }
    expect(new Set(records.map((r) => r.eventID)).size).toBe(4);
    const sequence = records.map((r) => BigInt(seqOf(r)));
    expect([...sequence].sort((x, y) => (x < y ? -1 : 1))).toEqual(sequence);
    // What the handler gets survives JSON (Lambda hands over JSON): no Date, no Uint8Array.
    const event = seen.calls[0]!.event;
    expect(JSON.parse(JSON.stringify(event))).toStrictEqual(event);
  });

  it('leaves out images the stream view type does not carry', async () => {
    const table = await streamTable('keys', 'KEYS_ONLY');
    const seen = recorder();
    const poller = await poll(table, seen.handler);
    await put(table, 'a', { n: { N: '1' } });
    await poller.drain();
    expect(seen.records()[0]!.dynamodb).toStrictEqual({
      ApproximateCreationDateTime: expect.any(Number),
      Keys: { pk: { S: 'a' } },
      SequenceNumber: expect.any(String),
      SizeBytes: expect.any(Number),
      StreamViewType: 'KEYS_ONLY',
    });
  });

  it('converts nested binary values to base64 and TTL identities to Lambda spelling', () => {
    const record: StreamsRecord = {
      eventID: 'e1',
      eventName: 'REMOVE',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'ddblocal',
      dynamodb: {
        ApproximateCreationDateTime: new Date('2026-01-02T03:04:05.678Z'),
        Keys: { pk: { S: 'a' } },
        OldImage: {
          pk: { S: 'a' },
          l: { L: [{ B: new Uint8Array([255]) }, { M: { deep: { BS: [new Uint8Array([0, 1])] } } }] },
          flags: { M: { on: { BOOL: true }, none: { NULL: true }, nums: { NS: ['1', '2'] } } },
        },
        SequenceNumber: '000000000000000000042',
        SizeBytes: 20,
        StreamViewType: 'OLD_IMAGE',
      },
      userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' },
    };
    expect(toLambdaRecord(record, 'arn:stream', 'us-east-1')).toStrictEqual({
      eventID: 'e1',
      eventName: 'REMOVE',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.parse('2026-01-02T03:04:05Z') / 1000),
        Keys: { pk: { S: 'a' } },
        OldImage: {
          pk: { S: 'a' },
          l: { L: [{ B: '/w==' }, { M: { deep: { BS: ['AAE='] } } }] },
          flags: { M: { on: { BOOL: true }, none: { NULL: true }, nums: { NS: ['1', '2'] } } },
        },
        SequenceNumber: '000000000000000000042',
        SizeBytes: 20,
        StreamViewType: 'OLD_IMAGE',
      },
      eventSourceARN: 'arn:stream',
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
    });
  });
});

describe('batching', () => {
  it('starts at TRIM_HORIZON and never puts more than batchSize records in a batch', async () => {
    const table = await streamTable('batch');
    const keys = keysOf(50);
    await putAll(table, keys); // before the poller exists
    const seen = recorder();
    const poller = await poll(table, seen.handler, { batchSize: 7 });
    await poller.drain();
    expect(seen.keys()).toEqual(keys);
    // Everything was already there, so every batch but the last is full.
    expect(seen.batches().map((b) => b.length)).toEqual([7, 7, 7, 7, 7, 7, 7, 1]);
    expect(poller.stats()).toMatchObject({ batches: 8, records: 50, retries: 0, discarded: 0 });
  });

  it('fills a batch above GetRecords’ 1,000-record limit with several reads', async () => {
    const table = await streamTable('big');
    const keys = keysOf(1_200);
    await putAll(table, keys);
    const seen = recorder();
    const poller = await poll(table, seen.handler, { batchSize: 1_500 });
    await poller.drain();
    expect(seen.batches().map((b) => b.length)).toEqual([1_200]);
    expect(seen.keys()).toEqual(keys);
  });

  it('rejects a batchSize Lambda would not accept, and a table without a stream', async () => {
    const table = await streamTable('opts');
    await expect(poll(table, async () => {}, { batchSize: 0 })).rejects.toThrow(RangeError);
    await expect(poll(table, async () => {}, { batchSize: 10_001 })).rejects.toThrow(RangeError);
    const name = `sp-${randomBytes(4).toString('hex')}-nostream`;
    await ddb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    createdTables.push(name);
    await expect(poll({ name, streamArn: '' }, async () => {})).rejects.toThrow(/no stream/);
  });
});

describe('failures', () => {
  it('retries the same batch with backoff while the handler throws, then goes on in order', async () => {
    const table = await streamTable('throw');
    const keys = keysOf(10);
    await putAll(table, keys);
    const errors: unknown[] = [];
    const seen = recorder(async (_event, call) => {
      if (call <= 2) throw new Error(`boom ${call}`);
    });
    const poller = await poll(table, seen.handler, { batchSize: 4, onError: (e) => errors.push(e) });
    await poller.drain();

    const [first, second, third] = [keys.slice(0, 4), keys.slice(4, 8), keys.slice(8)];
    expect(seen.batches()).toEqual([first, first, first, second, third]);
    // The retried events are the same records (same eventIDs), not re-reads of something else.
    const ids = (call: number) => seen.calls[call]!.event.Records.map((r) => r.eventID);
    expect(ids(1)).toEqual(ids(0));
    expect(ids(2)).toEqual(ids(0));
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom 1', 'boom 2']);
    // Backoff: ~50 ms, then ~100 ms.
    const at = seen.calls.map((c) => c.at);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(45);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(95);
    expect(poller.stats()).toMatchObject({ batches: 5, records: 10, retries: 2, discarded: 0 });
  });

  it('on batchItemFailures, checkpoints before the lowest failed sequence number and retries from there', async () => {
    const table = await streamTable('partial');
    const keys = keysOf(10);
    await putAll(table, keys);
    const seen = recorder(async (event, call) => {
      // Reported out of order, as a handler might: the lowest sequence number (index 3) wins.
      if (call === 1) return { batchItemFailures: [6, 3].map((i) => ({ itemIdentifier: seqOf(event.Records[i]!) })) };
      return { batchItemFailures: [] }; // an empty list is a success
    });
    const poller = await poll(table, seen.handler, { batchSize: 10, onError: () => {} });
    await poller.drain();
    await put(table, 'later');
    await poller.drain();
    expect(seen.batches()).toEqual([keys, keys.slice(3), ['later']]);
    expect(poller.stats()).toMatchObject({ batches: 3, records: 11, retries: 1, discarded: 0 });
  });

  it('treats an itemIdentifier that is not in the batch as a failure of the whole batch', async () => {
    const table = await streamTable('badid');
    const keys = keysOf(3);
    await putAll(table, keys);
    const errors: unknown[] = [];
    const seen = recorder(async (_event, call) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-a-sequence-number' }] } : undefined,
    );
    const poller = await poll(table, seen.handler, { onError: (e) => errors.push(e) });
    await poller.drain();
    expect(seen.batches()).toEqual([keys, keys]);
    expect(String(errors[0])).toMatch(/itemIdentifier/);
  });

  it('gives up after maximumRetryAttempts retries, hands the batch to onDiscard and goes on', async () => {
    const table = await streamTable('discard');
    await putAll(table, ['a', 'poison', 'b']);
    const discarded: { event: DynamoDBStreamEvent; error: unknown }[] = [];
    const seen = recorder(async (event) => {
      if (event.Records.some((r) => keyOf(r) === 'poison')) throw new Error('poisoned');
    });
    const poller = await poll(table, seen.handler, {
      batchSize: 1,
      maximumRetryAttempts: 2,
      onError: () => {},
      onDiscard: (event, error) => void discarded.push({ event, error }),
    });
    await poller.drain();
    expect(seen.batches()).toEqual([['a'], ['poison'], ['poison'], ['poison'], ['b']]);
    expect(discarded).toHaveLength(1);
    expect(discarded[0]!.event.Records.map(keyOf)).toEqual(['poison']);
    expect(discarded[0]!.event.Records[0]!.eventSourceARN).toBe(table.streamArn);
    expect((discarded[0]!.error as Error).message).toBe('poisoned');
    expect(poller.stats()).toMatchObject({ batches: 5, records: 2, retries: 2, discarded: 1 });
  });

  it('with maximumRetryAttempts 0, discards the failed part of a partially failed batch at once', async () => {
    const table = await streamTable('discard0');
    const keys = keysOf(5);
    await putAll(table, keys);
    const discarded: string[][] = [];
    const seen = recorder(async (event, call) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: seqOf(event.Records[2]!) }] } : undefined,
    );
    const poller = await poll(table, seen.handler, {
      maximumRetryAttempts: 0,
      onDiscard: (event) => void discarded.push(event.Records.map(keyOf)),
    });
    await poller.drain();
    await put(table, 'next');
    await poller.drain();
    expect(seen.batches()).toEqual([keys, ['next']]);
    expect(discarded).toEqual([keys.slice(2)]);
    expect(poller.stats()).toMatchObject({ records: 3, discarded: 3, retries: 0 });
  });
});

describe('drain and stop', () => {
  it('drain() resolves only once every record written before it has been handled', async () => {
    const table = await streamTable('drain');
    const seen = recorder(async () => {
      await sleep(60);
    });
    const poller = await poll(table, seen.handler, { batchSize: 5 });
    const keys = keysOf(20);
    await putAll(table, keys);
    await poller.drain();
    // 4 batches of 60 ms each: had drain() returned early, some would still be missing.
    expect(seen.keys()).toEqual(keys);
    // Idle, it answers promptly (one shard listing and one poll).
    const started = performance.now();
    await poller.drain();
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('drain() times out while a batch keeps failing', async () => {
    const table = await streamTable('drainfail');
    const poller = await poll(table, alwaysFails, { onError: () => {} });
    await put(table, 'a');
    await expect(poller.drain(400)).rejects.toThrow(/timed out/);
  });

  it('stop() waits for the handler call in flight, then polls no more', async () => {
    const table = await streamTable('stop');
    let finished = false;
    const seen = recorder(async () => {
      await sleep(300);
      finished = true;
    });
    const poller = await poll(table, seen.handler);
    await put(table, 'a');
    await until(() => seen.calls.length === 1);
    await poller.stop();
    expect(finished).toBe(true);
    const polls = poller.stats().polls;
    await put(table, 'b');
    await sleep(200);
    expect(poller.stats().polls).toBe(polls);
    expect(seen.keys()).toEqual(['a']);
    await expect(poller.drain()).rejects.toThrow(/stopped/);
  });

  it('stop() cuts a retry backoff short and rejects a pending drain()', async () => {
    const table = await streamTable('stopretry');
    const seen = recorder(alwaysFails);
    const poller = await poll(table, seen.handler, { onError: () => {} });
    await put(table, 'a');
    await until(() => seen.calls.length >= 5); // backoff now ≥ 400 ms, doubling to 2 s
    const drained = poller.drain(10_000);
    const started = performance.now();
    await poller.stop();
    expect(performance.now() - started).toBeLessThan(300);
    await expect(drained).rejects.toThrow(/stopped/);
  });

  it('polls an idle shard every idlePollMs, not in a busy loop', async () => {
    const table = await streamTable('idle');
    const fast = await poll(table, async () => {});
    const slow = await poll(table, async () => {}, { idlePollMs: 250 });
    await Promise.all([fast.drain(), slow.drain()]);
    const before = [fast.stats().polls, slow.stats().polls];
    await sleep(1_000);
    const fastPolls = fast.stats().polls - before[0]!;
    const slowPolls = slow.stats().polls - before[1]!;
    expect(fastPolls).toBeGreaterThanOrEqual(10); // ~35 at 25 ms + a GetRecords round trip
    expect(fastPolls).toBeLessThanOrEqual(41);
    expect(slowPolls).toBeLessThanOrEqual(5);
  });
});

describe('under load', () => {
  it('delivers 500 concurrent writes exactly once, in per-key order, one batch at a time', async () => {
    const table = await streamTable('load');
    const seen = recorder();
    const poller = await poll(table, seen.handler);
    const keys = keysOf(50);
    // 50 keys written concurrently; each key's 10 versions one after the other (so their order is defined).
    await Promise.all(
      keys.map(async (pk) => {
        for (let v = 0; v < 10; v++) await put(table, pk, { v: { N: String(v) } });
      }),
    );
    await poller.drain(20_000);

    const records = seen.records();
    expect(records).toHaveLength(500);
    expect(new Set(records.map((r) => r.eventID)).size).toBe(500);
    const versions = new Map<string, number[]>();
    for (const r of records) {
      const list = versions.get(keyOf(r)) ?? [];
      list.push(Number(r.dynamodb!.NewImage!.v!.N));
      versions.set(keyOf(r), list);
    }
    expect([...versions.keys()].sort()).toEqual(keys);
    for (const list of versions.values()) expect(list).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // One shard: the whole stream arrives in sequence-number order, one handler call at a time.
    const sequence = records.map((r) => BigInt(seqOf(r)));
    expect(sequence.every((s, i) => i === 0 || s > sequence[i - 1]!)).toBe(true);
    expect(seen.maxInFlight()).toBe(1);
    expect(Math.max(...seen.batches().map((b) => b.length))).toBeLessThanOrEqual(100);
  });

  it('hands a write to the handler within a few polling intervals', async () => {
    const table = await streamTable('latency');
    const written = new Map<string, number>();
    const latencies: number[] = [];
    const poller = await poll(table, async (event) => {
      const now = performance.now();
      for (const r of event.Records) latencies.push(now - written.get(keyOf(r))!);
    });
    for (const pk of keysOf(20)) {
      await put(table, pk);
      written.set(pk, performance.now());
      await sleep(30);
    }
    await poller.drain();
    latencies.sort((a, b) => a - b);
    expect(latencies).toHaveLength(20);
    expect(latencies[10]!).toBeLessThan(100); // median; expected ~15 ms at idlePollMs 25
  });
});

/** Replaces DynamoDBStreamsClient#send for this test (restored in afterEach). */
function interceptStreams(intercept: (command: unknown, forward: () => Promise<unknown>) => Promise<unknown>) {
  const original = DynamoDBStreamsClient.prototype.send as unknown as (
    this: DynamoDBStreamsClient,
    command: unknown,
  ) => Promise<unknown>;
  vi.spyOn(DynamoDBStreamsClient.prototype, 'send').mockImplementation(function (
    this: DynamoDBStreamsClient,
    command: unknown,
  ) {
    return intercept(command, () => original.call(this, command));
  } as never);
}

describe('losing the iterator', () => {
  it('after ExpiredIteratorException, resumes just after the last record handled', async () => {
    const table = await streamTable('expired');
    const keys = keysOf(6);
    await putAll(table, keys);
    const iteratorRequests: GetShardIteratorCommand['input'][] = [];
    let reads = 0;
    interceptStreams(async (command, forward) => {
      if (command instanceof GetShardIteratorCommand) iteratorRequests.push(command.input);
      if (command instanceof GetRecordsCommand && ++reads === 2) {
        throw new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} });
      }
      return forward();
    });
    const seen = recorder();
    const poller = await poll(table, seen.handler, { batchSize: 2 });
    await poller.drain();
    expect(seen.keys()).toEqual(keys);
    expect(iteratorRequests.map((r) => r.ShardIteratorType)).toEqual(['TRIM_HORIZON', 'AFTER_SEQUENCE_NUMBER']);
    expect(iteratorRequests[1]!.SequenceNumber).toBe(seqOf(seen.records()[1]!));
  });

  it('after TrimmedDataAccessException, restarts at TRIM_HORIZON without handing anything over twice', async () => {
    const table = await streamTable('trimmed');
    const keys = keysOf(6);
    await putAll(table, keys);
    const iteratorTypes: (string | undefined)[] = [];
    let reads = 0;
    interceptStreams(async (command, forward) => {
      if (command instanceof GetShardIteratorCommand) iteratorTypes.push(command.input.ShardIteratorType);
      if (command instanceof GetRecordsCommand && ++reads === 3) {
        throw new TrimmedDataAccessException({ message: 'Trimmed', $metadata: {} });
      }
      return forward();
    });
    const seen = recorder();
    const poller = await poll(table, seen.handler, { batchSize: 2 });
    await poller.drain();
    // Nothing was really trimmed, so TRIM_HORIZON re-reads records already handled: they are skipped.
    expect(seen.keys()).toEqual(keys);
    expect(iteratorTypes).toEqual(['TRIM_HORIZON', 'TRIM_HORIZON']);
  });
});

/**
 * An in-memory stream behind the intercepted client, for shard lineage: shards with fixed records,
 * closed (NextShardIterator absent after the last record) or open.
 */
interface FakeShard {
  id: string;
  parent?: string;
  keys: string[];
  closed: boolean;
}

function fakeStream(streamArn: string, listing: () => FakeShard[]) {
  let nextSeq = 1;
  const records = new Map<string, StreamsRecord[]>();
  const recordsOf = (shard: FakeShard) => {
    let list = records.get(shard.id);
    if (!list) {
      list = shard.keys.map((pk) => ({
        eventID: `${shard.id}-${pk}`,
        eventName: 'INSERT' as const,
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: 'ddblocal',
        dynamodb: {
          ApproximateCreationDateTime: new Date(),
          Keys: { pk: { S: pk } },
          SequenceNumber: String(nextSeq++).padStart(21, '0'),
          SizeBytes: 10,
          StreamViewType: 'KEYS_ONLY' as const,
        },
      }));
      records.set(shard.id, list);
    }
    return list;
  };
  const find = (id: string) => listing().find((s) => s.id === id)!;
  let calls = 0;
  interceptStreams(async (command) => {
    // A poller that spins on the fake would otherwise run the test worker out of memory.
    if (++calls > 5_000) throw new Error('runaway polling of the fake stream');
    // Round trips, so that the poller sees real I/O and not only microtasks; listing shards is the
    // slow call, so that a drain() that trusted only the shards it already knew would end too early.
    await sleep(command instanceof DescribeStreamCommand ? 50 : 1);
    if (command instanceof DescribeStreamCommand) {
      const shards = listing().map((s) => ({ ShardId: s.id, ParentShardId: s.parent, SequenceNumberRange: {} }));
      return { StreamDescription: { StreamArn: streamArn, Shards: shards } };
    }
    if (command instanceof GetShardIteratorCommand) {
      const shard = find(command.input.ShardId!);
      const after = command.input.SequenceNumber;
      const index = after ? recordsOf(shard).findIndex((r) => r.dynamodb!.SequenceNumber === after) + 1 : 0;
      return { ShardIterator: `${shard.id}@${index}` };
    }
    if (command instanceof GetRecordsCommand) {
      const [id, at] = command.input.ShardIterator!.split('@');
      const shard = find(id!);
      const list = recordsOf(shard);
      const from = Number(at);
      const page = list.slice(from, from + (command.input.Limit ?? 1000));
      const next = from + page.length;
      const end = shard.closed && next >= list.length;
      return { Records: page, NextShardIterator: end ? undefined : `${id}@${next}` };
    }
    throw new Error(`unexpected command ${String(command)}`);
  });
}

describe('shards', () => {
  it('handles a child shard only after its parent is done, and sibling shards concurrently', async () => {
    const table = await streamTable('lineage');
    // Listed children first: the order of the listing must not matter.
    const shards: FakeShard[] = [
      { id: 'child-1', parent: 'parent', keys: ['c1-a', 'c1-b'], closed: false },
      { id: 'child-2', parent: 'parent', keys: ['c2-a', 'c2-b'], closed: false },
      { id: 'parent', keys: ['p-a', 'p-b', 'p-c'], closed: true },
    ];
    fakeStream(table.streamArn, () => shards);
    let child2Seen!: () => void;
    const child2 = new Promise<void>((resolve) => (child2Seen = resolve));
    let overlapped = false;
    const seen = recorder(async (event) => {
      const key = keyOf(event.Records[0]!);
      if (key.startsWith('p-')) await sleep(40); // a slow parent: children must still wait
      if (key.startsWith('c2-')) child2Seen();
      if (key === 'c1-a') {
        // Blocks child-1 until child-2 delivers: only possible if the siblings run concurrently.
        overlapped = await Promise.race([child2.then(() => true), sleep(2_000).then(() => false)]);
      }
    });
    const poller = await poll(table, seen.handler, { batchSize: 1 });
    await poller.drain();
    const keys = seen.keys();
    expect(keys.slice(0, 3)).toEqual(['p-a', 'p-b', 'p-c']);
    expect(keys.slice(3).sort()).toEqual(['c1-a', 'c1-b', 'c2-a', 'c2-b']);
    expect(keys.indexOf('c1-a')).toBeLessThan(keys.indexOf('c1-b'));
    expect(keys.indexOf('c2-a')).toBeLessThan(keys.indexOf('c2-b'));
    expect(overlapped).toBe(true);
    expect(seen.maxInFlight()).toBe(2);
  });

  it('looks for new shards as soon as a shard closes (a rollover), not only on the 1 s timer', async () => {
    const table = await streamTable('rollover');
    const parent: FakeShard = { id: 'old', keys: ['old-a'], closed: false };
    const child: FakeShard = { id: 'new', parent: 'old', keys: ['new-a'], closed: false };
    let rolledOver = false;
    fakeStream(table.streamArn, () => (rolledOver ? [parent, child] : [parent]));
    const seen = recorder();
    const poller = await poll(table, seen.handler);
    await until(() => seen.calls.length === 1);
    await sleep(50); // the open parent is polled and stays idle
    const rolledAt = performance.now();
    rolledOver = true;
    parent.closed = true;
    await until(() => seen.calls.length === 2, 2_000);
    expect(seen.keys()).toEqual(['old-a', 'new-a']);
    expect(seen.calls[1]!.at - rolledAt).toBeLessThan(500);
    await poller.drain();
  });

  it('drain() also waits for a shard that appears after the call (a rollover just before it)', async () => {
    const table = await streamTable('drainroll');
    const parent: FakeShard = { id: 'old', keys: ['old-a'], closed: false };
    const child: FakeShard = { id: 'new', parent: 'old', keys: ['new-a', 'new-b'], closed: false };
    let rolledOver = false;
    fakeStream(table.streamArn, () => (rolledOver ? [parent, child] : [parent]));
    const seen = recorder();
    const poller = await poll(table, seen.handler);
    await poller.drain();
    expect(seen.keys()).toEqual(['old-a']);
    rolledOver = true;
    parent.closed = true;
    await poller.drain();
    expect(seen.keys()).toEqual(['old-a', 'new-a', 'new-b']);
  });
});
