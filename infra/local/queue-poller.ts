/**
 * Local stand-in for a Lambda event source mapping on an SQS standard queue. It polls through the
 * real `@aws-sdk/client-sqs` (against the local emulator, or any SQS endpoint), invokes the handler
 * with the event Lambda would build, and deletes what Lambda would delete.
 *
 * What it reproduces (Lambda Developer Guide, "Using Lambda with Amazon SQS"):
 * - The event: `{ Records: [{ messageId, receiptHandle, body, attributes, messageAttributes,
 *   md5OfBody, md5OfMessageAttributes?, eventSource: 'aws:sqs', eventSourceARN, awsRegion }] }`.
 *   `attributes` holds the message system attributes as strings (ApproximateReceiveCount,
 *   SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp, and AWSTraceHeader and
 *   DeadLetterQueueSourceArn when set). `messageAttributes` uses lower-camel keys, binary values
 *   in base64 and the always-empty `stringListValues`/`binaryListValues`, as in Lambda's events.
 * - A handler that resolves deletes the whole batch with DeleteMessageBatch.
 * - With ReportBatchItemFailures (on by default here, as Tide's mappings enable it), a resolved
 *   `{ batchItemFailures: [{ itemIdentifier }] }` keeps the listed messages and deletes the rest.
 *   As Lambda documents, an empty, missing or unknown itemIdentifier fails the whole batch, and an
 *   empty or missing list is a complete success.
 * - A handler that throws deletes nothing. The messages come back after the queue's visibility
 *   timeout, and the queue's redrive policy eventually moves poison messages to its DLQ. The mapping
 *   does not override the queue's visibility timeout, and neither does this poller.
 *
 * Emulation choices:
 * - `concurrency` poll loops each take one batch at a time, so at most `concurrency` handlers run at
 *   once, like a mapping's MaximumConcurrency. Lambda also scales its pollers with the backlog.
 * - No batching window: a batch is whatever one ReceiveMessage returns (up to `batchSize`).
 * - No function timeout: a handler that outlives the visibility timeout sees its messages
 *   redelivered, and its later deletes fail. Those failures go to `onError`, as Lambda would log them.
 * - Long polling (default 1 s, Lambda uses 20 s) keeps an idle poller at a few requests a second.
 *   stop() aborts the pending polls at once, so the wait does not delay it.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';

/**
 * The same static credentials and region as infra/local/dynamodb.ts. They are repeated rather than
 * imported so that a poller does not load DynamoDB Local.
 */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const LOCAL_REGION = 'us-east-1';
/** Pause after a failed poll (endpoint down, throttled), so a broken setup does not spin. */
const ERROR_BACKOFF_MS = 1_000;
const DRAIN_CHECK_MS = 25;

export type SqsHandler = (event: SQSEvent) => Promise<void | SQSBatchResponse>;

export interface QueuePollerOptions {
  endpoint: string;
  queueUrl: string;
  handler: SqsHandler;
  /** Messages per invocation, 1 to 10 (default 10, Lambda's default for SQS). */
  batchSize?: number;
  /** Poll loops, and so the most handlers running at once (default 2). */
  concurrency?: number;
  /** Long-poll wait per ReceiveMessage, 0 to 20 s (default 1). */
  waitTimeSeconds?: number;
  /** The mapping's FunctionResponseTypes: ['ReportBatchItemFailures'] (default true). */
  reportBatchItemFailures?: boolean;
  /** Polling, deletion and handler failures. The default logs the error name and message only, never message contents. */
  onError?: (error: unknown) => void;
}

export interface QueuePollerStats {
  /** Handler invocations (one per non-empty receive). */
  batches: number;
  /** Messages handed to the handler, redeliveries included. */
  received: number;
  deleted: number;
  /** Messages left on the queue for redelivery: those of thrown or rejected batches, plus reported item failures. */
  failed: number;
  handlerErrors: number;
  /** Handlers running now, and the most that ever ran at once. */
  running: number;
  maxConcurrent: number;
}

export interface RunningQueuePoller {
  /** Stops polling and waits for running handlers, and their deletes, to finish. */
  stop(): Promise<void>;
  /**
   * For tests: resolves once no handler is running and the queue holds no visible or in-flight
   * messages. Delayed messages do not count, and poison messages count until the redrive policy has
   * moved them away. Rejects after `timeoutMs` (default 10 s).
   */
  drain(timeoutMs?: number): Promise<void>;
  stats(): QueuePollerStats;
}

export async function startQueuePoller(options: QueuePollerOptions): Promise<RunningQueuePoller> {
  const batchSize = options.batchSize ?? 10;
  const concurrency = options.concurrency ?? 2;
  const waitTimeSeconds = options.waitTimeSeconds ?? 1;
  const reportBatchItemFailures = options.reportBatchItemFailures ?? true;
  const onError = options.onError ?? logError;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) throw new Error('batchSize must be 1-10');
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('concurrency must be a positive integer');
  if (!Number.isInteger(waitTimeSeconds) || waitTimeSeconds < 0 || waitTimeSeconds > 20) throw new Error('waitTimeSeconds must be 0-20');

  const client = new SQSClient({ endpoint: options.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const { queueUrl } = options;
  // The mapping knows its queue's ARN; asking for it also fails fast (QueueDoesNotExist) on a wrong URL.
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = Attributes?.QueueArn;
  if (!queueArn) throw new Error(`No QueueArn for ${queueUrl}`);

  const stats: QueuePollerStats = { batches: 0, received: 0, deleted: 0, failed: 0, handlerErrors: 0, running: 0, maxConcurrent: 0 };
  // Aborts the pending long polls (and error back-offs) on stop(); deletes are never aborted.
  const stopping = new AbortController();

  async function pollLoop(): Promise<void> {
    while (!stopping.signal.aborted) {
      let messages: Message[];
      try {
        const output = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitTimeSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: stopping.signal },
        );
        messages = output.Messages ?? [];
      } catch (error) {
        if (stopping.signal.aborted) return;
        onError(error);
        await sleep(ERROR_BACKOFF_MS, stopping.signal);
        continue;
      }
      if (messages.length > 0) await processBatch(messages);
    }
  }

  async function processBatch(messages: Message[]): Promise<void> {
    stats.batches++;
    stats.received += messages.length;
    stats.running++;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, stats.running);
    try {
      let response: void | SQSBatchResponse;
      try {
        response = await options.handler({ Records: messages.map((m) => toRecord(m, queueArn!)) });
      } catch (error) {
        stats.handlerErrors++;
        stats.failed += messages.length;
        onError(error);
        return;
      }
      const kept = reportBatchItemFailures ? failedIds(response, messages) : new Set<string>();
      const done = kept === 'all' ? [] : messages.filter((m) => !kept.has(m.MessageId!));
      stats.failed += messages.length - done.length;
      if (done.length > 0) await deleteAll(done);
    } finally {
      stats.running--;
    }
  }

  async function deleteAll(messages: Message[]): Promise<void> {
    try {
      const output = await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
      stats.deleted += output.Successful?.length ?? 0;
      for (const failure of output.Failed ?? []) {
        onError(new Error(`DeleteMessageBatch entry failed: ${failure.Code ?? 'unknown'}: ${failure.Message ?? ''}`));
      }
    } catch (error) {
      onError(error);
    }
  }

  const loops = Array.from({ length: concurrency }, () => pollLoop());
  let stopped: Promise<void> | undefined;

  return {
    stop: () =>
      (stopped ??= (async () => {
        stopping.abort();
        await Promise.all(loops);
        client.destroy();
      })()),

    async drain(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (stats.running === 0) {
          const { Attributes: depth } = await client.send(
            new GetQueueAttributesCommand({
              QueueUrl: queueUrl,
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
            }),
          );
          const pending = Number(depth?.ApproximateNumberOfMessages ?? 0) + Number(depth?.ApproximateNumberOfMessagesNotVisible ?? 0);
          // Re-check `running`: a poll may have taken messages (and started a handler) meanwhile.
          if (pending === 0 && stats.running === 0) return;
        }
        if (Date.now() > deadline) throw new Error(`queue poller: ${queueUrl} not drained after ${timeoutMs} ms`);
        await sleep(DRAIN_CHECK_MS);
      }
    },

    stats: () => ({ ...stats }),
  };
}

/** A received message as the record of a Lambda SQS event. */
function toRecord(message: Message, queueArn: string): SQSRecord {
  const system = message.Attributes ?? {};
  const attributes: SQSRecordAttributes = {
    ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
    SentTimestamp: system.SentTimestamp ?? '',
    SenderId: system.SenderId ?? '',
    ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? '',
    ...(system.AWSTraceHeader !== undefined ? { AWSTraceHeader: system.AWSTraceHeader } : {}),
    ...(system.DeadLetterQueueSourceArn !== undefined ? { DeadLetterQueueSourceArn: system.DeadLetterQueueSourceArn } : {}),
  };
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType ?? 'String',
    };
  }
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes,
    messageAttributes,
    md5OfBody: message.MD5OfBody!,
    ...(message.MD5OfMessageAttributes !== undefined ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? LOCAL_REGION,
  };
}

/**
 * The message ids a partial batch response keeps on the queue, or 'all' when Lambda would treat the
 * response as a failure of the whole batch.
 */
function failedIds(response: void | SQSBatchResponse, messages: Message[]): Set<string> | 'all' {
  const failures: unknown = response?.batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return 'all';
  const ids = new Set(messages.map((m) => m.MessageId));
  const kept = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id: unknown = typeof failure === 'object' && failure !== null ? (failure as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || !ids.has(id)) return 'all';
    kept.add(id);
  }
  return kept;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function logError(error: unknown): void {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  console.error(`[local-queue-poller] ${detail}`);
}
