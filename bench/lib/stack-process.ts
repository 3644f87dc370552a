/**
 * `npm start`'s stack (infra/local/main.ts) run as a child process, so that its CPU and memory
 * (and those of the DynamoDB Local JVM it starts) are measured apart from the load generator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../infra/local/free-port.js';
import { cmdline, descendants } from './proc.js';
import { sleep } from './util.js';

export interface StackProcessOptions {
  projectRoot: string;
  /** The TIDE_CONFIG file's content (DESIGN §4's shape). */
  config: Record<string, unknown>;
  /** Extra environment for the stack (e.g. TIDE_METER_CAPACITY=1). */
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

export interface StackProcess {
  httpUrl: string;
  wsUrl: string;
  dynamodbPort: number;
  pid: number;
  /** The DynamoDB Local JVM, when found among the stack's descendants. */
  javaPid?: number;
  startupMs: number;
  /** Everything the stack printed so far (stdout and stderr). */
  output(): string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** SIGTERM, then SIGKILL after 10 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Starts the stack and resolves once `GET /v1/health` answers 200. */
export async function startStackProcess(options: StackProcessOptions): Promise<StackProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'tide-bench-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(options.config));
  const [httpPort, wsPort, schedulerPort, dynamodbPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(httpPort),
    WS_PORT: String(wsPort),
    SCHEDULER_PORT: String(schedulerPort),
    DYNAMODB_PORT: String(dynamodbPort),
    TIDE_CONFIG: configPath,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    NODE_NO_WARNINGS: '1',
  };
  delete env.DYNAMODB_ENDPOINT;
  delete env.TIDE_METER_CAPACITY;
  delete env.TIDE_INDEX_LAG_MS;
  Object.assign(env, options.env);

  const started = performance.now();
  let output = '';
  // TIDE_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the stack under load.
  const nodeArgs = (process.env.TIDE_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'infra/local/main.ts'], {
    cwd: options.projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    process.removeListener('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };

  const httpUrl = `http://127.0.0.1:${httpPort}`;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the local stack exited during start-up:\n${output}`);
      try {
        if ((await fetch(`${httpUrl}/v1/health`)).status === 200) break;
      } catch {
        // not listening yet
      }
      if (performance.now() - started > (options.startTimeoutMs ?? 60_000)) throw new Error(`the local stack was not healthy within 60 s:\n${output}`);
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const pid = child.pid!;
  return {
    httpUrl,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    dynamodbPort,
    pid,
    javaPid: descendants(pid).find((p) => cmdline(p).includes('DynamoDBLocal')),
    startupMs: performance.now() - started,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop,
  };
}
