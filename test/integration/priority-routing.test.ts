import { describe, expect, it } from 'vitest';
import { getAgent } from '../../shared/agent/agent-store.js';
import { closeConversation, setConversationPriority } from '../../shared/conversation/commands.js';
import { nextQueued } from '../../shared/conversation/conversation-store.js';
import { createTestDeps } from '../support/domain-deps.js';
import { answer, conversation as state, indexesCaughtUp, online, say } from '../support/scenario.js';

describe('priority in the queue and the work list', () => {
  it('answers the engaged customer before the slow one who wrote earlier', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann', preferredConcurrency: 2, maxLoad: 2 }], channels: { generic: { secret: 's' } } });
    await online(deps, 'ann');
    // Two conversations in progress: one customer answers every 20 minutes, one within seconds.
    const slow = await say(deps, '+slow');
    const engaged = await say(deps, '+fast');
    await answer(deps, 'ann', slow.conversationId, 'q?');
    await answer(deps, 'ann', engaged.conversationId, 'q?');
    deps.clock.advance(20 * 60 - 5);
    await say(deps, '+fast', 'fast answer'); // 19:55 after the question… not engaged yet
    await answer(deps, 'ann', engaged.conversationId, 'q2?');
    deps.clock.advance(5);
    await say(deps, '+slow', 'slow answer'); // answered after 20 minutes
    deps.clock.advance(3);
    await say(deps, '+fast', 'fast again'); // answered within 8 seconds, and wrote later
    const a = await state(deps, slow.conversationId);
    const b = await state(deps, engaged.conversationId);
    expect(Date.parse(a.waitingSince!)).toBeLessThan(Date.parse(b.waitingSince!));
    expect(b.customerResponseSeconds).toBeLessThan(a.customerResponseSeconds!);
    expect(b.rank < a.rank).toBe(true);
  });

  it('re-keys by timer: a conversation gone stale moves behind fresher work, breached or not', async () => {
    const deps = await createTestDeps({
      queues: { default: { slaSeconds: 120 } },
      priority: { staleAfterSeconds: 600 },
      channels: { generic: { secret: 's' } },
    });
    await say(deps, '+old');
    deps.clock.advance(500);
    await say(deps, '+fresh');
    const order = async () => {
      await indexesCaughtUp();
      return (await nextQueued(deps, 'default', 10)).map((c) => c.customerId);
    };
    expect(await order()).toEqual(['+old', '+fresh']);
    deps.clock.advance(100);
    expect(await deps.fireDue()).toContain('stale');
    expect(await order()).toEqual(['+fresh', '+old']);
  });

  it('re-keys by timer: near breach moves ahead of older work; breached ahead of other waiting work, newest first', async () => {
    const deps = await createTestDeps({
      queues: { relaxed: { slaSeconds: 600 }, urgent: { slaSeconds: 60 } },
      priority: { nearBreachFraction: 0.25 },
      agents: [{ id: 'ann', queues: ['relaxed', 'urgent'], preferredConcurrency: 5, maxLoad: 5 }],
      channels: { generic: { secret: 's' } },
    });
    await online(deps, 'ann');
    const relaxed = await say(deps, '+r', 'hi', { queue: 'relaxed' });
    deps.clock.advance(30);
    const urgent = await say(deps, '+u', 'hi', { queue: 'urgent' });
    const work = async () => deps.pusher.latestWorklist('conn-ann')!.items.map((c) => c.conversationId);
    expect(await work()).toEqual([relaxed.conversationId, urgent.conversationId]);
    deps.clock.advance(45); // urgent at 75% of its 60 s SLA
    expect(await deps.fireDue()).toEqual(['slaWarning']);
    expect(await work()).toEqual([urgent.conversationId, relaxed.conversationId]);
    deps.clock.advance(600); // both breached: the one who wrote last is the likeliest to be still there
    await deps.fireDue();
    expect((await state(deps, relaxed.conversationId)).slaBreached).toBe(true);
    expect(await work()).toEqual([urgent.conversationId, relaxed.conversationId]);
    // A third customer inside the SLA ranks after both breached ones: a breach escalates (DESIGN §1).
    const fresh = await say(deps, '+f', 'hi', { queue: 'relaxed' });
    expect(await work()).toEqual([urgent.conversationId, relaxed.conversationId, fresh.conversationId]);
  });

  it('an agent can raise a conversation\'s priority; it is re-ranked at once', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    await online(deps, 'ann');
    const first = await say(deps, '+1');
    deps.clock.advance(60);
    const second = await say(deps, '+2');
    expect((await state(deps, first.conversationId)).rank < (await state(deps, second.conversationId)).rank).toBe(true);
    await setConversationPriority(deps, 'ann', second.conversationId, 2);
    await deps.settle();
    expect(deps.pusher.latestWorklist('conn-ann')!.items.map((i) => i.conversationId)).toEqual([second.conversationId, first.conversationId]);
    expect((await state(deps, second.conversationId)).rank < (await state(deps, first.conversationId)).rank).toBe(true);
    await expect(setConversationPriority(deps, 'bob', second.conversationId, 5)).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe('business priority from the channel and from keyword rules', () => {
  it('sets and raises a conversation\'s priority, and ranks it ahead', async () => {
    const deps = await createTestDeps({
      queues: { default: { priority: 1 } },
      priorityRules: [{ phrases: ['fraud'], priority: 4 }],
      channels: { generic: { secret: 's' } },
    });
    const plain = await say(deps, '+1', 'hello');
    deps.clock.advance(60);
    const vip = await say(deps, '+2', 'hi', { priority: 3 });
    deps.clock.advance(60);
    const flagged = await say(deps, '+3', 'I see fraud on my account');
    expect((await state(deps, plain.conversationId)).priority).toBe(1);
    expect((await state(deps, vip.conversationId)).priority).toBe(3);
    expect((await state(deps, flagged.conversationId)).priority).toBe(4);
    await indexesCaughtUp();
    expect((await nextQueued(deps, 'default', 3)).map((c) => c.customerId)).toEqual(['+3', '+2', '+1']);
    await say(deps, '+1', 'also fraud, it seems');
    expect((await state(deps, plain.conversationId)).priority).toBe(4);
    await say(deps, '+3', 'thanks');
    expect((await state(deps, flagged.conversationId)).priority).toBe(4);
  });
});

describe('agent choice', () => {
  it('routes a returning customer to their previous agent when that agent can take them', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann' }, { id: 'ben' }], channels: { generic: { secret: 's' } } });
    await online(deps, 'ann', 'ben');
    const first = await say(deps, '+loyal');
    const owner = (await state(deps, first.conversationId)).assignedTo!;
    const other = owner === 'ann' ? 'ben' : 'ann';
    await closeConversation(deps, owner, first.conversationId);
    await deps.settle();
    // Make the other agent the least loaded by far: affinity still wins.
    await say(deps, '+x1');
    await say(deps, '+x2');
    const again = await say(deps, '+loyal', 'me again');
    expect((await state(deps, again.conversationId)).assignedTo).toBe(owner);
    expect(other).not.toBe(owner);
  });

  it('ramps a newly online agent up one slot per interval instead of a full load at once', async () => {
    const deps = await createTestDeps({
      routing: { rampUpSecondsPerSlot: 30 },
      agents: [{ id: 'ann', preferredConcurrency: 3, maxLoad: 4 }],
      channels: { generic: { secret: 's' } },
    });
    for (let i = 0; i < 5; i++) await say(deps, `+${i}`);
    await online(deps, 'ann');
    expect((await getAgent(deps, 'ann'))!.active).toBe(1);
    deps.clock.advance(30);
    expect(await deps.fireDue()).toContain('rampUp');
    expect((await getAgent(deps, 'ann'))!.active).toBe(2);
    deps.clock.advance(30);
    await deps.fireDue();
    expect((await getAgent(deps, 'ann'))!.active).toBe(3);
    deps.clock.advance(300);
    await deps.fireDue();
    expect((await getAgent(deps, 'ann'))!.active).toBe(3); // never beyond preferred
  });
});
