import { Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { Concern } from './concern.js';
import { deadLetterQueue } from './queues.js';
import type { TideFunction } from './tide-function.js';

export interface ChangeStreamConsumer {
  /** The handler (`streamConsumers` in shared/contract/routes.ts). */
  consumer: TideFunction;
  /** Tables whose streams it reads; each must have a stream. */
  tables: readonly dynamodb.TableV2[];
  /** Records per invocation. */
  batchSize: number;
}

export interface ChangeStreamsProps {
  consumers: readonly ChangeStreamConsumer[];
  /**
   * How long a failing batch is retried before its records are given up on (their pointers go to
   * StreamFailures). Must leave an operator time to act within the stream's 24 h retention.
   * @default 6 hours
   */
  maxRecordAge?: Duration;
}

/**
 * The DynamoDB stream consumers: one event source mapping per (consumer, table), from which every
 * follow-up of a change is derived. Follow-ups are idempotent and a batch is retried until it
 * succeeds, so the mappings:
 *  - start at TRIM_HORIZON: a first deployment misses nothing the stream still holds;
 *  - read each shard with one batch at a time (parallelization factor 1), in order;
 *  - on a failed batch bisect it (a poison record ends up alone, the rest goes on) and retry, up to
 *    `maxRecordAge`; only then the batch's stream position is sent to the StreamFailures queue,
 *    which is alarmed on: the records themselves stay readable in the stream for 24 h.
 * Stream read permissions come with each mapping.
 */
export class ChangeStreams extends Concern {
  /** Where Lambda puts the stream position of batches given up on (not the records). */
  readonly failures: sqs.Queue;
  readonly mappings: readonly DynamoEventSource[];

  constructor(scope: Construct, id: string, props: ChangeStreamsProps) {
    super(scope, id);
    this.failures = deadLetterQueue(this, 'StreamFailures', 'the DynamoDB stream consumers (batches given up on after retries)');
    const mappings: DynamoEventSource[] = [];
    const readers = new Map<dynamodb.TableV2, number>();
    for (const { consumer, tables, batchSize } of props.consumers) {
      for (const table of tables) {
        // TableV2 offers a stream ARN either way; without a stream it would only fail at deployment.
        if (!Stack.of(table).resolve((table.node.defaultChild as dynamodb.CfnGlobalTable).streamSpecification)) {
          throw new Error(`${consumer.handler} reads ${table.node.path}, which has no stream`);
        }
        // DynamoDB Streams serves two readers per shard; a third would be throttled and fall behind.
        readers.set(table, (readers.get(table) ?? 0) + 1);
        if (readers.get(table)! > 2) throw new Error(`more than two consumers read the stream of ${table.node.path}`);
        const source = new DynamoEventSource(table, {
          startingPosition: lambda.StartingPosition.TRIM_HORIZON,
          batchSize,
          bisectBatchOnError: true,
          // Large but finite: a record that can never succeed must not hold its shard forever.
          retryAttempts: 10_000,
          maxRecordAge: props.maxRecordAge ?? Duration.hours(6),
          parallelizationFactor: 1,
          onFailure: new SqsDlq(this.failures),
        });
        consumer.fn.addEventSource(source);
        mappings.push(source);
      }
    }
    this.mappings = mappings;
  }
}
