import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { localCredentials, localRegion } from '../infra/local/dynamodb.js';
import { toLambdaRecord } from '../infra/local/stream-poller.js';
import type { FollowUp } from '../shared/follow-ups/derive.js';
import { onChanges } from '../shared/follow-ups/on-changes.js';
import { consumerKinds } from '../shared/follow-ups/run.js';
import type { RoutingRecheck, RoutingRechecks } from '../shared/routing/rechecks.js';
import { routeQueue } from '../shared/routing/route-queue.js';
import type { Deps } from '../shared/runtime/deps.js';
import type { TableNames } from '../shared/storage/tables.js';

/**
 * The day's follow-ups on the simulator's clock: what the Lambda stream consumers do in AWS
 * (routing, work-list pushes, `message` frames, timer schedules, hand-over to delivery), run to
 * completion after every simulated event, before the next one (the same idea as
 * test/support/domain-deps.ts `settle()`, which the simulator must not import).
 *
 * Reading a stream costs DynamoDB Local calls (slower than table calls), so a stream is read only
 * when something was written to its table since the last read: the simulator's document client
 * reports every write (`written`). A command it does not know marks every stream. `readAll`
 * reads every stream whatever was written (the simulator does so every 15 minutes) and counts records
 * found on a stream not marked as written: that would be a gap in this bookkeeping, not in Tide.
 */

type StreamTable = 'conversations' | 'agents' | 'messages';

/** The deployed consumers (shared/follow-ups/run.ts): which streams each reads, which follow-ups it applies. */
const consumers: ReadonlyArray<{ name: keyof typeof consumerKinds; streams: readonly StreamTable[]; kinds: ReadonlyArray<FollowUp['kind']> }> = [
  { name: 'work', streams: ['conversations', 'agents'], kinds: consumerKinds.work },
  { name: 'timers', streams: ['conversations'], kinds: consumerKinds.timers },
  { name: 'messages', streams: ['messages'], kinds: consumerKinds.messages },
];

type SettleDeps = Deps & { rechecks: SimRechecks };
type OnError = (error: unknown, consumer: string) => void;

/** How often a failing batch is handed over again (the stream would redeliver it) before it counts as a domain error. */
const attemptsPerBatch = 3;

/**
 * One table's stream, read on demand: every record written since the last read, shard by shard in
 * order. The iterator is kept between reads (each GetRecords hands out the next one), except
 * before a shard's first record: DynamoDB Local refuses a TRIM_HORIZON iterator kept from an
 * empty read, so until then each read asks for a fresh one.
 */
class StreamReader {
  private shards: Array<{ id: string; iterator?: string; position?: string; closed: boolean }> = [];
  constructor(
    private readonly streams: DynamoDBStreamsClient,
    private readonly arn: string,
    private readonly count: () => void,
  ) {}

  private async discover(): Promise<void> {
    let start: string | undefined;
    do {
      this.count();
      const { StreamDescription } = await this.streams.send(new DescribeStreamCommand({ StreamArn: this.arn, ExclusiveStartShardId: start }));
      for (const shard of StreamDescription?.Shards ?? []) {
        if (shard.ShardId && !this.shards.some((s) => s.id === shard.ShardId)) this.shards.push({ id: shard.ShardId, closed: false });
      }
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
  }

  private async iteratorFor(shard: { id: string; position?: string }): Promise<string | undefined> {
    this.count();
    const { ShardIterator } = await this.streams.send(
      new GetShardIteratorCommand(
        shard.position
          ? { StreamArn: this.arn, ShardId: shard.id, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.position }
          : { StreamArn: this.arn, ShardId: shard.id, ShardIteratorType: 'TRIM_HORIZON' },
      ),
    );
    return ShardIterator;
  }

  async read(): Promise<DynamoDBRecord[]> {
    if (this.shards.length === 0) await this.discover();
    const out: DynamoDBRecord[] = [];
    for (let i = 0; i < this.shards.length; i++) {
      const shard = this.shards[i]!;
      if (shard.closed) continue;
      for (let lost = 0; ; ) {
        try {
          shard.iterator ??= await this.iteratorFor(shard);
          if (!shard.iterator) {
            shard.closed = true;
            break;
          }
          this.count();
          const page = await this.streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 1000 }));
          const records = page.Records ?? [];
          for (const r of records) out.push(toLambdaRecord(r, this.arn, localRegion));
          if (records.length) shard.position = records.at(-1)!.dynamodb!.SequenceNumber!;
          shard.iterator = shard.position ? page.NextShardIterator : undefined;
          if (!page.NextShardIterator) {
            // Closed (a rollover, every 4 h of wall time): its children are listed now.
            shard.closed = true;
            await this.discover();
            break;
          }
          if (records.length < 1000) break;
        } catch (error) {
          if (!(error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) || ++lost > 2) throw error;
          shard.iterator = undefined;
        }
      }
    }
    return out;
  }
}

/**
 * The tables a DynamoDB command may change: none for a read, the tables a write names, and
 * `unknown` for a command it does not know (the caller then assumes every table changed: better a
 * stream read too many than a follow-up missed).
 */
export function tablesWritten(command: unknown): string[] | 'unknown' {
  const name = (command as { constructor?: { name?: string } })?.constructor?.name ?? '';
  const input = (command as { input?: Record<string, unknown> })?.input ?? {};
  if (/^(Get|BatchGet|Query|Scan|TransactGet)(Item|Items)?Command$/.test(name)) return [];
  if (/^(Put|Update|Delete)(Item)?Command$/.test(name) && typeof input.TableName === 'string') return [input.TableName];
  if (/^TransactWrite(Items)?Command$/.test(name)) {
    const names = new Set<string>();
    for (const item of (input.TransactItems as Array<Record<string, { TableName?: string }>> | undefined) ?? []) {
      for (const write of Object.values(item)) if (write?.TableName) names.add(write.TableName);
    }
    return [...names];
  }
  if (/^BatchWrite(Item)?Command$/.test(name)) return Object.keys((input.RequestItems as object | undefined) ?? {});
  return 'unknown';
}

/** Routing rechecks (a second pass once the queue index has caught up): collected, run by `settle` at once. */
export class SimRechecks implements RoutingRechecks {
  readonly queued: string[] = [];
  async enqueue(jobs: readonly RoutingRecheck[]) {
    this.queued.push(...jobs.map((j) => j.queue));
  }
}

export interface FollowUpStats {
  /** `settle` calls that had something to do, and rounds of stream reads they took. */
  settles: number;
  rounds: number;
  /** Stream records handed to the consumers, and the follow-ups derived from them. */
  records: number;
  followUps: number;
  /** Follow-up batches that threw (a FollowUpError: routing, a schedule or a hand-over failed), retries included. */
  failedBatches: number;
  /** Recheck passes run, and the conversations they assigned (with DynamoDB Local's exact indexes, expected 0). */
  rechecks: number;
  recheckAssigned: number;
  /** DynamoDB Streams calls (DescribeStream, GetShardIterator, GetRecords). */
  streamCalls: number;
  /** Reads of a marked stream that found nothing (a write that changed nothing, such as a failed conditional write). */
  emptyReads: number;
  /** Records found by `readAll` on a stream no write had marked: a gap in the write bookkeeping. */
  unmarkedRecords: number;
}

export class SimFollowUps {
  readonly stats: FollowUpStats = { settles: 0, rounds: 0, records: 0, followUps: 0, failedBatches: 0, rechecks: 0, recheckAssigned: 0, streamCalls: 0, emptyReads: 0, unmarkedRecords: 0 };
  private readonly byName = new Map<string, StreamTable>();
  private readonly dirty = new Set<StreamTable>();

  private constructor(
    private readonly readers: Record<StreamTable, StreamReader>,
    private readonly client: DynamoDBStreamsClient,
    tables: TableNames,
  ) {
    for (const t of ['conversations', 'agents', 'messages'] as const) this.byName.set(tables[t], t);
  }

  static async open(endpoint: string, tables: TableNames): Promise<SimFollowUps> {
    const config = { endpoint, region: localRegion, credentials: localCredentials };
    const db = new DynamoDBClient(config);
    const client = new DynamoDBStreamsClient(config);
    let self: SimFollowUps | undefined;
    const count = () => {
      if (self) self.stats.streamCalls += 1;
    };
    try {
      const arnOf = async (TableName: string) => (await db.send(new DescribeTableCommand({ TableName }))).Table!.LatestStreamArn!;
      const readers = {
        conversations: new StreamReader(client, await arnOf(tables.conversations), count),
        agents: new StreamReader(client, await arnOf(tables.agents), count),
        messages: new StreamReader(client, await arnOf(tables.messages), count),
      };
      self = new SimFollowUps(readers, client, tables);
      return self;
    } finally {
      db.destroy();
    }
  }

  /** Told about every command the document client sends (see `tablesWritten`). */
  written(command: unknown): void {
    const names = tablesWritten(command);
    if (names === 'unknown') for (const t of this.byName.values()) this.dirty.add(t);
    else
      for (const n of names) {
        const t = this.byName.get(n);
        if (t) this.dirty.add(t);
      }
  }

  /**
   * Runs every follow-up the changes so far call for, as the deployed consumers would, until
   * nothing new changes; then the rechecks those passes asked for, and again. `onError` gets a
   * batch that still failed after `attemptsPerBatch` hand-overs (it is then dropped).
   */
  async settle(deps: SettleDeps, onError: OnError): Promise<void> {
    if (this.dirty.size === 0 && deps.rechecks.queued.length === 0) return;
    this.stats.settles += 1;
    for (let round = 0; round < 100; round++) {
      const marked = [...this.dirty];
      this.dirty.clear();
      if (marked.length === 0) {
        if (deps.rechecks.queued.length === 0) return;
        // As the delayed second passes would, after the index lag (none in DynamoDB Local).
        for (const queue of [...new Set(deps.rechecks.queued.splice(0))]) {
          this.stats.rechecks += 1;
          try {
            this.stats.recheckAssigned += (await routeQueue(deps, queue, { queueFirst: true })).assigned.length;
          } catch (error) {
            onError(error, 'recheck');
          }
        }
        continue;
      }
      this.stats.rounds += 1;
      // The streams are independent: read at once (each consumer's batch is assembled in a fixed order).
      const read = await Promise.all(marked.map((t) => this.readers[t].read()));
      this.stats.emptyReads += read.filter((records) => records.length === 0).length;
      const records: Partial<Record<StreamTable, DynamoDBRecord[]>> = Object.fromEntries(marked.map((t, i) => [t, read[i]]));
      await this.dispatch(deps, records, onError);
    }
    throw new Error('follow-ups: changes kept coming after 100 rounds');
  }

  /** Reads every stream, marked or not (records on an unmarked one are counted, see the class comment), then settles. */
  async readAll(deps: SettleDeps, onError: OnError): Promise<void> {
    const records: Partial<Record<StreamTable, DynamoDBRecord[]>> = {};
    for (const t of this.byName.values()) {
      if (this.dirty.has(t)) continue;
      const found = await this.readers[t].read();
      this.stats.unmarkedRecords += found.length;
      records[t] = found;
    }
    await this.dispatch(deps, records, onError);
    await this.settle(deps, onError);
  }

  /** Hands each consumer the records of its streams, as one batch. */
  private async dispatch(deps: SettleDeps, records: Partial<Record<StreamTable, DynamoDBRecord[]>>, onError: OnError): Promise<void> {
    for (const consumer of consumers) {
      const batch = consumer.streams.flatMap((t) => records[t] ?? []);
      if (batch.length === 0) continue;
      this.stats.records += batch.length;
      for (let attempt = 1; ; attempt++) {
        try {
          this.stats.followUps += await onChanges(deps, { Records: batch }, consumer.kinds);
          break;
        } catch (error) {
          this.stats.failedBatches += 1;
          if (attempt >= attemptsPerBatch) {
            onError(error, consumer.name);
            break;
          }
        }
      }
    }
  }

  close(): void {
    this.client.destroy();
  }
}
