import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OverviewFrame } from '../../shared/supervision/overview.js';
import { AgentClient } from '../support/agent-client.js';
import { postMessage } from '../support/channel.js';
import { startStack, type RunningStack } from '../support/local-stack-process.js';
import { startOutboundReceiver } from '../support/outbound-receiver.js';

/**
 * A supervisor over a real WebSocket, against `npm start`'s entry point: the overview after
 * `sync`, and within 2 s of a customer writing and of an agent closing; the supervisors' actions
 * and `ping` through API Gateway's routes as the local gateway emulates them.
 */
let stack: RunningStack;
let outbound: Awaited<ReturnType<typeof startOutboundReceiver>>;
const clients: AgentClient[] = [];
const connect = async (agentId: string, role = 'agent') => {
  const client = await AgentClient.connect(stack, agentId, role);
  clients.push(client);
  return client;
};

/** The overview a client keeps (highest seq), once it passes the test; how long that took. */
async function overviewWhere(client: AgentClient, test: (f: OverviewFrame) => boolean, timeoutMs = 5_000): Promise<{ frame: OverviewFrame; ms: number }> {
  const started = Date.now();
  for (;;) {
    const frames = client.frames.filter((f) => f.type === 'overview') as unknown as OverviewFrame[];
    const kept = frames.reduce<OverviewFrame | undefined>((best, f) => (!best || f.seq > best.seq ? f : best), undefined);
    if (kept && test(kept)) return { frame: kept, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`overview never matched; latest: ${JSON.stringify(kept)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const queue = (f: OverviewFrame, name: string) => f.queues.find((q) => q.queue === name)!;
const agent = (f: OverviewFrame, id: string) => f.agents.find((a) => a.id === id)!;

beforeAll(async () => {
  outbound = await startOutboundReceiver('test-secret');
  stack = await startStack({
    queues: { default: {}, escalations: {} },
    agents: [
      { id: 'alice', name: 'Alice', queues: ['default'], preferredConcurrency: 2, maxLoad: 3 },
      // A supervisor with an agent profile of her own (in a queue nobody writes to).
      { id: 'sue', name: 'Sue', queues: ['escalations'], preferredConcurrency: 1, maxLoad: 1 },
    ],
    channels: { generic: { secret: 'test-secret', outboundUrl: outbound.url } },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  expect(await stack.stop()).toBe(0);
  await outbound.close();
});

describe('a supervisor watching', () => {
  it('sees the overview at sync, then within 2 s of a customer writing and of an agent closing', async () => {
    const sue = await connect('sue', 'supervisor');
    const synced = await sue.request({ action: 'sync' });
    expect(synced).toMatchObject({ type: 'ack', action: 'sync', now: expect.any(String) });
    expect(Math.abs(Date.parse(synced.now as string) - Date.now())).toBeLessThan(5_000);
    // The overview came before the ack.
    const first = sue.frames.findIndex((f) => f.type === 'overview');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(sue.frames.indexOf(synced));
    const initial = await overviewWhere(sue, () => true);
    expect(initial.frame.queues.map((q) => q.queue)).toEqual(['default', 'escalations']);
    expect(queue(initial.frame, 'default')).toEqual({ queue: 'default', queued: 0, oldestQueuedAt: null, slaBreached: 0, agentsOnline: 0 });

    const written = Date.now();
    const posted = await postMessage(stack.httpUrl, { externalId: 'sup-1', from: '+15550300', text: 'Is anyone there?' });
    expect(posted.status).toBe(202);
    const waiting = await overviewWhere(sue, (f) => queue(f, 'default').queued === 1);
    expect(Date.now() - written).toBeLessThan(2_000);
    expect(Date.parse(queue(waiting.frame, 'default').oldestQueuedAt!)).toBeGreaterThan(written - 5_000);

    const alice = await connect('alice');
    await alice.request({ action: 'setStatus', status: 'online' });
    const assigned = await alice.waitForWorklist((w) => w.items.length === 1);
    await overviewWhere(sue, (f) => queue(f, 'default').queued === 0 && agent(f, 'alice').active === 1 && queue(f, 'default').agentsOnline === 1);

    const closing = Date.now();
    expect(await alice.request({ action: 'close', conversationId: assigned.items[0]!.conversationId })).toMatchObject({ type: 'ack', now: expect.any(String) });
    await overviewWhere(sue, (f) => agent(f, 'alice').active === 0);
    expect(Date.now() - closing).toBeLessThan(2_000);
  });

  it('acts on anyone’s work; an agent may not', async () => {
    const sue = clients[0]!;
    const alice = clients[1]!;
    const posted = await postMessage(stack.httpUrl, { externalId: 'sup-2', from: '+15550301', text: 'Hello again' });
    const conversationId = posted.body.conversationId!;
    await alice.waitForWorklist((w) => w.items.some((i) => i.conversationId === conversationId));
    expect(await alice.request({ action: 'reassign', conversationId, queue: 'escalations' })).toMatchObject({ type: 'error', code: 'forbidden' });
    expect(await alice.request({ action: 'setAgentStatus', agentId: 'alice', status: 'away' })).toMatchObject({ type: 'error', code: 'forbidden' });

    expect(await sue.request({ action: 'reassign', conversationId, queue: 'escalations', note: 'Needs a manager' })).toMatchObject({ type: 'ack', conversationId });
    await alice.waitForWorklist((w) => !w.items.some((i) => i.conversationId === conversationId));
    await overviewWhere(sue, (f) => queue(f, 'escalations').queued === 1 && agent(f, 'alice').active === 0);
    expect(await sue.request({ action: 'setAgentStatus', agentId: 'alice', status: 'offline' })).toMatchObject({ type: 'ack', agentId: 'alice', status: 'offline' });
    await alice.waitForWorklist((w) => w.agent.status === 'offline');
    await overviewWhere(sue, (f) => agent(f, 'alice').status === 'offline' && queue(f, 'default').agentsOnline === 0);
  });

  it('ping answers with the server time', async () => {
    const alice = clients[1]!;
    const pong = await alice.request({ action: 'ping' });
    expect(pong).toEqual({ type: 'ack', action: 'ping', requestId: pong.requestId, now: expect.any(String) });
  });
});
