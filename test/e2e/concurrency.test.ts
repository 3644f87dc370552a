import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WorklistFrame } from '../../shared/push/worklist.js';
import { AgentClient } from '../support/agent-client.js';
import { postMessage } from '../support/channel.js';
import { startStack, type RunningStack } from '../support/local-stack-process.js';

/**
 * DESIGN §5 "correct under concurrency", through the contract: 60 customers write at the same
 * moment to 5 online agents with preferred concurrency 3. No agent ever holds more than 3, no
 * conversation is ever on two agents, the other 45 wait, and as the agents close conversations
 * concurrently the queue drains with every conversation handled exactly once.
 */
const agentIds = ['a1', 'a2', 'a3', 'a4', 'a5'];
const customers = 60;
let stack: RunningStack;
const agents = new Map<string, AgentClient>();

beforeAll(async () => {
  stack = await startStack({
    agents: agentIds.map((id) => ({ id, queues: ['default'], preferredConcurrency: 3, maxLoad: 5 })),
    channels: { generic: { secret: 'test-secret' } },
  });
  for (const id of agentIds) {
    const client = await AgentClient.connect(stack, id);
    await client.request({ action: 'setStatus', status: 'online' });
    agents.set(id, client);
  }
});
afterAll(async () => {
  await Promise.all([...agents.values()].map((c) => c.close()));
  expect(await stack.stop()).toBe(0);
});

const worklists = (client: AgentClient) => client.frames.filter((f) => f.type === 'worklist') as unknown as WorklistFrame[];

it('never overfills an agent or double-assigns, and drains the queue exactly once', { timeout: 120_000 }, async () => {
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: customers }, (_, i) =>
      postMessage(stack.httpUrl, { externalId: `burst-${i}`, from: `+1555200${String(i).padStart(4, '0')}`, text: `Help ${i}` }),
    ),
  );
  const burstMs = Date.now() - started;
  expect(results.map((r) => r.status)).toEqual(Array(customers).fill(202));
  const accepted = new Set(results.map((r) => r.body.conversationId!));
  expect(accepted.size).toBe(customers);

  // Settled: every agent at exactly 3; together 15; the other 45 queued.
  for (const client of agents.values()) await client.waitForWorklist((w) => w.agent.active === 3 && w.items.length === 3);
  const holding = [...agents.values()].flatMap((c) => c.worklist!.items.map((i) => i.conversationId));
  expect(holding).toHaveLength(15);
  expect(new Set(holding).size).toBe(15);

  // Drain: each agent closes whatever it holds, concurrently with the others, until all are done.
  const handledBy = new Map<string, string[]>();
  await Promise.all(
    [...agents].map(async ([agentId, client]) => {
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline) {
        if (handledBy.size === customers) return;
        const item = client.worklist?.items[0];
        if (!item || handledBy.has(item.conversationId) && handledBy.get(item.conversationId)!.includes(agentId)) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        handledBy.set(item.conversationId, [...(handledBy.get(item.conversationId) ?? []), agentId]);
        const ack = await client.request({ action: 'close', conversationId: item.conversationId });
        expect(ack.type).toBe('ack');
      }
    }),
  );
  expect(handledBy.size).toBe(customers);
  expect([...handledBy.keys()].sort()).toEqual([...accepted].sort());
  // Every conversation was worked by exactly one agent.
  expect([...handledBy.values()].filter((by) => by.length !== 1)).toEqual([]);

  // No work list ever showed more than preferred concurrency, or a conversation on two agents at once.
  for (const client of agents.values()) {
    for (const frame of worklists(client)) {
      expect(frame.items.length).toBeLessThanOrEqual(3);
      expect(frame.agent.active).toBeLessThanOrEqual(3);
    }
  }
  const seenOn = new Map<string, Set<string>>();
  for (const [agentId, client] of agents) {
    for (const frame of worklists(client)) {
      for (const item of frame.items) seenOn.set(item.conversationId, (seenOn.get(item.conversationId) ?? new Set()).add(agentId));
    }
  }
  expect([...seenOn.values()].filter((on) => on.size !== 1)).toEqual([]);
  for (const client of agents.values()) await client.waitForWorklist((w) => w.items.length === 0 && w.agent.active === 0);
  const perAgent = [...agents].map(([id]) => [...handledBy.values()].filter((by) => by[0] === id).length);
  console.log(`concurrency: ${customers} inbound in ${burstMs} ms; handled per agent ${perAgent.join('/')}; ` +
    `${[...agents.values()].reduce((n, c) => n + worklists(c).length, 0)} work-list pushes`);
});
