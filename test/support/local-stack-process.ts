import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { TideConfigInput } from '../../shared/config/schema.js';
import { freePort } from '../../infra/local/free-port.js';

export interface RunningStack {
  httpUrl: string;
  wsUrl: string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
  output(): string;
}

/**
 * Starts `npm start`'s entry point as its own process, as a user would, with a config file, and
 * waits for `GET /v1/health`. It reuses the run's DynamoDB Local (fresh tables per stack).
 */
export async function startStack(config: TideConfigInput, env: Record<string, string> = {}): Promise<RunningStack> {
  const dir = mkdtempSync(join(tmpdir(), 'tide-e2e-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config));
  const [httpPort, wsPort] = [await freePort(), await freePort()];
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    env: {
      ...process.env,
      PORT: String(httpPort),
      WS_PORT: String(wsPort),
      TIDE_CONFIG: configPath,
      DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`stack exited during start-up:\n${output}`);
    try {
      const res = await fetch(`${httpUrl}/v1/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`stack not healthy within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    httpUrl,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
