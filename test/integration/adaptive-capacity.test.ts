import { describe, expect, inject, it } from 'vitest';
import { commitAgent, getAgent } from '../../shared/agent/agent-store.js';
import { connectionGone } from '../../shared/agent/presence.js';
import { scheduleFollowUp } from '../../shared/conversation/commands.js';
import { receiveMessage } from '../../shared/conversation/receive-message.js';
import { onChanges } from '../../shared/follow-ups/on-changes.js';
import { FollowUpError } from '../../shared/follow-ups/run.js';
import { sweep } from '../../shared/routing/sweep.js';
import { onTimer } from '../../shared/timers/on-timer.js';
import { createTestDeps } from '../support/domain-deps.js';
import { StreamTap } from '../support/stream-tap.js';
import { answer, conversation as state, indexesCaughtUp, load, online, say, setStatus } from '../support/scenario.js';

// The fixed inactivity time: most tests here are about its rules; adaptive inactivity has its own.
const queues = { default: { slaSeconds: 60, inactiveAfterSeconds: 300, autoCloseAfterSeconds: 3600, adaptiveInactivity: false as const } };
const generic = { generic: { secret: 's' } };

describe('inactive conversations', () => {
  it('go inactive after the customer is silent, freeing a slot that queued work takes at once', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 2 }], channels: generic });
    await online(deps, 'ann');
    const first = await say(deps, '+1');
    const second = await say(deps, '+2');
    expect((await state(deps, second.conversationId)).state).toBe('queued');
    await answer(deps, 'ann', first.conversationId, 'Done?');
    deps.clock.advance(299);
    await deps.fireDue();
    expect((await state(deps, first.conversationId)).state).toBe('active');
    deps.clock.advance(2);
    expect(await deps.fireDue()).toContain('inactive');
    expect(await state(deps, first.conversationId)).toMatchObject({ state: 'inactive', assignedTo: 'ann' });
    expect(await state(deps, second.conversationId)).toMatchObject({ state: 'active', assignedTo: 'ann' });
    expect(await load(deps, 'ann')).toBe(1);
  });

  it('return to the same agent above preferred concurrency, but never above maxLoad', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 2 }, { id: 'ben', preferredConcurrency: 3, maxLoad: 3 }], channels: generic });
    await online(deps, 'ann');
    // ann: c1 goes inactive, then c2 and c3 arrive; c2 is hers.
    const c1 = await say(deps, '+1');
    await answer(deps, 'ann', c1.conversationId, 'ok?');
    deps.clock.advance(301);
    await deps.fireDue();
    const c2 = await say(deps, '+2');
    expect((await state(deps, c2.conversationId)).assignedTo).toBe('ann');
    // The customer of c1 writes again: back to ann although she is at preferred (1), up to max (2).
    await say(deps, '+1', 'actually, one more question');
    expect(await state(deps, c1.conversationId)).toMatchObject({ state: 'active', assignedTo: 'ann', waitingOn: 'agent' });
    expect(await load(deps, 'ann')).toBe(2);
    // Above preferred concurrency she receives no new work from the queue.
    const c3 = await say(deps, '+3');
    expect((await state(deps, c3.conversationId)).state).toBe('queued');
    await online(deps, 'ben');
    expect((await state(deps, c3.conversationId)).assignedTo).toBe('ben');
    expect(await load(deps, 'ann')).toBe(2);
  });

  it('reactivating at maxLoad queues the conversation, the agent preferred when a slot frees', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 1 }], channels: generic });
    await online(deps, 'ann');
    const c1 = await say(deps, '+1');
    await answer(deps, 'ann', c1.conversationId, 'ok?');
    deps.clock.advance(301);
    await deps.fireDue();
    const c2 = await say(deps, '+2');
    expect((await state(deps, c2.conversationId)).assignedTo).toBe('ann');
    await say(deps, '+1', 'me again');
    expect(await state(deps, c1.conversationId)).toMatchObject({ state: 'queued', lastAgentId: 'ann', preferredAgentId: 'ann' });
    expect(await load(deps, 'ann')).toBe(1);
  });

  it('auto-close an inactive conversation whose customer stays silent', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann' }], channels: generic });
    await online(deps, 'ann');
    const c1 = await say(deps, '+1');
    await answer(deps, 'ann', c1.conversationId, 'ok?');
    deps.clock.advance(301);
    await deps.fireDue();
    deps.clock.advance(3600 - 301 - 1);
    await deps.fireDue();
    expect((await state(deps, c1.conversationId)).state).toBe('inactive');
    deps.clock.advance(2);
    expect(await deps.fireDue()).toContain('autoClose');
    expect((await state(deps, c1.conversationId)).state).toBe('closed');
    expect((await getAgent(deps, 'ann'))!.holds).toEqual({});
    // The customer's next message opens a new conversation.
    expect((await say(deps, '+1')).conversationId).not.toBe(c1.conversationId);
  });
});

describe('SLA clocks', () => {
  it('breach escalates priority, is pushed and recorded; the reply stops the clock; the next message starts a new one', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann' }], channels: generic });
    await online(deps, 'ann');
    const slow = await say(deps, '+1');
    deps.clock.advance(30);
    const fresh = await say(deps, '+2');
    deps.clock.advance(31);
    expect(await deps.fireDue()).toEqual(['slaBreach']);
    const breached = await state(deps, slow.conversationId);
    expect(breached).toMatchObject({ slaBreached: true, slaBreaches: 1 });
    expect(breached.slaBreachedAt).toBeDefined();
    const last = deps.pusher.latestWorklist('conn-ann')!;
    expect(last.items[0]).toMatchObject({ conversationId: slow.conversationId, slaBreached: true });
    expect(last.items.map((i) => i.conversationId)).toEqual([slow.conversationId, fresh.conversationId]);
    await answer(deps, 'ann', slow.conversationId, 'sorry!');
    expect(await state(deps, slow.conversationId)).not.toHaveProperty('slaDueAt');
    expect(await state(deps, slow.conversationId)).not.toHaveProperty('slaBreached');
    await say(deps, '+1', 'thanks, and another thing');
    const again = await state(deps, slow.conversationId);
    expect(Date.parse(again.slaDueAt!) - deps.clock.now().getTime()).toBe(60_000);
  });
});

describe('follow-up', () => {
  it('hides the conversation, frees the slot, and brings it back first at the time set', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann', preferredConcurrency: 2, maxLoad: 3 }], channels: generic });
    await online(deps, 'ann');
    const c1 = await say(deps, '+1');
    const c2 = await say(deps, '+2');
    const at = new Date(deps.clock.now().getTime() + 7200_000).toISOString();
    await scheduleFollowUp(deps, 'ann', c1.conversationId, at);
    await deps.settle();
    expect(await state(deps, c1.conversationId)).toMatchObject({ state: 'inactive', waitingOn: 'agent', followUpAt: at });
    expect(await load(deps, 'ann')).toBe(1);
    expect(deps.pusher.latestWorklist('conn-ann')!.items.map((i) => i.conversationId)).toEqual([c2.conversationId, c1.conversationId]);
    deps.clock.advance(7199);
    expect(await deps.fireDue()).not.toContain('followUp');
    deps.clock.advance(1);
    expect(await deps.fireDue()).toContain('followUp');
    expect(await state(deps, c1.conversationId)).toMatchObject({ state: 'active', waitingOn: 'agent', followUpDue: true });
    expect(deps.pusher.latestWorklist('conn-ann')!.items[0]!.conversationId).toBe(c1.conversationId);
    expect(await load(deps, 'ann')).toBe(2);
  });

  it('refuses a time in the past, now, or more than 30 days ahead, and changes nothing', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann' }], channels: generic });
    await online(deps, 'ann');
    const c1 = await say(deps, '+1');
    const before = await state(deps, c1.conversationId);
    const at = (seconds: number) => new Date(deps.clock.now().getTime() + seconds * 1000).toISOString();
    for (const when of ['2020-01-01T00:00:00Z', at(-1), at(0), at(30 * 86_400 + 1)]) {
      await expect(scheduleFollowUp(deps, 'ann', c1.conversationId, when)).rejects.toMatchObject({ code: 'invalid_request' });
    }
    expect(await state(deps, c1.conversationId)).toEqual(before);
    await expect(scheduleFollowUp(deps, 'ann', c1.conversationId, at(30 * 86_400))).resolves.toMatchObject({ followUpAt: at(30 * 86_400) });
  });
});

describe('timer fires are safe when stale, duplicated or early', () => {
  it('a duplicated, stale or early fire changes nothing', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann' }], channels: generic });
    await online(deps, 'ann');
    const c1 = await say(deps, '+1');
    const armed = deps.timers.created.at(-1)!;
    // Early: before the SLA deadline nothing happens (beyond arming again for the same deadline).
    expect(await onTimer(deps, armed.payload)).toEqual([]);
    expect((await state(deps, c1.conversationId)).slaBreached).toBeUndefined();
    // The agent answers: the deadline is gone; the (now stale) fire at its time changes nothing.
    await answer(deps, 'ann', c1.conversationId, 'hi');
    const before = await state(deps, c1.conversationId);
    deps.clock.advance(61);
    expect(await onTimer(deps, armed.payload)).toEqual([]);
    const after = await state(deps, c1.conversationId);
    const { armedAt: _a, armedGen: _g, version: _v, updatedAt: _u, ...same } = after;
    expect(before).toMatchObject(same);
    // A fire from a superseded generation does nothing even when something is due.
    deps.clock.advance(300);
    expect(await onTimer(deps, { kind: 'conversation', conversationId: c1.conversationId, gen: 0 })).toEqual([]);
    expect((await state(deps, c1.conversationId)).state).toBe('active');
    // The current fire does the work once; a duplicate finds it done.
    const current = await state(deps, c1.conversationId);
    const payload = { kind: 'conversation' as const, conversationId: c1.conversationId, gen: current.armedGen! };
    expect(await onTimer(deps, payload)).toEqual(['inactive']);
    expect(await onTimer(deps, payload)).toEqual([]);
    expect(await load(deps, 'ann')).toBe(0);
  });

  it('a Scheduler outage never fails the webhook nor stops routing; the stream creates the schedule once Scheduler is back', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann' }], channels: generic });
    await online(deps, 'ann');
    deps.timers.failing = true;
    const received = await receiveMessage(deps, { channel: 'generic', externalId: 'outage-1', from: '+1', text: 'hi', queue: 'default' });
    expect(received.duplicate).toBe(false);
    // The batch fails (so the stream will deliver it again) but routing and pushes were done.
    await expect(deps.settle()).rejects.toBeInstanceOf(FollowUpError);
    expect((await state(deps, received.conversationId)).assignedTo).toBe('ann');
    expect(deps.pusher.latestWorklist('conn-ann')!.items.map((i) => i.conversationId)).toEqual([received.conversationId]);
    expect(deps.timers.size).toBe(0);
    // Scheduler is back; the stream delivers the batch again to the timers' consumer.
    deps.timers.failing = false;
    const tap = await StreamTap.open(inject('dynamodbEndpoint'), [deps.tables.conversations]);
    await onChanges(deps, { Records: await tap.read() }, ['arm']);
    const armedGen = (await state(deps, received.conversationId)).armedGen;
    expect(deps.timers.created.map((t) => t.name)).toContain(`${received.conversationId}.${armedGen}`);
  });

  it('refuses a payload that is not a Tide timer', async () => {
    const deps = await createTestDeps({ queues, channels: generic });
    await expect(onTimer(deps, { kind: 'surprise' })).rejects.toThrow();
  });
});

describe('agent presence', () => {
  it('offline: waiting-on-agent work is queued, waiting-on-customer work goes inactive and stays', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann' }], channels: generic });
    await online(deps, 'ann');
    const waiting = await say(deps, '+1');
    const answered = await say(deps, '+2');
    await answer(deps, 'ann', answered.conversationId, 'done?');
    await setStatus(deps, 'ann', 'offline');
    expect(await state(deps, waiting.conversationId)).toMatchObject({ state: 'queued', lastAgentId: 'ann', preferredAgentId: 'ann' });
    expect(await state(deps, answered.conversationId)).toMatchObject({ state: 'inactive', assignedTo: 'ann' });
    expect(await load(deps, 'ann')).toBe(0);
  });

  it('a customer of an offline agent waits a bounded time for them, then goes to the queue', async () => {
    const deps = await createTestDeps({ queues, routing: { offlineReactivationWaitSeconds: 120 }, agents: [{ id: 'ann' }, { id: 'ben' }], channels: generic });
    await online(deps, 'ann');
    const c1 = await say(deps, '+1');
    await answer(deps, 'ann', c1.conversationId, 'done?');
    await setStatus(deps, 'ann', 'offline');
    await online(deps, 'ben');
    await say(deps, '+1', 'still there?');
    expect(await state(deps, c1.conversationId)).toMatchObject({ state: 'inactive', waitingOn: 'agent', assignedTo: 'ann' });
    // ann comes back in time: hers again.
    await setStatus(deps, 'ann', 'online');
    expect(await state(deps, c1.conversationId)).toMatchObject({ state: 'active', assignedTo: 'ann' });
    // Next time she does not come back: after the wait, ben gets it.
    await answer(deps, 'ann', c1.conversationId, 'better?');
    await setStatus(deps, 'ann', 'offline');
    await say(deps, '+1', 'no');
    deps.clock.advance(121);
    expect(await deps.fireDue()).toContain('reassign');
    expect(await state(deps, c1.conversationId)).toMatchObject({ state: 'active', assignedTo: 'ben', lastAgentId: 'ben' });
  });

  it('all connections gone for the grace period sets the agent offline; a reconnect cancels it', async () => {
    const deps = await createTestDeps({ queues, routing: { presenceGraceSeconds: 30 }, agents: [{ id: 'ann' }], channels: generic });
    await online(deps, 'ann');
    await connectionGone(deps, 'conn-ann');
    deps.clock.advance(10);
    await deps.connect('ann'); // back within the grace period
    deps.clock.advance(25);
    expect(await deps.fireDue()).toEqual([]);
    expect((await getAgent(deps, 'ann'))!.status).toBe('online');
    await connectionGone(deps, 'conn-ann');
    deps.clock.advance(31);
    expect(await deps.fireDue()).toEqual(['offline']);
    expect((await getAgent(deps, 'ann'))!.status).toBe('offline');
  });

  it('a push answered 410 starts the grace too: a gone agent stops getting work, and its work goes back', async () => {
    const deps = await createTestDeps({ queues, routing: { presenceGraceSeconds: 30 }, agents: [{ id: 'ann' }, { id: 'ben' }], channels: generic });
    await online(deps, 'ann', 'ben');
    // ann's browser died without a $disconnect: only the next push finds out.
    deps.pusher.gone.add('conn-ann');
    const c1 = await say(deps, '+1');
    const c2 = await say(deps, '+2');
    expect((await getAgent(deps, 'ann'))!.connections).toEqual({});
    deps.clock.advance(31);
    expect(await deps.fireDue()).toEqual(['offline']);
    expect((await getAgent(deps, 'ann'))!.status).toBe('offline');
    for (const c of [c1, c2]) expect((await state(deps, c.conversationId)).assignedTo).toBe('ben');
  });

  it('a lost $disconnect and a lost presence timer are caught by the sweep', async () => {
    const deps = await createTestDeps({ queues, routing: { presenceGraceSeconds: 30 }, agents: [{ id: 'ann' }], channels: generic });
    await online(deps, 'ann');
    // The connection vanished with no $disconnect and no push to find out: it outlives API
    // Gateway's 2 hours only on paper.
    deps.clock.advance(2 * 3600 + 301);
    await indexesCaughtUp();
    expect((await sweep(deps)).presenceChecks).toBe(1);
    deps.timers.pending.clear(); // and the presence timer is lost too
    deps.clock.advance(30 + 91);
    await sweep(deps);
    expect((await getAgent(deps, 'ann'))!.status).toBe('offline');
  });
});

describe('scheduler cost', () => {
  it('creates few schedules in a realistic exchange (customer and agent alternating ten times)', async () => {
    const deps = await createTestDeps({ queues: { default: {} }, agents: [{ id: 'ann' }], channels: generic });
    await online(deps, 'ann');
    let conversationId = '';
    for (let turn = 0; turn < 10; turn++) {
      conversationId = (await say(deps, '+1', `question ${turn}`)).conversationId;
      deps.clock.advance(40);
      await deps.fireDue();
      await answer(deps, 'ann', conversationId, `answer ${turn}`);
      deps.clock.advance(25);
      await deps.fireDue();
    }
    const perInbound = deps.timers.created.length / 10;
    console.log(`scheduler: ${deps.timers.created.length} CreateSchedule calls for 10 inbound + 10 replies (${perInbound} per inbound message)`);
    expect(perInbound).toBeLessThanOrEqual(1);
    expect(Object.keys((await getAgent(deps, 'ann'))!.holds)).toEqual([conversationId]);
  });
});

describe('routing policies (docs/priority.md)', () => {
  it('effort-weighted load: quiet customers still cost their agent a little, so fewer new ones are routed to her', async () => {
    const quietThenNew = async (inactiveLoadWeight: number) => {
      const deps = await createTestDeps({ queues, agents: [{ id: 'ann', preferredConcurrency: 2, maxLoad: 4 }], channels: generic, routing: { inactiveLoadWeight } });
      await online(deps, 'ann');
      for (const customer of ['+1', '+2']) await answer(deps, 'ann', (await say(deps, customer)).conversationId, 'Anything else?');
      deps.clock.advance(301);
      await deps.fireDue(); // both go inactive
      const fresh = await Promise.all(['+3', '+4'].map(async (customer) => (await say(deps, customer)).conversationId));
      const agent = (await getAgent(deps, 'ann'))!;
      return { agent, states: await Promise.all(fresh.map(async (id) => (await state(deps, id)).state)) };
    };
    // Weight 0: both slots free again, both new customers routed.
    expect((await quietThenNew(0)).states).toEqual(['active', 'active']);
    // Weight 0.5: two quiet customers weigh one slot; only one new customer fits under preferred 2.
    const weighted = await quietThenNew(0.5);
    expect(weighted.states.sort()).toEqual(['active', 'queued']);
    expect(weighted.agent).toMatchObject({ active: 1, load: 2 });
  });

  it('effort-weighted load: the sweep finds nothing to repair on agents that never held work, and repairs a stale load', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann' }, { id: 'bob' }], channels: generic, routing: { inactiveLoadWeight: 0.5 } });
    await online(deps, 'ann');
    await answer(deps, 'ann', (await say(deps, '+1')).conversationId, 'Anything else?');
    await online(deps, 'bob'); // online, never held anything: stored without a load
    deps.clock.advance(301);
    await deps.fireDue(); // inactive: ann's load is 0.5
    let repaired = 0;
    // Ten sweeps a minute apart: every agent's turn for the load check comes once.
    for (let minute = 0; minute < 10; minute++, deps.clock.advance(60)) repaired += (await sweep(deps)).repairedAgents;
    expect(repaired).toBe(0);
    // A load written under another weight (the configuration changed) is put right by the sweep.
    const ann = (await getAgent(deps, 'ann'))!;
    expect(ann).toMatchObject({ active: 0, load: 0.5 });
    await commitAgent(deps, ann, { ...ann, load: 0.1, version: ann.version + 1 });
    for (let minute = 0; minute < 10; minute++, deps.clock.advance(60)) repaired += (await sweep(deps)).repairedAgents;
    expect(repaired).toBe(1);
    expect((await getAgent(deps, 'ann'))!.load).toBe(0.5);
  });

  it('dynamic concurrency: an agent with nothing waiting on her takes work above preferred, never above maxLoad', async () => {
    const margin = (dynamicConcurrencyMargin: number) =>
      createTestDeps({ queues: { ...queues, other: {} }, agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 3 }, { id: 'cy', queues: ['other'] }], channels: generic, routing: { dynamicConcurrencyMargin } });
    const deps = await margin(1);
    await online(deps, 'ann');
    await online(deps, 'cy');
    const first = await say(deps, '+1');
    const second = await say(deps, '+2');
    // c1 waits on ann: no stretch, c2 queues.
    expect((await state(deps, second.conversationId)).state).toBe('queued');
    expect(await getAgent(deps, 'ann')).toMatchObject({ holds: { [first.conversationId]: 'waiting' } });
    // She answers: nothing waits on her, so c2 is hers (2 active, above preferred 1).
    await answer(deps, 'ann', first.conversationId, 'Which order?');
    expect(await state(deps, second.conversationId)).toMatchObject({ state: 'active', assignedTo: 'ann' });
    // c2 waits on her now; she answers it too, but the margin (1 + 1 = 2) is used up: c3 queues.
    await answer(deps, 'ann', second.conversationId, 'Hello!');
    const third = await say(deps, '+3');
    expect((await state(deps, third.conversationId)).state).toBe('queued');
    // A customer writing again takes the stretch away with the same write (no Availability row left).
    await say(deps, '+1', 'order 42');
    expect(await getAgent(deps, 'ann')).toMatchObject({ active: 2, holds: { [first.conversationId]: 'waiting', [second.conversationId]: 'active' } });
    expect((await getAgent(deps, 'ann'))!.stretch).toBeUndefined();
    expect(await load(deps, 'ann')).toBe(2);
    // The sweep finds nothing to repair: holds, active and stretch agree with the conversations,
    // also for an agent online who never held anything (stored without a stretch).
    let repaired = 0;
    for (let minute = 0; minute < 10; minute++, deps.clock.advance(60)) repaired += (await sweep(deps)).repairedAgents;
    expect(repaired).toBe(0);

    // Margin 0 (the default): preferred concurrency is the routing limit, as before.
    const plain = await margin(0);
    await online(plain, 'ann');
    const p1 = await say(plain, '+1');
    await answer(plain, 'ann', p1.conversationId, 'Which order?');
    expect((await state(plain, (await say(plain, '+2')).conversationId)).state).toBe('queued');
    expect(await getAgent(plain, 'ann')).toMatchObject({ holds: { [p1.conversationId]: 'active' } });
  });

  it('adaptive inactivity: a customer who answers fast frees the slot sooner', async () => {
    const adaptive = { default: { ...queues.default, adaptiveInactivity: { multiplier: 3, minSeconds: 90, maxSeconds: 600 } } };
    const deps = await createTestDeps({ queues: adaptive, agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 2 }], channels: generic });
    await online(deps, 'ann');
    const first = await say(deps, '+1');
    await answer(deps, 'ann', first.conversationId, 'Which order?');
    deps.clock.advance(20);
    await say(deps, '+1', 'order 42'); // answered in 20 s
    await answer(deps, 'ann', first.conversationId, 'Checking, one moment');
    const queued = await say(deps, '+2');
    expect((await state(deps, queued.conversationId)).state).toBe('queued');
    // 3 × 20 s is below the 90 s floor: inactive after 90 s, not the fixed 300 s.
    deps.clock.advance(89);
    await deps.fireDue();
    expect((await state(deps, first.conversationId)).state).toBe('active');
    deps.clock.advance(2);
    expect(await deps.fireDue()).toContain('inactive');
    expect(await state(deps, queued.conversationId)).toMatchObject({ state: 'active', assignedTo: 'ann' });
  });
});
