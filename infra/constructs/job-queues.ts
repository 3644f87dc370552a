import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { QueueDefinition } from '../../shared/contract/routes.js';
import { Concern } from './concern.js';
import { deadLetterQueue, secureQueue } from './queues.js';
import type { TideFunction } from './tide-function.js';

/** Receives after which a job goes to its dead-letter queue when the definition does not say (as the local stack). */
const defaultMaxReceiveCount = 5;

export interface JobQueue {
  /** The queue, from shared/contract/routes.ts (`jobQueues`). */
  definition: QueueDefinition;
  /** The function that works the queue (`definition.consumer`): an SQS event source mapping. */
  consumer: TideFunction;
  /** Functions that enqueue jobs: they get `definition.envVar` (the URL) and sqs:SendMessage. */
  senders: readonly TideFunction[];
}

export interface JobQueuesProps {
  queues: readonly JobQueue[];
}

/**
 * Tide's SQS job queues, each with a dead-letter queue `<id>-dlq` after `maxReceiveCount`
 * receives, and its consumer attached by an event source mapping that reports partial batch
 * failures (the handlers return `batchItemFailures`), so one bad job is retried alone and the
 * rest of its batch is done once.
 */
export class JobQueues extends Concern {
  readonly queues: ReadonlyMap<QueueDefinition, sqs.Queue>;
  readonly deadLetterQueues: ReadonlyMap<QueueDefinition, sqs.Queue>;

  constructor(scope: Construct, id: string, props: JobQueuesProps) {
    super(scope, id);
    const queues = new Map<QueueDefinition, sqs.Queue>();
    const deadLetterQueues = new Map<QueueDefinition, sqs.Queue>();
    for (const { definition: def, consumer, senders } of props.queues) {
      if (def.consumer !== consumer.handler) {
        throw new Error(`queue ${def.id} is consumed by ${def.consumer ?? 'nobody'}, not ${consumer.handler}`);
      }
      // Lambda refuses a mapping whose queue hides a message for less time than one invocation may take.
      const timeout = consumer.fn.timeout?.toSeconds() ?? 3;
      if (def.visibilityTimeoutSeconds < timeout) {
        throw new Error(`queue ${def.id}: visibility timeout ${def.visibilityTimeoutSeconds} s < ${consumer.handler}'s timeout ${timeout} s`);
      }
      const dlq = deadLetterQueue(this, `${def.id}-dlq`, `the ${def.id} queue (jobs that failed ${def.maxReceiveCount ?? defaultMaxReceiveCount} times)`);
      const queue = secureQueue(this, def.id, {
        visibilityTimeout: Duration.seconds(def.visibilityTimeoutSeconds),
        deadLetterQueue: { queue: dlq, maxReceiveCount: def.maxReceiveCount ?? defaultMaxReceiveCount },
      });
      consumer.fn.addEventSource(new SqsEventSource(queue, { batchSize: def.batchSize, reportBatchItemFailures: true }));
      for (const sender of senders) {
        queue.grantSendMessages(sender.fn);
        sender.addEnvironment({ [def.envVar]: queue.queueUrl });
      }
      queues.set(def, queue);
      deadLetterQueues.set(def, dlq);
    }
    this.queues = queues;
    this.deadLetterQueues = deadLetterQueues;
  }

  queue(def: QueueDefinition): sqs.Queue {
    const queue = this.queues.get(def);
    if (!queue) throw new Error(`no queue ${def.id}`);
    return queue;
  }
}
