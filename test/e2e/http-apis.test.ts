import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../support/agent-client.js';
import { postMessage } from '../support/channel.js';
import { startStack, type RunningStack } from '../support/local-stack-process.js';

/**
 * The console's HTTP APIs (DESIGN §4b) through `npm start`'s process: bearer tokens, the history
 * API's paging and ownership, and administration that routing follows without a restart.
 */
let stack: RunningStack;
const clients: AgentClient[] = [];
let externalId = 0;
const customerSays = (from: string, text: string, extra: Record<string, unknown> = {}) =>
  postMessage(stack.httpUrl, { externalId: `http-${++externalId}`, from, text, ...extra });

async function call(path: string, options: { method?: string; token?: string; authorization?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${stack.httpUrl}${path}`, {
    method: options.method ?? 'GET',
    headers,
    ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
}

const token = (agentId: string, role = 'agent') => AgentClient.token(stack.httpUrl, agentId, role);
const connect = async (agentId: string) => {
  const client = await AgentClient.connect(stack, agentId);
  clients.push(client);
  return client;
};

beforeAll(async () => {
  stack = await startStack({
    queues: { default: {}, billing: {}, vip: {} },
    agents: [
      { id: 'alice', queues: ['default'], preferredConcurrency: 2, maxLoad: 3 },
      { id: 'bob', queues: ['default'], preferredConcurrency: 1, maxLoad: 1 },
    ],
    channels: { generic: { secret: 'test-secret' } },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  expect(await stack.stop()).toBe(0);
});

describe('bearer tokens', () => {
  it('the local stack issues supervisor and admin tokens for any id, agent tokens only for agents', async () => {
    expect(await token('sue', 'supervisor')).toEqual(expect.any(String));
    expect(await token('root', 'admin')).toEqual(expect.any(String));
    const res = await fetch(`${stack.httpUrl}/dev/token`, { method: 'POST', body: JSON.stringify({ agentId: 'nobody', role: 'agent' }) });
    expect(res.status).toBe(404);
  });

  it('answers 401 unauthorized without a valid token, on every console route', async () => {
    const alice = await token('alice');
    const [header, payload, signature] = alice.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${signature}`;
    const routes: Array<[string, string]> = [
      ['GET', '/v1/conversations/c_any'],
      ['GET', '/v1/admin/agents'],
      ['PUT', '/v1/admin/agents/x'],
      ['DELETE', '/v1/admin/agents/alice'],
    ];
    for (const [method, path] of routes) {
      for (const authorization of [undefined, '', 'Bearer', 'Basic YWxpY2U6eA==', 'Bearer not-a-jwt', `Bearer ${forged}`, alice]) {
        const res = await call(path, { method, authorization, body: method === 'PUT' ? {} : undefined });
        expect(res.status, `${method} ${path} ${authorization?.slice(0, 12)}`).toBe(401);
        expect(res.body.error.code).toBe('unauthorized');
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
    // The token in the query string (as on the WebSocket) is not a bearer token.
    expect((await call(`/v1/admin/agents?token=${encodeURIComponent(await token('root', 'admin'))}`)).status).toBe(401);
    // Nothing was removed by the refused DELETEs.
    expect((await call('/v1/admin/agents', { token: await token('root', 'admin') })).body.agents.map((a: { id: string }) => a.id)).toEqual(['alice', 'bob']);
  });
});

describe('conversation history', () => {
  let conversationId: string;

  it('the agent who holds it reads it at once, oldest first; another agent is forbidden; a supervisor reads any', async () => {
    const alice = await connect('alice');
    await alice.request({ action: 'setStatus', status: 'online' });
    const first = await customerSays('+15550001', 'My parcel is late', { name: 'Ana' });
    expect(first.status).toBe(202);
    conversationId = first.body.conversationId!;
    await alice.waitForWorklist((w) => w.items.some((i) => i.conversationId === conversationId));
    const ack = await alice.request({ action: 'send', conversationId, text: 'Let me check' });
    expect(ack.type).toBe('ack');
    // The customer answers; the agent opens the conversation right away.
    await customerSays('+15550001', 'Order 1234');
    const page = await call(`/v1/conversations/${conversationId}`, { token: await token('alice') });
    expect(page.status).toBe(200);
    expect(page.body.conversation).toMatchObject({
      conversationId,
      state: 'active',
      channel: 'generic',
      queue: 'default',
      customer: { id: '+15550001', name: 'Ana' },
      assignedTo: 'alice',
      waitingOn: 'agent',
      slaDueAt: expect.any(String),
      followUpAt: null,
      priority: 0,
      transferNote: null,
    });
    expect(page.body.messages.map((m: { direction: string; text: string }) => [m.direction, m.text])).toEqual([
      ['in', 'My parcel is late'],
      ['out', 'Let me check'],
      ['in', 'Order 1234'],
    ]);
    expect(page.body.messages[1]).toMatchObject({ id: ack.messageId, status: expect.stringMatching(/^(pending|sent|delivered|failed)$/), media: [] });
    expect(page.body.next).toBeNull();

    const bob = await call(`/v1/conversations/${conversationId}`, { token: await token('bob') });
    expect(bob.status).toBe(403);
    expect(bob.body.error.code).toBe('forbidden');
    for (const [id, role] of [['sue', 'supervisor'], ['root', 'admin']] as const) {
      expect((await call(`/v1/conversations/${conversationId}`, { token: await token(id, role) })).status).toBe(200);
    }
    const missing = await call('/v1/conversations/c_doesNotExist', { token: await token('sue', 'supervisor') });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });

  it('pages with limit and next; bad limits and cursors are 400 invalid_request', async () => {
    for (let i = 0; i < 60; i++) expect((await customerSays('+15550001', `detail ${i}`)).status).toBe(202);
    const supervisor = await token('sue', 'supervisor');
    const seen: string[] = [];
    let after: string | null = null;
    const sizes: number[] = [];
    do {
      const query: string = after ? `?limit=25&after=${encodeURIComponent(after)}` : '?limit=25';
      const page = await call(`/v1/conversations/${conversationId}${query}`, { token: supervisor });
      expect(page.status).toBe(200);
      sizes.push(page.body.messages.length);
      seen.push(...page.body.messages.map((m: { text: string }) => m.text));
      after = page.body.next;
    } while (after);
    expect(sizes).toEqual([25, 25, 13]);
    expect(seen.slice(0, 3)).toEqual(['My parcel is late', 'Let me check', 'Order 1234']);
    expect(seen.slice(3)).toEqual(Array.from({ length: 60 }, (_, i) => `detail ${i}`));
    expect((await call(`/v1/conversations/${conversationId}`, { token: supervisor })).body.messages).toHaveLength(50);

    for (const query of ['?limit=0', '?limit=201', '?limit=abc', '?after=garbage', `?after=${Buffer.from('[1]').toString('base64url')}`]) {
      const res = await call(`/v1/conversations/${conversationId}${query}`, { token: supervisor });
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });
});

describe('administration', () => {
  it('is for admins only', async () => {
    for (const [id, role] of [['alice', 'agent'], ['sue', 'supervisor']] as const) {
      const t = await token(id, role);
      for (const [method, path, body] of [['GET', '/v1/admin/agents'], ['PUT', '/v1/admin/agents/mallory', { queues: ['default'] }], ['DELETE', '/v1/admin/agents/bob']] as const) {
        const res = await call(path, { method, token: t, body });
        expect(res.status, `${role} ${method}`).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
    }
    const list = await call('/v1/admin/agents', { token: await token('root', 'admin') });
    expect(list.body.agents.map((a: { id: string }) => a.id)).toEqual(['alice', 'bob']);
  });

  it('a new agent from PUT receives queued work without a restart; raising its concurrency assigns more within a second', async () => {
    const admin = await token('root', 'admin');
    const invoice = await customerSays('+15550100', 'Invoice question', { queue: 'billing' });
    const refund = await customerSays('+15550101', 'Refund question', { queue: 'billing' });

    for (const body of [{ queues: ['nowhere'] }, { preferredConcurrency: 3, maxLoad: 2 }, { queues: ['billing'], extra: true }, 'not json']) {
      const bad = await call('/v1/admin/agents/carol', { method: 'PUT', token: admin, body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.error.code).toBe('invalid_request');
    }
    expect((await fetch(`${stack.httpUrl}/dev/token`, { method: 'POST', body: JSON.stringify({ agentId: 'carol', role: 'agent' }) })).status).toBe(404);

    const created = await call('/v1/admin/agents/carol', { method: 'PUT', token: admin, body: { name: 'Carol', queues: ['billing'], preferredConcurrency: 1, maxLoad: 2 } });
    expect(created.status).toBe(201);
    expect(created.body.agent).toEqual({ id: 'carol', name: 'Carol', queues: ['billing'], preferredConcurrency: 1, maxLoad: 2, status: 'offline', active: 0 });

    const carol = await connect('carol');
    await carol.request({ action: 'setStatus', status: 'online' });
    const one = await carol.waitForWorklist((w) => w.items.length === 1, 3_000);
    expect([invoice.body.conversationId, refund.body.conversationId]).toContain(one.items[0]!.conversationId);

    const updated = await call('/v1/admin/agents/carol', { method: 'PUT', token: admin, body: { name: 'Carol', queues: ['billing'], preferredConcurrency: 2, maxLoad: 2 } });
    expect(updated.status).toBe(200);
    expect(updated.body.agent).toMatchObject({ preferredConcurrency: 2, status: 'online', active: 1 });
    const started = Date.now();
    const both = await carol.waitForWorklist((w) => w.items.length === 2, 3_000);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(both.items.map((i) => i.conversationId).sort()).toEqual([invoice.body.conversationId, refund.body.conversationId].sort());
    expect(both.agent).toMatchObject({ preferredConcurrency: 2, active: 2 });

    const list = await call('/v1/admin/agents', { token: admin });
    expect(list.body.agents.find((a: { id: string }) => a.id === 'carol')).toEqual({ id: 'carol', name: 'Carol', queues: ['billing'], preferredConcurrency: 2, maxLoad: 2, status: 'online', active: 2 });
  });

  it('DELETE takes the agent offline, returns its work to the queue, closes its connections and removes it', async () => {
    const admin = await token('root', 'admin');
    const supervisor = await token('sue', 'supervisor');
    const socket = new WebSocket(`${stack.wsUrl}/?token=${encodeURIComponent(await token('carol'))}`);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const held = (await call('/v1/admin/agents', { token: admin })).body.agents.find((a: { id: string }) => a.id === 'carol');
    expect(held.active).toBe(2);
    const carolsWork = clients.at(-1)!.worklist!.items.map((i) => i.conversationId);
    expect(carolsWork).toHaveLength(2);

    const removed = await call('/v1/admin/agents/carol', { method: 'DELETE', token: admin });
    expect(removed.status).toBe(200);
    expect(removed.body.agent).toMatchObject({ id: 'carol', status: 'offline', active: 0 });
    await closed;

    expect((await call('/v1/admin/agents', { token: admin })).body.agents.map((a: { id: string }) => a.id)).toEqual(['alice', 'bob']);
    expect((await call('/v1/admin/agents/carol', { method: 'DELETE', token: admin })).status).toBe(404);
    expect((await fetch(`${stack.httpUrl}/dev/token`, { method: 'POST', body: JSON.stringify({ agentId: 'carol', role: 'agent' }) })).status).toBe(404);

    // Her customers wait in the queue for whoever serves billing next.
    for (const id of carolsWork) {
      const page = await call(`/v1/conversations/${id}`, { token: supervisor });
      expect(page.body.conversation).toMatchObject({ state: 'queued', assignedTo: null });
    }
    const dave = await call('/v1/admin/agents/dave', { method: 'PUT', token: admin, body: { queues: ['billing'] } });
    expect(dave.status).toBe(201);
    const client = await connect('dave');
    await client.request({ action: 'setStatus', status: 'online' });
    const list = await client.waitForWorklist((w) => w.items.length === 2, 3_000);
    expect(list.items.map((i) => i.conversationId).sort()).toEqual([...carolsWork].sort());

    // A queue added to an online agent's profile brings its queued work within a second.
    const vip = await customerSays('+15550200', 'VIP here', { queue: 'vip' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await call(`/v1/conversations/${vip.body.conversationId}`, { token: supervisor })).body.conversation.state).toBe('queued');
    const started = Date.now();
    expect((await call('/v1/admin/agents/dave', { method: 'PUT', token: admin, body: { queues: ['billing', 'vip'] } })).status).toBe(200);
    const three = await client.waitForWorklist((w) => w.items.some((i) => i.conversationId === vip.body.conversationId), 3_000);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(three.items).toHaveLength(3);
  });
});
