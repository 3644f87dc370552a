import { retryDueDeliveries } from '../channels/generic/deliver.js';
import type { Deps } from '../runtime/deps.js';
import { routeQueue } from './route-queue.js';

/**
 * The safety net, run every minute: routes every queue (a wake-up lost between an index lagging
 * and a capacity release is found here) and retries replies the channel has not accepted yet.
 */
export async function sweep(deps: Deps): Promise<{ assigned: number; deliveriesRetried: number }> {
  const assigned = await Promise.all(Object.keys(deps.config.queues).map((q) => routeQueue(deps, q)));
  const deliveriesRetried = await retryDueDeliveries(deps);
  return { assigned: assigned.flat().length, deliveriesRetried };
}
