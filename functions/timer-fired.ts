import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { logger } from '../shared/runtime/logger.js';
import { observed } from '../shared/runtime/observed.js';
import { onTimer } from '../shared/timers/on-timer.js';

const deps = depsFromEnv();

/**
 * Target of every one-time schedule (SLA, inactivity, follow-up, auto-close, reassignment,
 * presence). Safe to run late, early, twice or for a superseded schedule: it re-reads state.
 * A throw makes Lambda's asynchronous invoke retry, then the on-failure destination keeps it.
 */
export const handler = observed(deps, async (event: unknown): Promise<void> => {
  const performed = await onTimer(deps, event);
  if (performed.length) logger.info('timer', { performed });
});
