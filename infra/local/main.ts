/**
 * `npm start`: runs Tide locally in the foreground (DESIGN §3, §4).
 *
 *   HOST (127.0.0.1)  PORT (3000, HTTP)  WS_PORT (3001)  TIDE_CONFIG (a JSON file)
 *   DYNAMODB_PORT, MANAGEMENT_PORT, SCHEDULER_PORT, SECRETS_PORT, SQS_PORT (free ports unless set)
 *   DYNAMODB_ENDPOINT (reuse a running DynamoDB Local instead of starting one)
 *   SWEEP_INTERVAL_SECONDS (30)
 *   TIDE_INDEX_LAG_MS ("200-1000": index queries see writes that late, as DynamoDB's GSIs can)
 *   TIDE_FAULTS ("busy", or "throttle=0.05,conflict=0.02,…": AWS's bad days, fault-injection.ts)
 *
 * SIGINT (Ctrl-C), SIGTERM or SIGHUP to any of `npm start`'s processes (npm, tsx, this one) stop
 * everything it started, in order (LocalStack.stop), and it exits 0. npm's shell passes no signal
 * on, so this process also stops when one of its launchers is gone (launchers.ts); and DynamoDB
 * Local ends with this process even when it is killed with SIGKILL (dynamodb.ts).
 */
import './sdk-node-warning.js';
import { httpRoutes } from '../../shared/contract/routes.js';
import type { TideConfig } from '../../shared/config/schema.js';
import { PortInUseError } from './free-port.js';
import { faultPlanFromEnv } from './fault-injection.js';
import { indexLagFromEnv } from './index-lag.js';
import { launchers, watchLaunchers } from './launchers.js';
import { loadLocalConfig } from './local-config.js';
import { startLocalStack, type LocalStack, type StackPort } from './stack.js';

/** The environment variable that sets each of the stack's ports. */
const portVariables: Record<StackPort, string> = {
  httpPort: 'PORT',
  wsPort: 'WS_PORT',
  dynamodbPort: 'DYNAMODB_PORT',
  managementPort: 'MANAGEMENT_PORT',
  schedulerPort: 'SCHEDULER_PORT',
  secretsPort: 'SECRETS_PORT',
  sqsPort: 'SQS_PORT',
};
/** A stop that takes longer than this has hung: exit anyway (DynamoDB Local ends with us). */
const STOP_DEADLINE_MS = 20_000;

const port = (name: string) => {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name} must be a port number (1-65535)`);
  return n;
};

const started = Date.now();
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

let stack: LocalStack | undefined;
let stopping = false;
const stop = (why: string) => {
  if (stopping) return;
  stopping = true;
  // Nothing serves yet: leave at once (the watchdog takes DynamoDB Local down with this process).
  if (!stack) {
    console.log(`${why}: stopped during start-up`);
    process.exit(0);
  }
  console.log(`${why}: stopping`);
  setTimeout(() => {
    console.error(`Tide did not stop within ${STOP_DEADLINE_MS / 1000} s; exiting`);
    process.exit(1);
  }, STOP_DEADLINE_MS).unref();
  void stack.stop().then(() => {
    console.log('Tide stopped');
    process.exit(0);
  });
};
// Installed before the start: a signal during it must not kill the process by its default action.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
watchLaunchers(launchers(), () => stop('the process that started Tide has ended'));

try {
  const config = loadLocalConfig(process.env.TIDE_CONFIG);
  const ports = Object.fromEntries(Object.entries(portVariables).map(([option, variable]) => [option, port(variable)]));
  stack = await startLocalStack({
    config,
    host: process.env.HOST || '127.0.0.1',
    ...ports,
    indexLag: indexLagFromEnv(process.env.TIDE_INDEX_LAG_MS),
    faults: faultPlanFromEnv(process.env.TIDE_FAULTS),
    dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT || undefined,
    sweepIntervalSeconds: Number(process.env.SWEEP_INTERVAL_SECONDS) || undefined,
  });
  console.log(banner(stack, config, Date.now() - started));
} catch (error) {
  console.error(`Tide cannot start: ${startFailure(error)}`);
  process.exit(1);
}

function banner(running: LocalStack, config: TideConfig, readyMs: number): string {
  const channels = Object.entries(config.channels).filter(([, channel]) => channel !== undefined);
  return [
    `Tide is running (ready in ${readyMs} ms)`,
    `  Console    ${running.httpUrl}/   (supervisors: ${running.httpUrl}/supervisor, customers: ${running.httpUrl}/customer)`,
    `  HTTP       ${running.httpUrl}   (${httpRoutes.map((r) => `${r.method} ${r.path}`).join(', ')}, GET /v1/health, POST /dev/token)`,
    `  WebSocket  ${running.wsUrl}/?token=<jwt>`,
    `  Queues     ${list(Object.keys(config.queues))}`,
    `  Agents     ${list(config.agents.map((a) => `${a.id} (${a.queues.join(', ')})`)) || 'none'}`,
    `  Channels   ${list(channels.map(([name]) => name)) || 'none'}`,
    ...(process.env.TIDE_FAULTS ? [`  Faults     TIDE_FAULTS=${process.env.TIDE_FAULTS} (injected into every AWS SDK call; not for real use)`] : []),
    'Ctrl-C stops it.',
  ].join('\n');
}

/** A long list (a benchmark's hundred agents) is cut: the banner is for reading. */
function list(items: string[], max = 12): string {
  return items.length > max ? `${items.slice(0, max).join(', ')}, and ${items.length - max} more` : items.join(', ');
}

/** One line, naming the variable to change when a port is taken. */
function startFailure(error: unknown): string {
  if (error instanceof PortInUseError) {
    const variable = portVariables[error.setting as StackPort] ?? error.setting;
    return `port ${error.port} on ${error.host} is in use; set ${variable} to a free port (e.g. ${variable}=${error.port + 100} npm start)`;
  }
  return (error as Error).message;
}
