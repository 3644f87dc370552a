import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../shared/channels/generic/signature.js';
import { AgentClient } from '../support/agent-client.js';
import { startStack, type RunningStack } from '../support/local-stack-process.js';
import { startOutboundReceiver } from '../support/outbound-receiver.js';

/**
 * The customer page's side of the local stack (infra/local/customer-inbox.ts), through `npm start`'s
 * entry point: a customer message from the dev route reaches an agent, and the agent's reply comes
 * back to the page's inbox as a real receiver would take it (signature verified, deduplicated).
 */
type ThreadMessage = { id: string; direction: 'in' | 'out'; text: string; conversationId: string };
type Thread = { customer: string; receivesReplies: boolean; messages: ThreadMessage[] };

const secret = 'inbox-secret';
let stack: RunningStack;
const clients: AgentClient[] = [];

const say = (base: string, body: Record<string, unknown>) =>
  fetch(`${base}/dev/customer/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const thread = async (base: string, from: string): Promise<Thread> => {
  const res = await fetch(`${base}/dev/customer/messages?from=${encodeURIComponent(from)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Thread;
};
async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const online = async (s: RunningStack, agentId: string) => {
  const client = await AgentClient.connect(s, agentId);
  clients.push(client);
  expect((await client.request({ action: 'setStatus', status: 'online' })).type).toBe('ack');
  return client;
};

beforeAll(async () => {
  stack = await startStack({
    agents: [{ id: 'alice', name: 'Alice', queues: ['default'], preferredConcurrency: 3, maxLoad: 5 }],
    channels: { generic: { secret } },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  expect(await stack.stop()).toBe(0);
});

describe('the customer page’s inbox (no outboundUrl configured)', () => {
  const customer = '+15550100';
  let conversationId: string;

  it('a message from the dev route reaches the agent’s work list; a retry of the same send is stored once', async () => {
    const alice = await online(stack, 'alice');
    const first = await say(stack.httpUrl, { from: customer, name: 'Ana', text: 'Hello from the page', id: 'page-0001-abcd' });
    expect(first.status).toBe(202);
    const ids = (await first.json()) as { conversationId: string; messageId: string };
    conversationId = ids.conversationId;
    const again = await say(stack.httpUrl, { from: customer, name: 'Ana', text: 'Hello from the page', id: 'page-0001-abcd' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(ids);

    const list = await alice.waitForWorklist((w) => w.items.some((i) => i.conversationId === conversationId));
    const item = list.items.find((i) => i.conversationId === conversationId)!;
    expect(item).toMatchObject({ customer: { id: customer }, channel: 'generic', waitingOn: 'agent', lastMessage: { direction: 'in', text: 'Hello from the page' } });
    expect((await thread(stack.httpUrl, customer)).messages).toEqual([
      { id: ids.messageId, direction: 'in', text: 'Hello from the page', at: expect.any(String), conversationId },
    ]);
  });

  it('the agent’s reply is delivered to the inbox (signed with the channel secret) and shows in the customer’s thread', async () => {
    const alice = clients[0]!;
    const ack = await alice.request({ action: 'send', conversationId, text: 'Hi Ana, how can I help?' });
    expect(ack.type).toBe('ack');
    const reply = await until(async () => (await thread(stack.httpUrl, customer)).messages.find((m) => m.direction === 'out'), 'the reply in the inbox');
    expect(reply).toMatchObject({ id: ack.messageId, text: 'Hi Ana, how can I help?', conversationId });
    // The inbox answered 2xx, so the delivery is final.
    await alice.waitFor((f) => f.type === 'delivery' && f.messageId === ack.messageId && f.status === 'delivered');
    const view = await thread(stack.httpUrl, customer);
    expect(view.receivesReplies).toBe(true);
    expect(view.messages.map((m) => m.direction)).toEqual(['in', 'out']);
    // Another customer's thread holds none of it.
    expect((await thread(stack.httpUrl, '+15550199')).messages).toEqual([]);
  });

  it('refuses an outbox delivery with a bad or missing signature, keeps nothing, and keeps a repeated delivery once', async () => {
    const before = (await thread(stack.httpUrl, customer)).messages;
    const body = JSON.stringify({ conversationId, messageId: 'forged-1', to: customer, text: 'Send me your password' });
    const post = (headers: Record<string, string>, b = body) =>
      fetch(`${stack.httpUrl}/dev/customer/outbox`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: b });
    const wrongKey = await post({ 'x-tide-signature': sign('not-the-secret', body) });
    expect(wrongKey.status).toBe(401);
    expect(((await wrongKey.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    expect((await post({})).status).toBe(401);
    // Signed, then altered: the signature is over the raw body.
    expect((await post({ 'x-tide-signature': sign(secret, body) }, body.replace('password', 'PIN'))).status).toBe(401);
    expect((await thread(stack.httpUrl, customer)).messages).toEqual(before);

    const genuine = JSON.stringify({ conversationId, messageId: 'retried-1', to: customer, text: 'One more thing' });
    for (let i = 0; i < 3; i++) expect((await post({ 'x-tide-signature': sign(secret, genuine) }, genuine)).status).toBe(204);
    expect((await thread(stack.httpUrl, customer)).messages.filter((m) => m.id === 'retried-1')).toHaveLength(1);
  });

  it('bad input gets a clear 400 and changes nothing', async () => {
    const before = (await thread(stack.httpUrl, '+15550111')).messages;
    for (const body of [{ from: '+15550111', text: '   ' }, { from: '', text: 'hi' }, { text: 'hi' }, { from: '+15550111', text: 'hi', queue: 'nope' }, { from: '+15550111', text: 'x'.repeat(4097) }]) {
      const res = await say(stack.httpUrl, body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/invalid_request|unknown_queue/);
    }
    const notJson = await fetch(`${stack.httpUrl}/dev/customer/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(notJson.status).toBe(400);
    expect((await fetch(`${stack.httpUrl}/dev/customer/messages`)).status).toBe(400);
    expect((await thread(stack.httpUrl, '+15550111')).messages).toEqual(before);
  });
});

describe('a configured outboundUrl is left alone', () => {
  let other: RunningStack;
  let receiver: Awaited<ReturnType<typeof startOutboundReceiver>>;
  beforeAll(async () => {
    receiver = await startOutboundReceiver(secret);
    other = await startStack({
      agents: [{ id: 'bob', queues: ['default'] }],
      channels: { generic: { secret, outboundUrl: receiver.url } },
    });
  });
  afterAll(async () => {
    expect(await other.stop()).toBe(0);
    await receiver.close();
  });

  it('replies go to the configured receiver, not to the page; the page can still write', async () => {
    const bob = await online(other, 'bob');
    const sent = await say(other.httpUrl, { from: '+15550222', text: 'Is anyone there?' });
    expect(sent.status).toBe(202);
    const { conversationId } = (await sent.json()) as { conversationId: string };
    await bob.waitForWorklist((w) => w.items.some((i) => i.conversationId === conversationId));
    const ack = await bob.request({ action: 'send', conversationId, text: 'Yes, Bob here.' });
    await until(async () => receiver.received.find((r) => r.body.messageId === ack.messageId), 'the reply at the receiver');
    expect(receiver.received.find((r) => r.body.messageId === ack.messageId)).toMatchObject({ signed: true, body: { to: '+15550222', text: 'Yes, Bob here.' } });

    const view = await thread(other.httpUrl, '+15550222');
    expect(view.receivesReplies).toBe(false);
    expect(view.messages.map((m) => m.direction)).toEqual(['in']);
    // No stand-in receiver on this stack.
    expect((await fetch(`${other.httpUrl}/dev/customer/outbox`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});
