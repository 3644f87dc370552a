import { sweep } from '../shared/routing/sweep.js';
import { depsFromEnv } from '../shared/runtime/lambda-deps.js';
import { logger } from '../shared/runtime/logger.js';
import { observed } from '../shared/runtime/observed.js';

const deps = depsFromEnv();

/** Every minute (EventBridge rule; a timer in the local stack): the routing safety net. */
export const handler = observed(deps, async (): Promise<void> => {
  const result = await sweep(deps);
  if (result.assigned || result.failedQueues.length || result.repairedAgents || result.presenceChecks || result.timersRedriven) logger.info('sweep', { ...result });
});
