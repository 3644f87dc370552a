import type { Agent } from '../agent/model.js';
import { availableAgentIds } from '../routing/availability-store.js';
import type { Deps } from '../runtime/deps.js';
import { tideMetrics, type MetricsRecorder } from '../runtime/metrics.js';
import { agentsOnlineIn, readQueue, standingOf } from './overview.js';

/**
 * How every queue stands, for CloudWatch (the sweep, once a minute): depth and oldest wait as
 * supervisors see them (./overview.ts), online agents, and agents with room (the Availability
 * rows routing reads). Together they tell a quiet queue from one that waits while agents could
 * take its work. Cost per queue: one index query (at most `queueReadLimit` entries) and one
 * Availability query; `agents` are the ones the sweep read already.
 */
export async function recordQueueMetrics(deps: Pick<Deps, 'db' | 'tables' | 'config' | 'clock'>, metrics: MetricsRecorder, agents: ReadonlyArray<Pick<Agent, 'status' | 'queues'>>): Promise<void> {
  const now = deps.clock.now().getTime();
  await Promise.all(
    Object.keys(deps.config.queues).map(async (queue) => {
      const [{ items }, room] = await Promise.all([readQueue(deps, queue), availableAgentIds(deps, queue)]);
      const { queued, oldestQueuedAt } = standingOf(items);
      const dimensions = { Queue: queue };
      metrics.measure(tideMetrics.queueDepth, dimensions, queued);
      metrics.measure(tideMetrics.oldestWait, dimensions, oldestQueuedAt ? Math.max(0, Math.round((now - Date.parse(oldestQueuedAt)) / 1000)) : 0);
      metrics.measure(tideMetrics.onlineAgents, dimensions, agentsOnlineIn(agents, queue));
      metrics.measure(tideMetrics.agentsWithRoom, dimensions, room.length);
    }),
  );
}
