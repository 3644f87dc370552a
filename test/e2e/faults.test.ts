import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TideClient, type WorklistFrame } from '../../client/tide-client.js';
import { AgentClient } from '../support/agent-client.js';
import { postMessage } from '../support/channel.js';
import { startStack, type RunningStack } from '../support/local-stack-process.js';
import { startOutboundReceiver } from '../support/outbound-receiver.js';

/**
 * AWS's bad day, end to end (issue 12, "faults survived"): `npm start`'s stack with
 * `TIDE_FAULTS` throttling DynamoDB, cancelling transactions, losing the answers of applied
 * writes, failing and dropping pushes and refusing schedules, and a provider that answers 503 or
 * too slowly. Customers write and follow up, agents (the console's client, which reconnects)
 * answer twice and close. Every message a channel got a 2xx for is stored, no conversation is
 * left stuck, and what was delivered twice is counted (the generic channel's `messageId` is the
 * provider's dedupe key).
 */
const secret = 'faults-secret';
const faults = 'throttle=0.05,conflict=0.05,ambiguous=0.03,pushError=0.05,pushGone=0.01,schedulerError=0.1,seed=11';
const agentIds = ['f1', 'f2', 'f3', 'f4'];
const customers = 24;
const seeded = (seed: number) => () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;

let stack: RunningStack;
let receiver: Awaited<ReturnType<typeof startOutboundReceiver>>;
const clients = new Map<string, TideClient>();
const latest = new Map<string, WorklistFrame>();

beforeAll(async () => {
  receiver = await startOutboundReceiver(secret, [], { errorShare: 0.1, slowShare: 0.05, slowMs: 2_500, random: seeded(7) });
  stack = await startStack(
    {
      queues: { default: { slaSeconds: 120 } },
      agents: agentIds.map((id) => ({ id, queues: ['default'], preferredConcurrency: 3, maxLoad: 5 })),
      channels: { generic: { secret, outboundUrl: receiver.url } },
    },
    { TIDE_FAULTS: faults },
  );
  for (const id of agentIds) {
    const client = new TideClient({ url: stack.wsUrl, WebSocket, token: () => AgentClient.token(stack.httpUrl, id), events: {} });
    client.on('worklist', (w) => latest.set(id, w));
    client.start();
    clients.set(id, client);
  }
  for (const [id, client] of clients) await retried(`online ${id}`, () => client.setStatus('online'));
});
afterAll(async () => {
  for (const client of clients.values()) client.stop();
  await receiver?.close();
  if (stack) expect(await stack.stop()).toBe(0);
});

/** Retries what a fault refused (an error frame, a lost connection), as a console or a channel would. */
async function retried<T>(what: string, attempt: () => Promise<T>, tries = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (i >= tries) throw new Error(`${what}: still failing after ${tries} tries: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 100 * i));
    }
  }
}

/** A channel retries a POST until it gets a 2xx (providers do, with the same message id). */
async function deliverInbound(externalId: string, from: string, text: string): Promise<{ conversationId: string; attempts: number }> {
  let attempts = 0;
  const posted = await retried(`POST ${externalId}`, async () => {
    attempts++;
    const res = await postMessage(stack.httpUrl, { externalId, from, text }, { secret });
    // 202 accepted; 200 for a retry of one already accepted (its first answer was lost to a fault).
    if (res.status !== 202 && res.status !== 200) throw new Error(`HTTP ${res.status}`);
    return res;
  });
  return { conversationId: posted.body.conversationId!, attempts };
}

it('keeps every accepted message and leaves no conversation stuck through throttling, conflicts, lost answers and failing pushes', { timeout: 150_000 }, async () => {
  const started = Date.now();
  const from = (i: number) => `+1555300${String(i).padStart(4, '0')}`;
  const firsts = await Promise.all(Array.from({ length: customers }, (_, i) => deliverInbound(`fault-${i}-a`, from(i), `Help ${i}, first`)));
  const conversationOf = new Map(firsts.map((f, i) => [f.conversationId, i]));
  expect(conversationOf.size).toBe(customers);

  const replies = new Map<string, number>();
  const followedUp = new Set<string>();
  const closed = new Set<string>();
  const busy = new Set<string>();
  const strangers = new Set<string>();
  /** A close whose answer was lost with its socket (a 410) leaves no ack: its conversation leaves the lists. */
  const closeTried = new Set<string>();
  const listed = () => new Set([...latest.values()].flatMap((w) => w.items.map((i) => i.conversationId)));
  let postRetries = firsts.reduce((n, f) => n + f.attempts - 1, 0);
  const followUps: Array<Promise<unknown>> = [];

  // Agents act on their freshest list: answer what waits on them, close after the second answer.
  const deadline = Date.now() + 110_000;
  while (closed.size < customers && Date.now() < deadline) {
    for (const [agentId, client] of clients) {
      for (const item of latest.get(agentId)?.items ?? []) {
        const id = item.conversationId;
        if (!conversationOf.has(id)) strangers.add(id); // a message that opened a conversation of its own
        if (busy.has(id) || closed.has(id)) continue;
        let answered = replies.get(id) ?? 0;
        // A reply whose ack a fault lost (applied, answered with an error) shows in the list.
        if (item.waitingOn === 'customer' && item.lastMessage.direction === 'out' && item.lastMessage.text === `Answer ${answered + 1} for ${conversationOf.get(id)}`) {
          replies.set(id, ++answered);
        }
        // Only on a list that shows the customer's message this answer is for: a list made before
        // the last reply's push (delayed by a failing push) would answer twice and close too early.
        const asked = `Help ${conversationOf.get(id)}, ${answered === 0 ? 'first' : 'second'}`;
        if (answered < 2 && item.waitingOn === 'agent' && item.state === 'active' && item.lastMessage.direction === 'in' && item.lastMessage.text === asked) {
          busy.add(id);
          client
            .send(id, `Answer ${answered + 1} for ${conversationOf.get(id)}`)
            .then(() => replies.set(id, answered + 1))
            .catch(() => undefined) // refused by a fault: the list still shows it waiting, so it is tried again
            .finally(() => busy.delete(id));
        } else if (answered >= 2 && item.waitingOn === 'customer') {
          busy.add(id);
          closeTried.add(id);
          client
            .close(id)
            .then(() => closed.add(id))
            // A close whose ack a fault lost is refused when tried again: it is closed already (checked below).
            .catch((error: { code?: string }) => (error.code === 'invalid_state' || error.code === 'forbidden' ? closed.add(id) : undefined))
            .finally(() => busy.delete(id));
        }
      }
    }
    for (const [id, i] of conversationOf) {
      if ((replies.get(id) ?? 0) >= 1 && !followedUp.has(id)) {
        followedUp.add(id);
        followUps.push(deliverInbound(`fault-${i}-b`, from(i), `Help ${i}, second`).then((f) => (postRetries += f.attempts - 1)));
      }
    }
    const onLists = listed();
    for (const id of closeTried) if (!busy.has(id) && !onLists.has(id) && [...clients.values()].every((c) => c.state === 'live')) closed.add(id);
    await new Promise((r) => setTimeout(r, 50));
  }
  await Promise.all(followUps);

  // Every message a channel was told was accepted is stored, in its conversation, which is closed.
  const supervisor = await AgentClient.token(stack.httpUrl, 'faults-supervisor', 'supervisor');
  let stored = 0;
  const stuck: string[] = [];
  for (const [id, i] of conversationOf) {
    const page = await retried(`history ${id}`, async () => {
      const res = await fetch(`${stack.httpUrl}/v1/conversations/${id}?limit=200`, { headers: { authorization: `Bearer ${supervisor}` } });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      return (await res.json()) as { conversation: { state: string }; messages: Array<{ direction: string; text: string }> };
    });
    const inbound = page.messages.filter((m) => m.direction === 'in').map((m) => m.text);
    const expected = [`Help ${i}, first`, `Help ${i}, second`];
    stored += expected.filter((t) => inbound.includes(t)).length;
    if (expected.some((t) => !inbound.includes(t))) console.log(`missing in ${id}: ${JSON.stringify(page.messages.map((m) => [m.direction, m.text]))}`);
    if (page.conversation.state !== 'closed') stuck.push(`${id}: ${page.conversation.state}`);
  }
  const accepted = customers * 2;
  const copies = new Map<string, number>();
  for (const r of receiver.received) if (r.status === 200) copies.set(r.body.messageId, (copies.get(r.body.messageId) ?? 0) + 1);
  const deliveredTwice = [...copies.values()].filter((n) => n > 1).length;
  console.log(
    `faults (${faults}): ${accepted} messages accepted, ${stored} stored, ${stuck.length} conversations stuck, ` +
      `${deliveredTwice} replies delivered twice (of ${copies.size}; the provider dedupes by messageId), ` +
      `${postRetries} inbound POSTs retried after a 5xx, ${receiver.received.filter((r) => r.status !== 200).length} outbound 503s, ` +
      `${Math.round((Date.now() - started) / 1000)} s`,
  );
  expect(stuck).toEqual([]);
  expect([...strangers]).toEqual([]);
  expect(stored).toBe(accepted);
  expect(closed.size).toBe(customers);
  // Nothing is left on any agent once the lists are fresh.
  for (const [agentId, client] of clients) {
    await retried(`sync ${agentId}`, () => client.sync());
    await expect.poll(() => latest.get(agentId)?.items.length, { timeout: 10_000 }).toBe(0);
    expect(latest.get(agentId)!.agent.active).toBe(0);
  }
  // Every reply reaches the provider at least once (retries back off 2, 4, 8 s).
  const undelivered = () => {
    const delivered = new Set(receiver.received.filter((r) => r.status === 200).map((r) => r.body.text));
    return [...conversationOf.values()].flatMap((i) => [1, 2].map((n) => `Answer ${n} for ${i}`)).filter((t) => !delivered.has(t));
  };
  await expect.poll(undelivered, { timeout: 30_000, interval: 500 }).toEqual([]);
});
