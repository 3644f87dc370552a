import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerErasureSchema, customerExportSchema, errorBodySchema } from '../../shared/contract/http-bodies.js';
import { AgentClient } from '../support/agent-client.js';
import { postMessage } from '../support/channel.js';
import { startStack, type RunningStack } from '../support/local-stack-process.js';

/**
 * A customer's export and erasure (docs/data.md) through `npm start`'s process: admins only, and
 * one customer's whole life: they write, an agent holds the conversation, an admin exports it
 * and erases it, and the agent's work list empties.
 */
let stack: RunningStack;
let alice: AgentClient;
const phone = '+15550142';
const exportPath = (customerId = phone) => `/v1/admin/customers/generic/${encodeURIComponent(customerId)}/export`;
const customerPath = (customerId = phone) => `/v1/admin/customers/generic/${encodeURIComponent(customerId)}`;

async function call(path: string, options: { method?: string; authorization?: string } = {}) {
  const res = await fetch(`${stack.httpUrl}${path}`, { method: options.method ?? 'GET', headers: options.authorization ? { authorization: options.authorization } : {} });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
}
const bearer = async (agentId: string, role: string) => `Bearer ${await AgentClient.token(stack.httpUrl, agentId, role)}`;

beforeAll(async () => {
  stack = await startStack(
    { retention: { messageDays: 30 }, agents: [{ id: 'alice', preferredConcurrency: 2, maxLoad: 2 }], channels: { generic: { secret: 'test-secret' } } },
    // Info logs on, to check what an erasure logs.
    { POWERTOOLS_LOG_LEVEL: 'INFO' },
  );
  alice = await AgentClient.connect(stack, 'alice');
  await alice.request({ action: 'setStatus', status: 'online' });
});
afterAll(async () => {
  await alice?.close();
  expect(await stack.stop()).toBe(0);
});

describe('a customer’s data through the HTTP API', () => {
  it('is for admins only: 401 without a valid token, 403 for agents and supervisors, 400 for a channel that does not exist', async () => {
    const routes = [['GET', exportPath()], ['DELETE', customerPath()]] as const;
    for (const [method, path] of routes) {
      for (const authorization of [undefined, 'Bearer not-a-jwt', 'Basic YWxpY2U6eA==']) {
        const res = await call(path, { method, authorization });
        expect(res.status, `${method} ${authorization}`).toBe(401);
        expect(errorBodySchema.parse(res.body).error.code).toBe('unauthorized');
      }
      for (const [id, role] of [['alice', 'agent'], ['sue', 'supervisor']]) {
        const res = await call(path, { method, authorization: await bearer(id!, role!) });
        expect(res.status, `${method} ${role}`).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
    }
    const wrongChannel = await call('/v1/admin/customers/fax/123/export', { authorization: await bearer('root', 'admin') });
    expect(wrongChannel.status).toBe(400);
    expect(wrongChannel.body.error.code).toBe('invalid_request');
  });

  it('exports everything of a customer, erases it while an agent holds their conversation, and then finds nothing', async () => {
    const admin = await bearer('root', 'admin');
    const posted = await postMessage(stack.httpUrl, { externalId: 'gdpr-1', from: phone, text: 'please delete my data', name: 'Dana' });
    expect(posted.status).toBe(202);
    const conversationId = posted.body.conversationId!;
    await alice.waitForWorklist((w) => w.items.some((i) => i.conversationId === conversationId));
    expect((await alice.request({ action: 'send', conversationId, text: 'Of course, one moment' })).type).toBe('ack');

    const exported = await call(exportPath(), { authorization: admin });
    expect(exported.status).toBe(200);
    const document = customerExportSchema.parse(exported.body);
    expect(document.customer).toMatchObject({ channel: 'generic', id: phone, optedOut: false });
    expect(document.conversations).toHaveLength(1);
    expect(document.conversations[0]!.conversation).toMatchObject({ conversationId, state: 'active', assignedTo: 'alice', customer: { id: phone, name: 'Dana' } });
    expect(document.conversations[0]!.messages.map((m) => m.text)).toEqual(['please delete my data', 'Of course, one moment']);

    const erased = await call(customerPath(), { method: 'DELETE', authorization: admin });
    expect(erased.status).toBe(200);
    expect(customerErasureSchema.parse(erased.body).erased).toMatchObject({ closed: 1, conversations: 1, messages: 2, customerItem: true });
    // Alice is released as by any close: the conversation leaves her work list, her slot frees.
    const list = await alice.waitForWorklist((w) => !w.items.some((i) => i.conversationId === conversationId));
    expect(list.agent.active).toBe(0);

    for (const [method, path] of [['GET', exportPath()], ['DELETE', customerPath()]]) {
      const again = await call(path!, { method, authorization: admin });
      expect(again.status, method).toBe(404);
      expect(again.body.error.code).toBe('not_found');
    }
    const history = await call(`/v1/conversations/${conversationId}`, { authorization: admin });
    expect(history.status).toBe(404);

    // The erasure's steps are in the logs, with its id; the customer's number, name and words are not.
    const output = stack.output();
    expect(output).toContain(erased.body.erased.erasureId);
    expect(output).toContain('customer erasure done');
    for (const secret of [phone, phone.slice(1), 'Dana', 'delete my data', 'one moment']) expect(output, secret).not.toContain(secret);
  });
});
