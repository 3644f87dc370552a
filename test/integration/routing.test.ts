import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { getAgent } from '../../shared/agent/agent-store.js';
import { setAgentStatus } from '../../shared/agent/set-status.js';
import { closeConversation } from '../../shared/conversation/close.js';
import { getConversation, nextQueued } from '../../shared/conversation/conversation-store.js';
import { receiveMessage } from '../../shared/conversation/receive-message.js';
import { routeQueue } from '../../shared/routing/route-queue.js';
import { sweep } from '../../shared/routing/sweep.js';
import { createTestDeps } from '../support/domain-deps.js';

const inbound = (i: number, extra: Partial<Parameters<typeof receiveMessage>[1]> = {}) => ({
  channel: 'generic',
  externalId: `m-${i}`,
  from: `+1555${String(i).padStart(6, '0')}`,
  text: `hello ${i}`,
  queue: 'default',
  ...extra,
});

describe('routing against DynamoDB Local', () => {
  it('assigns in rank order, least loaded agent first, and never above preferred concurrency', async () => {
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
    await setAgentStatus(deps, 'ann', 'online');
    await setAgentStatus(deps, 'ben', 'online');
    const ann = (await getAgent(deps, 'ann'))!;
    const ben = (await getAgent(deps, 'ben'))!;
    expect([ann.active, ben.active]).toEqual([2, 4]);
    // The two oldest went first: ann came online first and took them.
    expect((await getConversation(deps, ids[0]!))!.assignedTo).toBe('ann');
    expect((await getConversation(deps, ids[1]!))!.assignedTo).toBe('ann');
    const queued = await nextQueued(deps, 'default', 10);
    expect(queued.map((c) => c.conversationId)).toEqual(ids.slice(6));
  });

  it('survives dozens of concurrent routers and inbound writers without overfilling', async () => {
    const deps = await createTestDeps({
      agents: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, preferredConcurrency: 3, maxLoad: 5 })),
      channels: { generic: { secret: 's' } },
    });
    for (const id of ['a', 'b', 'c', 'd', 'e']) await setAgentStatus(deps, id, 'online');
    await Promise.all([
      ...Array.from({ length: 50 }, (_, i) => receiveMessage(deps, inbound(100 + i))),
      ...Array.from({ length: 20 }, () => routeQueue(deps, 'default')),
    ]);
    const { Items: agents = [] } = await deps.db.send(new ScanCommand({ TableName: deps.tables.agents }));
    expect(agents.map((a) => a.active)).toEqual([3, 3, 3, 3, 3]);
    const { Items: conversations = [] } = await deps.db.send(new ScanCommand({ TableName: deps.tables.conversations }));
    const assigned = conversations.filter((c) => c.assignedTo);
    expect(assigned).toHaveLength(15);
    for (const a of agents) expect(assigned.filter((c) => c.assignedTo === a.agentId)).toHaveLength(3);
    expect(conversations.filter((c) => c.state === 'queued' && c.queuedIn === 'default')).toHaveLength(35);
  });

  it('a close pulls the best queued conversation into the freed slot', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 1 }], channels: { generic: { secret: 's' } } });
    await setAgentStatus(deps, 'ann', 'online');
    const first = await receiveMessage(deps, inbound(1));
    deps.clock.advance(5);
    const second = await receiveMessage(deps, inbound(2));
    expect((await getConversation(deps, second.conversationId))!.state).toBe('queued');
    await closeConversation(deps, 'ann', first.conversationId);
    expect((await getConversation(deps, second.conversationId))!).toMatchObject({ state: 'active', assignedTo: 'ann' });
    expect((await getAgent(deps, 'ann'))!.active).toBe(1);
  });

  it('the sweep assigns work whose wake-up was lost', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    const { conversationId } = await receiveMessage(deps, inbound(1));
    // The agent becomes available by a write that routes nothing (as if its wake-up were lost).
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    await deps.db.send(new UpdateCommand({
      TableName: deps.tables.agents, Key: { agentId: 'ann' },
      UpdateExpression: 'SET #s = :o', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':o': 'online' },
    }));
    expect((await getConversation(deps, conversationId))!.state).toBe('queued');
    expect((await sweep(deps)).assigned).toBe(1);
    expect((await getConversation(deps, conversationId))!.assignedTo).toBe('ann');
  });

  it('retries a transaction that conflicts with another (a fault DynamoDB Local never produces)', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    await setAgentStatus(deps, 'ann', 'online');
    const send = deps.db.send.bind(deps.db);
    let conflicts = 0;
    deps.db.send = (async (command: { constructor: { name: string } }) => {
      if (command.constructor.name === 'TransactWriteCommand' && conflicts < 2) {
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
    expect(conflicts).toBe(2);
    expect((await getConversation(deps, conversationId))!.assignedTo).toBe('ann');
  });

  it('removes a connection that API Gateway reports gone', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    const live = await deps.connect('ann');
    const { registerConnection, listAgentConnections } = await import('../../shared/agent/connections.js');
    await registerConnection(deps, { connectionId: 'stale', agentId: 'ann', role: 'agent' });
    deps.pusher.gone.add('stale');
    await setAgentStatus(deps, 'ann', 'online');
    expect(await listAgentConnections(deps, 'ann')).toEqual([live]);
    expect(deps.pusher.framesFor(live, 'worklist').length).toBeGreaterThan(0);
  });
});
