import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { getAgent } from '../../shared/agent/agent-store.js';
import { closeConversation } from '../../shared/conversation/commands.js';
import { getConversation } from '../../shared/conversation/conversation-store.js';
import { receiveMessage } from '../../shared/conversation/receive-message.js';
import { pushWorklist } from '../../shared/push/worklist.js';
import { sweep } from '../../shared/routing/sweep.js';
import { createTestDeps, type TestDeps } from '../support/domain-deps.js';
import { indexesCaughtUp, online, say } from '../support/scenario.js';

type Frame = { seq: number; agent: { active: number }; items: Array<{ conversationId: string; state: string }> };
const frames = (deps: TestDeps, connectionId: string) => deps.pusher.framesFor(connectionId, 'worklist') as unknown as Frame[];

describe('work lists are snapshots', () => {
  it('no push shows a conversation closed before its seq was taken, nor more active items than the agent may hold', async () => {
    const agents = ['a', 'b', 'c'];
    const deps = await createTestDeps(
      { agents: agents.map((id) => ({ id, preferredConcurrency: 3, maxLoad: 3 })), channels: { generic: { secret: 's' } } },
      undefined,
      // The queue index lags, as DynamoDB's does; DynamoDB Local's does not.
      { indexLag: { minMs: 50, maxMs: 400 } },
    );
    await online(deps, ...agents);
    /** The agent's last seq when each close committed: any later frame must not show it. */
    const closedBefore = new Map<string, { agentId: string; seq: number }>();
    let n = 0;
    const inbound = () => receiveMessage(deps, { channel: 'generic', externalId: `s-${n++}`, from: `+1${n}`, text: 'help', queue: 'default' });
    await Promise.all(Array.from({ length: 24 }, inbound));
    for (let round = 0; round < 12; round++) {
      await deps.settle();
      // Every agent closes what it holds while customers keep writing and routing runs.
      const work = await Promise.all(agents.map(async (id) => ({ id, holds: Object.keys((await getAgent(deps, id))!.holds) })));
      await Promise.all([
        ...work.flatMap(({ id, holds }) =>
          holds.slice(0, 2).map(async (conversationId) => {
            await closeConversation(deps, id, conversationId);
            closedBefore.set(conversationId, { agentId: id, seq: (await getAgent(deps, id))!.worklistSeq });
          }),
        ),
        inbound(),
        inbound(),
        deps.settle(),
      ]);
    }
    await deps.settle();
    let checked = 0;
    for (const id of agents) {
      for (const frame of frames(deps, `conn-${id}`)) {
        checked++;
        expect(frame.items.filter((i) => i.state === 'active')).toHaveLength(frame.agent.active);
        expect(frame.agent.active).toBeLessThanOrEqual(3);
        for (const item of frame.items) {
          const closed = closedBefore.get(item.conversationId);
          if (closed && closed.agentId === id) expect(frame.seq, `${item.conversationId} closed before seq ${closed.seq}`).toBeLessThanOrEqual(closed.seq);
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(closedBefore.size).toBeGreaterThan(20);
  }, 90_000); // dozens of concurrent writers on a shared DynamoDB Local: a loaded CI machine stretches it past 30 s

  it('a push reads what the agent holds now: a closed conversation is gone, a changed one is shown as it is', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann', preferredConcurrency: 2, maxLoad: 2 }], channels: { generic: { secret: 's' } } });
    await online(deps, 'ann');
    const one = await say(deps, '+1');
    const two = await say(deps, '+2');
    await closeConversation(deps, 'ann', one.conversationId);
    await deps.db.send(new UpdateCommand({ TableName: deps.tables.conversations, Key: { conversationId: two.conversationId }, UpdateExpression: 'SET waitingOn = :c', ExpressionAttributeValues: { ':c': 'customer' } }));
    expect(await pushWorklist(deps, 'ann')).toBe('sent');
    const frame = deps.pusher.latestWorklist('conn-ann')!;
    expect(frame.items.map((i) => i.conversationId)).toEqual([two.conversationId]);
    expect(frame.items[0]).toMatchObject({ waitingOn: 'customer' });
  });

  it('the sweep repairs a load counter that drifted, and the freed capacity takes queued work', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 1 }], channels: { generic: { secret: 's' } } });
    await online(deps, 'ann');
    // A bug or a hand edit: the counter says full while the agent holds nothing.
    await deps.db.send(new UpdateCommand({ TableName: deps.tables.agents, Key: { agentId: 'ann' }, UpdateExpression: 'SET active = :one', ExpressionAttributeValues: { ':one': 1 } }));
    await deps.db.send(new DeleteCommand({ TableName: deps.tables.availability, Key: { queue: 'default', agentId: 'ann' } }));
    const { conversationId } = await say(deps, '+1');
    expect((await getConversation(deps, conversationId))!.state).toBe('queued'); // the slot is lost…
    await indexesCaughtUp();
    const result = await sweep(deps);
    expect(result.repairedAgents).toBe(1);
    expect((await getAgent(deps, 'ann'))!.active).toBe(0);
    await deps.settle();
    expect((await getConversation(deps, conversationId))!).toMatchObject({ state: 'active', assignedTo: 'ann' }); // …and found again
    expect((await sweep(deps)).repairedAgents).toBe(0);
  });
});
