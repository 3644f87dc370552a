import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { listAgents, profileFromRequest, removeAgent, saveAgentProfile } from '../../shared/agent/admin.js';
import { getAgent } from '../../shared/agent/agent-store.js';
import type { Agent } from '../../shared/agent/model.js';
import { setAgentStatus } from '../../shared/agent/set-status.js';
import { scheduleFollowUp, transferConversation } from '../../shared/conversation/commands.js';
import type { Conversation } from '../../shared/conversation/model.js';
import { receiveMessage } from '../../shared/conversation/receive-message.js';
import { routeQueue } from '../../shared/routing/route-queue.js';
import { createTestDeps, type TestDeps } from '../support/domain-deps.js';
import { answer, conversation, online, say } from '../support/scenario.js';

/**
 * The administration API's domain functions (DESIGN §4b) against DynamoDB Local: profiles by the
 * configuration's rules, routing that follows a change at once, and removal, also while routing
 * and transfers race it.
 */
const config = {
  queues: { default: {}, billing: {} },
  agents: [
    { id: 'ann', name: 'Ann', preferredConcurrency: 1, maxLoad: 2 },
    { id: 'ben', queues: ['billing'] },
  ],
  channels: { generic: { secret: 's', outboundUrl: 'http://127.0.0.1:9/out' } },
};

const put = (deps: TestDeps, agentId: string, body: unknown) =>
  saveAgentProfile(deps, profileFromRequest(deps.config, agentId, typeof body === 'string' ? body : JSON.stringify(body)));
const refusal = async (run: () => Promise<unknown> | unknown) => {
  try {
    await run();
    return 'accepted';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
};
const scan = async <T>(deps: TestDeps, table: string) => ((await deps.db.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? []) as T[];

/** Nothing assigned to an agent that does not exist, and every agent's holds match its conversations. */
async function expectConsistent(deps: TestDeps) {
  const agents = await scan<Agent>(deps, deps.tables.agents);
  const conversations = await scan<Conversation>(deps, deps.tables.conversations);
  const ids = new Set(agents.map((a) => a.agentId));
  for (const c of conversations) {
    if (c.assignedTo) expect(ids.has(c.assignedTo), `${c.conversationId} on ${c.assignedTo}`).toBe(true);
    if (c.state === 'queued') expect(c.queuedIn).toBe(c.queue);
  }
  for (const a of agents) {
    const held = conversations.filter((c) => c.assignedTo === a.agentId && c.state !== 'closed' && c.state !== 'queued');
    expect(Object.keys(a.holds).sort(), a.agentId).toEqual(held.map((c) => c.conversationId).sort());
    expect(a.active, a.agentId).toBe(held.filter((c) => c.state === 'active').length);
  }
  const availability = await scan<{ queue: string; agentId: string }>(deps, deps.tables.availability);
  for (const row of availability) expect(ids.has(row.agentId), `availability of ${row.agentId}`).toBe(true);
  return { agents, conversations };
}

describe('listing and saving profiles', () => {
  it('lists every agent by id with its profile and live state; a new one at once', async () => {
    const deps = await createTestDeps(config);
    await online(deps, 'ann');
    await say(deps, '+1', 'hi');
    expect(await listAgents(deps)).toEqual([
      { id: 'ann', name: 'Ann', queues: ['default'], preferredConcurrency: 1, maxLoad: 2, status: 'online', active: 1 },
      { id: 'ben', name: 'ben', queues: ['billing'], preferredConcurrency: 3, maxLoad: 5, status: 'offline', active: 0 },
    ]);
    const { agent, created } = await put(deps, 'amy@example.com', { name: 'Amy', queues: ['default', 'billing'], preferredConcurrency: 2, maxLoad: 4 });
    expect(created).toBe(true);
    expect(agent).toEqual({ id: 'amy@example.com', name: 'Amy', queues: ['default', 'billing'], preferredConcurrency: 2, maxLoad: 4, status: 'offline', active: 0 });
    expect((await listAgents(deps)).map((a) => a.id)).toEqual(['amy@example.com', 'ann', 'ben']);
  });

  it('an update keeps status and work; the config file’s defaults apply to what the body leaves out', async () => {
    const deps = await createTestDeps(config);
    await online(deps, 'ann');
    const { conversationId } = await say(deps, '+1', 'hi');
    const { agent, created } = await put(deps, 'ann', { name: 'Ann B.', preferredConcurrency: 2, maxLoad: 3 });
    expect(created).toBe(false);
    expect(agent).toMatchObject({ name: 'Ann B.', queues: ['default'], preferredConcurrency: 2, maxLoad: 3, status: 'online', active: 1 });
    expect((await getAgent(deps, 'ann'))!.holds).toEqual({ [conversationId]: 'active' });
    expect((await put(deps, 'ann', {})).agent).toMatchObject({ name: 'ann', queues: ['default'], preferredConcurrency: 3, maxLoad: 5, status: 'online' });
  });

  it('refuses what the config file would refuse, and changes nothing', async () => {
    const deps = await createTestDeps(config);
    const before = await getAgent(deps, 'ann');
    const bad: Array<[string, unknown]> = [
      ['unknown queue', { queues: ['nowhere'] }],
      ['prototype name as queue', { queues: ['constructor'] }],
      ['queue twice', { queues: ['default', 'default'] }],
      ['no queue', { queues: [] }],
      ['maxLoad below preferred', { preferredConcurrency: 4, maxLoad: 3 }],
      ['not an integer', { preferredConcurrency: 1.5 }],
      ['out of range', { maxLoad: 101 }],
      ['wrong type', { name: 7 }],
      ['empty name', { name: '' }],
      ['unknown field', { status: 'online' }],
      ['another id', { id: 'ben' }],
      ['an array', [{ name: 'x' }]],
      ['null', null],
      ['not JSON', '{"name":'],
      ['empty body', ''],
    ];
    for (const [why, body] of bad) expect(await refusal(() => put(deps, 'ann', body)), why).toBe('invalid_request');
    for (const id of ['', 'a b', 'x'.repeat(129), 'ann/1', '__proto__?']) expect(await refusal(() => put(deps, id, {})), `id ${id}`).toBe('invalid_request');
    expect(await refusal(() => put(deps, 'ann', JSON.stringify({ name: 'x'.repeat(20_000) })))).toBe('payload_too_large');
    expect(await getAgent(deps, 'ann')).toEqual(before);
    expect((await listAgents(deps)).map((a) => a.id)).toEqual(['ann', 'ben']);
  });
});

describe('routing follows a profile change at once', () => {
  it('a higher preferred concurrency takes queued work; so does a new queue', async () => {
    const deps = await createTestDeps(config);
    await online(deps, 'ann');
    const first = await say(deps, '+1', 'one');
    const second = await say(deps, '+2', 'two');
    const billing = await say(deps, '+3', 'invoice', { queue: 'billing' });
    expect((await conversation(deps, first.conversationId)).assignedTo).toBe('ann');
    expect((await conversation(deps, second.conversationId)).state).toBe('queued');

    await put(deps, 'ann', { name: 'Ann', preferredConcurrency: 2, maxLoad: 3 });
    await deps.settle(); // what the Agents stream does
    expect((await conversation(deps, second.conversationId)).assignedTo).toBe('ann');
    expect((await conversation(deps, billing.conversationId)).state).toBe('queued');

    await put(deps, 'ann', { name: 'Ann', queues: ['default', 'billing'], preferredConcurrency: 3, maxLoad: 3 });
    await deps.settle();
    expect((await conversation(deps, billing.conversationId)).assignedTo).toBe('ann');
    await expectConsistent(deps);
  });

  it('a new agent who goes online receives queued work without anything else', async () => {
    const deps = await createTestDeps(config);
    const { conversationId } = await say(deps, '+1', 'anyone?');
    await put(deps, 'newbie', { queues: ['default'] });
    await online(deps, 'newbie');
    expect((await conversation(deps, conversationId)).assignedTo).toBe('newbie');
  });
});

describe('removing an agent', () => {
  it('hands its work back as presence does, releases what waited on the customer, and deletes it', async () => {
    const deps = await createTestDeps({ ...config, agents: [{ id: 'ann', preferredConcurrency: 3, maxLoad: 3 }, { id: 'ben', queues: ['default'] }] });
    await online(deps, 'ann');
    const waiting = await say(deps, '+1', 'Where is my order?');
    const dark = await say(deps, '+2', 'Can you call me?');
    const later = await say(deps, '+3', 'Check back tomorrow');
    await answer(deps, 'ann', dark.conversationId, 'Sure, what number?');
    await scheduleFollowUp(deps, 'ann', later.conversationId, new Date(deps.clock.now().getTime() + 3_600_000).toISOString());
    deps.clock.advance(601); // the customer of `dark` stays silent: inactive, still Ann's
    await deps.fireDue();
    expect(await conversation(deps, dark.conversationId)).toMatchObject({ state: 'inactive', assignedTo: 'ann' });

    const closed: string[] = [];
    const removed = await removeAgent(deps, 'ann', async (id) => void closed.push(id));
    expect(removed).toMatchObject({ id: 'ann', status: 'offline', active: 0 });
    expect(closed).toEqual(['conn-ann']);
    expect(await getAgent(deps, 'ann')).toBeUndefined();
    await deps.settle();

    expect(await conversation(deps, waiting.conversationId)).toMatchObject({ state: 'queued', queuedIn: 'default' });
    expect((await conversation(deps, waiting.conversationId)).preferredAgentId).toBeUndefined();
    expect(await conversation(deps, dark.conversationId)).toMatchObject({ state: 'inactive', waitingOn: 'customer' });
    expect((await conversation(deps, dark.conversationId)).assignedTo).toBeUndefined();
    expect((await conversation(deps, later.conversationId)).assignedTo).toBeUndefined();
    expect((await conversation(deps, later.conversationId)).followUpAt).toEqual(expect.any(String));
    await expectConsistent(deps);

    // Someone else comes online: the queued one is theirs; the released ones come when due.
    await online(deps, 'ben');
    expect((await conversation(deps, waiting.conversationId)).assignedTo).toBe('ben');
    await say(deps, '+2', '555-0100');
    expect(await conversation(deps, dark.conversationId)).toMatchObject({ state: 'active', assignedTo: 'ben' });
    deps.clock.advance(3600);
    await deps.fireDue();
    expect(await conversation(deps, later.conversationId)).toMatchObject({ state: 'active', assignedTo: 'ben' });
    await expectConsistent(deps);

    expect(await refusal(() => removeAgent(deps, 'ann'))).toBe('not_found');
    expect(await refusal(() => setAgentStatus(deps, 'ann', 'online'))).toBe('not_found');
  });

  it('an unknown or impossible id is not_found and changes nothing', async () => {
    const deps = await createTestDeps(config);
    for (const id of ['nobody', '', 'x'.repeat(300), 'a/b']) expect(await refusal(() => removeAgent(deps, id)), id).toBe('not_found');
    expect((await listAgents(deps)).map((a) => a.id)).toEqual(['ann', 'ben']);
  });

  it('racing routing and transfers never leaves a conversation on the removed agent', async () => {
    for (let round = 0; round < 3; round++) {
      const deps = await createTestDeps({
        agents: [
          { id: 'zed', preferredConcurrency: 8, maxLoad: 10 },
          { id: 'amy', preferredConcurrency: 4, maxLoad: 10 },
        ],
        channels: { generic: { secret: 's' } },
      });
      await online(deps, 'amy');
      const mine = await Promise.all(Array.from({ length: 4 }, (_, i) => say(deps, `+a${i}`, 'for amy')));
      // Queued while zed is not yet online; zed's going online and the routing passes race the removal.
      const queued = await Promise.all(
        Array.from({ length: 12 }, (_, i) => receiveMessage(deps, { channel: 'generic', externalId: `r${round}-${i}`, from: `+q${i}`, text: 'hello?', queue: 'default' })),
      );
      await setAgentStatus(deps, 'zed', 'online');
      const racers = [
        ...Array.from({ length: 4 }, () => routeQueue(deps, 'default')),
        ...mine.map((m) => transferConversation(deps, 'amy', m.conversationId, { agentId: 'zed' })),
        removeAgent(deps, 'zed'),
      ];
      // Order the removal among the others differently each round.
      const order = [...racers.slice(round), ...racers.slice(0, round)];
      const outcomes = await Promise.allSettled(order);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(['not_found', 'invalid_state']).toContain((outcome.reason as { code?: string }).code);
      }
      expect(await getAgent(deps, 'zed')).toBeUndefined();
      await deps.settle();
      const { conversations } = await expectConsistent(deps);
      for (const c of conversations) expect(c.assignedTo === 'zed', c.conversationId).toBe(false);
      // Nothing was lost: every customer's conversation is open, with amy or waiting for someone.
      expect(conversations.filter((c) => c.state !== 'closed')).toHaveLength(mine.length + queued.length);
    }
  }, 60_000);
});
