import type { JobQueue } from '../runtime/job-queue.js';

/**
 * A routing pass for capacity that appeared (a slot freed, an agent online) that left room unused
 * while queued work may still be invisible to it: the queue index is eventually consistent, so a
 * conversation queued a moment before the slot freed may not show yet. One more pass over the queue after the index has caught up closes that lost
 * wake-up in seconds, where the minute sweep would take a minute. A recheck never asks for
 * another one.
 */
export interface RoutingRecheck {
  queue: string;
}

export type RoutingRechecks = JobQueue<RoutingRecheck>;
