import { connectionGone } from '../agent/presence.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { overviewFrame, readOverview, type OverviewFrame } from './overview.js';
import { requestOverview, type OverviewJob } from './overview-requests.js';
import { removeWatcher, takeOverviewSeq, watchersOf, type SupervisorRegistry } from './registry.js';

/**
 * Overview jobs (./overview-requests.ts), one overview for however many arrive together: takes
 * back their marks and the next `seq`, reads the overview and posts it to every watching
 * connection. A connection gone (410) is forgotten; entries past API Gateway's 2 hours are
 * dropped without a post. Then, unless all were second looks, it asks for one after the index
 * lag. A second look whose mark a change took over does nothing: the change's own job reads
 * later than it would have, and has a second look of its own. Returns how many connections got
 * the overview.
 */
export async function pushOverview(deps: Deps, jobs: readonly OverviewJob[]): Promise<number> {
  const secondLooks = jobs.every((j) => j.settle);
  let registry: SupervisorRegistry | undefined;
  for (const dueMs of new Set(jobs.flatMap((j) => (j.dueMs !== undefined ? [j.dueMs] : [])))) {
    registry = (await takeOverviewSeq(deps, dueMs, { onlyWithMark: secondLooks })) ?? registry;
  }
  if (!registry && secondLooks) return 0;
  registry ??= (await takeOverviewSeq(deps))!;
  const { live, expired } = watchersOf(registry, deps.clock.now());
  await Promise.all(expired.map((id) => removeWatcher(deps, id)));
  if (live.length === 0) return 0;
  const frame = overviewFrame(registry.overviewSeq ?? 0, await readOverview(deps));
  const sent = await Promise.all(live.map((id) => postOverview(deps, id, frame)));
  if (jobs.some((j) => !j.settle)) {
    await requestOverview(deps, { settle: true }).catch((error: Error) => logger.warn('overview second look not queued', { error: error.name }));
  }
  return sent.filter(Boolean).length;
}

/** A supervisor's `sync`: an overview at once, to that connection only. */
export async function sendOverview(deps: Deps, connectionId: string): Promise<void> {
  const registry = await takeOverviewSeq(deps);
  await postOverview(deps, connectionId, overviewFrame(registry?.overviewSeq ?? 0, await readOverview(deps)));
}

/** One post; a failure other than 410 is only this overview lost (the next one, or `sync`, repairs it). */
async function postOverview(deps: Deps, connectionId: string, frame: OverviewFrame): Promise<boolean> {
  try {
    if ((await deps.pusher.post(connectionId, frame)) === 'sent') return true;
    await removeWatcher(deps, connectionId);
    await connectionGone(deps, connectionId);
  } catch (error) {
    logger.warn('overview push failed', { connectionId, error: (error as Error).name });
  }
  return false;
}
