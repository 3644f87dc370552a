import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../support/agent-client.js';
import { postMessage } from '../support/channel.js';
import { startStack, type RunningStack } from '../support/local-stack-process.js';
import { startOutboundReceiver } from '../support/outbound-receiver.js';

/**
 * The core loop through the external contract: message in → queued → agent online → assigned and
 * pushed → reply out to the channel → close; plus the WebSocket rules of DESIGN §4.
 */
let stack: RunningStack;
let outbound: Awaited<ReturnType<typeof startOutboundReceiver>>;
const clients: AgentClient[] = [];
/** The first connection of each agent. */
const agent: Record<string, AgentClient> = {};
let externalId = 0;
const customerSays = (from: string, text: string, extra: Record<string, unknown> = {}) =>
  postMessage(stack.httpUrl, { externalId: `loop-${++externalId}`, from, text, ...extra });
const connect = async (agentId: string) => {
  const client = await AgentClient.connect(stack, agentId);
  clients.push(client);
  agent[agentId] ??= client;
  return client;
};

beforeAll(async () => {
  outbound = await startOutboundReceiver('test-secret');
  stack = await startStack({
    queues: { default: {}, billing: {}, bulk: {} },
    agents: [
      { id: 'dave', queues: ['bulk'], preferredConcurrency: 40, maxLoad: 40 },
      { id: 'alice', queues: ['default'], preferredConcurrency: 2, maxLoad: 3 },
      { id: 'bob', queues: ['billing'], preferredConcurrency: 2, maxLoad: 3 },
      { id: 'carol', queues: ['default'], preferredConcurrency: 1, maxLoad: 1 },
    ],
    channels: { generic: { secret: 'test-secret', outboundUrl: outbound.url } },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  expect(await stack.stop()).toBe(0);
  await outbound.close();
});

describe('WebSocket handshake', () => {
  const handshakeStatus = (url: string) =>
    new Promise<number>((resolve) => {
      const socket = new WebSocket(url);
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => (socket.close(), resolve(101)));
      socket.once('error', () => undefined);
    });

  it('refuses a missing token with HTTP 401', async () => {
    expect(await handshakeStatus(`${stack.wsUrl}/`)).toBe(401);
  });

  it('refuses a forged or tampered token with HTTP 401', async () => {
    const token = await AgentClient.token(stack.httpUrl, 'alice');
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'bob' })).toString('base64url');
    expect(await handshakeStatus(`${stack.wsUrl}/?token=${header}.${forged}.${signature}`)).toBe(401);
    expect(await handshakeStatus(`${stack.wsUrl}/?token=not-a-jwt`)).toBe(401);
  });

  it('issues dev tokens only for agents that exist', async () => {
    const res = await fetch(`${stack.httpUrl}/dev/token`, { method: 'POST', body: JSON.stringify({ agentId: 'nobody', role: 'agent' }) });
    expect(res.status).toBe(404);
  });
});

describe('the core loop', () => {
  it('routes a queued message to the agent who comes online, and pushes it', async () => {
    const queued = await customerSays('+15551000', 'Hi, my order is late', { name: 'Ana' });
    expect(queued.status).toBe(202);
    const alice = await connect('alice');
    const ack = await alice.request({ action: 'setStatus', status: 'online' });
    expect(ack).toMatchObject({ type: 'ack', status: 'online' });
    const list = await alice.waitForWorklist((w) => w.items.some((i) => i.conversationId === queued.body.conversationId));
    const item = list.items.find((i) => i.conversationId === queued.body.conversationId)!;
    expect(item).toMatchObject({
      state: 'active',
      waitingOn: 'agent',
      customer: { id: '+15551000' },
      lastMessage: { direction: 'in', text: 'Hi, my order is late' },
      slaBreached: false,
      followUpAt: null,
    });
    expect(Date.parse(item.slaDueAt!)).toBeGreaterThan(Date.parse(item.lastMessage.at));
    expect(list.agent).toMatchObject({ id: 'alice', status: 'online', preferredConcurrency: 2, maxLoad: 3 });
    expect(list.agent.active).toBe(list.items.filter((i) => i.state === 'active').length);
  });

  it('pushes a new inbound message on an assigned conversation as a message frame', async () => {
    const alice = agent.alice!;
    const first = alice.worklist!.items[0]!;
    const res = await customerSays(first.customer.id, 'Any news?');
    const frame = await alice.waitFor((f) => f.type === 'message' && f.conversationId === first.conversationId && (f.message as { text: string }).text === 'Any news?');
    expect(frame.message).toMatchObject({ id: res.body.messageId, direction: 'in', text: 'Any news?' });
  });

  it('sends a reply to the channel, signed, and the conversation then waits on the customer', async () => {
    const alice = agent.alice!;
    const conversationId = alice.worklist!.items[0]!.conversationId;
    const ack = await alice.request({ action: 'send', conversationId, text: 'It ships today.' });
    expect(ack).toMatchObject({ type: 'ack', conversationId });
    expect(ack.messageId).toMatch(/^mo_/);
    await alice.waitForWorklist((w) => w.items.find((i) => i.conversationId === conversationId)?.waitingOn === 'customer');
    const item = alice.worklist!.items.find((i) => i.conversationId === conversationId)!;
    expect(item.lastMessage).toMatchObject({ direction: 'out', text: 'It ships today.' });
    expect(item.slaDueAt).toBeNull();
    await expect.poll(() => outbound.received.find((r) => r.body.messageId === ack.messageId)).toBeTruthy();
    const delivered = outbound.received.find((r) => r.body.messageId === ack.messageId)!;
    expect(delivered).toMatchObject({ signed: true, body: { conversationId, to: '+15551000', text: 'It ships today.' } });
  });

  it('retries a reply the channel fails with 5xx until it is accepted', async () => {
    const alice = agent.alice!;
    const conversationId = alice.worklist!.items[0]!.conversationId;
    outbound.failNext(503, 500);
    const ack = await alice.request({ action: 'send', conversationId, text: 'Tracking number follows.' });
    await expect.poll(() => outbound.received.filter((r) => r.body.messageId === ack.messageId).map((r) => r.status), { timeout: 10_000 })
      .toEqual([503, 500, 200]);
  });

  it('does not send twice when a client retries a send with the same requestId', async () => {
    const alice = agent.alice!;
    const conversationId = alice.worklist!.items[0]!.conversationId;
    const frame = { action: 'send', conversationId, text: 'Once only', requestId: 'same-request' };
    alice.sendRaw(JSON.stringify(frame));
    alice.sendRaw(JSON.stringify(frame));
    await expect.poll(() => alice.frames.filter((f) => f.type === 'ack' && f.requestId === 'same-request').length).toBe(2);
    const ids = new Set(alice.frames.filter((f) => f.requestId === 'same-request').map((f) => f.messageId));
    expect(ids.size).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(outbound.received.filter((r) => r.body.text === 'Once only' && r.status === 200)).toHaveLength(1);
  });

  it('closes a conversation: it leaves the next push, and the customer\'s next message opens a new one', async () => {
    const alice = agent.alice!;
    const item = alice.worklist!.items[0]!;
    const ack = await alice.request({ action: 'close', conversationId: item.conversationId });
    expect(ack).toMatchObject({ type: 'ack', conversationId: item.conversationId });
    await alice.waitForWorklist((w) => !w.items.some((i) => i.conversationId === item.conversationId));
    const again = await customerSays(item.customer.id, 'One more thing');
    expect(again.status).toBe(202);
    expect(again.body.conversationId).not.toBe(item.conversationId);
    const closedAgain = await alice.request({ action: 'close', conversationId: item.conversationId });
    expect(closedAgain).toMatchObject({ type: 'error', code: 'invalid_state' });
  });
});

describe('agent actions are authorised and validated', () => {
  it('refuses to act on another agent\'s conversation with forbidden, and changes nothing', async () => {
    const alice = agent.alice!;
    const carol = await connect('carol');
    await alice.waitForWorklist((w) => w.items.length > 0);
    const target = alice.worklist!.items[0]!;
    for (const action of [
      { action: 'send', conversationId: target.conversationId, text: 'hijack' },
      { action: 'close', conversationId: target.conversationId },
      { action: 'transfer', conversationId: target.conversationId, queue: 'billing' },
    ]) {
      expect(await carol.request(action)).toMatchObject({ type: 'error', code: 'forbidden' });
    }
    await alice.request({ action: 'sync' });
    const after = await alice.waitForWorklist((w) => w.seq > 0);
    expect(after.items.find((i) => i.conversationId === target.conversationId)?.lastMessage).toEqual(target.lastMessage);
  });

  it.each([
    ['an unknown action', { action: 'dance' }, 'invalid_request'],
    ['a bad status', { action: 'setStatus', status: 'busy' }, 'invalid_request'],
    ['send without text', { action: 'send', conversationId: 'c_x' }, 'invalid_request'],
    ['transfer with both targets', { action: 'transfer', conversationId: 'c_x', queue: 'default', agentId: 'bob' }, 'invalid_request'],
    ['an unknown conversation', { action: 'close', conversationId: 'c_missing' }, 'not_found'],
  ])('answers %s with an error frame', async (_label, action, code) => {
    const carol = agent.carol!;
    expect(await carol.request(action)).toMatchObject({ type: 'error', code });
  });

  it('answers a frame that is not JSON with invalid_request', async () => {
    const carol = agent.carol!;
    carol.sendRaw('hello');
    await carol.waitFor((f) => f.type === 'error' && f.code === 'invalid_request' && f.requestId === undefined);
  });
});

describe('transfer and presence', () => {
  it('transfers to a queue: the conversation leaves the sender and reaches that queue\'s agent', async () => {
    const alice = agent.alice!;
    const bob = await connect('bob');
    await bob.request({ action: 'setStatus', status: 'online' });
    const item = alice.worklist!.items[0]!;
    expect(await alice.request({ action: 'transfer', conversationId: item.conversationId, queue: 'billing' })).toMatchObject({ type: 'ack' });
    await alice.waitForWorklist((w) => !w.items.some((i) => i.conversationId === item.conversationId));
    const received = await bob.waitForWorklist((w) => w.items.some((i) => i.conversationId === item.conversationId));
    // History and SLA travel with it.
    expect(received.items.find((i) => i.conversationId === item.conversationId)).toMatchObject({
      lastMessage: item.lastMessage,
      slaDueAt: item.slaDueAt,
    });
  });

  it('transfers to an agent, and refuses one at maximum load', async () => {
    const bob = agent.bob!;
    const item = bob.worklist!.items[0]!;
    expect(await bob.request({ action: 'transfer', conversationId: item.conversationId, agentId: 'alice' })).toMatchObject({ type: 'ack' });
    const alice = agent.alice!;
    await alice.waitForWorklist((w) => w.items.some((i) => i.conversationId === item.conversationId));
    // carol is offline: a hand-over to her is refused.
    const next = alice.worklist!.items[0]!;
    expect(await alice.request({ action: 'transfer', conversationId: next.conversationId, agentId: 'carol' })).toMatchObject({
      type: 'error',
      code: 'invalid_state',
    });
  });

  it('going offline puts active conversations back in their queues, where other agents pick them up', async () => {
    const alice = agent.alice!;
    const carol = agent.carol!;
    const bob = agent.bob!;
    const fresh = await customerSays('+15551077', 'Hello?');
    await alice.waitForWorklist((w) => w.items.some((i) => i.conversationId === fresh.body.conversationId));
    const active = alice.worklist!.items.filter((i) => i.state === 'active');
    const billing = active.find((i) => i.queue === 'billing')!;
    expect(billing).toBeDefined();
    await carol.request({ action: 'setStatus', status: 'online' });
    await alice.request({ action: 'setStatus', status: 'offline' });
    await alice.waitForWorklist((w) => w.items.length === 0 && w.agent.status === 'offline');
    // The default-queue conversation goes to carol, the billing one back to bob.
    await carol.waitForWorklist((w) => w.items.some((i) => i.conversationId === fresh.body.conversationId));
    await bob.waitForWorklist((w) => w.items.some((i) => i.conversationId === billing.conversationId));
  });

  it('delivers every push to each of an agent\'s connections, with one strictly increasing seq', async () => {
    const first = agent.carol!;
    const second = await connect('carol');
    await first.request({ action: 'sync' });
    const seqA = (await second.waitForWorklist((w) => w.seq > (first.worklist?.seq ?? 0) - 1)).seq;
    await second.request({ action: 'sync' });
    await first.waitForWorklist((w) => w.seq > seqA);
    expect(second.worklist!.seq).toBe(first.worklist!.seq);
  });
});

describe('work-list frames fit API Gateway\'s 128 KB', () => {
  it('cuts long last messages to 500 characters, so 40 conversations of 4,096 emoji still reach the agent', { timeout: 60_000 }, async () => {
    const dave = await connect('dave');
    await dave.request({ action: 'setStatus', status: 'online' });
    const long = '🙂'.repeat(4096);
    const posted = await Promise.all(Array.from({ length: 40 }, (_, i) => customerSays(`+1555900${String(i).padStart(4, '0')}`, long, { queue: 'bulk' })));
    expect(posted.map((p) => p.status)).toEqual(Array(40).fill(202));
    const frame = await dave.waitForWorklist((w) => w.items.length === 40, 30_000);
    expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThanOrEqual(128 * 1024);
    for (const item of frame.items) {
      expect([...item.lastMessage.text]).toHaveLength(500);
      expect(item.lastMessage.text.endsWith('…')).toBe(true);
    }
    // The whole text comes in the message frame.
    await customerSays('+15559000000', `${long.slice(0, 4000)} again`, { queue: 'bulk' });
    const message = await dave.waitFor((f) => f.type === 'message' && (f.message as { text: string }).text.endsWith(' again'));
    expect((message.message as { text: string }).text).toBe(`${long.slice(0, 4000)} again`);
  });
});
