import { describe, expect, it } from 'vitest';
import { getAgent } from '../../shared/agent/agent-store.js';
import { disconnectAgent } from '../../shared/agent/presence.js';
import { setAgentStatus } from '../../shared/agent/set-status.js';
import { getConversation } from '../../shared/conversation/conversation-store.js';
import { scheduleFollowUp } from '../../shared/conversation/follow-up.js';
import { receiveMessage } from '../../shared/conversation/receive-message.js';
import { sendReply } from '../../shared/conversation/reply.js';
import { listAgentWork } from '../../shared/conversation/conversation-store.js';
import { onTimer } from '../../shared/timers/on-timer.js';
import { createTestDeps, type TestDeps } from '../support/domain-deps.js';

const queues = { default: { slaSeconds: 60, inactiveAfterSeconds: 300, autoCloseAfterSeconds: 3600 } };
let n = 0;
const say = (deps: TestDeps, from: string, text = 'hello') =>
  receiveMessage(deps, { channel: 'generic', externalId: `e-${++n}`, from, text, queue: 'default' });
const state = async (deps: TestDeps, id: string) => (await getConversation(deps, id))!;
const load = async (deps: TestDeps, agentId: string) => (await getAgent(deps, agentId))!.active;

describe('inactive conversations', () => {
  it('go inactive after the customer is silent, freeing a slot that queued work takes at once', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 2 }], channels: { generic: { secret: 's' } } });
    await setAgentStatus(deps, 'ann', 'online');
    const first = await say(deps, '+1');
    const second = await say(deps, '+2');
    expect((await state(deps, second.conversationId)).state).toBe('queued');
    await sendReply(deps, { agentId: 'ann', conversationId: first.conversationId, text: 'Done?' });
    deps.clock.advance(299);
    await deps.timers.fireDue(deps);
    expect((await state(deps, first.conversationId)).state).toBe('active');
    deps.clock.advance(2);
    expect(await deps.timers.fireDue(deps)).toContain('inactive');
    expect(await state(deps, first.conversationId)).toMatchObject({ state: 'inactive', assignedTo: 'ann' });
    expect(await state(deps, second.conversationId)).toMatchObject({ state: 'active', assignedTo: 'ann' });
    expect(await load(deps, 'ann')).toBe(1);
  });

  it('return to the same agent above preferred concurrency, but never above maxLoad', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 2 }, { id: 'ben', preferredConcurrency: 3, maxLoad: 3 }], channels: { generic: { secret: 's' } } });
    await setAgentStatus(deps, 'ann', 'online');
    // ann: c1 goes inactive, then c2 and c3 arrive; c2 is hers.
    const c1 = await say(deps, '+1');
    await sendReply(deps, { agentId: 'ann', conversationId: c1.conversationId, text: 'ok?' });
    deps.clock.advance(301);
    await deps.timers.fireDue(deps);
    const c2 = await say(deps, '+2');
    expect((await state(deps, c2.conversationId)).assignedTo).toBe('ann');
    // The customer of c1 writes again: back to ann although she is at preferred (1), up to max (2).
    await say(deps, '+1', 'actually, one more question');
    expect(await state(deps, c1.conversationId)).toMatchObject({ state: 'active', assignedTo: 'ann', waitingOn: 'agent' });
    expect(await load(deps, 'ann')).toBe(2);
    // Above preferred concurrency she receives no new work from the queue.
    const c3 = await say(deps, '+3');
    expect((await state(deps, c3.conversationId)).state).toBe('queued');
    await setAgentStatus(deps, 'ben', 'online');
    expect((await state(deps, c3.conversationId)).assignedTo).toBe('ben');
    expect(await load(deps, 'ann')).toBe(2);
  });

  it('reactivating at maxLoad queues the conversation, keeping the agent as lastAgentId', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 1 }], channels: { generic: { secret: 's' } } });
    await setAgentStatus(deps, 'ann', 'online');
    const c1 = await say(deps, '+1');
    await sendReply(deps, { agentId: 'ann', conversationId: c1.conversationId, text: 'ok?' });
    deps.clock.advance(301);
    await deps.timers.fireDue(deps);
    const c2 = await say(deps, '+2');
    expect((await state(deps, c2.conversationId)).assignedTo).toBe('ann');
    await say(deps, '+1', 'me again');
    expect(await state(deps, c1.conversationId)).toMatchObject({ state: 'queued', lastAgentId: 'ann' });
    expect(await load(deps, 'ann')).toBe(1);
  });

  it('auto-close an inactive conversation whose customer stays silent', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    await setAgentStatus(deps, 'ann', 'online');
    const c1 = await say(deps, '+1');
    await sendReply(deps, { agentId: 'ann', conversationId: c1.conversationId, text: 'ok?' });
    deps.clock.advance(301);
    await deps.timers.fireDue(deps);
    deps.clock.advance(3600 - 301 - 1);
    await deps.timers.fireDue(deps);
    expect((await state(deps, c1.conversationId)).state).toBe('inactive');
    deps.clock.advance(2);
    expect(await deps.timers.fireDue(deps)).toContain('autoClose');
    expect((await state(deps, c1.conversationId)).state).toBe('closed');
    // The customer's next message opens a new conversation.
    expect((await say(deps, '+1')).conversationId).not.toBe(c1.conversationId);
  });
});

describe('SLA clocks', () => {
  it('breach escalates priority, is pushed and recorded; the reply stops the clock; the next message starts a new one', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    const conn = await deps.connect('ann');
    await setAgentStatus(deps, 'ann', 'online');
    const slow = await say(deps, '+1');
    deps.clock.advance(30);
    const fresh = await say(deps, '+2');
    deps.clock.advance(31);
    expect(await deps.timers.fireDue(deps)).toEqual(['slaBreach']);
    const breached = await state(deps, slow.conversationId);
    expect(breached).toMatchObject({ slaBreached: true, slaBreaches: 1 });
    expect(breached.slaBreachedAt).toBeDefined();
    const last = deps.pusher.framesFor(conn, 'worklist').at(-1) as { items: Array<{ conversationId: string; slaBreached: boolean }> };
    expect(last.items[0]).toMatchObject({ conversationId: slow.conversationId, slaBreached: true });
    expect(last.items.map((i) => i.conversationId)).toEqual([slow.conversationId, fresh.conversationId]);
    await sendReply(deps, { agentId: 'ann', conversationId: slow.conversationId, text: 'sorry!' });
    expect(await state(deps, slow.conversationId)).toMatchObject({ slaDueAt: null, slaBreached: false });
    await say(deps, '+1', 'thanks, and another thing');
    const again = await state(deps, slow.conversationId);
    expect(Date.parse(again.slaDueAt!) - deps.clock.now().getTime()).toBe(60_000);
  });
});

describe('follow-up', () => {
  it('hides the conversation, frees the slot, and brings it back first at the time set', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann', preferredConcurrency: 2, maxLoad: 3 }], channels: { generic: { secret: 's' } } });
    const conn = await deps.connect('ann');
    await setAgentStatus(deps, 'ann', 'online');
    const c1 = await say(deps, '+1');
    const c2 = await say(deps, '+2');
    const at = new Date(deps.clock.now().getTime() + 7200_000).toISOString();
    await scheduleFollowUp(deps, 'ann', c1.conversationId, at);
    expect(await state(deps, c1.conversationId)).toMatchObject({ state: 'inactive', waitingOn: 'agent', followUpAt: at });
    expect(await load(deps, 'ann')).toBe(1);
    const hidden = deps.pusher.framesFor(conn, 'worklist').at(-1) as { items: Array<{ conversationId: string }> };
    expect(hidden.items.map((i) => i.conversationId)).toEqual([c2.conversationId, c1.conversationId]);
    deps.clock.advance(7199);
    expect(await deps.timers.fireDue(deps)).not.toContain('followUp');
    deps.clock.advance(1);
    expect(await deps.timers.fireDue(deps)).toContain('followUp');
    expect(await state(deps, c1.conversationId)).toMatchObject({ state: 'active', waitingOn: 'agent', followUpAt: null, followUpDue: true });
    const back = deps.pusher.framesFor(conn, 'worklist').at(-1) as { items: Array<{ conversationId: string }> };
    expect(back.items[0]!.conversationId).toBe(c1.conversationId);
    expect(await load(deps, 'ann')).toBe(2);
  });

  it('refuses a time in the past', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    await setAgentStatus(deps, 'ann', 'online');
    const c1 = await say(deps, '+1');
    await expect(scheduleFollowUp(deps, 'ann', c1.conversationId, '2020-01-01T00:00:00Z')).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

describe('timer fires are safe when stale, duplicated or early', () => {
  it('a duplicated, stale or early fire changes nothing', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    await setAgentStatus(deps, 'ann', 'online');
    const c1 = await say(deps, '+1');
    const armed = deps.timers.created.at(-1)!;
    // Early: before the SLA deadline nothing happens.
    expect(await onTimer(deps, armed.payload)).toEqual([]);
    expect((await state(deps, c1.conversationId)).slaBreached).toBe(false);
    // The agent answers: the deadline is gone; the (now stale) fire at its time changes nothing.
    await sendReply(deps, { agentId: 'ann', conversationId: c1.conversationId, text: 'hi' });
    const before = await state(deps, c1.conversationId);
    deps.clock.advance(61);
    expect(await onTimer(deps, armed.payload)).toEqual([]);
    const after = await state(deps, c1.conversationId);
    expect({ ...after, armedAt: null, armedGen: 0, version: 0 }).toEqual({ ...before, armedAt: null, armedGen: 0, version: 0 });
    // A fire from a superseded generation does nothing even when something is due.
    deps.clock.advance(300);
    expect(await onTimer(deps, { kind: 'conversation', conversationId: c1.conversationId, gen: -1 })).toEqual([]);
    expect((await state(deps, c1.conversationId)).state).toBe('active');
    // The current fire does the work once; a duplicate finds it done.
    const current = await state(deps, c1.conversationId);
    const payload = { kind: 'conversation' as const, conversationId: c1.conversationId, gen: current.armedGen! };
    expect(await onTimer(deps, payload)).toEqual(['inactive']);
    expect(await onTimer(deps, payload)).toEqual([]);
    expect(await load(deps, 'ann')).toBe(0);
  });

  it('a Scheduler failure fails the webhook (so the channel retries) and the retry arms the timer', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    const real = deps.timers.schedule.bind(deps.timers);
    let failures = 1;
    deps.timers.schedule = async (...args) => {
      if (failures-- > 0) throw new Error('ThrottlingException');
      return real(...args);
    };
    const message = { channel: 'generic', externalId: 'retry-1', from: '+1', text: 'hi', queue: 'default' };
    await expect(receiveMessage(deps, message)).rejects.toThrow('ThrottlingException');
    expect(deps.timers.size).toBe(0);
    const retried = await receiveMessage(deps, message);
    expect(retried.duplicate).toBe(true);
    expect(deps.timers.size).toBe(1);
    expect((await state(deps, retried.conversationId)).armedAt).toBeTruthy();
  });

  it('refuses a payload that is not a Tide timer', async () => {
    const deps = await createTestDeps({ queues, channels: { generic: { secret: 's' } } });
    await expect(onTimer(deps, { kind: 'surprise' })).rejects.toThrow();
  });
});

describe('agent presence', () => {
  it('offline: waiting-on-agent work is queued, waiting-on-customer work goes inactive and stays', async () => {
    const deps = await createTestDeps({ queues, agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    await setAgentStatus(deps, 'ann', 'online');
    const waiting = await say(deps, '+1');
    const answered = await say(deps, '+2');
    await sendReply(deps, { agentId: 'ann', conversationId: answered.conversationId, text: 'done?' });
    await setAgentStatus(deps, 'ann', 'offline');
    expect(await state(deps, waiting.conversationId)).toMatchObject({ state: 'queued', lastAgentId: 'ann' });
    expect(await state(deps, answered.conversationId)).toMatchObject({ state: 'inactive', assignedTo: 'ann' });
    expect(await load(deps, 'ann')).toBe(0);
  });

  it('a customer of an offline agent waits a bounded time for them, then goes to the queue', async () => {
    const deps = await createTestDeps({ queues, routing: { offlineReactivationWaitSeconds: 120 }, agents: [{ id: 'ann' }, { id: 'ben' }], channels: { generic: { secret: 's' } } });
    await setAgentStatus(deps, 'ann', 'online');
    const c1 = await say(deps, '+1');
    await sendReply(deps, { agentId: 'ann', conversationId: c1.conversationId, text: 'done?' });
    await setAgentStatus(deps, 'ann', 'offline');
    await setAgentStatus(deps, 'ben', 'online');
    await say(deps, '+1', 'still there?');
    expect(await state(deps, c1.conversationId)).toMatchObject({ state: 'inactive', waitingOn: 'agent', assignedTo: 'ann' });
    // ann comes back in time: hers again.
    await setAgentStatus(deps, 'ann', 'online');
    expect(await state(deps, c1.conversationId)).toMatchObject({ state: 'active', assignedTo: 'ann' });
    // Next time she does not come back: after the wait, ben gets it.
    await sendReply(deps, { agentId: 'ann', conversationId: c1.conversationId, text: 'better?' });
    await setAgentStatus(deps, 'ann', 'offline');
    await say(deps, '+1', 'no');
    deps.clock.advance(121);
    expect(await deps.timers.fireDue(deps)).toContain('reassign');
    expect(await state(deps, c1.conversationId)).toMatchObject({ state: 'active', assignedTo: 'ben', lastAgentId: 'ben' });
  });

  it('all connections gone for the grace period sets the agent offline; a reconnect cancels it', async () => {
    const deps = await createTestDeps({ queues, routing: { presenceGraceSeconds: 30 }, agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    const conn = await deps.connect('ann');
    await setAgentStatus(deps, 'ann', 'online');
    await disconnectAgent(deps, conn);
    deps.clock.advance(10);
    await deps.connect('ann'); // back within the grace period
    deps.clock.advance(25);
    expect(await deps.timers.fireDue(deps)).toEqual([]);
    expect((await getAgent(deps, 'ann'))!.status).toBe('online');
    await disconnectAgent(deps, 'conn-ann');
    deps.clock.advance(31);
    expect(await deps.timers.fireDue(deps)).toEqual(['offline']);
    expect((await getAgent(deps, 'ann'))!.status).toBe('offline');
  });
});

describe('scheduler cost', () => {
  it('creates few schedules in a realistic exchange (customer and agent alternating ten times)', async () => {
    const deps = await createTestDeps({ queues: { default: {} }, agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    await setAgentStatus(deps, 'ann', 'online');
    let conversationId = '';
    for (let turn = 0; turn < 10; turn++) {
      conversationId = (await say(deps, '+1', `question ${turn}`)).conversationId;
      deps.clock.advance(40);
      await deps.timers.fireDue(deps);
      await sendReply(deps, { agentId: 'ann', conversationId, text: `answer ${turn}` });
      deps.clock.advance(25);
      await deps.timers.fireDue(deps);
    }
    const perInbound = deps.timers.created.length / 10;
    console.log(`scheduler: ${deps.timers.created.length} CreateSchedule calls for 10 inbound + 10 replies (${perInbound} per inbound message)`);
    expect(perInbound).toBeLessThanOrEqual(1);
    expect((await listAgentWork(deps, 'ann')).map((c) => c.conversationId)).toEqual([conversationId]);
  });
});
