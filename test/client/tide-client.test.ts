import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { ConnectionLostError, NotConnectedError, TideClient, TideRequestError, type ConnectionState, type TideClientOptions } from '../../client/tide-client.js';
import { freePort } from '../../infra/local/free-port.js';
import { AgentClient } from '../support/agent-client.js';
import { postMessage } from '../support/channel.js';
import { startStack, type RunningStack } from '../support/local-stack-process.js';
import { dropConnection, openConnectionIds } from '../support/stack-connections.js';

/**
 * The console's client against the real local stack (`npm start`'s entry point as a process),
 * with `ws` as its WebSocket. Each test uses its own agent, so work lists do not interfere; the
 * agent ids are unique to this file because connections are found by agent id (stack-connections).
 */
const secret = 'client-test-secret';
const agents = ['ana', 'ben', 'cy', 'dee', 'eli', 'fay', 'gus', 'hal', 'ivy', 'jo', 'kit', 'lu'].map((n) => `client-${n}`);
const realSetTimeout = globalThis.setTimeout;
const sleep = (ms: number) => new Promise((r) => realSetTimeout(r, ms));

let stack: RunningStack;
let managementUrl: string;
const clients: TideClient[] = [];

beforeAll(async () => {
  const managementPort = await freePort();
  managementUrl = `http://127.0.0.1:${managementPort}`;
  stack = await startStack(
    {
      queues: { default: { slaSeconds: 120 } },
      agents: agents.map((id) => ({ id, name: id, queues: ['default'], preferredConcurrency: 2, maxLoad: 3 })),
      channels: { generic: { secret, outboundUrl: 'http://127.0.0.1:9/out' } },
    },
    { MANAGEMENT_PORT: String(managementPort) },
  );
});

afterEach(() => {
  vi.useRealTimers();
  for (const c of clients.splice(0)) c.stop();
});

afterAll(async () => {
  await stack?.stop();
});

/** `ws`'s WebSocket, recording what the client sends and every socket it opens. */
function recordingSocket() {
  const made: Array<WebSocket & { sent: Array<Record<string, unknown>>; received: Array<Record<string, unknown>> }> = [];
  class RecordingSocket extends WebSocket {
    readonly sent: Array<Record<string, unknown>> = [];
    readonly received: Array<Record<string, unknown>> = [];
    constructor(url: string) {
      super(url);
      this.on('message', (data) => this.received.push(JSON.parse(String(data)) as Record<string, unknown>));
      made.push(this);
    }
    override send(data: unknown, ...rest: unknown[]): void {
      this.sent.push(JSON.parse(String(data)) as Record<string, unknown>);
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  }
  return { RecordingSocket, made };
}

interface Harness {
  client: TideClient;
  states: ConnectionState[];
  tokens: string[];
  made: ReturnType<typeof recordingSocket>['made'];
}

function harness(agentId: string, options: Partial<TideClientOptions> & { tokenFor?: (n: number) => Promise<string> } = {}): Harness {
  const { RecordingSocket, made } = recordingSocket();
  const tokens: string[] = [];
  const { tokenFor, ...rest } = options;
  const client = new TideClient({
    url: stack.wsUrl,
    WebSocket: RecordingSocket,
    token: async () => {
      const token = tokenFor ? await tokenFor(tokens.length) : await AgentClient.token(stack.httpUrl, agentId);
      tokens.push(token);
      return token;
    },
    events: {},
    ...rest,
  });
  const states: ConnectionState[] = [];
  client.on('state', (s) => states.push(s));
  clients.push(client);
  return { client, states, tokens, made };
}

/** `what` may be a function, to say what was seen at the moment the wait gave up. */
async function until(test: () => boolean, what: string | (() => string), timeoutMs = 10_000): Promise<void> {
  // performance.now(): some tests fake Date.
  const deadline = performance.now() + timeoutMs;
  while (!test()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(20);
  }
}

const live = (h: Harness, timeoutMs?: number) => until(() => h.client.state === 'live', 'the client to be live', timeoutMs);

describe('TideClient against the local stack', () => {
  it('connects with a token, sends sync first, and is live once the work list arrives', async () => {
    const h = harness(agents[0]!);
    h.client.start();
    expect(h.client.state).toBe('connecting');
    // Nothing is buffered while not live.
    await expect(h.client.setStatus('online')).rejects.toBeInstanceOf(NotConnectedError);
    await live(h);
    expect(h.states).toEqual(['connecting', 'live']);
    expect(h.tokens).toHaveLength(1);
    expect(h.made).toHaveLength(1);
    expect(h.made[0]!.sent[0]).toMatchObject({ action: 'sync', requestId: expect.any(String) });
    expect(h.client.worklist).toMatchObject({ type: 'worklist', agent: { id: agents[0], status: 'offline' }, items: [] });
    expect(h.made[0]!.sent.filter((f) => f.action === 'setStatus')).toEqual([]);
  });

  it('answers requests with their acks, and follows the work list as it changes', async () => {
    const agentId = agents[1]!;
    const h = harness(agentId);
    const worklists: number[] = [];
    h.client.on('worklist', (w) => worklists.push(w.seq));
    h.client.start();
    await live(h);

    const online = await h.client.setStatus('online');
    expect(online).toMatchObject({ type: 'ack', action: 'setStatus', status: 'online' });
    await until(() => h.client.worklist?.agent.status === 'online', 'the online work list');

    const posted = await postMessage(stack.httpUrl, { externalId: 'client-m1', from: '+15550190001', text: 'Where is my order?', name: 'Ana' }, { secret });
    expect(posted.status).toBe(202);
    const conversationId = posted.body.conversationId!;
    await until(() => h.client.worklist?.items.some((i) => i.conversationId === conversationId) === true, 'the conversation in the work list');
    expect(h.client.worklist!.items[0]).toMatchObject({ conversationId, waitingOn: 'agent', customer: { id: '+15550190001' } });

    const sent = await h.client.send(conversationId, 'It left the warehouse today.');
    expect(sent).toMatchObject({ action: 'send', conversationId, messageId: expect.any(String) });
    await until(() => h.client.worklist?.items.find((i) => i.conversationId === conversationId)?.waitingOn === 'customer', 'waiting on the customer');

    await expect(h.client.close(conversationId)).resolves.toMatchObject({ action: 'close', conversationId });
    await until(() => h.client.worklist?.items.every((i) => i.conversationId !== conversationId) === true, 'the closed conversation gone');

    // Every request had its own id; every work list passed on had a higher seq than the last.
    const ids = h.made.flatMap((s) => s.sent.map((f) => f.requestId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(worklists).toEqual([...worklists].sort((a, b) => a - b));
    expect(new Set(worklists).size).toBe(worklists.length);
    await h.client.setStatus('offline');
  });

  it('rejects a request the server refuses with TideRequestError carrying the code and requestId, and stays live', async () => {
    const h = harness(agents[2]!);
    h.client.start();
    await live(h);
    const notFound = await h.client.close('no-such-conversation').catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(TideRequestError);
    expect(notFound).toMatchObject({ code: 'not_found' });
    const sentClose = h.made[0]!.sent.find((f) => f.action === 'close')!;
    expect((notFound as TideRequestError).requestId).toBe(sentClose.requestId);

    await expect(h.client.send('no-such-conversation', '   ')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(h.client.followUp('no-such-conversation', new Date(Date.now() + 60_000))).rejects.toMatchObject({ code: 'not_found' });
    expect(h.client.state).toBe('live');
    await expect(h.client.sync()).resolves.toMatchObject({ action: 'sync' });
  });

  it('keeps the work list with the highest seq and drops an older one', async () => {
    const h = harness(agents[3]!);
    h.client.start();
    await live(h);
    const held = h.client.worklist!;
    const passedOn: number[] = [];
    h.client.on('worklist', (w) => passedOn.push(w.seq));
    // An older push arriving late (it was in flight when a newer one overtook it).
    const older = { ...held, seq: held.seq - 1, agent: { ...held.agent, status: 'away' } };
    h.made[0]!.emit('message', Buffer.from(JSON.stringify(older)), false);
    expect(h.client.worklist).toBe(held);
    expect(passedOn).toEqual([]);

    await h.client.sync();
    await until(() => h.client.worklist!.seq > held.seq, 'a newer work list');
    expect(passedOn).toEqual([h.client.worklist!.seq]);
    h.made[0]!.emit('message', Buffer.from(JSON.stringify({ ...older, seq: held.seq })), false);
    expect(h.client.worklist!.seq).toBeGreaterThan(held.seq);
  });

  it('reconnects after the gateway drops the connection, with a new token, and syncs again', async () => {
    const agentId = agents[4]!;
    const h = harness(agentId);
    h.client.start();
    await live(h);
    const before = h.client.worklist!.seq;
    const [connectionId, ...others] = await openConnectionIds(managementUrl, agentId);
    expect(others).toEqual([]);

    await dropConnection(managementUrl, connectionId!);
    await until(() => h.states.includes('reconnecting'), 'reconnecting');
    await live(h);
    expect(h.states).toEqual(['connecting', 'live', 'reconnecting', 'live']);
    expect(h.tokens).toHaveLength(2);
    expect(h.tokens[1]).not.toBe(h.tokens[0]);
    expect(h.made).toHaveLength(2);
    expect(h.made[1]!.sent[0]).toMatchObject({ action: 'sync' });
    expect(h.client.worklist!.seq).toBeGreaterThan(before);
    // The server knows the new connection and no longer the old one.
    const now = await openConnectionIds(managementUrl, agentId);
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(connectionId);
    await expect(h.client.sync()).resolves.toMatchObject({ action: 'sync' });
  });

  it('rejects a request whose socket dies before the answer, and reconnects', async () => {
    const h = harness(agents[5]!);
    h.client.start();
    await live(h);
    const waiting = h.client.setStatus('away');
    // The network goes: the answer can no longer arrive on this socket.
    h.made[0]!.terminate();
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect(error).toBeInstanceOf(NotConnectedError);
    expect((error as ConnectionLostError).requestId).toBe(h.made[0]!.sent.find((f) => f.action === 'setStatus')!.requestId);
    expect(h.client.state).toBe('reconnecting');
    await expect(h.client.setStatus('away')).rejects.toBeInstanceOf(NotConnectedError);
    await live(h);
    expect(h.tokens).toHaveLength(2);
    // Retried with the same requestId, the first answer comes back (or the action is done once).
    const requestId = (error as ConnectionLostError).requestId;
    await expect(h.client.request({ action: 'setStatus', status: 'away', requestId })).resolves.toMatchObject({ requestId, status: 'away' });
  });

  it('retries a refused handshake with backoff, asking for a fresh token each time', async () => {
    const agentId = agents[6]!;
    const h = harness(agentId, { tokenFor: async (n) => (n < 2 ? 'not-a-jwt' : AgentClient.token(stack.httpUrl, agentId)) });
    h.client.start();
    await live(h);
    expect(h.tokens.slice(0, 2)).toEqual(['not-a-jwt', 'not-a-jwt']);
    expect(h.tokens).toHaveLength(3);
    expect(h.states).toEqual(['connecting', 'reconnecting', 'live']);
  });

  it('connects at once when the browser comes back online, skipping a long backoff', async () => {
    const agentId = agents[7]!;
    const window = new EventTarget();
    // Five failures with no wait, then the next wait would be about 30 s.
    const draws = [0, 0, 0, 0, 0];
    let failing = true;
    const h = harness(agentId, {
      events: { window },
      random: () => draws.shift() ?? 0.999,
      tokenFor: async () => {
        if (failing) throw new Error('offline');
        return AgentClient.token(stack.httpUrl, agentId);
      },
    });
    h.client.start();
    await until(() => h.tokens.length === 0 && draws.length === 0, 'the backoff to grow');
    await sleep(100);
    failing = false;
    const since = Date.now();
    window.dispatchEvent(new Event('online'));
    await live(h, 5_000);
    expect(Date.now() - since).toBeLessThan(5_000);
    expect(h.tokens).toHaveLength(1);
  });

  it('pings a live socket when the tab becomes visible, and replaces a stale one at once', async () => {
    const agentId = agents[8]!;
    const document = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
    const h = harness(agentId, { events: { document }, pingIntervalMs: 60_000 });
    h.client.start();
    await live(h);
    const pings = () => h.made.flatMap((s) => s.sent.filter((f) => f.action === 'ping'));

    document.dispatchEvent(new Event('visibilitychange'));
    await sleep(100);
    expect(pings()).toEqual([]); // still hidden

    document.visibilityState = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
    expect(pings()).toHaveLength(1);
    await sleep(500);
    expect(h.client.state).toBe('live');
    expect(h.made).toHaveLength(1);

    // The machine slept for ten minutes: no timer ran, the socket is silent past a ping and its answer.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 10 * 60_000);
    document.dispatchEvent(new Event('visibilitychange'));
    expect(h.client.state).toBe('reconnecting');
    await live(h);
    expect(h.made).toHaveLength(2);
    expect(h.tokens).toHaveLength(2);
  });

  it('pings on its interval, and treats a socket that stops answering as dead', async () => {
    const h = harness(agents[9]!, { pingIntervalMs: 200, pongTimeoutMs: 1_500 });
    h.client.start();
    await live(h);
    await sleep(1_000);
    const pings = h.made[0]!.sent.filter((f) => f.action === 'ping');
    expect(pings.length).toBeGreaterThanOrEqual(3);
    expect(h.client.state).toBe('live');
    expect(h.made).toHaveLength(1);

    // Half-open, as after a network change: nothing arrives any more.
    h.made[0]!.pause();
    await until(() => h.made.length === 2, 'a new socket', 5_000);
    await live(h);
    expect(h.states).toEqual(['connecting', 'live', 'reconnecting', 'live']);
    h.made[0]!.terminate();
  });

  it('replaces the connection before its limit without a gap: opens the next, syncs, then closes the old one', async () => {
    const agentId = agents[10]!;
    const h = harness(agentId, { replaceAfterMs: 500 });
    h.client.start();
    await live(h);
    let worklistMissing = false;
    h.client.on('state', () => (worklistMissing ||= h.client.worklist === undefined));
    // Requests keep going through the replacements.
    const answers: Array<Promise<unknown>> = [];
    const deadline = Date.now() + 2_200;
    while (Date.now() < deadline) {
      answers.push(h.client.setStatus('away'));
      await sleep(50);
    }
    const settled = await Promise.allSettled(answers);
    expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
    expect(h.made.length).toBeGreaterThanOrEqual(3);
    expect(h.states).toEqual(['connecting', 'live']);
    expect(worklistMissing).toBe(false);
    expect(h.tokens.length).toBeGreaterThanOrEqual(h.made.length);
    expect(new Set(h.tokens).size).toBe(h.tokens.length);
    // Every socket's first frame was sync (the newest may still be opening).
    expect(h.made.slice(0, -1).every((s) => s.sent.length > 0)).toBe(true);
    for (const socket of h.made.filter((s) => s.sent.length > 0)) expect(socket.sent[0]).toMatchObject({ action: 'sync' });
    // The old ones close once their requests are answered; the server holds at most the live one and the next.
    await until(() => h.made.slice(0, -2).every((s) => s.readyState === WebSocket.CLOSED), 'old sockets closed');
    expect((await openConnectionIds(managementUrl, agentId)).length).toBeLessThanOrEqual(2);
  });

  it('is live for a supervisor once the overview arrives, and follows it as agents change', async () => {
    const supervisor = harness('client-supervisor', { tokenFor: () => AgentClient.token(stack.httpUrl, 'client-supervisor', 'supervisor') });
    supervisor.client.start();
    await live(supervisor);
    expect(supervisor.client.worklist).toBeUndefined();
    const first = supervisor.client.overview!;
    expect(first).toMatchObject({ type: 'overview', queues: [expect.objectContaining({ queue: 'default' })] });
    expect(first.agents.map((a) => a.id)).toEqual(expect.arrayContaining(agents));

    const agentId = agents[11]!;
    await expect(supervisor.client.setAgentStatus(agentId, 'away')).resolves.toMatchObject({ action: 'setAgentStatus' });
    await until(() => supervisor.client.overview?.agents.find((a) => a.id === agentId)?.status === 'away', 'the overview to show the agent away', 3_000);
    expect(supervisor.client.overview!.seq).toBeGreaterThan(first.seq);

    // An agent's token may not act for others.
    const agent = harness(agentId);
    agent.client.start();
    await live(agent);
    await expect(agent.client.setAgentStatus(agents[10]!, 'online')).rejects.toMatchObject({ code: 'forbidden' });
    await agent.client.setStatus('offline');
  });

  it('stops: closes its sockets, rejects requests and does not reconnect', async () => {
    const h = harness(agents[11]!);
    h.client.start();
    await live(h);
    h.client.stop();
    expect(h.client.state).toBe('closed');
    await expect(h.client.sync()).rejects.toBeInstanceOf(NotConnectedError);
    await sleep(700);
    expect(h.made).toHaveLength(1);
    expect(h.made[0]!.readyState).toBe(WebSocket.CLOSED);
  });
});

describe('TideClient timers (fake clock, real stack)', () => {
  // Retried once: it drives a fake clock against a real stack, whose answers a loaded CI machine
  // can delay past what the clock steps assume.
  it('pings every 4.5 minutes by default and opens the next connection at 110 minutes, before API Gateway cuts it at 2 h', { retry: 1 }, async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const h = harness(agents[0]!);
    h.client.start();
    await live(h);
    const socket = h.made[0]!;
    // Live comes with the snapshot, which the server sends just before its ack of `sync`. The
    // clock must not move until that ack is in too, or the sync's fake-time timeout fires first
    // and the client, rightly, gives the socket up (what failed this test on loaded CI machines).
    const syncId = socket.sent.find((f) => f.action === 'sync')?.requestId;
    await until(() => socket.received.some((f) => f.type === 'ack' && f.requestId === syncId), 'the ack of sync', 30_000);
    await new Promise((resolve) => setImmediate(resolve));
    const answered = new Set<unknown>();
    let frames = 0;
    socket.on('message', (data) => {
      frames++;
      answered.add((JSON.parse(String(data)) as { requestId?: unknown }).requestId);
    });
    const pings = () => socket.sent.filter((f) => f.action === 'ping');
    // Each ping is answered over the real socket before the clock moves on. The wait is real time
    // and generous (a loaded CI machine can stall the stack's process for seconds); a failure says
    // what the socket had seen, so a lost answer can be told from a slow one.
    // Then one macrotask, so the client has taken the answer too (its ping settles in a promise
    // callback) before the next interval fires.
    const answeredLastPing = async () => {
      const last = pings().at(-1)?.requestId;
      await until(
        () => answered.has(last),
        () => `the answer to ping ${String(last)} (${pings().length} sent, ${frames} frames received, socket state ${socket.readyState}, client ${h.client.state})`,
        30_000,
      );
      await new Promise((resolve) => setImmediate(resolve));
    };
    vi.advanceTimersByTime(4.5 * 60_000 - 1_000);
    expect(pings()).toHaveLength(0);
    vi.advanceTimersByTime(1_000);
    expect(pings()).toHaveLength(1);
    for (let minute = 4.5; minute + 4.5 < 110; minute += 4.5) {
      await answeredLastPing();
      vi.advanceTimersByTime(4.5 * 60_000);
    }
    await answeredLastPing();
    expect(h.made).toHaveLength(1);
    expect(pings()).toHaveLength(24);
    vi.advanceTimersByTime(110 * 60_000 - 24 * 4.5 * 60_000);
    // From here the fake clock moves on as the real one does (a slow token fetch retried, say).
    const ticking = (test: () => boolean) => () => (vi.advanceTimersByTime(20), test());
    await until(ticking(() => h.made.length === 2), 'the replacement socket');
    await until(ticking(() => h.made[0]!.readyState === WebSocket.CLOSED), 'the old socket closed');
    expect(h.states).toEqual(['connecting', 'live']);
    expect(h.tokens).toHaveLength(2);
  });

  it('backs off with full jitter, doubling up to 30 s, and starts again from 0.5 s after 5 s of stable uptime', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const agentId = agents[1]!;
    let failing = true;
    const asked: number[] = [];
    const h = harness(agentId, {
      random: () => 0.999,
      tokenFor: async () => {
        asked.push(Date.now());
        if (failing) throw new Error('identity provider unavailable');
        return AgentClient.token(stack.httpUrl, agentId);
      },
    });
    const t0 = Date.now();
    h.client.start();
    const flush = async () => {
      for (let i = 0; i < 20; i++) await Promise.resolve();
    };
    // Attempt 1 at once; after n failures the wait is just under min(30 s, 0.5 s·2^n).
    const ceilings = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
    await flush();
    expect(asked).toHaveLength(1);
    for (const [i, ceiling] of ceilings.entries()) {
      const wait = Math.floor(0.999 * ceiling);
      vi.advanceTimersByTime(wait - 1);
      await flush();
      expect(asked).toHaveLength(i + 1);
      vi.advanceTimersByTime(1);
      await flush();
      expect(asked).toHaveLength(i + 2);
    }
    expect(asked[asked.length - 1]! - t0).toBe(ceilings.reduce((sum, c) => sum + Math.floor(0.999 * c), 0));

    failing = false;
    vi.advanceTimersByTime(Math.floor(0.999 * 30_000));
    await live(h);
    vi.advanceTimersByTime(5_000); // stable
    h.made[0]!.terminate();
    await until(() => h.client.state === 'reconnecting', 'reconnecting');
    const dropped = asked.length;
    vi.advanceTimersByTime(498);
    await flush();
    expect(asked).toHaveLength(dropped);
    vi.advanceTimersByTime(1);
    await until(() => asked.length === dropped + 1, 'a retry within 0.5 s');
    await live(h);
  });
});
