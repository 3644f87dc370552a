import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { clientConfig } from '../runtime/client-config.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { onTimer } from './on-timer.js';

/**
 * Timer fires that never ran: Scheduler could not invoke the function, or the function failed
 * every asynchronous attempt. Both land in one dead-letter queue (Scheduler's DeadLetterConfig
 * and the function's on-failure destination), which has an alarm.
 */
export interface FailedTimers {
  receive(max: number): Promise<Array<{ body: string; receipt: string }>>;
  remove(receipt: string): Promise<void>;
}

/**
 * Runs failed timer fires again (the sweep does, every minute): a fire is safe to run late or
 * twice, since it re-reads the conversation and does only what is due. One that fails again stays
 * in the queue, and the alarm stays on, for an operator.
 */
export async function redriveFailedTimers(deps: Deps, failed: FailedTimers, max = 50): Promise<{ redriven: number; kept: number }> {
  let redriven = 0;
  let kept = 0;
  for (const { body, receipt } of await failed.receive(max)) {
    try {
      const parsed = JSON.parse(body) as { requestPayload?: unknown };
      // A Lambda on-failure record wraps the event; Scheduler's dead letter is the event itself.
      await onTimer(deps, parsed.requestPayload ?? parsed);
      await failed.remove(receipt);
      redriven++;
    } catch (error) {
      kept++;
      logger.error('a failed timer fire failed again; kept for an operator', { error: (error as Error).name });
    }
  }
  return { redriven, kept };
}

/** The dead-letter queue on SQS. */
export function sqsFailedTimers(queueUrl: string, endpoint?: string, env: NodeJS.ProcessEnv = process.env): FailedTimers {
  const client = new SQSClient(clientConfig(endpoint, env));
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
