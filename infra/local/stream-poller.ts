/**
 * Local stand-in for AWS Lambda's event source mapping (ESM) for DynamoDB Streams. DynamoDB Local
 * has Streams but nothing that invokes a function, so this polls the stream through the real
 * `@aws-sdk/client-dynamodb-streams` client and calls the handler the way Lambda would.
 *
 * What it copies from the ESM (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html):
 * - Starting position TRIM_HORIZON: the local stack creates fresh tables and must see every record.
 * - Per shard, one handler call at a time, records in order; shards run concurrently. A child shard
 *   (ParentShardId) starts only once its parent is read to the end and fully handled, so updates to
 *   one key stay in order across a shard rollover.
 * - The event is Lambda's: `eventSource: 'aws:dynamodb'`, `eventSourceARN` = the stream ARN,
 *   `ApproximateCreationDateTime` in epoch seconds, images in DynamoDB JSON with binary as base64.
 * - A handler that throws gets the same batch again (backoff 50 ms doubling to 2 s) until it
 *   succeeds, or until `maximumRetryAttempts` retries, when the batch goes to `onDiscard` (the
 *   on-failure destination) and the shard moves on.
 * - ReportBatchItemFailures: a `batchItemFailures` response checkpoints before the lowest failed
 *   sequence number and retries from that record. An empty or missing list is a success; an
 *   identifier that is empty or not in the batch makes the whole batch a failure, as in Lambda.
 *
 * Emulation choices:
 * - The response is always read for `batchItemFailures` (in AWS only if the mapping lists
 *   ReportBatchItemFailures in FunctionResponseTypes).
 * - A retry after a partial failure resends the rest of the same batch; it is not topped up with
 *   newer records. Retries count towards `maximumRetryAttempts` whether or not the batch shrank.
 * - No batching window (MaximumBatchingWindowInSeconds 0, Lambda's default): a batch is whatever
 *   is there, up to `batchSize`, when the shard is read. No bisecting, no MaximumRecordAgeInSeconds.
 * - `awsRegion` comes from the `region` option (DynamoDB Local says `ddblocal`); `eventSourceARN`
 *   is the stream ARN exactly as DynamoDB Local reports it (its region part is `ddblocal`).
 *
 * DynamoDB Local specifics worth knowing: a shard rolls over every 4 hours (like AWS) and records
 * live 24 hours; a shard iterator expires 15 minutes after it was issued (every GetRecords issues a
 * new one, so only a handler stuck that long sees it); `ApproximateCreationDateTime` is rounded
 * down to the minute, not the second; sequence numbers are one counter for the whole database.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ResourceNotFoundException,
  TrimmedDataAccessException,
  type _Record as StreamsRecord,
  type AttributeValue as StreamsAttributeValue,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type {
  AttributeValue,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  StreamRecord,
} from 'aws-lambda';
import { localCredentials, localRegion } from './dynamodb.js';

export interface StreamPollerOptions {
  /** DynamoDB Local endpoint, e.g. http://127.0.0.1:8000 */
  endpoint: string;
  tableName: string;
  handler: (event: DynamoDBStreamEvent) => Promise<void | DynamoDBBatchResponse>;
  /** Most records per handler call; default 100 (Lambda's default), at most 10,000 (Lambda's limit). */
  batchSize?: number;
  /** How long to wait before polling a shard again after an empty GetRecords; default 25 ms. */
  idlePollMs?: number;
  /**
   * Each further empty GetRecords in a row doubles the wait, up to this (default: idlePollMs, no
   * growth). An idle stack then costs little CPU, while a busy one polls at the short interval.
   */
  maxIdlePollMs?: number;
  /**
   * After a batch, wait this long before reading again (default 0): the records that arrive
   * meanwhile come as one batch, so their follow-ups coalesce, as a batching window would. The
   * first record after a quiet spell still goes out at once.
   */
  busyPollMs?: number;
  /** ESM MaximumRetryAttempts: -1 (default) retries forever; n >= 0 gives up on a batch after n retries and calls onDiscard. */
  maximumRetryAttempts?: number;
  /** The ESM's on-failure destination: called with the discarded batch (like an SQS/SNS destination record). */
  onDiscard?: (event: DynamoDBStreamEvent, error: unknown) => void | Promise<void>;
  /** Called whenever the handler throws (for logging); the batch is retried with backoff. Default: console.warn. */
  onError?: (error: unknown) => void;
  /** Called when a DynamoDB Streams call fails for another reason than those handled above; polling resumes with backoff. Default: console.warn. */
  onPollError?: (error: unknown) => void;
  /** For the event's awsRegion, default 'us-east-1'. */
  region?: string;
}

export interface StreamPollerStats {
  /** Handler calls, retries included. */
  batches: number;
  /** Records the handler has completed (checkpointed), each counted once; discarded ones excluded. */
  records: number;
  /** Handler calls that resent records after a failure. */
  retries: number;
  /** Records given up on after `maximumRetryAttempts` and passed to `onDiscard`. */
  discarded: number;
  /** GetRecords calls. */
  polls: number;
}

export interface RunningStreamPoller {
  /** Resolves once every stream record written before the call has been handed to the handler successfully (or discarded). For tests and for a clean shutdown. Rejects after `timeoutMs` (default 10 s) or if the poller stops first. */
  drain(timeoutMs?: number): Promise<void>;
  /** Stops polling; waits for an in-flight handler call to finish. */
  stop(): Promise<void>;
  stats(): StreamPollerStats;
}

/** Lambda's limit for a DynamoDB Streams batch. */
const MAX_BATCH_SIZE = 10_000;
/** GetRecords returns at most 1,000 records a call; larger batches take several calls. */
const MAX_RECORDS_PER_GET = 1_000;
/** How often to look for new shards (rollover every 4 h; a closed shard triggers a look at once). */
const DISCOVERY_INTERVAL_MS = 1_000;
const RETRY_BASE_MS = 50;
const RETRY_CAP_MS = 2_000;
const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

export async function startStreamPoller(options: StreamPollerOptions): Promise<RunningStreamPoller> {
  const config = resolveConfig(options);
  const clientConfig = { endpoint: options.endpoint, region: localRegion, credentials: localCredentials };
  const dynamodb = new DynamoDBClient(clientConfig);
  let streamArn: string;
  try {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
    if (!Table?.StreamSpecification?.StreamEnabled || !Table.LatestStreamArn) {
      throw new Error(`Table ${options.tableName} has no stream enabled (StreamSpecification.StreamEnabled)`);
    }
    streamArn = Table.LatestStreamArn;
  } finally {
    dynamodb.destroy();
  }
  const poller = new StreamPoller(config, new DynamoDBStreamsClient(clientConfig), streamArn);
  await poller.start();
  return poller;
}

type PollerConfig = Required<Omit<StreamPollerOptions, 'endpoint' | 'onDiscard'>> &
  Pick<StreamPollerOptions, 'onDiscard'>;

function resolveConfig(options: StreamPollerOptions): PollerConfig {
  const warn = (what: string) => (error: unknown) => console.warn(`[stream-poller ${options.tableName}] ${what}:`, error);
  const config: PollerConfig = {
    tableName: options.tableName,
    handler: options.handler,
    batchSize: options.batchSize ?? 100,
    idlePollMs: options.idlePollMs ?? 25,
    maxIdlePollMs: Math.max(options.maxIdlePollMs ?? 0, options.idlePollMs ?? 25),
    busyPollMs: options.busyPollMs ?? 0,
    maximumRetryAttempts: options.maximumRetryAttempts ?? -1,
    onDiscard: options.onDiscard,
    onError: options.onError ?? warn('handler failed; retrying'),
    onPollError: options.onPollError ?? warn('DynamoDB Streams call failed; retrying'),
    region: options.region ?? 'us-east-1',
  };
  if (!Number.isInteger(config.batchSize) || config.batchSize < 1 || config.batchSize > MAX_BATCH_SIZE) {
    throw new RangeError(`batchSize must be an integer from 1 to ${MAX_BATCH_SIZE}`);
  }
  if (!Number.isFinite(config.idlePollMs) || config.idlePollMs < 0) {
    throw new RangeError('idlePollMs must be a finite number >= 0');
  }
  if (!Number.isInteger(config.maximumRetryAttempts) || config.maximumRetryAttempts < -1) {
    throw new RangeError('maximumRetryAttempts must be -1 (forever) or an integer >= 0');
  }
  return config;
}

/** What the poller knows about one shard. */
interface ShardState {
  readonly id: string;
  readonly parentId: string | undefined;
  /** Where the next GetRecords continues; undefined until acquired, or after it expired. */
  iterator: string | undefined;
  /**
   * Sequence number of the last record read. A shard is read only when its previous batch is
   * settled, so between batches this is also the last record handled: where to resume if the
   * iterator is lost, and the line below which a re-read record is a duplicate.
   */
  position: string | undefined;
  /** Set by TrimmedDataAccessException: `position` is gone, so the next iterator starts at TRIM_HORIZON. */
  restartAtTrimHorizon: boolean;
  /** performance.now() when the latest GetRecords that found nothing new was sent (see drain()). */
  caughtUpAt: number;
  /** Read to the end (closed) and every record handled or discarded; or gone from the stream. */
  finished: boolean;
  readonly whenFinished: Promise<void>;
  markFinished(): void;
}

function newShard(id: string, parentId: string | undefined): ShardState {
  let markFinished!: () => void;
  const whenFinished = new Promise<void>((resolve) => (markFinished = resolve));
  return {
    id,
    parentId,
    iterator: undefined,
    position: undefined,
    restartAtTrimHorizon: false,
    caughtUpAt: -Infinity,
    finished: false,
    whenFinished,
    markFinished,
  };
}

interface DrainWaiter {
  since: number;
  resolve(): void;
  reject(error: Error): void;
}

class StreamPoller implements RunningStreamPoller {
  readonly #config: PollerConfig;
  readonly #streams: DynamoDBStreamsClient;
  readonly #streamArn: string;
  readonly #shards = new Map<string, ShardState>();
  readonly #workers = new Set<Promise<void>>();
  readonly #drains = new Set<DrainWaiter>();
  readonly #stats: StreamPollerStats = { batches: 0, records: 0, retries: 0, discarded: 0, polls: 0 };
  /** Waits between idle polls: drain() cuts them short to look at once, stop() for good. */
  readonly #idle = new Alarm();
  /** Waits between discoveries: cut short by drain(), by a shard closing, and by stop(). */
  readonly #discoveryTimer = new Alarm();
  /** Retry backoff: only stop() cuts it short (drain() must not speed up retries). */
  readonly #backoff = new Alarm();
  readonly #stopSignal = new Alarm();
  #discoveryWanted = false;
  /** performance.now() when the latest successful DescribeStream listing began. */
  #lastDiscoveryAt = -Infinity;
  #discoveryLoop: Promise<void> = Promise.resolve();
  #stopped = false;
  #stopping: Promise<void> | undefined;

  constructor(config: PollerConfig, streams: DynamoDBStreamsClient, streamArn: string) {
    this.#config = config;
    this.#streams = streams;
    this.#streamArn = streamArn;
  }

  /** Lists the shards once (so that a bad stream fails the start), then polls in the background. */
  async start(): Promise<void> {
    try {
      await this.#discover();
    } catch (error) {
      this.#streams.destroy();
      throw error;
    }
    this.#discoveryLoop = this.#runDiscovery();
  }

  stats(): StreamPollerStats {
    return { ...this.#stats };
  }

  /**
   * "Written before the call" is checked without knowing the stream's last sequence number (an open
   * shard does not say): the drain is complete once a shard listing that began after the call has
   * come back, and every shard in it is finished or has since answered a GetRecords sent after the
   * call with nothing new, with all it returned before that handled.
   */
  drain(timeoutMs = DEFAULT_DRAIN_TIMEOUT_MS): Promise<void> {
    if (this.#stopped) return Promise.reject(new Error('drain(): the stream poller is stopped'));
    const since = performance.now();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => waiter.reject(new Error(`drain() timed out after ${timeoutMs} ms (${this.#backlog(since)})`)),
        timeoutMs,
      );
      const waiter: DrainWaiter = {
        since,
        resolve: () => {
          clearTimeout(timer);
          this.#drains.delete(waiter);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          this.#drains.delete(waiter);
          reject(error);
        },
      };
      this.#drains.add(waiter);
      // Look now rather than at the next tick: a drain is usually awaited by a test or a shutdown.
      this.#discoverSoon();
      this.#idle.ring();
    });
  }

  stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopped = true;
      this.#stopping = this.#shutdown();
    }
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    for (const alarm of [this.#stopSignal, this.#idle, this.#discoveryTimer, this.#backoff]) alarm.close();
    for (const waiter of [...this.#drains]) waiter.reject(new Error('drain(): the stream poller stopped first'));
    await this.#discoveryLoop;
    // Workers finish their in-flight GetRecords or handler call, then see the stop and return.
    await Promise.all(this.#workers);
    this.#streams.destroy();
  }

  // --- Shard discovery ---------------------------------------------------------------------------

  async #runDiscovery(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      if (!this.#discoveryWanted) await this.#discoveryTimer.sleep(DISCOVERY_INTERVAL_MS);
      if (this.#stopped) return;
      this.#discoveryWanted = false;
      try {
        await this.#discover();
        failures = 0;
      } catch (error) {
        if (this.#stopped) return;
        this.#config.onPollError(error);
        await this.#backoff.sleep(backoffMs(++failures));
      }
    }
  }

  #discoverSoon(): void {
    this.#discoveryWanted = true;
    this.#discoveryTimer.ring();
  }

  async #discover(): Promise<void> {
    const startedAt = performance.now();
    const listed: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.#streams.send(
        new DescribeStreamCommand({ StreamArn: this.#streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
      );
      listed.push(...(StreamDescription?.Shards ?? []));
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);

    // Register the whole listing before starting anything, so that a child always finds its parent.
    const added: ShardState[] = [];
    for (const { ShardId, ParentShardId } of listed) {
      if (!ShardId || this.#shards.has(ShardId)) continue;
      const shard = newShard(ShardId, ParentShardId);
      this.#shards.set(ShardId, shard);
      added.push(shard);
    }
    for (const shard of added) {
      const worker = this.#runShard(shard).finally(() => this.#workers.delete(worker));
      this.#workers.add(worker);
    }
    this.#lastDiscoveryAt = startedAt;
    this.#settleDrains();
  }

  // --- One shard ---------------------------------------------------------------------------------

  async #runShard(shard: ShardState): Promise<void> {
    // A parent no longer listed (aged out after 24 h) is not waited for.
    const parent = shard.parentId === undefined ? undefined : this.#shards.get(shard.parentId);
    if (parent) await Promise.race([parent.whenFinished, this.#stopSignal.sleep(Infinity)]);
    let failures = 0;
    let idleWait = this.#config.idlePollMs;
    while (!this.#stopped) {
      const sentAt = performance.now();
      let read: ShardRead;
      try {
        read = await this.#read(shard);
        failures = 0;
      } catch (error) {
        if (this.#stopped) return;
        if (error instanceof ResourceNotFoundException) {
          // The shard aged out of the stream (or the stream went away): there is nothing left to read.
          this.#finish(shard);
          return;
        }
        this.#config.onPollError(error);
        await this.#backoff.sleep(backoffMs(++failures));
        continue;
      }
      if (read.records.length > 0) {
        // Busy: poll again as soon as the batch is settled, without the idle wait.
        idleWait = this.#config.idlePollMs;
        if (!(await this.#deliver(read.records))) return;
        if (this.#config.busyPollMs > 0 && !read.closed) await this.#idle.sleep(this.#config.busyPollMs);
      } else if (!read.closed) {
        shard.caughtUpAt = sentAt;
        this.#settleDrains();
        await this.#idle.sleep(idleWait);
        idleWait = Math.min(this.#config.maxIdlePollMs, idleWait * 2);
      }
      if (read.closed) {
        this.#finish(shard);
        return;
      }
    }
  }

  #finish(shard: ShardState): void {
    shard.finished = true;
    shard.markFinished();
    // A closed shard means a rollover or split: its children are (or soon will be) listed.
    this.#discoverSoon();
    this.#settleDrains();
  }

  /**
   * Reads up to batchSize records, across several GetRecords calls if batchSize is over 1,000;
   * stops early once a call returns less than asked for (the shard has nothing more right now).
   */
  async #read(shard: ShardState): Promise<ShardRead> {
    const records: StreamsRecord[] = [];
    let iteratorsLost = 0;
    while (records.length < this.#config.batchSize) {
      const limit = Math.min(MAX_RECORDS_PER_GET, this.#config.batchSize - records.length);
      let page;
      try {
        shard.iterator ??= await this.#acquireIterator(shard);
        if (shard.iterator === undefined) return { records, closed: true };
        this.#stats.polls++;
        page = await this.#streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: limit }));
      } catch (error) {
        if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) {
          // Expired: iterators live 15 minutes; get a new one just after the last record read.
          // Trimmed: that position aged out (24 h retention); start at the oldest record still there.
          shard.iterator = undefined;
          if (error instanceof TrimmedDataAccessException) shard.restartAtTrimHorizon = true;
          // A fresh iterator that fails the same way is not fixed by a third: fall through, back off.
          if (++iteratorsLost <= 2) continue;
        }
        // Records already read are not dropped: hand them over; the error shows again next read.
        if (records.length > 0) return { records, closed: false };
        throw error;
      }
      for (const record of page.Records ?? []) {
        // A re-acquired iterator can start before records already handled; never hand those over twice.
        const sequenceNumber = record.dynamodb?.SequenceNumber;
        if (sequenceNumber !== undefined && !isAfter(sequenceNumber, shard.position)) continue;
        records.push(record);
        shard.position = sequenceNumber ?? shard.position;
      }
      shard.iterator = page.NextShardIterator;
      // No next iterator: the shard is closed and this was its end.
      if (shard.iterator === undefined) return { records, closed: true };
      if ((page.Records?.length ?? 0) < limit) break;
    }
    return { records, closed: false };
  }

  /** A fresh iterator just after `position` (TRIM_HORIZON if nothing was read yet); undefined if the shard has none. */
  async #acquireIterator(shard: ShardState): Promise<string | undefined> {
    const resume = shard.position !== undefined && !shard.restartAtTrimHorizon;
    try {
      const { ShardIterator } = await this.#streams.send(
        new GetShardIteratorCommand({
          StreamArn: this.#streamArn,
          ShardId: shard.id,
          ShardIteratorType: resume ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON',
          SequenceNumber: resume ? shard.position : undefined,
        }),
      );
      shard.restartAtTrimHorizon = false;
      return ShardIterator;
    } catch (error) {
      if (resume && error instanceof TrimmedDataAccessException) {
        shard.restartAtTrimHorizon = true;
        return this.#acquireIterator(shard);
      }
      throw error;
    }
  }

  /**
   * Hands records to the handler until they are all checkpointed or discarded. Returns false if
   * stop() came first (during a retry backoff); the records are then left unhandled.
   */
  async #deliver(records: StreamsRecord[]): Promise<boolean> {
    let batch = records;
    for (let retries = 0; ; retries++) {
      if (retries > 0) {
        await this.#backoff.sleep(backoffMs(retries));
        if (this.#stopped) return false;
        this.#stats.retries++;
      }
      // A fresh event each attempt, so that a handler that mutated its event gets a clean copy.
      const event = this.#event(batch);
      this.#stats.batches++;
      let failure: unknown;
      try {
        const retryFrom = retryIndex(await this.#config.handler(event), event.Records);
        if (retryFrom === undefined) {
          this.#stats.records += batch.length;
          return true;
        }
        // Checkpoint before the lowest failed sequence number: everything before it is done.
        this.#stats.records += retryFrom;
        batch = batch.slice(retryFrom);
        failure = new Error(`batchItemFailures reported from sequence number ${sequenceNumberOf(batch[0])}`);
      } catch (error) {
        failure = error;
        safely(() => this.#config.onError(error), this.#config.onPollError);
      }
      const { maximumRetryAttempts } = this.#config;
      if (maximumRetryAttempts >= 0 && retries >= maximumRetryAttempts) {
        await this.#discard(batch, failure);
        return true;
      }
    }
  }

  async #discard(batch: StreamsRecord[], error: unknown): Promise<void> {
    this.#stats.discarded += batch.length;
    const event = this.#event(batch);
    const { onDiscard } = this.#config;
    if (!onDiscard) {
      // Lambda without an on-failure destination drops the batch; say so rather than lose it silently.
      const range = `${sequenceNumberOf(batch[0])}..${sequenceNumberOf(batch.at(-1))}`;
      console.warn(`[stream-poller ${this.#config.tableName}] discarded ${batch.length} records (${range}):`, error);
      return;
    }
    try {
      await onDiscard(event, error);
    } catch (discardError) {
      this.#config.onPollError(discardError);
    }
  }

  #event(batch: StreamsRecord[]): DynamoDBStreamEvent {
    return { Records: batch.map((record) => toLambdaRecord(record, this.#streamArn, this.#config.region)) };
  }

  // --- drain() bookkeeping -----------------------------------------------------------------------

  #settleDrains(): void {
    for (const waiter of [...this.#drains]) {
      if (this.#caughtUpSince(waiter.since)) waiter.resolve();
    }
  }

  #caughtUpSince(since: number): boolean {
    if (this.#lastDiscoveryAt < since) return false;
    for (const shard of this.#shards.values()) {
      if (!shard.finished && shard.caughtUpAt < since) return false;
    }
    return true;
  }

  /** For a drain() timeout message: what is still outstanding. */
  #backlog(since: number): string {
    const behind = [...this.#shards.values()].filter((s) => !s.finished && s.caughtUpAt < since).map((s) => s.id);
    const listing = this.#lastDiscoveryAt < since ? 'no shard listing since the call; ' : '';
    return `${listing}shards not caught up: ${behind.join(', ') || 'none'}`;
  }
}

interface ShardRead {
  records: StreamsRecord[];
  /** The shard has no more records, ever (no NextShardIterator). */
  closed: boolean;
}

/**
 * Timers that can all be cut short at once. After close(), every sleep returns at once, so a loop
 * that checks for stop only after sleeping still ends promptly.
 */
class Alarm {
  readonly #wakers = new Set<() => void>();
  #closed = false;

  sleep(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      // setTimeout cannot wait forever (it would fire at once); Infinity means "until rung".
      const timer = Number.isFinite(ms) ? setTimeout(() => wake(), ms) : undefined;
      const wake = () => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      this.#wakers.add(wake);
    });
  }

  ring(): void {
    for (const wake of [...this.#wakers]) wake();
  }

  close(): void {
    this.#closed = true;
    this.ring();
  }
}

/** Exponential backoff for the nth consecutive failure: 50, 100, 200, ... ms, at most 2 s. */
function backoffMs(failures: number): number {
  return Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (failures - 1));
}

/** Stream sequence numbers are decimal strings, increasing within a shard, too long for a Number. */
function isAfter(sequenceNumber: string, position: string | undefined): boolean {
  return position === undefined || BigInt(sequenceNumber) > BigInt(position);
}

function sequenceNumberOf(record: StreamsRecord | undefined): string {
  return record?.dynamodb?.SequenceNumber ?? '?';
}

function safely(callback: () => void, onError: (error: unknown) => void): void {
  try {
    callback();
  } catch (error) {
    onError(error);
  }
}

/**
 * Reads a handler's response the way Lambda reads ReportBatchItemFailures: the index of the record
 * to retry from (the lowest failed sequence number), or undefined if the whole batch succeeded.
 * Throws, making the batch a complete failure, for an identifier that is missing, empty or not in
 * the batch. The response is `unknown` because a handler can return anything at run time.
 */
function retryIndex(response: unknown, records: DynamoDBRecord[]): number | undefined {
  if (typeof response !== 'object' || response === null || !('batchItemFailures' in response)) return undefined;
  const failures = response.batchItemFailures;
  if (failures === null || failures === undefined) return undefined;
  if (!Array.isArray(failures)) throw new Error('Invalid handler response: batchItemFailures is not a list');
  let lowest: number | undefined;
  for (const failure of failures as unknown[]) {
    const id =
      typeof failure === 'object' && failure !== null && 'itemIdentifier' in failure ? failure.itemIdentifier : undefined;
    const index = typeof id === 'string' && id !== '' ? records.findIndex((r) => r.dynamodb?.SequenceNumber === id) : -1;
    if (index < 0) {
      throw new Error(`Invalid handler response: itemIdentifier ${JSON.stringify(id)} is not a sequence number in the batch`);
    }
    lowest = lowest === undefined ? index : Math.min(lowest, index);
  }
  return lowest;
}

// --- The Lambda event --------------------------------------------------------------------------

/** One GetRecords record as Lambda delivers it (same keys, in Lambda's order). */
export function toLambdaRecord(record: StreamsRecord, streamArn: string, region: string): DynamoDBRecord {
  const source = record.dynamodb;
  const dynamodb: StreamRecord = {
    // The SDK parses the wire's epoch seconds into a Date; Lambda passes the number through.
    ApproximateCreationDateTime:
      source?.ApproximateCreationDateTime && Math.floor(source.ApproximateCreationDateTime.getTime() / 1000),
    Keys: source?.Keys && toLambdaImage(source.Keys),
    ...(source?.NewImage && { NewImage: toLambdaImage(source.NewImage) }),
    ...(source?.OldImage && { OldImage: toLambdaImage(source.OldImage) }),
    SequenceNumber: source?.SequenceNumber,
    SizeBytes: source?.SizeBytes,
    StreamViewType: source?.StreamViewType,
  };
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb,
    eventSourceARN: streamArn,
    // Only TTL deletions carry it; Lambda spells the keys in lower camel case.
    ...(record.userIdentity && {
      userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId },
    }),
  };
}

function toLambdaImage(image: Record<string, StreamsAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toLambdaValue(value)]));
}

/** DynamoDB JSON as in the Lambda event: the SDK's binary (Uint8Array) becomes base64, as on the wire. */
function toLambdaValue(value: StreamsAttributeValue): AttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaValue) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  // The Streams client decodes an empty map (`{"M":{}}` on the wire) as an empty union `{}`.
  if (Object.keys(value).length === 0) return { M: {} };
  throw new Error(`Unsupported attribute value type: ${Object.keys(value).join(', ')}`);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
