import type { JobQueue } from '../runtime/job-queue.js';

/** One attempt to deliver an outbound message (the job the delivery queue carries). */
export interface DeliveryJob {
  messageId: string;
  /** 1 for the first attempt; the backoff grows with it. */
  attempt: number;
}

/** Where outbound messages wait for delivery. */
export type DeliveryQueue = JobQueue<DeliveryJob>;
