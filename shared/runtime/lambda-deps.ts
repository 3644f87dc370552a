import { secretsManagerReader } from '../channels/secrets.js';
import { systemClock } from '../clock.js';
import { parseConfig } from '../config/schema.js';
import { overviewQueue } from '../contract/routes.js';
import { managementApiPusher } from '../push/pusher.js';
import { createDocumentClient } from '../storage/document-client.js';
import { tableNamesFromEnv } from '../storage/tables.js';
import { sqsFailedTimers } from '../timers/failed-timers.js';
import { eventBridgeScheduler, schedulerSettingsFromEnv } from '../timers/timer-scheduler.js';
import { maxAnswerBytes, type Deps, type HttpSend } from './deps.js';
import { sqsJobQueue, unconfiguredQueue, type JobQueue } from './job-queue.js';
import { EmfMetrics } from './emf-metrics.js';
import { environment } from './environment.js';
import { MemoryMetrics, type MetricsRecorder } from './metrics.js';

/** `fetch`, bounded by `timeoutMs`, reading at most `maxAnswerBytes` of the answer. */
export const fetchSend: HttpSend = async (url, { timeoutMs = 5_000, ...init }) => {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxAnswerBytes) {
    await response.body?.cancel();
    return { status: response.status };
  }
  const body = await response.text();
  return { status: response.status, body: body.length > maxAnswerBytes ? body.slice(0, maxAnswerBytes) : body };
};

/**
 * Dependencies from the Lambda environment. Built once per execution environment (clients are
 * reusable connections, not state); every fact lives in DynamoDB.
 */
export function depsFromEnv(env: NodeJS.ProcessEnv = process.env): Deps {
  const endpoint = env[environment.managementEndpoint];
  return {
    db: createDocumentClient(env),
    tables: tableNamesFromEnv(env),
    config: parseConfig(JSON.parse(env[environment.config] ?? '{}')),
    clock: systemClock,
    pusher: endpoint
      ? managementApiPusher(endpoint, env)
      : { post: async () => { throw new Error(`${environment.managementEndpoint} is not set`); } },
    http: fetchSend,
    timers: timerSchedulerFromEnv(env),
    secrets: secretsManagerReader(env[environment.secretsEndpoint] || undefined, env),
    deliveries: queueFromEnv(env, environment.deliveryQueueUrl),
    rechecks: queueFromEnv(env, environment.recheckQueueUrl),
    overviews: queueFromEnv(env, overviewQueue.envVar),
    failedTimers: env[environment.timerDeadLetterUrl] ? sqsFailedTimers(env[environment.timerDeadLetterUrl]!, env[environment.sqsEndpoint] || undefined, env) : undefined,
    metrics: metricsFromEnv(env),
  };
}

/**
 * The local stack's metrics: every handler of its one process records here (its totals are the
 * local answer to the dashboard); printing EMF records there would only bury the console.
 */
export const localMetrics = new MemoryMetrics();

/** EMF (Powertools) in Lambda, which sets AWS_LAMBDA_FUNCTION_NAME; `localMetrics` elsewhere. */
function metricsFromEnv(env: NodeJS.ProcessEnv): MetricsRecorder {
  return env.AWS_LAMBDA_FUNCTION_NAME ? new EmfMetrics({ service: env[environment.metricsService] }) : localMetrics;
}

function timerSchedulerFromEnv(env: NodeJS.ProcessEnv) {
  const settings = schedulerSettingsFromEnv(env);
  if (settings) return eventBridgeScheduler(settings, env);
  return {
    schedule: async () => {
      throw new Error(`timers are not configured (${environment.timerGroup}, ${environment.timerTargetArn}, ${environment.timerRoleArn})`);
    },
  };
}

function queueFromEnv<T>(env: NodeJS.ProcessEnv, variable: string): JobQueue<T> {
  const url = env[variable];
  return url ? sqsJobQueue<T>(url, env[environment.sqsEndpoint] || undefined, env) : unconfiguredQueue<T>(variable);
}
