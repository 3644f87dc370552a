import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, ScanCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { getAgent } from '../../shared/agent/agent-store.js';
import type { Agent } from '../../shared/agent/model.js';
import { setAgentStatus } from '../../shared/agent/set-status.js';
import { closeConversation } from '../../shared/conversation/commands.js';
import { getConversation } from '../../shared/conversation/conversation-store.js';
import type { Conversation } from '../../shared/conversation/model.js';
import { receiveMessage, type InboundMessage } from '../../shared/conversation/receive-message.js';
import { routeQueue } from '../../shared/routing/route-queue.js';
import { sweep } from '../../shared/routing/sweep.js';
import { commit } from '../../shared/storage/commit.js';
import { createTestDeps, type TestDeps } from '../support/domain-deps.js';
import { indexesCaughtUp } from '../support/scenario.js';

const inbound = (i: number, extra: Partial<InboundMessage> = {}): InboundMessage => ({
  channel: 'generic',
  externalId: `m-${i}`,
  from: `+1555${String(i).padStart(6, '0')}`,
  text: `hello ${i}`,
  queue: 'default',
  ...extra,
});

const scan = async <T,>(deps: TestDeps, table: string) => ((await deps.db.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? []) as T[];

async function online(deps: TestDeps, ...ids: string[]) {
  for (const id of ids) {
    await deps.connect(id);
    await setAgentStatus(deps, id, 'online');
  }
  await deps.settle();
}

/** Every agent's counter equals what it holds, and what it holds is what the conversations say. */
async function expectConsistentLoad(deps: TestDeps) {
  const agents = await scan<Agent>(deps, deps.tables.agents);
  const conversations = await scan<Conversation>(deps, deps.tables.conversations);
  for (const agent of agents) {
    const mine = conversations.filter((c) => c.assignedTo === agent.agentId && c.state !== 'closed' && c.state !== 'queued');
    expect(Object.keys(agent.holds).sort()).toEqual(mine.map((c) => c.conversationId).sort());
    expect(agent.active).toBe(mine.filter((c) => c.state === 'active').length);
    for (const c of mine) expect(agent.holds[c.conversationId]).toBe(c.state === 'active' ? 'active' : 'inactive');
    expect(agent.active).toBeLessThanOrEqual(agent.maxLoad);
  }
}

describe('routing against DynamoDB Local', () => {
  it('assigns in rank order, spreads by load relative to preference, never above preferred concurrency', async () => {
    const deps = await createTestDeps({
      agents: [
        { id: 'ann', preferredConcurrency: 2, maxLoad: 4 },
        { id: 'ben', preferredConcurrency: 4, maxLoad: 4 },
      ],
      channels: { generic: { secret: 's' } },
    });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      ids.push((await receiveMessage(deps, inbound(i))).conversationId);
      deps.clock.advance(10);
    }
    await online(deps, 'ann', 'ben');
    expect([(await getAgent(deps, 'ann'))!.active, (await getAgent(deps, 'ben'))!.active]).toEqual([2, 4]);
    // The six oldest were given out; the two newest wait, in rank order.
    const waiting = (await scan<Conversation>(deps, deps.tables.conversations)).filter((c) => c.state === 'queued').sort((a, b) => (a.rank < b.rank ? -1 : 1));
    expect(waiting.map((c) => c.conversationId)).toEqual(ids.slice(6));
    await expectConsistentLoad(deps);
  });

  it('survives dozens of concurrent writers and routing passes without overfilling or double-assigning', async () => {
    const deps = await createTestDeps({
      agents: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, preferredConcurrency: 3, maxLoad: 5 })),
      channels: { generic: { secret: 's' } },
    });
    await online(deps, 'a', 'b', 'c', 'd', 'e');
    await Promise.all([
      ...Array.from({ length: 50 }, (_, i) => receiveMessage(deps, inbound(100 + i))),
      ...Array.from({ length: 20 }, () => routeQueue(deps, 'default')),
    ]);
    await Promise.all([deps.settle(), ...Array.from({ length: 5 }, () => routeQueue(deps, 'default'))]);
    await deps.settle();
    const agents = await scan<Agent>(deps, deps.tables.agents);
    expect(agents.map((a) => a.active)).toEqual([3, 3, 3, 3, 3]);
    const conversations = await scan<Conversation>(deps, deps.tables.conversations);
    expect(conversations.filter((c) => c.assignedTo)).toHaveLength(15);
    expect(conversations.filter((c) => c.state === 'queued')).toHaveLength(35);
    await expectConsistentLoad(deps);
    // Nobody with room is left listed as available, nobody full is listed.
    const rows = (await deps.db.send(new QueryCommand({ TableName: deps.tables.availability, KeyConditionExpression: '#q = :q', ExpressionAttributeNames: { '#q': 'queue' }, ExpressionAttributeValues: { ':q': 'default' }, ConsistentRead: true }))).Items ?? [];
    expect(rows).toEqual([]);
  });

  it('a close pulls the best queued conversation into the freed slot', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 1 }], channels: { generic: { secret: 's' } } });
    await online(deps, 'ann');
    const first = await receiveMessage(deps, inbound(1));
    deps.clock.advance(5);
    const second = await receiveMessage(deps, inbound(2));
    await deps.settle();
    expect((await getConversation(deps, second.conversationId))!.state).toBe('queued');
    await closeConversation(deps, 'ann', first.conversationId);
    await deps.settle();
    expect((await getConversation(deps, second.conversationId))!).toMatchObject({ state: 'active', assignedTo: 'ann' });
    expect((await getAgent(deps, 'ann'))!.active).toBe(1);
    await expectConsistentLoad(deps);
  });

  it('one pass per queue per batch of changes, however many changes call for it', async () => {
    const deps = await createTestDeps({ routing: { recheckAfterSeconds: 0 }, agents: ['a', 'b'].map((id) => ({ id, preferredConcurrency: 5, maxLoad: 5 })), channels: { generic: { secret: 's' } } });
    await online(deps, 'a', 'b');
    const send = deps.db.send.bind(deps.db);
    let availabilityQueries = 0;
    deps.db.send = (async (command: { input?: { TableName?: string } }) => {
      if (command instanceof QueryCommand && command.input.TableName === deps.tables.availability) availabilityQueries++;
      return send(command as never);
    }) as typeof deps.db.send;
    await Promise.all(Array.from({ length: 8 }, (_, i) => receiveMessage(deps, inbound(200 + i))));
    await deps.settle();
    // Eight new conversations, one batch: one pass asked who has room, and it placed all eight.
    expect(availabilityQueries).toBe(1);
    expect((await scan<Conversation>(deps, deps.tables.conversations)).filter((c) => c.state === 'active')).toHaveLength(8);
    await expectConsistentLoad(deps);
  });

  it('a recheck over an empty queue is one query, and asks nobody who has room', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 1 }], channels: { generic: { secret: 's' } } });
    await online(deps, 'ann');
    const send = deps.db.send.bind(deps.db);
    const calls: string[] = [];
    deps.db.send = (async (command: { constructor: { name: string }; input?: { TableName?: string; IndexName?: string } }) => {
      calls.push(`${command.constructor.name} ${command.input?.IndexName ?? (command.input?.TableName === deps.tables.availability ? 'availability' : '')}`.trim());
      return send(command as never);
    }) as typeof deps.db.send;
    expect(await routeQueue(deps, 'default', { queueFirst: true })).toEqual({ assigned: [], roomLeft: false, leftBehind: false });
    expect(calls).toEqual(['QueryCommand byQueue']);
    // With work waiting, it asks who has room and places it.
    const { conversationId } = await receiveMessage(deps, inbound(1));
    await indexesCaughtUp();
    calls.length = 0;
    expect((await routeQueue(deps, 'default', { queueFirst: true })).assigned.map((c) => c.conversationId)).toEqual([conversationId]);
    // The head it read first is the whole queue: not read again.
    expect(calls.filter((c) => c === 'QueryCommand byQueue')).toHaveLength(1);
  });

  it('a slot freed while the queue index still lags gets the conversation queued just before it', async () => {
    // DynamoDB's indexes lag; DynamoDB Local's do not: this test lags them on purpose.
    const run = async (recheckAfterSeconds: number) => {
      const deps = await createTestDeps(
        { routing: { recheckAfterSeconds }, agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 1 }], channels: { generic: { secret: 's' } } },
        undefined,
        { indexLag: { minMs: 700, maxMs: 700 } },
      );
      await online(deps, 'ann');
      const first = await receiveMessage(deps, inbound(1));
      await deps.settle();
      const waiting = await receiveMessage(deps, inbound(2));
      await deps.settle(); // queued: ann is full
      await closeConversation(deps, 'ann', first.conversationId); // the slot frees before the index shows `waiting`
      await deps.settle();
      return (await getConversation(deps, waiting.conversationId))!.state;
    };
    expect(await run(2)).toBe('active');
    // Without the recheck, only the minute sweep would find it.
    expect(await run(0)).toBe('queued');
  });

  it('the sweep assigns work whose follow-up never ran', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    await deps.connect('ann');
    const { conversationId } = await receiveMessage(deps, inbound(1));
    await setAgentStatus(deps, 'ann', 'online');
    // No settle: as if the stream consumer had died before routing. The sweep's work is
    // older than the index lag.
    expect((await getConversation(deps, conversationId))!.state).toBe('queued');
    await indexesCaughtUp();
    expect((await sweep(deps)).assigned).toBe(1);
    expect((await getConversation(deps, conversationId))!.assignedTo).toBe('ann');
    await expectConsistentLoad(deps);
  });

  it('the sweep routes the other queues when one fails', async () => {
    const deps = await createTestDeps({
      queues: { billing: {}, sales: {} },
      agents: [{ id: 'ann', queues: ['default', 'billing', 'sales'] }],
      channels: { generic: { secret: 's' } },
    });
    await deps.connect('ann');
    const sales = await receiveMessage(deps, inbound(1, { queue: 'sales' }));
    await setAgentStatus(deps, 'ann', 'online');
    const send = deps.db.send.bind(deps.db);
    deps.db.send = (async (command: { input?: { ExpressionAttributeValues?: Record<string, unknown> } }) => {
      if (command instanceof QueryCommand && command.input.ExpressionAttributeValues?.[':q'] === 'billing') throw new Error('billing partition unavailable');
      return send(command as never);
    }) as typeof deps.db.send;
    await indexesCaughtUp();
    const result = await sweep(deps);
    expect(result.failedQueues).toEqual(['billing']);
    expect((await getConversation(deps, sales.conversationId))!.assignedTo).toBe('ann');
  });

  it('a conversation its own pass left behind with room still there (lost races on every try) gets a recheck', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann', preferredConcurrency: 3, maxLoad: 3 }], channels: { generic: { secret: 's' } } });
    await online(deps, 'ann');
    const send = deps.db.send.bind(deps.db);
    let raced = 0;
    deps.db.send = (async (command: unknown) => {
      // Someone else changes ann just before each of the pass's four tries.
      if (command instanceof TransactWriteCommand && raced < 4) {
        raced++;
        await send(new UpdateCommand({ TableName: deps.tables.agents, Key: { agentId: 'ann' }, UpdateExpression: 'SET version = version + :one', ExpressionAttributeValues: { ':one': 1 } }) as never);
      }
      return send(command as never);
    }) as typeof deps.db.send;
    const enqueue = deps.rechecks.enqueue.bind(deps.rechecks);
    let rechecks = 0;
    deps.rechecks.enqueue = async (jobs) => {
      rechecks += jobs.length;
      return enqueue(jobs);
    };
    const { conversationId } = await receiveMessage(deps, inbound(1));
    await deps.settle();
    expect(raced).toBe(4);
    // ann had room throughout, so no slot of hers appearing would have routed it: the recheck did.
    expect(rechecks).toBe(1);
    expect((await getConversation(deps, conversationId))!.assignedTo).toBe('ann');
  });

  it('retries a transaction that conflicts with another (a fault DynamoDB Local never produces)', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    await online(deps, 'ann');
    const send = deps.db.send.bind(deps.db);
    let conflicts = 0;
    deps.db.send = (async (command: unknown) => {
      if (command instanceof TransactWriteCommand && conflicts < 2) {
        conflicts++;
        throw new TransactionCanceledException({
          message: 'Transaction cancelled',
          $metadata: {},
          CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'None' }],
        });
      }
      return send(command as never);
    }) as typeof deps.db.send;
    const { conversationId } = await receiveMessage(deps, inbound(1));
    await deps.settle();
    expect(conflicts).toBe(2);
    expect((await getConversation(deps, conversationId))!.assignedTo).toBe('ann');
  });

  it('a transaction retried after an ambiguous commit is applied once, not refused as a false conflict', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    const writes = [
      { name: 'a', write: { Put: { TableName: deps.tables.availability, Item: { queue: 'q', agentId: 'x', n: 1 }, ConditionExpression: 'attribute_not_exists(agentId)' } } },
      { name: 'b', write: { Put: { TableName: deps.tables.availability, Item: { queue: 'q', agentId: 'y', n: 1 }, ConditionExpression: 'attribute_not_exists(agentId)' } } },
    ];
    // What the SDK does when a commit's answer is lost: the same request again. The first one
    // was applied, so without the idempotency token the second is refused by its own conditions.
    const send = deps.db.send.bind(deps.db);
    let sent: TransactWriteCommand | undefined;
    deps.db.send = (async (command: unknown) => {
      if (command instanceof TransactWriteCommand) {
        sent = command;
        await send(command as never);
      }
      return send(command as never);
    }) as typeof deps.db.send;
    expect(await commit(deps.db, writes)).toEqual({ committed: true });
    expect(sent!.input.ClientRequestToken).toMatch(/^[\w-]{36}$/);
    // Without the token the very same retry is refused: the test above could fail.
    deps.db.send = send as typeof deps.db.send;
    const { ClientRequestToken: _, ...withoutToken } = sent!.input;
    await expect(send(new TransactWriteCommand({ ...withoutToken, TransactItems: writes.map((w) => ({ Put: { ...w.write.Put, Item: { ...w.write.Put.Item, agentId: `${w.write.Put.Item.agentId}2` } } })) }))).resolves.toBeDefined();
    await expect(send(new TransactWriteCommand({ ...withoutToken, TransactItems: writes.map((w) => ({ Put: { ...w.write.Put, Item: { ...w.write.Put.Item, agentId: `${w.write.Put.Item.agentId}2` } } })) }))).rejects.toBeInstanceOf(TransactionCanceledException);
  });
});
