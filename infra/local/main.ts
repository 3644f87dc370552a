/**
 * `npm start`: runs Tide locally in the foreground (DESIGN §3, §4). Ctrl-C or SIGTERM stops
 * everything it started.
 *
 *   HOST (127.0.0.1)  PORT (3000, HTTP)  WS_PORT (3001)  TIDE_CONFIG (a JSON file)
 *   DYNAMODB_PORT, MANAGEMENT_PORT, SCHEDULER_PORT, SECRETS_PORT, SQS_PORT (free ports unless set)
 *   DYNAMODB_ENDPOINT (reuse a running DynamoDB Local instead of starting one)
 *   SWEEP_INTERVAL_SECONDS (30)
 *   TIDE_INDEX_LAG_MS ("200-1000": index queries see writes that late, as DynamoDB's GSIs can)
 */
import { httpRoutes } from '../../shared/contract/routes.js';
import { indexLagFromEnv } from './index-lag.js';
import { loadLocalConfig } from './local-config.js';
import { startLocalStack } from './stack.js';

const port = (name: string) => {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number`);
  return n;
};

const started = Date.now();
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
try {
  const stack = await startLocalStack({
    config: loadLocalConfig(process.env.TIDE_CONFIG),
    host: process.env.HOST || '127.0.0.1',
    httpPort: port('PORT'),
    wsPort: port('WS_PORT'),
    dynamodbPort: port('DYNAMODB_PORT'),
    managementPort: port('MANAGEMENT_PORT'),
    schedulerPort: port('SCHEDULER_PORT'),
    secretsPort: port('SECRETS_PORT'),
    sqsPort: port('SQS_PORT'),
    indexLag: indexLagFromEnv(process.env.TIDE_INDEX_LAG_MS),
    dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT || undefined,
    sweepIntervalSeconds: Number(process.env.SWEEP_INTERVAL_SECONDS) || undefined,
  });
  console.log(`Tide is running (ready in ${Date.now() - started} ms)`);
  console.log(`  HTTP       ${stack.httpUrl}   (${httpRoutes.map((r) => `${r.method} ${r.path}`).join(', ')}, GET /v1/health, POST /dev/token)`);
  console.log(`  WebSocket  ${stack.wsUrl}/?token=<jwt>`);
  console.log(`  Console    ${stack.httpUrl}/   (supervisors: ${stack.httpUrl}/supervisor)`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    stack.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (error) {
  console.error(`Tide failed to start: ${(error as Error).message}`);
  process.exit(1);
}
