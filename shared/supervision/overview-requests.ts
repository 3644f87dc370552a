import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Deps } from '../runtime/deps.js';
import type { JobQueue } from '../runtime/job-queue.js';
import { logger } from '../runtime/logger.js';
import { isConditionFailure } from '../storage/commit.js';
import { registryKey, type SupervisorRegistry } from './registry.js';

/**
 * Overviews are pushed within about a second of a change, at most about once a second, however
 * many changes come, and cost nothing when nobody watches.
 *
 * A change that matters to the overview asks for one (`requestOverview`, from the work-changes
 * stream consumer). One conditional write on the registry item decides: it sets the mark of a
 * pending job, `overviewDueMs`, only if someone watches and no job is pending, and only the
 * invocation whose write succeeds enqueues the job, delayed by `coalesceSeconds`. Every change
 * that finds the mark set is covered by that job: the job takes the mark back before it reads
 * anything (./registry.ts `takeOverviewSeq`), so it reads after every change that saw the mark,
 * and a change after that sets a new mark (the trailing edge is never lost).
 *
 * Each process remembers for at most a second what a refused write told it (nobody watches; a
 * job is pending until its due time) and asks nothing meanwhile: a cache, not state. The second
 * bound is covered for new supervisors too: a connection that starts watching enqueues a job of
 * its own, due after any such memory has run out (`announceWatcher`).
 *
 * The queue index lags its table: a job that read it just after a change may have missed that
 * change. So a job asks for a second look (`settle`) after `routing.recheckAfterSeconds`; it asks
 * for no other. A change arriving while a second look is pending takes its mark over and gets a
 * job of its own, so that it gets its second look as well.
 *
 * Due times are wall-clock, as the queue's delays are: domain time (`deps.clock`) may be virtual.
 */
export interface OverviewJob {
  /** The mark this job answers; absent for a job no change asked for (a new watcher). */
  dueMs?: number;
  /** A second look after the index lag. */
  settle?: boolean;
}

export type OverviewJobs = JobQueue<OverviewJob>;

/** Changes within this many seconds share one overview (SQS delays are whole seconds). */
export const coalesceSeconds = 1;
/** A mark this long past its due time lost its job (failed for good): a change may replace it. */
const staleAfterMs = 60_000;
/** How long a process trusts what a refused write told it. */
const rememberMs = 1_000;
/** Clocks of different hosts may disagree by this much. */
const clockSkewMs = 100;

/** Per registry (tables differ per test): no request before this wall-clock time is needed. */
const quietUntil = new Map<string, number>();

export type OverviewRequest = 'queued' | 'pending' | 'unwatched';

/** Asks for an overview for the changes seen so far; see above. */
export async function requestOverview(deps: Deps, options: { settle?: boolean } = {}): Promise<OverviewRequest> {
  const jobs = deps.overviews;
  if (!jobs) return 'unwatched';
  const registryTable = deps.tables.connections;
  const started = Date.now();
  if (!options.settle && (quietUntil.get(registryTable) ?? 0) > started) return 'pending';
  const delaySeconds = options.settle ? deps.config.routing.recheckAfterSeconds : coalesceSeconds;
  if (delaySeconds <= 0) return 'pending';
  const dueMs = started + delaySeconds * 1000;
  try {
    await deps.db.send(
      new UpdateCommand({
        TableName: registryTable,
        Key: registryKey,
        UpdateExpression: options.settle ? 'SET overviewDueMs = :due, overviewSettle = :yes' : 'SET overviewDueMs = :due REMOVE overviewSettle',
        // A second look never replaces a pending job; a change replaces a pending second look.
        ConditionExpression: `size(watchers) > :none AND (attribute_not_exists(overviewDueMs) OR overviewDueMs < :stale${options.settle ? '' : ' OR overviewSettle = :yes'})`,
        ExpressionAttributeValues: { ':due': dueMs, ':none': 0, ':stale': started - staleAfterMs, ':yes': true },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const item = (error as { Item?: Record<string, AttributeValue> }).Item;
    const registry = (item ? unmarshall(item) : undefined) as SupervisorRegistry | undefined;
    const watched = Object.keys(registry?.watchers ?? {}).length > 0;
    if (!options.settle) remember(registryTable, started, watched ? registry : undefined);
    return watched ? 'pending' : 'unwatched';
  }
  try {
    await jobs.enqueue([{ dueMs, ...(options.settle ? { settle: true } : {}) }], delaySeconds);
  } catch (error) {
    // No job will answer the mark: take it back, so that the next change asks again at once
    // rather than after the mark goes stale.
    await deps.db
      .send(
        new UpdateCommand({
          TableName: registryTable,
          Key: registryKey,
          UpdateExpression: 'REMOVE overviewDueMs, overviewSettle',
          ConditionExpression: 'overviewDueMs = :due',
          ExpressionAttributeValues: { ':due': dueMs },
        }),
      )
      .catch((undo: Error) => logger.warn('overview mark not taken back; it goes stale', { error: undo.name }));
    throw error;
  }
  return 'queued';
}

/**
 * What a refused request says for the next second at most: nobody watches (`registry`
 * undefined), or a job answers every change until its due time. A pending second look says
 * nothing: a change must take its mark over.
 */
function remember(registryTable: string, started: number, registry: SupervisorRegistry | undefined): void {
  const limit = started + rememberMs;
  if (!registry) return void quietUntil.set(registryTable, limit);
  if (registry.overviewSettle || registry.overviewDueMs === undefined) return;
  const until = Math.min(limit, registry.overviewDueMs - clockSkewMs);
  if (until > started) quietUntil.set(registryTable, until);
}

/**
 * A connection started watching: an overview for every watcher after any process's memory that
 * nobody watches has run out (see above), so that no change made meanwhile is left unshown.
 */
export async function announceWatcher(deps: Deps): Promise<void> {
  await deps.overviews?.enqueue([{}], Math.ceil(rememberMs / 1000));
}
