import type { StoredMessage } from '../conversation/message-store.js';
import type { JobQueue } from '../runtime/job-queue.js';

/** One attempt to deliver an outbound message (the job the delivery queue carries). */
export interface DeliveryJob {
  messageId: string;
  /** 1 for the first attempt; the backoff grows with it. */
  attempt: number;
  /**
   * What to send, from the change stream's image of the message: the attempt then needs no read.
   * (SQS keeps it encrypted at rest; it is never logged.)
   */
  message?: Pick<StoredMessage, 'conversationId' | 'channel' | 'provider' | 'direction' | 'to' | 'text' | 'sentAt' | 'agentId'>;
}

/** Where outbound messages wait for delivery. */
export type DeliveryQueue = JobQueue<DeliveryJob>;
