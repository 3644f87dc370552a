import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { localCredentials, localRegion } from '../../infra/local/dynamodb.js';
import { toLambdaRecord } from '../../infra/local/stream-poller.js';

/**
 * Reads tables' streams on demand, for domain tests that drive time by hand: `read()` returns
 * every record written since the last read, each shard in order, as Lambda would deliver them.
 * The local stack polls continuously instead (infra/local/stream-poller.ts).
 */
export class StreamTap {
  /** The last sequence number read from each shard: every read starts right after it. */
  private readonly last = new Map<string, string>();
  private readonly done = new Set<string>();

  private constructor(
    private readonly streams: DynamoDBStreamsClient,
    private readonly arns: string[],
  ) {}

  static async open(endpoint: string, tableNames: readonly string[]): Promise<StreamTap> {
    const config = { endpoint, region: localRegion, credentials: localCredentials };
    const db = new DynamoDBClient(config);
    const arns = await Promise.all(tableNames.map(async (TableName) => (await db.send(new DescribeTableCommand({ TableName }))).Table!.LatestStreamArn!));
    db.destroy();
    return new StreamTap(new DynamoDBStreamsClient(config), arns);
  }

  async read(): Promise<DynamoDBRecord[]> {
    const out: DynamoDBRecord[] = [];
    for (const arn of this.arns) {
      const { StreamDescription } = await this.streams.send(new DescribeStreamCommand({ StreamArn: arn }));
      for (const shard of StreamDescription?.Shards ?? []) {
        const id = shard.ShardId!;
        if (this.done.has(id)) continue;
        // A fresh iterator per read: DynamoDB Local refuses an iterator kept from an empty read.
        const after = this.last.get(id);
        let iterator = (
          await this.streams.send(
            new GetShardIteratorCommand(
              after
                ? { StreamArn: arn, ShardId: id, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
                : { StreamArn: arn, ShardId: id, ShardIteratorType: 'TRIM_HORIZON' },
            ),
          )
        ).ShardIterator;
        while (iterator) {
          const page = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
          const records = page.Records ?? [];
          out.push(...records.map((r) => toLambdaRecord(r, arn, localRegion)));
          if (records.length) this.last.set(id, records.at(-1)!.dynamodb!.SequenceNumber!);
          iterator = page.NextShardIterator;
          if (!iterator) this.done.add(id);
          if (records.length === 0) break;
        }
      }
    }
    return out;
  }

  close() {
    this.streams.destroy();
  }
}
