import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SecretReader } from '../channels/secrets.js';
import type { Clock } from '../clock.js';
import type { DeliveryQueue } from '../delivery/delivery-queue.js';
import type { RoutingRechecks } from '../routing/rechecks.js';
import type { OverviewJobs } from '../supervision/overview-requests.js';
import type { TideConfig } from '../config/schema.js';
import type { Pusher } from '../push/pusher.js';
import type { TableNames } from '../storage/tables.js';
import type { FailedTimers } from '../timers/failed-timers.js';
import type { TimerScheduler } from '../timers/timer-scheduler.js';
import type { MetricsRecorder } from './metrics.js';

/**
 * Sends an HTTP request to a channel; `fetch` in production, a fault injector in tests. `timeoutMs`
 * bounds it (default 5 s). `body` is the answer's text (providers put their message id and error
 * code there), at most `maxAnswerBytes`; absent when the caller's stub has none.
 */
export type HttpSend = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; timeoutMs?: number },
) => Promise<{ status: number; body?: string }>;

/** Providers answer a send with a small JSON; more than this is not worth reading. */
export const maxAnswerBytes = 64 * 1024;

/**
 * Everything a domain function needs from the outside world. Handlers build one from the
 * environment (shared/runtime/lambda-deps.ts); tests build one against DynamoDB Local with a
 * virtual clock, a recording pusher, a virtual scheduler and an in-memory delivery queue.
 */
export interface Deps {
  db: DynamoDBDocumentClient;
  tables: TableNames;
  config: TideConfig;
  clock: Clock;
  pusher: Pusher;
  http: HttpSend;
  timers: TimerScheduler;
  secrets: SecretReader;
  /** Outbound messages waiting for delivery (SQS in AWS). */
  deliveries: DeliveryQueue;
  /** Second routing passes after the queue index's lag (SQS with a delay in AWS). */
  rechecks: RoutingRechecks;
  /** Supervisors' overview jobs (SQS in AWS); absent where nobody supervises (the simulator). */
  overviews?: OverviewJobs;
  /** Random numbers for routing's tie-breaks (Math.random when absent; the simulator seeds it). */
  random?: () => number;
  /** Timer fires that failed for good, redriven by the sweep (absent where none are kept). */
  failedTimers?: FailedTimers;
  /** What happened, for CloudWatch (shared/runtime/metrics.ts); absent where nobody watches (the simulator, most tests). */
  metrics?: MetricsRecorder;
}
