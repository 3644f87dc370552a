import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** Every Tide queue: encrypted at rest (SQS-managed keys) and reachable over TLS only. */
export function secureQueue(scope: Construct, id: string, props: Omit<sqs.QueueProps, 'encryption' | 'enforceSSL'> = {}): sqs.Queue {
  return new sqs.Queue(scope, id, { ...props, encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true });
}

/**
 * A queue that is itself where failures end: kept 14 days (SQS's maximum, the time an operator
 * has), with no dead-letter queue of its own. `of` says whose failures it holds, for the
 * acknowledgement of AwsSolutions-SQS3.
 */
export function deadLetterQueue(scope: Construct, id: string, of: string): sqs.Queue {
  const queue = secureQueue(scope, id, { retentionPeriod: Duration.days(14) });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself a dead-letter queue: of ${of}. Its alarm is the escalation.`,
  });
  return queue;
}
