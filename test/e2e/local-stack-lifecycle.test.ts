import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { cmdline, descendants } from '../../bench/lib/proc.js';
import { freePort } from '../../infra/local/free-port.js';
import { AgentClient } from '../support/agent-client.js';

/**
 * `npm start` as a user runs it, stopped the ways a user or a process manager stops it: SIGTERM to
 * npm, SIGTERM to the Node process that runs the stack (tsx's child), Ctrl-C (SIGINT to the whole
 * foreground process group), and SIGKILL. Each starts its own DynamoDB Local, since the point is
 * that the JVM goes too. Every process of a run carries a marker in its environment, so that a
 * process left behind is found even after it has been handed to init.
 */
const projectRoot = new URL('../..', import.meta.url).pathname;
/** Every run's marker: whatever a failed or timed-out case left behind is killed at the end. */
const markers = new Set<string>();
afterAll(() => markers.forEach(killLeftovers));

interface Launched {
  child: ChildProcess;
  marker: string;
  ports: { http: number; ws: number; dynamodb: number };
  httpUrl: string;
  wsUrl: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `npm start` (or, with `direct`, what the tests and the bench run: `node --import tsx main.ts`),
 * in its own process group, as a shell's job control starts a command.
 */
async function launch(env: Record<string, string> = {}, options: { direct?: boolean } = {}): Promise<Launched> {
  const marker = randomBytes(6).toString('hex');
  markers.add(marker);
  const ports = { http: await freePort(), ws: await freePort(), dynamodb: await freePort() };
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TIDE_LIFECYCLE_TEST: marker,
    PORT: String(ports.http),
    WS_PORT: String(ports.ws),
    DYNAMODB_PORT: String(ports.dynamodb),
    ...env,
  };
  // As on a developer's machine: its own DynamoDB Local, main.ts's log level, the SDK's defaults.
  for (const name of ['DYNAMODB_ENDPOINT', 'TIDE_INDEX_LAG_MS', 'POWERTOOLS_LOG_LEVEL', 'NODE_NO_WARNINGS', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']) {
    delete childEnv[name];
  }
  const [command, ...args] = options.direct ? [process.execPath, '--import', 'tsx', 'infra/local/main.ts'] : ['npm', 'start'];
  const child = spawn(command!, args, { cwd: projectRoot, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, marker, ports, httpUrl: `http://127.0.0.1:${ports.http}`, wsUrl: `ws://127.0.0.1:${ports.ws}`, output: () => output, exited };
}

/**
 * `launch`, then healthy. The ports are free when chosen but not reserved: another test file's
 * stack (or an outgoing connection's ephemeral port) can take one before this stack binds it,
 * and then it exits naming the port. Such a run is launched again on new ports.
 */
async function launchHealthy(env: Record<string, string> = {}, options: { direct?: boolean } = {}): Promise<Launched> {
  for (let attempt = 1; ; attempt++) {
    const run = await launch(env, options);
    try {
      await healthy(run);
      return run;
    } catch (error) {
      if (attempt >= 3 || !/cannot start: port \d+ on [\d.]+ is in use/.test(run.output())) throw error;
      await run.exited;
    }
  }
}

async function healthy(run: Launched): Promise<void> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    if (run.child.exitCode !== null) throw new Error(`npm start exited during start-up:\n${run.output()}`);
    try {
      if ((await fetch(`${run.httpUrl}/v1/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`not healthy within 40 s:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every live process whose environment carries the run's marker (readable: same user). */
function processesOf(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`TIDE_LIFECYCLE_TEST=${marker}`)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

function processGroupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/** The processes under npm that a case signals or looks for. */
function tree(run: Launched) {
  const all = descendants(run.child.pid!);
  const find = (test: (command: string) => boolean) => all.find((pid) => test(cmdline(pid)));
  return {
    // `npm start` is `node --import tsx infra/local/main.ts` (npm's shell runs it): the node process itself.
    // (not the `sh -c …` that npm runs it with, whose command line names main.ts too).
    stackNode: find((c) => /^(\S*\/)?node /.test(c) && c.includes('--import tsx infra/local/main.ts')),
    java: find((c) => c.includes('DynamoDBLocal.jar')),
  };
}

/** The marker's processes still alive after `withinMs` (none, once they have all exited). */
async function allGone(marker: string, withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = processesOf(marker);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whatever a failed case left behind must not outlive the test run. */
function killLeftovers(marker: string): void {
  for (const pid of processesOf(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** An agent online over the WebSocket, so that the stop has sockets to close and $disconnect to run. */
async function agentOnline(run: Launched) {
  const token = await AgentClient.token(run.httpUrl, 'alice');
  const socket = new WebSocket(`${run.wsUrl}/?token=${encodeURIComponent(token)}`);
  const frames: string[] = [];
  socket.on('message', (d) => frames.push(d.toString()));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.send(JSON.stringify({ action: 'setStatus', status: 'online', requestId: 'r1' }));
  const deadline = Date.now() + 10_000;
  while (!frames.some((f) => f.includes('"ack"') && f.includes('"r1"'))) {
    if (Date.now() > deadline) throw new Error(`no ack for setStatus: ${frames.join('\n')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return { closed };
}

/** What a clean stop leaves: nothing running, the ports free, the agent's socket closed, nothing alarming printed. */
async function expectCleanStop(run: Launched, agent: { closed: Promise<void> }) {
  expect(await allGone(run.marker, 15_000)).toEqual([]);
  const socket = await Promise.race([agent.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open'), 2_000))]);
  expect(socket).toBe('closed');
  for (const port of Object.values(run.ports)) expect(await portFree(port)).toBe(true);
  const output = run.output();
  expect(output, output).toContain('Tide stopped');
  // $disconnect handlers failing against a stopped DynamoDB, pollers' errors, npm's complaints.
  expect(output.split('\n').filter((line) => /error|threw|warn|fail/i.test(line))).toEqual([]);
  // The AWS SDK's Node 22 notice (10 lines on every start before) is not printed.
  expect(output).not.toMatch(/NodeVersionSupportWarning|node >=22/);
}

// One case at a time: each is a JVM and a stack starting, and two cores gain nothing from overlap.
describe('the local stack stops everything it started, on SIGTERM to npm or Ctrl-C', () => {
  it('on SIGTERM to npm (its shell passes nothing on; the stack sees its launchers go)', async () => {
    const run = await launchHealthy();
    expect(run.output()).toMatch(/Queues +default\n +Agents +alice \(default\)\n +Channels +generic/);
    const { java, stackNode } = tree(run);
    expect(java && stackNode).toBeTruthy();
    const agent = await agentOnline(run);
    process.kill(run.child.pid!, 'SIGTERM');
    // npm ends the way it was asked to: by the signal, passed on to its shell and re-raised.
    expect(await run.exited).toEqual({ code: null, signal: 'SIGTERM' });
    await expectCleanStop(run, agent);
  });

  // What `npm start` runs, without npm: `node --import tsx` (tsx's CLI, which `npm start` no longer
  // uses, would relay SIGINT to its child and SIGKILL it 60 ms later; docs/decisions.md, "Local
  // stack: stopping").
  it('on Ctrl-C (SIGINT to the whole process group): DynamoDB Local is not in it and stops last', async () => {
    const run = await launchHealthy({}, { direct: true });
    const java = descendants(run.child.pid!).find((pid) => cmdline(pid).includes('DynamoDBLocal.jar'));
    expect(processGroupOf(java!)).not.toBe(run.child.pid);
    const agent = await agentOnline(run);
    process.kill(-run.child.pid!, 'SIGINT');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    await expectCleanStop(run, agent);
  });
});

describe('npm start stops everything it started, when its Node process is signalled or killed', () => {
  it('on SIGTERM to the Node process running the stack, and npm exits 0', async () => {
    const run = await launchHealthy();
    const { stackNode } = tree(run);
    const agent = await agentOnline(run);
    process.kill(stackNode!, 'SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    await expectCleanStop(run, agent);
  });

  it('on SIGKILL to the Node process: the DynamoDB Local JVM goes within seconds', async () => {
    const run = await launchHealthy();
    const { java, stackNode } = tree(run);
    expect(java).toBeDefined();
    process.kill(stackNode!, 'SIGKILL');
    await run.exited;
    expect(await allGone(run.marker, 5_000)).toEqual([]);
    expect(await portFree(run.ports.dynamodb)).toBe(true);
  });
});

describe('a port clash', () => {
  it('names the variable that sets the port, exits 1 and leaves nothing running', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    const takenPort = (taken.address() as { port: number }).port;
    try {
      const clash = async (variable: string) => {
        const run = await launch({ [variable]: String(takenPort) });
        const exit = await run.exited;
        return { run, exit };
      };
      const results = await Promise.all([clash('PORT'), clash('DYNAMODB_PORT')]);
      for (const [{ run, exit }, variable] of results.map((r, i) => [r, ['PORT', 'DYNAMODB_PORT'][i]!] as const)) {
        expect(exit.code).not.toBe(0);
        const lines = run.output().split('\n').filter((line) => line.startsWith('Tide cannot start'));
        expect(lines).toEqual([`Tide cannot start: port ${takenPort} on 127.0.0.1 is in use; set ${variable} to a free port (e.g. ${variable}=${takenPort + 100} npm start)`]);
        expect(await allGone(run.marker, 5_000)).toEqual([]);
      }
    } finally {
      taken.close();
    }
  });
});
