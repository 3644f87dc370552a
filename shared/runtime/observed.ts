import type { Context } from 'aws-lambda';
import type { Deps } from './deps.js';
import { logger } from './logger.js';

/**
 * Every handler's invocation, observed: its log lines carry the Lambda context (function name
 * and version, request id, cold start), and the metrics it recorded are published when it ends,
 * whether it returned or threw. The local stack calls handlers without a context; nothing is
 * added then (its handlers share one process and one logger).
 */
export function observed<E, R>(deps: Pick<Deps, 'metrics'>, handler: (event: E, context?: Context) => Promise<R>): (event: E, context?: Context) => Promise<R> {
  return async (event, context) => {
    if (context) logger.addContext(context);
    try {
      return await handler(event, context);
    } finally {
      // Lost metrics are not worth failing (and retrying) the work that was done.
      try {
        deps.metrics?.flush();
      } catch (error) {
        logger.warn('metrics not published', { error: (error as Error).name });
      }
    }
  };
}
