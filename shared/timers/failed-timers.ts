import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { clientConfig, withoutSdkLogging } from '../runtime/client-config.js';

/**
 * Timer fires that never ran: Scheduler could not invoke the function, or the function failed
 * every asynchronous attempt. Both land in one dead-letter queue (Scheduler's DeadLetterConfig
 * and the function's on-failure destination), which has an alarm; the sweep redrives it
 * (./redrive.ts).
 */
export interface FailedTimers {
  receive(max: number): Promise<Array<{ body: string; receipt: string }>>;
  remove(receipt: string): Promise<void>;
}

/** The dead-letter queue on SQS. */
export function sqsFailedTimers(queueUrl: string, endpoint?: string, env: NodeJS.ProcessEnv = process.env): FailedTimers {
  const client = withoutSdkLogging(new SQSClient(clientConfig(endpoint, env)));
  return {
    async receive(max) {
      const out: Array<{ body: string; receipt: string }> = [];
      while (out.length < max) {
        const page = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: Math.min(10, max - out.length), WaitTimeSeconds: 0, VisibilityTimeout: 60 }));
        if (!page.Messages?.length) break;
        out.push(...page.Messages.map((m) => ({ body: m.Body ?? '', receipt: m.ReceiptHandle! })));
      }
      return out;
    },
    async remove(receipt) {
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receipt }));
    },
  };
}
