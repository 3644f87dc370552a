/**
 * Local stand-in for Amazon SQS standard queues, speaking the AWS JSON 1.0 protocol of
 * `@aws-sdk/client-sqs` 3.1169 so that the real SQS client is the code under test, with its
 * checksum validation and error classes.
 *
 * Wire contract (checked against the SDK's schemas in `client-sqs/dist-es/schemas/schemas_0.js`
 * and its protocol code, `AwsJsonRpcProtocol` / `ProtocolLib` in @aws-sdk/core):
 * - Every operation is `POST /` with `x-amz-target: AmazonSQS.<Operation>` and
 *   `content-type: application/x-amz-json-1.0`. The JSON members are the PascalCase model names
 *   (`QueueUrl`, `MessageBody`, `Entries`, `MessageSystemAttributeNames`, ...). The SDK also
 *   sends `x-amzn-query-mode: true`, which is ignored here. The answer is 200 with a JSON body:
 *   `{}` for empty outputs, and a ReceiveMessage that found nothing has no `Messages` member.
 * - Blobs (`BinaryValue`) travel as base64 strings. `MessageAttributes` maps look like
 *   `{ name: { DataType, StringValue | BinaryValue } }`; a message's `Attributes` map
 *   strings to strings (`"SentTimestamp": "1700000000000"`).
 * - Errors: 400 (404 for ReceiptHandleIsInvalid and ResourceNotFoundException, 403 for
 *   PurgeQueueInProgress, as modelled), the body `{"__type":"com.amazonaws.sqs#<Shape>","message"}`
 *   and the header `x-amzn-query-error: <query code>;Sender`. SQS is "awsQueryCompatible": the
 *   SDK takes the error code from that header first, maps it back to the modelled class through
 *   the shape's `awsQueryError` trait (`AWS.SimpleQueueService.NonExistentQueue` gives
 *   `QueueDoesNotExist`) and exposes it as `error.Code`. `__type` is only the fallback. Codes with
 *   no modelled shape (`InvalidParameterValue`, `MissingParameter`) come out as an
 *   `SQSServiceException` named after the code, as they do against AWS.
 * - Checksums: the SDK checks by default that `MD5OfMessageBody` (SendMessage,
 *   SendMessageBatch) and `MD5OfBody` (ReceiveMessage) are the hex MD5 of the UTF-8 body.
 *   `MD5OfMessageAttributes`, and `MD5OfMessageSystemAttributes` for AWSTraceHeader, use AWS's
 *   binary encoding (see md5OfMessageAttributes). The JS SDK does not check those two, but the
 *   Java and other SDKs do.
 * - Queue URLs are `http://{host}:{port}/000000000000/{name}`. Only the path is read, so any
 *   host is accepted. ARNs are `arn:aws:sqs:us-east-1:000000000000:{name}`. SigV4 is accepted and
 *   not verified; its access key id becomes the message's SenderId.
 *
 * Emulation choices:
 * - Queues are fixed at start-up. CreateQueue, DeleteQueue, SetQueueAttributes, tags,
 *   permissions, CancelMessageMoveTask and FIFO queues are not emulated: they answer
 *   UnsupportedOperation.
 * - Receives hand out messages oldest first, and each message goes to one receiver per
 *   visibility period. AWS standard queues only try to keep order and may deliver a message twice.
 *   Short polling sees every message; AWS samples a subset of its servers and can come back
 *   empty while messages exist. Long polling returns as soon as one message is visible rather
 *   than waiting for MaxNumberOfMessages. A long poll whose client hangs up takes nothing.
 * - Every receive issues a new receipt handle. AWS documents that a delete with an older handle
 *   "succeeds, but the message might not be deleted"; here such a delete always succeeds and
 *   never deletes. A delete with the handle of a message that is already gone succeeds, and a
 *   handle this emulator never issued for the queue gives ReceiptHandleIsInvalid.
 *   ChangeMessageVisibility answers InvalidParameterValue ("The receipt handle has expired")
 *   for a superseded or gone handle, and MessageNotInflight for the current handle of a message
 *   whose visibility has already lapsed.
 * - Redrive policy: a receive that would push a message's receive count past maxReceiveCount
 *   moves it to the dead-letter queue instead, where it is visible at once. It keeps its message
 *   id, SentTimestamp and receive count ("received across all queues"), and its
 *   DeadLetterQueueSourceArn is recorded.
 * - StartMessageMoveTask moves at once and at full speed (MaxNumberOfMessagesPerSecond is
 *   validated, then ignored). It moves every message of the DLQ that is not in flight, giving
 *   each a new message id and SentTimestamp and a receive count of 0 (AWS: "A new messageID
 *   and enqueueTime are assigned"). Without DestinationArn, each message goes back to the queue
 *   it was dead-lettered from; a message sent to the DLQ directly has no origin and stays.
 *   ListMessageMoveTasks then reports the task as COMPLETED.
 * - Retention is enforced lazily. Like AWS standard queues, it counts from the original
 *   SentTimestamp, also in the DLQ.
 * - PurgeQueue deletes at once (AWS takes up to 60 s). A second purge within 60 s fails with
 *   PurgeQueueInProgress, as in AWS.
 * - A message may hold 262,144 bytes of body plus attributes, the long-standing
 *   MaximumMessageSize. MessageGroupId (fair queues) is accepted and returned but has no effect.
 *   MessageDeduplicationId is rejected on standard queues. StringListValues and BinaryListValues
 *   ("Not implemented. Reserved for future use.") are ignored.
 * - ReceiveMessage computes `MD5OfMessageAttributes` over the attributes it returns (the
 *   selection by MessageAttributeNames), because that is what the SDKs that validate it compare
 *   against.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { listen, readBody } from './http-gateway.js';

export interface SqsQueueOptions {
  name: string;
  /** Default 30 s, like AWS (0 to 43,200). */
  visibilityTimeoutSeconds?: number;
  /** Default delay of every message sent, 0 to 900 s (default 0). */
  delaySeconds?: number;
  /** Default 4 days, like AWS (60 s to 14 days). */
  messageRetentionSeconds?: number;
  redrive?: { deadLetterQueueName: string; maxReceiveCount: number };
}

export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

export interface RunningSqs {
  url: string;
  port: number;
  queueUrl(name: string): string;
  /** The queue's messages by state right now (what GetQueueAttributes reports as Approximate...). */
  depth(name: string): QueueDepth;
  /** Calls received, by operation name ('SendMessage', 'ReceiveMessage', ...), for cost measurements. */
  calls(): Record<string, number>;
  close(): Promise<void>;
}

const ACCOUNT_ID = '000000000000';
const REGION = 'us-east-1';
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
/** Generous, so that oversized messages get SQS's own errors rather than a cut connection. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const MAX_MESSAGE_BYTES = 262_144;
const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_WAIT_SECONDS = 20;
const MAX_BATCH_ENTRIES = 10;
const MAX_ATTRIBUTES = 10;
const PURGE_INTERVAL_MS = 60_000;
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** The characters SQS allows in bodies and string values (XML 1.0 characters). */
const INVALID_CHARACTERS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
/**
 * Every queue attribute name AWS knows (the SDK's QueueAttributeName). Names this emulator has no value
 * for (Policy, KMS, FIFO settings, or RedrivePolicy on a queue without one) are omitted, as AWS omits
 * unset ones; any other name is an InvalidAttributeName.
 */
const QUEUE_ATTRIBUTE_NAMES = new Set([
  'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessagesNotVisible',
  'ContentBasedDeduplication', 'CreatedTimestamp', 'DeduplicationScope', 'DelaySeconds', 'FifoQueue',
  'FifoThroughputLimit', 'KmsDataKeyReusePeriodSeconds', 'KmsMasterKeyId', 'LastModifiedTimestamp',
  'MaximumMessageSize', 'MessageRetentionPeriod', 'Policy', 'QueueArn', 'ReceiveMessageWaitTimeSeconds',
  'RedriveAllowPolicy', 'RedrivePolicy', 'SqsManagedSseEnabled', 'VisibilityTimeout',
]);

type Json = Record<string, unknown>;
/** Message attributes as stored: the SDK's own type, binary values decoded. */
type Attributes = Record<string, MessageAttributeValue>;

interface StoredMessage {
  id: string;
  body: string;
  md5OfBody: string;
  attributes: Attributes;
  traceHeader?: string;
  groupId?: string;
  senderId: string;
  sentAt: number;
  /** Until this instant (epoch ms) the message is delayed (if never received) or in flight. */
  hiddenUntil: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** The latest receive: only its handle deletes the message or changes its visibility. */
  receipt?: { handle: string; receivedAt: number };
  deadLetterSourceArn?: string;
}

interface MoveTask {
  sourceArn: string;
  destinationArn?: string;
  moved: number;
  startedAt: number;
}

interface Queue {
  name: string;
  arn: string;
  visibilityTimeoutSeconds: number;
  delaySeconds: number;
  retentionSeconds: number;
  redrive?: { target: Queue; maxReceiveCount: number };
  createdAt: number;
  /** Insertion order is send order, which is the order receives hand messages out. */
  messages: Map<string, StoredMessage>;
  /** Long polls waiting on this queue; each is woken to look again when a message may have become visible. */
  waiters: Set<() => void>;
  lastPurgeAt?: number;
  /** Most recent first, as ListMessageMoveTasks returns them. */
  moveTasks: MoveTask[];
}

/** The `awsQueryError` code of the modelled errors that have one, which the SDK reads from `x-amzn-query-error`. */
const QUERY_CODES: Record<string, string> = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
  MessageNotInflight: 'AWS.SimpleQueueService.MessageNotInflight',
  PurgeQueueInProgress: 'AWS.SimpleQueueService.PurgeQueueInProgress',
  BatchEntryIdsNotDistinct: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  BatchRequestTooLong: 'AWS.SimpleQueueService.BatchRequestTooLong',
  EmptyBatchRequest: 'AWS.SimpleQueueService.EmptyBatchRequest',
  InvalidBatchEntryId: 'AWS.SimpleQueueService.InvalidBatchEntryId',
  TooManyEntriesInBatchRequest: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  UnsupportedOperation: 'AWS.SimpleQueueService.UnsupportedOperation',
};
const STATUS: Record<string, number> = {
  ReceiptHandleIsInvalid: 404,
  ResourceNotFoundException: 404,
  PurgeQueueInProgress: 403,
  InternalError: 500,
};

class SqsError extends Error {
  readonly status: number;
  readonly queryCode: string;
  constructor(
    /** The model's shape name, e.g. QueueDoesNotExist; or the bare code for unmodelled errors. */
    readonly shape: string,
    message: string,
  ) {
    super(message);
    this.status = STATUS[shape] ?? 400;
    this.queryCode = QUERY_CODES[shape] ?? shape;
  }
}

const invalidParameter = (message: string) => new SqsError('InvalidParameterValue', message);
const queueDoesNotExist = () => new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
const outOfRange = (field: string, value: unknown, min: number, max: number) =>
  invalidParameter(`Value ${String(value)} for parameter ${field} is invalid. Reason: Must be between ${min} and ${max}, if provided.`);

/**
 * MD5 of message attributes as AWS computes it (SQS Developer Guide, "Calculating the MD5 message
 * digest for message attributes"; the same algorithm as the Java SDK's MessageMD5ChecksumInterceptor).
 * Attributes are sorted by name, and each one is encoded as: the name, then the DataType, then one
 * transport byte (1 string, 2 binary, 3 string list, 4 binary list), then the value(s). Every name,
 * type and value is preceded by its length as a 4-byte big-endian integer.
 */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const hash = createHash('md5');
  const lengthPrefixed = (bytes: Uint8Array) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  };
  const utf8 = (text: string) => lengthPrefixed(Buffer.from(text, 'utf8'));
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name]!;
    utf8(name);
    utf8(value.DataType ?? '');
    if (value.StringValue !== undefined) {
      hash.update(Uint8Array.of(1));
      utf8(value.StringValue);
    } else if (value.BinaryValue !== undefined) {
      hash.update(Uint8Array.of(2));
      lengthPrefixed(value.BinaryValue);
    } else if (value.StringListValues?.length) {
      hash.update(Uint8Array.of(3));
      value.StringListValues.forEach(utf8);
    } else if (value.BinaryListValues?.length) {
      hash.update(Uint8Array.of(4));
      value.BinaryListValues.forEach(lengthPrefixed);
    }
  }
  return hash.digest('hex');
}

export async function startSqsEmulator(options: {
  host: string;
  port: number;
  queues: SqsQueueOptions[];
}): Promise<RunningSqs> {
  const queues = createQueues(options.queues);
  const queuesByArn = new Map([...queues.values()].map((q) => [q.arn, q]));
  const callCounts: Record<string, number> = {};
  let baseUrl = '';
  let closed = false;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error(`[local-sqs] ${req.headers['x-amz-target'] ?? req.url}: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendError(res, new SqsError('InternalError', 'Internal error'));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_REQUEST_BYTES);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : 'unknown';
    callCounts[operation] = (callCounts[operation] ?? 0) + 1;
    try {
      const run = operations.get(operation);
      if (req.method !== 'POST' || !run) {
        throw new SqsError('UnsupportedOperation', `The local SQS emulator does not support ${req.method} ${target || '(no x-amz-target)'}.`);
      }
      if (body === 'too_large') throw invalidParameter(`Request body exceeds ${MAX_REQUEST_BYTES} bytes.`);
      return reply(res, 200, await run(parseJson(body), req, res));
    } catch (error) {
      if (error instanceof SqsError) return sendError(res, error);
      throw error;
    }
  }

  type Operation = (input: Json, req: IncomingMessage, res: ServerResponse) => unknown;
  const operations = new Map<string, Operation>([
    ['GetQueueUrl', (input) => {
      const queue = queues.get(requiredString(input, 'QueueName'));
      const owner = optionalString(input, 'QueueOwnerAWSAccountId');
      if (!queue || (owner !== undefined && owner !== ACCOUNT_ID)) throw queueDoesNotExist();
      return { QueueUrl: urlOf(queue) };
    }],

    ['SendMessage', (input, req) => {
      const queue = queueOf(input);
      const message = prepareMessage(queue, input, senderOf(req), Date.now());
      enqueue(queue, message);
      return sendResult(message);
    }],

    ['SendMessageBatch', (input, req) => {
      const queue = queueOf(input);
      const now = Date.now();
      const sender = senderOf(req);
      const results = batchEntries(input).map((entry) => {
        try {
          return { entry, message: prepareMessage(queue, entry, sender, now) };
        } catch (error) {
          if (error instanceof SqsError) return { entry, error };
          throw error;
        }
      });
      // AWS rejects the whole batch, before storing anything, when the messages add up to too much.
      const total = results.reduce(
        (sum, r) => sum + (r.message ? messageBytes(r.message) : Buffer.byteLength(String(r.entry.MessageBody ?? ''))),
        0,
      );
      if (total > MAX_MESSAGE_BYTES) {
        throw new SqsError('BatchRequestTooLong', `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`);
      }
      const Successful: Json[] = [];
      const Failed: Json[] = [];
      for (const r of results) {
        if (r.message) {
          enqueue(queue, r.message);
          Successful.push({ Id: r.entry.Id, ...sendResult(r.message) });
        } else {
          Failed.push(batchFailure(String(r.entry.Id), r.error));
        }
      }
      return { Successful, Failed };
    }],

    ['ReceiveMessage', async (input, _req, res) => {
      const queue = queueOf(input);
      const max = optionalInt(input, 'MaxNumberOfMessages', 1, MAX_BATCH_ENTRIES) ?? 1;
      const visibility = optionalInt(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS) ?? queue.visibilityTimeoutSeconds;
      const wait = optionalInt(input, 'WaitTimeSeconds', 0, MAX_WAIT_SECONDS) ?? 0;
      // AttributeNames is the deprecated spelling of MessageSystemAttributeNames; the SDK may send either.
      const systemNames = new Set([...stringList(input, 'AttributeNames'), ...stringList(input, 'MessageSystemAttributeNames')]);
      const attributeNames = stringList(input, 'MessageAttributeNames');
      const messages = await receive(queue, max, visibility, Date.now() + wait * 1000, res);
      if (messages.length === 0) return {};
      return { Messages: messages.map((m) => toWireMessage(m, systemNames, attributeNames)) };
    }],

    ['DeleteMessage', (input) => {
      deleteMessage(queueOf(input), requiredString(input, 'ReceiptHandle'));
      return {};
    }],

    ['DeleteMessageBatch', (input) => {
      const queue = queueOf(input);
      return forEachEntry(input, (entry) => deleteMessage(queue, requiredString(entry, 'ReceiptHandle')));
    }],

    ['ChangeMessageVisibility', (input) => {
      const timeout = requiredInt(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS);
      changeVisibility(queueOf(input), requiredString(input, 'ReceiptHandle'), timeout);
      return {};
    }],

    ['ChangeMessageVisibilityBatch', (input) => {
      const queue = queueOf(input);
      return forEachEntry(input, (entry) =>
        changeVisibility(queue, requiredString(entry, 'ReceiptHandle'), requiredInt(entry, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS)),
      );
    }],

    ['GetQueueAttributes', (input) => {
      const queue = queueOf(input);
      const available = queueAttributes(queue);
      const picked: Record<string, string> = {};
      for (const name of stringList(input, 'AttributeNames')) {
        if (name === 'All') Object.assign(picked, available);
        else if (!QUEUE_ATTRIBUTE_NAMES.has(name)) throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
        else if (available[name] !== undefined) picked[name] = available[name];
      }
      return Object.keys(picked).length > 0 ? { Attributes: picked } : {};
    }],

    ['PurgeQueue', (input) => {
      const queue = queueOf(input);
      const now = Date.now();
      if (queue.lastPurgeAt !== undefined && now - queue.lastPurgeAt < PURGE_INTERVAL_MS) {
        throw new SqsError('PurgeQueueInProgress', `Only one PurgeQueue operation on ${queue.name} is allowed every 60 seconds.`);
      }
      queue.lastPurgeAt = now;
      queue.messages.clear();
      return {};
    }],

    ['StartMessageMoveTask', (input) => {
      const source = queueByArn(requiredString(input, 'SourceArn'), 'SourceArn');
      const destinationArn = optionalString(input, 'DestinationArn');
      const destination = destinationArn === undefined ? undefined : queueByArn(destinationArn, 'DestinationArn');
      optionalInt(input, 'MaxNumberOfMessagesPerSecond', 1, 500);
      if (![...queues.values()].some((q) => q.redrive?.target === source)) {
        throw invalidParameter('Source queue must be configured as a Dead Letter Queue.');
      }
      const now = Date.now();
      const task: MoveTask = { sourceArn: source.arn, moved: 0, startedAt: now, ...(destinationArn ? { destinationArn } : {}) };
      for (const message of [...source.messages.values()]) {
        if (message.hiddenUntil > now) continue; // in flight (a consumer holds it) or delayed
        const target = destination ?? (message.deadLetterSourceArn ? queuesByArn.get(message.deadLetterSourceArn) : undefined);
        if (!target) continue;
        source.messages.delete(message.id);
        const { receipt: _receipt, firstReceivedAt: _first, deadLetterSourceArn: _origin, ...content } = message;
        enqueue(target, { ...content, id: randomUUID(), sentAt: now, hiddenUntil: now, receiveCount: 0 });
        task.moved++;
      }
      source.moveTasks.unshift(task);
      const taskHandle = Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn: source.arn })).toString('base64');
      return { TaskHandle: taskHandle };
    }],

    ['ListMessageMoveTasks', (input) => {
      const source = queueByArn(requiredString(input, 'SourceArn'), 'SourceArn');
      const max = optionalInt(input, 'MaxResults', 1, 10) ?? 1;
      return {
        Results: source.moveTasks.slice(0, max).map((t) => ({
          Status: 'COMPLETED',
          SourceArn: t.sourceArn,
          ...(t.destinationArn ? { DestinationArn: t.destinationArn } : {}),
          ApproximateNumberOfMessagesMoved: t.moved,
          ApproximateNumberOfMessagesToMove: t.moved,
          StartedTimestamp: t.startedAt,
        })),
      };
    }],
  ]);

  /** The queue a request's QueueUrl names (by its path: AWS also accepts several host names). */
  function queueOf(input: Json): Queue {
    let path: string;
    try {
      path = new URL(requiredString(input, 'QueueUrl')).pathname;
    } catch (error) {
      if (error instanceof SqsError) throw error;
      throw queueDoesNotExist();
    }
    const [, account, name, ...rest] = path.split('/');
    const queue = account === ACCOUNT_ID && rest.length === 0 && name ? queues.get(name) : undefined;
    if (!queue) throw queueDoesNotExist();
    expire(queue, Date.now());
    return queue;
  }

  function queueByArn(arn: string, field: string): Queue {
    const queue = queuesByArn.get(arn);
    if (!queue) throw new SqsError('ResourceNotFoundException', `The resource that you specified for the ${field} parameter doesn't exist.`);
    return queue;
  }

  function urlOf(queue: Queue): string {
    return `${baseUrl}/${ACCOUNT_ID}/${queue.name}`;
  }

  function enqueue(queue: Queue, message: StoredMessage): void {
    queue.messages.set(message.id, message);
    notify(queue);
  }

  /** Waits until a message is visible (then takes it) or the deadline passes. */
  async function receive(queue: Queue, max: number, visibilitySeconds: number, deadline: number, res: ServerResponse): Promise<StoredMessage[]> {
    for (;;) {
      // A client that hung up must not take messages: they would sit in flight for nobody.
      if (res.destroyed || closed) return [];
      const taken = take(queue, max, visibilitySeconds, Date.now());
      if (taken.length > 0 || Date.now() >= deadline) return taken;
      await changeOrTimeout(queue, deadline, res);
    }
  }

  function changeOrTimeout(queue: Queue, deadline: number, res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        queue.waiters.delete(wake);
        res.off('close', wake);
        resolve();
      };
      // Also wake when a delayed or in-flight message becomes visible: nothing else announces that.
      const timer = setTimeout(wake, Math.max(0, Math.min(deadline, nextVisibleAt(queue)) - Date.now()));
      queue.waiters.add(wake);
      res.once('close', wake);
    });
  }

  function take(queue: Queue, max: number, visibilitySeconds: number, now: number): StoredMessage[] {
    expire(queue, now);
    const taken: StoredMessage[] = [];
    for (const message of queue.messages.values()) {
      if (taken.length === max) break;
      if (message.hiddenUntil > now) continue;
      if (queue.redrive && message.receiveCount >= queue.redrive.maxReceiveCount) {
        deadLetter(queue, queue.redrive.target, message, now);
        continue;
      }
      message.receiveCount++;
      message.firstReceivedAt ??= now;
      message.receipt = { handle: receiptHandle(queue, message), receivedAt: now };
      message.hiddenUntil = now + visibilitySeconds * 1000;
      taken.push(message);
    }
    return taken;
  }

  function deadLetter(source: Queue, target: Queue, message: StoredMessage, now: number): void {
    source.messages.delete(message.id);
    const { receipt: _receipt, ...rest } = message;
    enqueue(target, { ...rest, hiddenUntil: now, deadLetterSourceArn: source.arn });
  }

  function deleteMessage(queue: Queue, handle: string): void {
    const message = queue.messages.get(messageIdOf(queue, handle));
    // An older handle "succeeds, but the message might not be deleted" (AWS); here it never is.
    if (message?.receipt?.handle === handle) queue.messages.delete(message.id);
  }

  function changeVisibility(queue: Queue, handle: string, timeoutSeconds: number): void {
    const now = Date.now();
    const message = queue.messages.get(messageIdOf(queue, handle));
    if (!message?.receipt || message.receipt.handle !== handle) {
      throw invalidParameter(`Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`);
    }
    if (message.hiddenUntil <= now) {
      throw new SqsError('MessageNotInflight', 'Message does not exist or is not available for visibility timeout change.');
    }
    // A received message stays hidden 12 hours at most, counted from the receive.
    if (now + timeoutSeconds * 1000 > message.receipt.receivedAt + MAX_VISIBILITY_SECONDS * 1000) {
      throw invalidParameter(
        `Value ${timeoutSeconds} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [${MAX_VISIBILITY_SECONDS} seconds]`,
      );
    }
    message.hiddenUntil = now + timeoutSeconds * 1000;
    if (timeoutSeconds === 0) notify(queue);
  }

  function queueAttributes(queue: Queue): Record<string, string> {
    const depth = depthOf(queue, Date.now());
    return {
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(depth.visible),
      ApproximateNumberOfMessagesNotVisible: String(depth.inFlight),
      ApproximateNumberOfMessagesDelayed: String(depth.delayed),
      CreatedTimestamp: String(queue.createdAt),
      LastModifiedTimestamp: String(queue.createdAt),
      VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
      DelaySeconds: String(queue.delaySeconds),
      MessageRetentionPeriod: String(queue.retentionSeconds),
      MaximumMessageSize: String(MAX_MESSAGE_BYTES),
      ReceiveMessageWaitTimeSeconds: '0',
      ...(queue.redrive
        ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queue.redrive.target.arn, maxReceiveCount: queue.redrive.maxReceiveCount }) }
        : {}),
    };
  }

  function knownQueue(name: string): Queue {
    const queue = queues.get(name);
    if (!queue) throw new Error(`No queue named ${name}`);
    return queue;
  }

  const running = await listen(server, options.host, options.port, async () => {
    closed = true;
    for (const queue of queues.values()) notify(queue); // pending long polls answer empty
  });
  baseUrl = running.url;
  return {
    url: running.url,
    port: running.port,
    queueUrl: (name) => urlOf(knownQueue(name)),
    depth: (name) => {
      const queue = knownQueue(name);
      expire(queue, Date.now());
      return depthOf(queue, Date.now());
    },
    calls: () => ({ ...callCounts }),
    close: running.close,
  };
}

function createQueues(definitions: SqsQueueOptions[]): Map<string, Queue> {
  const queues = new Map<string, Queue>();
  const createdAt = Math.floor(Date.now() / 1000);
  const inRange = (name: string, field: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`Queue ${name}: ${field} must be an integer from ${min} to ${max}`);
    return value;
  };
  for (const d of definitions) {
    if (!QUEUE_NAME.test(d.name)) throw new Error(`Invalid queue name ${d.name}: 1-80 of [A-Za-z0-9_-] (FIFO queues are not emulated)`);
    if (queues.has(d.name)) throw new Error(`Queue ${d.name} is defined twice`);
    queues.set(d.name, {
      name: d.name,
      arn: `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${d.name}`,
      visibilityTimeoutSeconds: inRange(d.name, 'visibilityTimeoutSeconds', d.visibilityTimeoutSeconds ?? 30, 0, MAX_VISIBILITY_SECONDS),
      delaySeconds: inRange(d.name, 'delaySeconds', d.delaySeconds ?? 0, 0, MAX_DELAY_SECONDS),
      retentionSeconds: inRange(d.name, 'messageRetentionSeconds', d.messageRetentionSeconds ?? 345_600, 60, 1_209_600),
      createdAt,
      messages: new Map(),
      waiters: new Set(),
      moveTasks: [],
    });
  }
  for (const d of definitions) {
    if (!d.redrive) continue;
    const target = queues.get(d.redrive.deadLetterQueueName);
    if (!target || target.name === d.name) throw new Error(`Queue ${d.name}: dead-letter queue ${d.redrive.deadLetterQueueName} is not another defined queue`);
    queues.get(d.name)!.redrive = { target, maxReceiveCount: inRange(d.name, 'maxReceiveCount', d.redrive.maxReceiveCount, 1, 1000) };
  }
  return queues;
}

/** Validates one message of SendMessage or of a SendMessageBatch entry, and builds it (not yet stored). */
function prepareMessage(queue: Queue, input: Json, senderId: string, now: number): StoredMessage {
  const body = requiredString(input, 'MessageBody');
  if (body.length === 0) throw invalidParameter('One or more parameters are invalid. Reason: Message must be at least one character.');
  if (INVALID_CHARACTERS.test(body)) throw invalidContents();
  const delaySeconds = optionalInt(input, 'DelaySeconds', 0, MAX_DELAY_SECONDS) ?? queue.delaySeconds;
  if (input.MessageDeduplicationId !== undefined) {
    throw invalidParameter(
      `Value ${String(input.MessageDeduplicationId)} for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.`,
    );
  }
  const groupId = optionalString(input, 'MessageGroupId');
  const attributes = parseAttributes(input.MessageAttributes, 'message (user)');
  const system = parseAttributes(input.MessageSystemAttributes, 'message system');
  for (const [name, value] of Object.entries(system)) {
    if (name !== 'AWSTraceHeader' || value.DataType !== 'String') {
      throw invalidParameter(`Message system attribute '${name}' is invalid: only AWSTraceHeader, of type String, can be sent.`);
    }
  }
  const message: StoredMessage = {
    id: randomUUID(),
    body,
    md5OfBody: createHash('md5').update(body, 'utf8').digest('hex'),
    attributes,
    ...(system.AWSTraceHeader?.StringValue !== undefined ? { traceHeader: system.AWSTraceHeader.StringValue } : {}),
    ...(groupId !== undefined ? { groupId } : {}),
    senderId,
    sentAt: now,
    hiddenUntil: now + delaySeconds * 1000,
    receiveCount: 0,
  };
  if (messageBytes(message) > MAX_MESSAGE_BYTES) {
    throw invalidParameter(`One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`);
  }
  return message;
}

/** Wire attributes (binary as base64) to stored ones, with SQS's rules on names, types and values. */
function parseAttributes(raw: unknown, kind: string): Attributes {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw invalidParameter(`The ${kind} attributes must be a map.`);
  const entries = Object.entries(raw);
  if (entries.length > MAX_ATTRIBUTES) {
    throw invalidParameter(`Number of ${kind} attributes [${entries.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`);
  }
  const attributes: Attributes = {};
  for (const [name, value] of entries) {
    if (!ATTRIBUTE_NAME.test(name) || /^(aws|amazon)\./i.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
      throw invalidParameter(`The ${kind} attribute name '${name}' is invalid.`);
    }
    const dataType = isObject(value) ? value.DataType : undefined;
    if (typeof dataType !== 'string' || dataType.length === 0) {
      throw invalidParameter(`The ${kind} attribute '${name}' must contain a non-empty attribute type.`);
    }
    // A custom label may follow the type: `Number.int`, `Binary.png`.
    const base = /^(String|Number|Binary)(\..+)?$/.exec(dataType)?.[1];
    if (!base || dataType.length > 256) {
      throw invalidParameter(`The type of ${kind} attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
    }
    if (base === 'Binary') {
      const encoded = (value as Json).BinaryValue;
      if (typeof encoded !== 'string' || encoded.length === 0) {
        throw invalidParameter(`The ${kind} attribute '${name}' with type 'Binary' must use field 'Binary'.`);
      }
      attributes[name] = { DataType: dataType, BinaryValue: Buffer.from(encoded, 'base64') };
      continue;
    }
    const text = (value as Json).StringValue;
    if (typeof text !== 'string' || text.length === 0) {
      throw invalidParameter(`The ${kind} attribute '${name}' with type '${base}' must use field 'String'.`);
    }
    if (INVALID_CHARACTERS.test(text)) throw invalidContents();
    if (base === 'Number' && !NUMBER.test(text)) throw invalidParameter(`Can't cast the value of ${kind} attribute '${name}' to a number.`);
    attributes[name] = { DataType: dataType, StringValue: text };
  }
  return attributes;
}

function invalidContents(): SqsError {
  return new SqsError(
    'InvalidMessageContents',
    'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
  );
}

/** What counts against the size limit: the body plus each attribute's name, type and value. */
function messageBytes(message: StoredMessage): number {
  let bytes = Buffer.byteLength(message.body);
  for (const [name, value] of Object.entries(message.attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    bytes += value.BinaryValue ? value.BinaryValue.length : Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

function sendResult(message: StoredMessage): Json {
  return {
    MessageId: message.id,
    MD5OfMessageBody: message.md5OfBody,
    ...(Object.keys(message.attributes).length > 0 ? { MD5OfMessageAttributes: md5OfMessageAttributes(message.attributes) } : {}),
    ...(message.traceHeader !== undefined ? { MD5OfMessageSystemAttributes: md5OfMessageAttributes(traceAttribute(message.traceHeader)) } : {}),
  };
}

function traceAttribute(traceHeader: string): Attributes {
  return { AWSTraceHeader: { DataType: 'String', StringValue: traceHeader } };
}

function toWireMessage(message: StoredMessage, systemNames: Set<string>, attributeNames: string[]): Json {
  const wanted = (name: string) => systemNames.has('All') || systemNames.has(name);
  const system: Record<string, string | undefined> = {
    SenderId: message.senderId,
    SentTimestamp: String(message.sentAt),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
    AWSTraceHeader: message.traceHeader,
    DeadLetterQueueSourceArn: message.deadLetterSourceArn,
    MessageGroupId: message.groupId,
  };
  const attributes = Object.fromEntries(Object.entries(system).filter(([name, value]) => value !== undefined && wanted(name)));
  const selected = selectAttributes(message.attributes, attributeNames);
  const hasSelected = Object.keys(selected).length > 0;
  return {
    MessageId: message.id,
    ReceiptHandle: message.receipt?.handle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
    ...(hasSelected ? { MD5OfMessageAttributes: md5OfMessageAttributes(selected), MessageAttributes: toWireAttributes(selected) } : {}),
  };
}

/** MessageAttributeNames: exact names, `All` or `.*` for every attribute, `prefix.*` for those starting `prefix.`. */
function selectAttributes(attributes: Attributes, names: string[]): Attributes {
  const matches = (name: string) =>
    names.some((pattern) => pattern === 'All' || pattern === '.*' || pattern === name || (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))));
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => matches(name)));
}

function toWireAttributes(attributes: Attributes): Json {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, v]) => [
      name,
      v.BinaryValue ? { DataType: v.DataType, BinaryValue: Buffer.from(v.BinaryValue).toString('base64') } : { DataType: v.DataType, StringValue: v.StringValue },
    ]),
  );
}

/** Batch-level validation shared by the three batch operations. */
function batchEntries(input: Json): Json[] {
  const entries = input.Entries;
  if (entries !== undefined && !Array.isArray(entries)) throw invalidParameter('Entries must be a list.');
  if (!entries || entries.length === 0) throw new SqsError('EmptyBatchRequest', 'There should be at least one entry in the request.');
  if (entries.length > MAX_BATCH_ENTRIES) {
    throw new SqsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`);
  }
  const ids = new Set<string>();
  for (const entry of entries) {
    const id = isObject(entry) ? entry.Id : undefined;
    if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) {
      throw new SqsError('InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
    }
    if (ids.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    ids.add(id);
  }
  return entries as Json[];
}

/** Applies `action` to each entry; a failing entry is reported in `Failed` and does not stop the others. */
function forEachEntry(input: Json, action: (entry: Json) => void): { Successful: Json[]; Failed: Json[] } {
  const Successful: Json[] = [];
  const Failed: Json[] = [];
  for (const entry of batchEntries(input)) {
    try {
      action(entry);
      Successful.push({ Id: entry.Id });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      Failed.push(batchFailure(String(entry.Id), error));
    }
  }
  return { Successful, Failed };
}

function batchFailure(id: string, error: SqsError): Json {
  return { Id: id, SenderFault: error.status < 500, Code: error.queryCode, Message: error.message };
}

/** Receipt handles name the queue and the message, plus a nonce that makes each receive's handle unique. */
function receiptHandle(queue: Queue, message: StoredMessage): string {
  return Buffer.from(`${queue.name}/${message.id}/${randomUUID()}`).toString('base64');
}

function messageIdOf(queue: Queue, handle: string): string {
  const [queueName, messageId, nonce, ...rest] = Buffer.from(handle, 'base64').toString('utf8').split('/');
  if (queueName !== queue.name || !messageId || !nonce || rest.length > 0) {
    throw new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`);
  }
  return messageId;
}

function expire(queue: Queue, now: number): void {
  for (const message of queue.messages.values()) {
    if (now >= message.sentAt + queue.retentionSeconds * 1000) queue.messages.delete(message.id);
  }
}

function depthOf(queue: Queue, now: number): QueueDepth {
  const depth: QueueDepth = { visible: 0, inFlight: 0, delayed: 0 };
  for (const message of queue.messages.values()) {
    if (message.hiddenUntil <= now) depth.visible++;
    else if (message.receiveCount === 0) depth.delayed++;
    else depth.inFlight++;
  }
  return depth;
}

function nextVisibleAt(queue: Queue): number {
  const now = Date.now();
  let next = Infinity;
  for (const message of queue.messages.values()) {
    if (message.hiddenUntil > now && message.hiddenUntil < next) next = message.hiddenUntil;
  }
  return next;
}

function notify(queue: Queue): void {
  for (const wake of [...queue.waiters]) wake();
}

/** The access key id from the SigV4 credential scope (`Credential=AKID/date/region/sqs/aws4_request`). */
function senderOf(req: IncomingMessage): string {
  return /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? ACCOUNT_ID;
}

function parseJson(body: Buffer): Json {
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw new SqsError('SerializationException', 'The request body is not valid JSON.');
  }
  if (!isObject(parsed)) throw new SqsError('SerializationException', 'The request body must be a JSON object.');
  return parsed;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(input: Json, field: string): string {
  const value = input[field];
  if (value === undefined) throw new SqsError('MissingParameter', `The request must contain the parameter ${field}.`);
  if (typeof value !== 'string') throw invalidParameter(`Value for parameter ${field} must be a string.`);
  return value;
}

function optionalString(input: Json, field: string): string | undefined {
  return input[field] === undefined ? undefined : requiredString(input, field);
}

function optionalInt(input: Json, field: string, min: number, max: number): number | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw outOfRange(field, value, min, max);
  return value;
}

function requiredInt(input: Json, field: string, min: number, max: number): number {
  const value = optionalInt(input, field, min, max);
  if (value === undefined) throw new SqsError('MissingParameter', `The request must contain the parameter ${field}.`);
  return value;
}

function stringList(input: Json, field: string): string[] {
  const value = input[field];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw invalidParameter(`Value for parameter ${field} must be a list of strings.`);
  }
  return value;
}

function reply(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return; // the client hung up (an abandoned long poll)
  // Not sendJson from http-gateway: SQS answers with the AWS JSON content type, not application/json.
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    ...headers,
    'x-amzn-requestid': randomUUID(),
    'content-type': JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function sendError(res: ServerResponse, error: SqsError): void {
  const fault = error.status >= 500 ? 'Receiver' : 'Sender';
  reply(res, error.status, { __type: `com.amazonaws.sqs#${error.shape}`, message: error.message }, { 'x-amzn-query-error': `${error.queryCode};${fault}` });
}
