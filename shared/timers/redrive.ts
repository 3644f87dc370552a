import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { onTimer } from './on-timer.js';

import type { FailedTimers } from './failed-timers.js';

/**
 * Runs failed timer fires again (the sweep does, every minute): a fire is safe to run late or
 * twice, since it re-reads the conversation and does only what is due. One that fails again stays
 * in the queue, and the alarm stays on, for an operator.
 */
export async function redriveFailedTimers(deps: Deps, failed: FailedTimers, max = 50): Promise<{ redriven: number; kept: number }> {
  let redriven = 0;
  let kept = 0;
  for (const { body, receipt } of await failed.receive(max)) {
    try {
      const parsed = JSON.parse(body) as { requestPayload?: unknown };
      // A Lambda on-failure record wraps the event; Scheduler's dead letter is the event itself.
      await onTimer(deps, parsed.requestPayload ?? parsed);
      await failed.remove(receipt);
      redriven++;
    } catch (error) {
      kept++;
      logger.error('a failed timer fire failed again; kept for an operator', { error: (error as Error).name });
    }
  }
  return { redriven, kept };
}
