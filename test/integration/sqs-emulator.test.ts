/**
 * The local SQS emulator driven by the real `@aws-sdk/client-sqs` client (checksum validation on,
 * as by default), and the local event source mapping (queue poller) on top of it. Raw HTTP appears
 * only where the wire protocol itself is under test.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import {
  BatchEntryIdsNotDistinct,
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  EmptyBatchRequest,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  InvalidAttributeName,
  InvalidMessageContents,
  ListMessageMoveTasksCommand,
  MessageNotInflight,
  PurgeQueueCommand,
  PurgeQueueInProgress,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  ResourceNotFoundException,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  SQSServiceException,
  StartMessageMoveTaskCommand,
  TooManyEntriesInBatchRequest,
  UnsupportedOperation,
  type Message,
  type MessageAttributeValue,
  type ReceiveMessageCommandOutput,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  type SendMessageCommandInput,
  type SendMessageCommandOutput,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { freePort } from '../../infra/local/free-port.js';
import { md5OfMessageAttributes, startSqsEmulator, type RunningSqs } from '../../infra/local/sqs-emulator.js';
import { startQueuePoller, type QueuePollerOptions, type RunningQueuePoller } from '../../infra/local/queue-poller.js';

const HOST = '127.0.0.1';
const arn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

async function waitFor(probe: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * The JS SDK checks body MD5s only. This adds the attribute check that the Java SDK's
 * MessageMD5ChecksumInterceptor makes, so that every call in this file also checks
 * `MD5OfMessageAttributes`: on sends against the attributes sent, on receives against the
 * attributes returned.
 */
function checkAttributeMd5s(client: SQSClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const mismatches: string[] = [];
      const check = (attributes: Record<string, MessageAttributeValue> | undefined, returned: string | undefined, what: string) => {
        if (attributes && Object.keys(attributes).length > 0 && md5OfMessageAttributes(attributes) !== returned) mismatches.push(what);
      };
      if (context.commandName === 'SendMessageCommand') {
        check((args.input as SendMessageCommandInput).MessageAttributes, (result.output as SendMessageCommandOutput).MD5OfMessageAttributes, 'SendMessage');
      } else if (context.commandName === 'SendMessageBatchCommand') {
        const entries = (args.input as SendMessageBatchCommandInput).Entries ?? [];
        for (const ok of (result.output as SendMessageBatchCommandOutput).Successful ?? []) {
          check(entries.find((e) => e.Id === ok.Id)?.MessageAttributes, ok.MD5OfMessageAttributes, `SendMessageBatch ${ok.Id}`);
        }
      } else if (context.commandName === 'ReceiveMessageCommand') {
        for (const m of (result.output as ReceiveMessageCommandOutput).Messages ?? []) {
          check(m.MessageAttributes, m.MD5OfMessageAttributes, `ReceiveMessage ${m.MessageId}`);
        }
      }
      if (mismatches.length > 0) throw new Error(`MD5OfMessageAttributes mismatch: ${mismatches.join(', ')}`);
      return result;
    },
    { step: 'initialize', name: 'checkMessageAttributeMd5' },
  );
}

function clientFor(endpoint: string): SQSClient {
  const client = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  checkAttributeMd5s(client);
  return client;
}

let sqs: RunningSqs;
let client: SQSClient;
const url = (name: string) => sqs.queueUrl(name);

beforeAll(async () => {
  sqs = await startSqsEmulator({
    host: HOST,
    port: await freePort(HOST),
    queues: [
      { name: 'roundtrip' },
      { name: 'batch' },
      { name: 'delayed' },
      { name: 'visibility', visibilityTimeoutSeconds: 1 },
      { name: 'orders-dlq' },
      { name: 'orders', redrive: { deadLetterQueueName: 'orders-dlq', maxReceiveCount: 2 } },
      { name: 'orders-replay' },
      { name: 'longpoll' },
      { name: 'purge' },
      { name: 'events' },
      { name: 'partial', visibilityTimeoutSeconds: 1 },
      { name: 'poison-dlq' },
      { name: 'poison', visibilityTimeoutSeconds: 1, redrive: { deadLetterQueueName: 'poison-dlq', maxReceiveCount: 2 } },
      { name: 'concurrent' },
      { name: 'stoppable' },
    ],
  });
  client = clientFor(sqs.url);
});

afterAll(async () => {
  client?.destroy();
  await sqs?.close();
});

async function receiveOne(queue: string, extra: { VisibilityTimeout?: number; WaitTimeSeconds?: number } = {}): Promise<Message | undefined> {
  const { Messages } = await client.send(
    new ReceiveMessageCommand({ QueueUrl: url(queue), MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'], ...extra }),
  );
  return Messages?.[0];
}

describe('sqs emulator: wire protocol and errors', () => {
  it('answers errors in the AWS JSON 1.0 shape, with the query-compatible error header', async () => {
    const response = await fetch(sqs.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.GetQueueUrl' },
      body: JSON.stringify({ QueueName: 'missing' }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(response.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    expect(await response.json()).toEqual({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' });
  });

  it('makes the SDK raise QueueDoesNotExist for an unknown queue name or URL', async () => {
    const byName = await rejection(client.send(new GetQueueUrlCommand({ QueueName: 'missing' })));
    expect(byName).toBeInstanceOf(QueueDoesNotExist);
    expect((byName as QueueDoesNotExist).$metadata.httpStatusCode).toBe(400);
    // The query-protocol code that code written against older SDKs compares.
    expect((byName as QueueDoesNotExist & { Code?: string }).Code).toBe('AWS.SimpleQueueService.NonExistentQueue');

    const byUrl = await rejection(client.send(new SendMessageCommand({ QueueUrl: `${sqs.url}/000000000000/missing`, MessageBody: 'x' })));
    expect(byUrl).toBeInstanceOf(QueueDoesNotExist);
    const otherAccount = await rejection(client.send(new GetQueueUrlCommand({ QueueName: 'roundtrip', QueueOwnerAWSAccountId: '111111111111' })));
    expect(otherAccount).toBeInstanceOf(QueueDoesNotExist);
  });

  it('names unmodelled errors after their query code, and maps modelled ones to their classes', async () => {
    const delay = await rejection(client.send(new SendMessageCommand({ QueueUrl: url('roundtrip'), MessageBody: 'x', DelaySeconds: 901 })));
    expect(delay).toBeInstanceOf(SQSServiceException);
    expect((delay as SQSServiceException).name).toBe('InvalidParameterValue');

    const nul = await rejection(client.send(new SendMessageCommand({ QueueUrl: url('roundtrip'), MessageBody: 'bad \u0000 byte' })));
    expect(nul).toBeInstanceOf(InvalidMessageContents);
    const attribute = await rejection(client.send(new GetQueueAttributesCommand({ QueueUrl: url('roundtrip'), AttributeNames: ['Bogus' as never] })));
    expect(attribute).toBeInstanceOf(InvalidAttributeName);
    // Queues are fixed at start-up: the control plane is not emulated.
    expect(await rejection(client.send(new CreateQueueCommand({ QueueName: 'new' })))).toBeInstanceOf(UnsupportedOperation);
    expect(sqs.depth('roundtrip')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});

describe('sqs emulator: messages', () => {
  it('sends, receives and deletes a message, with body and attribute checksums', async () => {
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: 'roundtrip' }));
    expect(QueueUrl).toBe(`http://${HOST}:${sqs.port}/000000000000/roundtrip`);

    const body = 'héllo 👋 — \u{10FFFF} {"json": true}';
    const attributes: Record<string, MessageAttributeValue> = {
      tenant: { DataType: 'String', StringValue: 'acme' },
      attempt: { DataType: 'Number.int', StringValue: '3' },
      blob: { DataType: 'Binary', BinaryValue: Uint8Array.of(0, 1, 254, 255) },
      note: { DataType: 'String', StringValue: 'ünïcödé' },
    };
    const before = Date.now();
    const sent = await client.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageAttributes: attributes }));
    expect(sent.MessageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sent.MD5OfMessageBody).toBe(md5(body));
    expect(sent.MD5OfMessageAttributes).toBe(md5OfMessageAttributes(attributes));

    const received = await receiveOne('roundtrip');
    expect(received).toMatchObject({ MessageId: sent.MessageId, Body: body, MD5OfBody: md5(body) });
    expect(received!.MessageAttributes).toEqual(attributes);
    expect(received!.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(received!.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: 'local' });
    expect(Number(received!.Attributes!.SentTimestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(received!.Attributes!.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(Number(received!.Attributes!.SentTimestamp));
    expect(sqs.depth('roundtrip')).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

    await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: received!.ReceiptHandle }));
    expect(sqs.depth('roundtrip')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('returns only the requested attributes, with the MD5 of those', async () => {
    const attributes: Record<string, MessageAttributeValue> = {
      'trace.id': { DataType: 'String', StringValue: 't-1' },
      'trace.span': { DataType: 'String', StringValue: 's-1' },
      kind: { DataType: 'String', StringValue: 'reply' },
    };
    await client.send(new SendMessageCommand({ QueueUrl: url('roundtrip'), MessageBody: 'filtered', MessageAttributes: attributes }));
    const { Messages } = await client.send(new ReceiveMessageCommand({ QueueUrl: url('roundtrip'), MessageAttributeNames: ['trace.*'] }));
    const [message] = Messages!;
    expect(Object.keys(message!.MessageAttributes!).sort()).toEqual(['trace.id', 'trace.span']);
    expect(message!.MD5OfMessageAttributes).toBe(md5OfMessageAttributes({ 'trace.id': attributes['trace.id']!, 'trace.span': attributes['trace.span']! }));
    expect(message!.Attributes).toBeUndefined(); // no system attributes asked for
    await client.send(new DeleteMessageCommand({ QueueUrl: url('roundtrip'), ReceiptHandle: message!.ReceiptHandle }));
  });

  it('computes attribute MD5s exactly as AWS does', async () => {
    // The Java SDK's own test vector (MessageMD5ChecksumInterceptorTest), covering all four transport types.
    expect(
      md5OfMessageAttributes({
        String: { DataType: 'String', StringValue: 'Value' },
        Binary: { DataType: 'Binary', BinaryValue: Uint8Array.of(5) },
        StringList: { DataType: 'String', StringListValues: ['ListValue'] },
        ByteList: { DataType: 'Binary', BinaryListValues: [Uint8Array.of(3)] },
      }),
    ).toBe('4b6959cf7735fdade89bc099b85b3234');
    // What Amazon SQS itself returned for this message (aws/aws-sdk-ruby#1885), end to end.
    const sent = await client.send(
      new SendMessageCommand({ QueueUrl: url('roundtrip'), MessageBody: '{"foo":20}', MessageAttributes: { baz: { DataType: 'String', StringValue: 'qux' } } }),
    );
    expect(sent.MD5OfMessageBody).toBe('d6cf0f93237ada70daf9b6e75cfff2e6');
    expect(sent.MD5OfMessageAttributes).toBe('16bd0283a5b4962721ccd3efe4bc6257');
    await client.send(new PurgeQueueCommand({ QueueUrl: url('roundtrip') }));
  });

  it('is checked by SDK validation that really is on: a wrong body MD5 fails the call', async () => {
    // A fake endpoint answering with a wrong checksum proves the passing tests above were validated.
    const fake = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const receive = String(req.headers['x-amz-target']).endsWith('ReceiveMessage');
        const payload = receive
          ? { Messages: [{ MessageId: 'm-1', ReceiptHandle: 'h', Body: 'hello', MD5OfBody: md5('tampered') }] }
          : { MessageId: 'm-1', MD5OfMessageBody: md5('tampered') };
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(payload));
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, HOST, resolve));
    const port = (fake.address() as { port: number }).port;
    const fakeClient = new SQSClient({ endpoint: `http://${HOST}:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const queueUrl = `http://${HOST}:${port}/000000000000/q`;
      expect(String(await rejection(fakeClient.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'hello' }))))).toContain('InvalidChecksumError');
      expect(String(await rejection(fakeClient.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }))))).toContain('Invalid MD5 checksum on messages: m-1');
    } finally {
      fakeClient.destroy();
      await new Promise((resolve) => fake.close(resolve));
    }
  });

  it('accepts the valid entries of a batch and reports the invalid one', async () => {
    const result = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: url('batch'),
        Entries: [
          { Id: 'first', MessageBody: 'one', MessageAttributes: { n: { DataType: 'Number', StringValue: '1' } } },
          { Id: 'too-late', MessageBody: 'two', DelaySeconds: 1_000 },
          { Id: 'third', MessageBody: 'three' },
        ],
      }),
    );
    expect(result.Successful!.map((s) => s.Id)).toEqual(['first', 'third']);
    expect(result.Successful![0]!.MD5OfMessageBody).toBe(md5('one'));
    expect(result.Failed).toEqual([
      { Id: 'too-late', SenderFault: true, Code: 'InvalidParameterValue', Message: expect.stringContaining('DelaySeconds') as string },
    ]);
    expect(sqs.depth('batch').visible).toBe(2);

    const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' }));
    const cases: Array<[SendMessageBatchCommandInput['Entries'], unknown]> = [
      [entries(11), TooManyEntriesInBatchRequest],
      [[{ Id: 'same', MessageBody: 'a' }, { Id: 'same', MessageBody: 'b' }], BatchEntryIdsNotDistinct],
      [[], EmptyBatchRequest],
    ];
    for (const [Entries, errorClass] of cases) {
      expect(await rejection(client.send(new SendMessageBatchCommand({ QueueUrl: url('batch'), Entries })))).toBeInstanceOf(errorClass);
    }
    expect(sqs.depth('batch').visible).toBe(2); // the rejected batches stored nothing
  });

  it('changes visibility and deletes in batches, entry by entry', async () => {
    const { Messages } = await client.send(new ReceiveMessageCommand({ QueueUrl: url('batch'), MaxNumberOfMessages: 10 }));
    expect(Messages!.map((m) => m.Body).sort()).toEqual(['one', 'three']);
    const [one, three] = Messages!;
    const changed = await client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url('batch'),
        Entries: [
          { Id: 'ok', ReceiptHandle: one!.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'garbage', ReceiptHandle: 'garbage', VisibilityTimeout: 0 },
        ],
      }),
    );
    expect(changed.Successful).toEqual([{ Id: 'ok' }]);
    expect(changed.Failed).toEqual([expect.objectContaining({ Id: 'garbage', SenderFault: true, Code: 'ReceiptHandleIsInvalid' })]);
    expect(sqs.depth('batch')).toEqual({ visible: 1, inFlight: 1, delayed: 0 });

    const deleted = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url('batch'),
        Entries: [
          { Id: 'a', ReceiptHandle: one!.ReceiptHandle },
          { Id: 'b', ReceiptHandle: three!.ReceiptHandle },
        ],
      }),
    );
    expect(deleted.Successful!.map((e) => e.Id)).toEqual(['a', 'b']);
    expect(deleted.Failed).toEqual([]);
    expect(sqs.depth('batch')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('holds a delayed message back until its delay has passed', async () => {
    const sentAt = Date.now();
    await client.send(new SendMessageCommand({ QueueUrl: url('delayed'), MessageBody: 'later', DelaySeconds: 1 }));
    expect(sqs.depth('delayed')).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: url('delayed'), AttributeNames: ['All'] }));
    expect(Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesDelayed: '1' });
    expect(await receiveOne('delayed')).toBeUndefined();

    // A long poll wakes when the delay ends, without a new send.
    const message = await receiveOne('delayed', { WaitTimeSeconds: 5 });
    expect(message?.Body).toBe('later');
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(950);
    expect(Date.now() - sentAt).toBeLessThan(2_000);
  });

  it('redelivers after the visibility timeout, counting receives; old receipt handles no longer act', async () => {
    await client.send(new SendMessageCommand({ QueueUrl: url('visibility'), MessageBody: 'retry me' }));
    const first = await receiveOne('visibility');
    expect(first?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(await receiveOne('visibility')).toBeUndefined(); // hidden for 1 s

    const second = await receiveOne('visibility', { WaitTimeSeconds: 5 });
    expect(second).toMatchObject({ MessageId: first!.MessageId, Attributes: { ApproximateReceiveCount: '2' } });
    expect(second!.Attributes!.ApproximateFirstReceiveTimestamp).toBe(first!.Attributes!.ApproximateFirstReceiveTimestamp);
    expect(second!.ReceiptHandle).not.toBe(first!.ReceiptHandle);

    // As AWS documents: deleting with an older handle succeeds but does not delete.
    await client.send(new DeleteMessageCommand({ QueueUrl: url('visibility'), ReceiptHandle: first!.ReceiptHandle }));
    expect(sqs.depth('visibility')).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    const stale = await rejection(
      client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url('visibility'), ReceiptHandle: first!.ReceiptHandle, VisibilityTimeout: 0 })),
    );
    expect((stale as SQSServiceException).name).toBe('InvalidParameterValue');
    const garbage = await rejection(client.send(new DeleteMessageCommand({ QueueUrl: url('visibility'), ReceiptHandle: 'not-a-handle' })));
    expect(garbage).toBeInstanceOf(ReceiptHandleIsInvalid);
    const tooLong = await rejection(
      client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url('visibility'), ReceiptHandle: second!.ReceiptHandle, VisibilityTimeout: 43_201 })),
    );
    expect((tooLong as SQSServiceException).name).toBe('InvalidParameterValue');

    // Visibility 0 makes it receivable at once; a receive may override the queue's timeout.
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url('visibility'), ReceiptHandle: second!.ReceiptHandle, VisibilityTimeout: 0 }));
    const third = await receiveOne('visibility', { VisibilityTimeout: 0 });
    expect(third?.Attributes?.ApproximateReceiveCount).toBe('3');
    const notInFlight = await rejection(
      client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url('visibility'), ReceiptHandle: third!.ReceiptHandle, VisibilityTimeout: 10 })),
    );
    expect(notInFlight).toBeInstanceOf(MessageNotInflight);

    // The latest handle deletes even after its visibility lapsed.
    await client.send(new DeleteMessageCommand({ QueueUrl: url('visibility'), ReceiptHandle: third!.ReceiptHandle }));
    expect(sqs.depth('visibility')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('moves a message to the dead-letter queue when a receive would exceed maxReceiveCount, and redrives it back', async () => {
    const sent = await client.send(new SendMessageCommand({ QueueUrl: url('orders'), MessageBody: 'poison' }));
    expect((await receiveOne('orders', { VisibilityTimeout: 0 }))?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect((await receiveOne('orders', { VisibilityTimeout: 0 }))?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(await receiveOne('orders')).toBeUndefined(); // the third receive moved it instead
    expect(sqs.depth('orders')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(sqs.depth('orders-dlq')).toEqual({ visible: 1, inFlight: 0, delayed: 0 });

    const dead = await receiveOne('orders-dlq', { VisibilityTimeout: 0 });
    expect(dead).toMatchObject({
      MessageId: sent.MessageId,
      Body: 'poison',
      Attributes: { ApproximateReceiveCount: '3', DeadLetterQueueSourceArn: arn('orders') },
    });

    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: url('orders'), AttributeNames: ['QueueArn', 'RedrivePolicy'] }));
    expect(Attributes!.QueueArn).toBe(arn('orders'));
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: arn('orders-dlq'), maxReceiveCount: 2 });

    // Redrive to the source queue: a new message id, a fresh receive count.
    const { TaskHandle } = await client.send(new StartMessageMoveTaskCommand({ SourceArn: arn('orders-dlq') }));
    expect(TaskHandle).toBeTruthy();
    expect(sqs.depth('orders-dlq').visible).toBe(0);
    const redriven = await receiveOne('orders');
    expect(redriven).toMatchObject({ Body: 'poison', Attributes: { ApproximateReceiveCount: '1' } });
    expect(redriven!.MessageId).not.toBe(sent.MessageId);
    expect(redriven!.Attributes!.DeadLetterQueueSourceArn).toBeUndefined();
    await client.send(new DeleteMessageCommand({ QueueUrl: url('orders'), ReceiptHandle: redriven!.ReceiptHandle }));

    const { Results } = await client.send(new ListMessageMoveTasksCommand({ SourceArn: arn('orders-dlq') }));
    expect(Results).toEqual([
      expect.objectContaining({ Status: 'COMPLETED', SourceArn: arn('orders-dlq'), ApproximateNumberOfMessagesMoved: 1 }),
    ]);
  });

  it('redrives to a DestinationArn, and only from a dead-letter queue', async () => {
    await client.send(new SendMessageCommand({ QueueUrl: url('orders-dlq'), MessageBody: 'replay me' }));
    await client.send(new StartMessageMoveTaskCommand({ SourceArn: arn('orders-dlq'), DestinationArn: arn('orders-replay') }));
    expect((await receiveOne('orders-replay'))?.Body).toBe('replay me');

    const notDlq = await rejection(client.send(new StartMessageMoveTaskCommand({ SourceArn: arn('orders') })));
    expect((notDlq as SQSServiceException).name).toBe('InvalidParameterValue');
    const unknown = await rejection(client.send(new StartMessageMoveTaskCommand({ SourceArn: arn('nowhere') })));
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
  });

  it('long polling returns as soon as a message arrives, and after WaitTimeSeconds when none does', async () => {
    const started = Date.now();
    const polling = receiveOne('longpoll', { WaitTimeSeconds: 10 });
    await sleep(200);
    await client.send(new SendMessageCommand({ QueueUrl: url('longpoll'), MessageBody: 'ping' }));
    expect((await polling)?.Body).toBe('ping');
    expect(Date.now() - started).toBeLessThan(1_000);

    const emptyStart = Date.now();
    expect(await receiveOne('longpoll', { WaitTimeSeconds: 1 })).toBeUndefined();
    expect(Date.now() - emptyStart).toBeGreaterThanOrEqual(950);
  });

  it('purges a queue, at most once a minute', async () => {
    await client.send(new SendMessageCommand({ QueueUrl: url('purge'), MessageBody: 'a' }));
    await client.send(new SendMessageCommand({ QueueUrl: url('purge'), MessageBody: 'b', DelaySeconds: 60 }));
    await client.send(new PurgeQueueCommand({ QueueUrl: url('purge') }));
    expect(sqs.depth('purge')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(await rejection(client.send(new PurgeQueueCommand({ QueueUrl: url('purge') })))).toBeInstanceOf(PurgeQueueInProgress);
  });
});

describe('queue poller (local SQS event source mapping)', () => {
  const pollers: RunningQueuePoller[] = [];
  const poll = async (queue: string, options: Omit<QueuePollerOptions, 'endpoint' | 'queueUrl'>) => {
    const poller = await startQueuePoller({ endpoint: sqs.url, queueUrl: url(queue), ...options });
    pollers.push(poller);
    return poller;
  };
  // Stopped after each test, so that the call counts of one test are its own poller's.
  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
  });

  it('invokes the handler with the event Lambda builds, and deletes the batch on success', async () => {
    const events: SQSEvent[] = [];
    const attributes: Record<string, MessageAttributeValue> = {
      channel: { DataType: 'String', StringValue: 'sms' },
      signature: { DataType: 'Binary', BinaryValue: Uint8Array.of(1, 2, 3) },
    };
    const sent = await client.send(new SendMessageCommand({ QueueUrl: url('events'), MessageBody: '{"to":"+15550100"}', MessageAttributes: attributes }));
    const deletesBefore = sqs.calls().DeleteMessageBatch ?? 0;
    const poller = await poll('events', { handler: async (event) => void events.push(event) });
    await poller.drain();

    expect(events).toHaveLength(1);
    const [record] = events[0]!.Records;
    expect(Object.keys(record!).sort()).toEqual(
      ['attributes', 'awsRegion', 'body', 'eventSource', 'eventSourceARN', 'md5OfBody', 'md5OfMessageAttributes', 'messageAttributes', 'messageId', 'receiptHandle'],
    );
    expect(record).toMatchObject({
      messageId: sent.MessageId,
      body: '{"to":"+15550100"}',
      md5OfBody: md5('{"to":"+15550100"}'),
      md5OfMessageAttributes: md5OfMessageAttributes(attributes),
      eventSource: 'aws:sqs',
      eventSourceARN: arn('events'),
      awsRegion: 'us-east-1',
      messageAttributes: {
        channel: { stringValue: 'sms', stringListValues: [], binaryListValues: [], dataType: 'String' },
        signature: { binaryValue: 'AQID', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
    });
    expect(typeof record!.receiptHandle).toBe('string');
    expect(Object.keys(record!.attributes).sort()).toEqual(['ApproximateFirstReceiveTimestamp', 'ApproximateReceiveCount', 'SenderId', 'SentTimestamp']);
    expect(record!.attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: 'local' });
    expect(record!.attributes.SentTimestamp).toMatch(/^\d{13}$/);

    expect(sqs.depth('events')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect((sqs.calls().DeleteMessageBatch ?? 0) - deletesBefore).toBe(1);
    expect(poller.stats()).toMatchObject({ batches: 1, received: 1, deleted: 1, failed: 0, handlerErrors: 0 });
  });

  it('with a partial batch response, deletes all but the reported failures', async () => {
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: url('partial'),
        Entries: ['ok-1', 'bad', 'ok-2'].map((body) => ({ Id: body, MessageBody: body })),
      }),
    );
    const bodies: string[][] = [];
    const poller = await poll('partial', {
      concurrency: 1,
      handler: async (event): Promise<SQSBatchResponse> => {
        bodies.push(event.Records.map((r) => r.body));
        return { batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({ itemIdentifier: r.messageId })) };
      },
    });
    await waitFor(() => poller.stats().deleted === 2 && poller.stats().running === 0, 'the first batch');
    await poller.stop();
    expect(bodies[0]).toEqual(['ok-1', 'bad', 'ok-2']);
    expect(poller.stats()).toMatchObject({ deleted: 2, failed: 1 });
    expect(sqs.depth('partial')).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

    const retried = await receiveOne('partial', { WaitTimeSeconds: 3 });
    expect(retried).toMatchObject({ Body: 'bad', Attributes: { ApproximateReceiveCount: '2' } });
    await client.send(new DeleteMessageCommand({ QueueUrl: url('partial'), ReceiptHandle: retried!.ReceiptHandle }));
  });

  it('treats a partial batch response naming an unknown message as a failure of the whole batch', async () => {
    await client.send(new SendMessageBatchCommand({ QueueUrl: url('partial'), Entries: [{ Id: 'a', MessageBody: 'a' }, { Id: 'b', MessageBody: 'b' }] }));
    const poller = await poll('partial', { concurrency: 1, handler: async () => ({ batchItemFailures: [{ itemIdentifier: 'no-such-id' }] }) });
    await waitFor(() => poller.stats().failed === 2 && poller.stats().running === 0, 'the batch');
    await poller.stop();
    expect(poller.stats().deleted).toBe(0);
    expect(sqs.depth('partial').inFlight).toBe(2);
    await client.send(new PurgeQueueCommand({ QueueUrl: url('partial') }));
  });

  it("leaves a throwing handler's messages on the queue until the redrive policy moves them to the DLQ", async () => {
    const sent = await client.send(new SendMessageCommand({ QueueUrl: url('poison'), MessageBody: 'always fails' }));
    const errors: unknown[] = [];
    let calls = 0;
    const poller = await poll('poison', {
      onError: (error) => errors.push(error),
      handler: async () => {
        calls++;
        throw new Error('handler failure');
      },
    });
    await poller.drain(8_000); // drained once the third receive has moved the message away
    expect(calls).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['handler failure', 'handler failure']);
    expect(poller.stats()).toMatchObject({ batches: 2, deleted: 0, failed: 2, handlerErrors: 2 });
    expect(sqs.depth('poison-dlq')).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    const dead = await receiveOne('poison-dlq');
    expect(dead).toMatchObject({ MessageId: sent.MessageId, Attributes: { DeadLetterQueueSourceArn: arn('poison') } });
  });

  it('runs at most `concurrency` handlers at once', async () => {
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: url('concurrent'),
        Entries: Array.from({ length: 6 }, (_, i) => ({ Id: `m${i}`, MessageBody: `message ${i}` })),
      }),
    );
    const handled: string[] = [];
    const poller = await poll('concurrent', {
      batchSize: 1,
      concurrency: 2,
      handler: async (event) => {
        await sleep(150);
        handled.push(...event.Records.map((r) => r.body));
      },
    });
    await poller.drain();
    expect(handled.sort()).toEqual(Array.from({ length: 6 }, (_, i) => `message ${i}`));
    expect(poller.stats()).toMatchObject({ batches: 6, deleted: 6, maxConcurrent: 2 });
  });

  it('polls sparingly when idle, and stop() waits for the running handler but not for a long poll', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    const receivesBefore = sqs.calls().ReceiveMessage ?? 0;
    const poller = await poll('stoppable', {
      waitTimeSeconds: 5,
      handler: async () => {
        started = true;
        await released;
      },
    });
    await sleep(600);
    expect((sqs.calls().ReceiveMessage ?? 0) - receivesBefore).toBe(2); // one pending long poll per loop

    await client.send(new SendMessageCommand({ QueueUrl: url('stoppable'), MessageBody: 'in progress' }));
    await waitFor(() => started, 'the handler to start');
    let stopped = false;
    const stopping = poller.stop().then(() => (stopped = true));
    await sleep(200);
    expect(stopped).toBe(false); // the handler is still running
    release();
    const stopAt = Date.now();
    await stopping;
    expect(Date.now() - stopAt).toBeLessThan(1_000); // the other loop's 5 s poll was aborted
    expect(sqs.depth('stoppable')).toEqual({ visible: 0, inFlight: 0, delayed: 0 }); // its batch was still deleted

    // Nothing polls any more, and the aborted long polls took nothing with them.
    await client.send(new SendMessageCommand({ QueueUrl: url('stoppable'), MessageBody: 'after stop' }));
    await sleep(200);
    expect(sqs.depth('stoppable')).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
  });
});
