import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { clientConfig, withoutSdkLogging } from './client-config.js';

/** Work to be done later by a queue's consumer: an SQS queue in AWS, its emulation locally. */
export interface JobQueue<T> {
  /** Sends jobs, each visible to the consumer after `delaySeconds` (0–900). */
  enqueue(jobs: readonly T[], delaySeconds?: number): Promise<void>;
}

/**
 * An SQS queue of JSON jobs, sent in batches of 10 (SQS's limit). An entry SQS refuses fails the
 * call, so the caller's work is retried; every Tide job is safe to receive twice.
 */
export function sqsJobQueue<T>(queueUrl: string, endpoint?: string, env: NodeJS.ProcessEnv = process.env): JobQueue<T> {
  const client = withoutSdkLogging(new SQSClient(clientConfig(endpoint, env)));
  return {
    async enqueue(jobs, delaySeconds = 0) {
      for (let i = 0; i < jobs.length; i += 10) {
        const out = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: jobs.slice(i, i + 10).map((job, n) => ({ Id: String(n), MessageBody: JSON.stringify(job), DelaySeconds: Math.min(900, Math.max(0, Math.round(delaySeconds))) })),
          }),
        );
        if (out.Failed?.length) throw new Error(`the queue refused ${out.Failed.length} job(s): ${out.Failed[0]!.Code}`);
      }
    },
  };
}

/** A queue that is not configured: any use is a deployment error, said plainly. */
export const unconfiguredQueue = <T>(variable: string): JobQueue<T> => ({
  enqueue: async () => {
    throw new Error(`the queue is not configured (${variable})`);
  },
});
