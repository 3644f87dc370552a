import { describe, expect, it } from 'vitest';
import { canTakeQueueWork, stretchOf, weightedLoad, type Agent } from '../../shared/agent/model.js';
import { holding } from '../../shared/agent/transitions.js';
import { parseConfig } from '../../shared/config/schema.js';
import type { Conversation } from '../../shared/conversation/model.js';
import { assign, inactivitySeconds, openConversation, receiveCustomerMessage, reply, type Context } from '../../shared/conversation/transitions.js';
import { chooseAgent } from '../../shared/routing/choose-agent.js';
import { agentImage } from '../support/agent-image.js';

/**
 * The routing policies that use the lever of issue 11 (docs/priority.md), as pure rules:
 * effort-weighted load and adaptive inactivity. Both are off by default (today's behaviour).
 */
const agent = agentImage;

const at = (iso: string): Date => new Date(`2026-12-02T${iso}Z`);
const ctxWith = (config: Parameters<typeof parseConfig>[0], now: Date): Context => ({ now, config: parseConfig(config) });

describe('effort-weighted load (routing.inactiveLoadWeight)', () => {
  it('counts each inactive conversation at the weight, and is absent at weight 0', () => {
    const holds: Agent['holds'] = { a: 'active', b: 'inactive', c: 'inactive', d: 'active' };
    expect(weightedLoad(holds, 0)).toBeUndefined();
    expect(weightedLoad(holds, 0.1)).toBe(2.2);
    expect(weightedLoad(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`i${i}`, 'inactive'])), 0.1)).toBe(1);
  });

  it('is what queue routing compares with the routing limit', () => {
    // Two active and ten inactive conversations: room at weight 0, full at 0.1 (2 + 1 = 3).
    expect(canTakeQueueWork(agent('x', { active: 2 }))).toBe(true);
    expect(canTakeQueueWork(agent('x', { active: 2, load: 3 }))).toBe(false);
    expect(canTakeQueueWork(agent('x', { active: 2, load: 2.9 }))).toBe(true);
  });

  it('makes the agent with fewer quiet customers the less loaded one', () => {
    const busyWithQuiet = agent('quiet', { active: 1, load: 1.5 });
    const plain = agent('plain', { active: 1, load: 1 });
    expect(chooseAgent([busyWithQuiet, plain], 'default', undefined, () => 0)?.agentId).toBe('plain');
  });

  it('is kept by the agent transition as conversations come and go inactive', () => {
    const ctx = ctxWith({ routing: { inactiveLoadWeight: 0.25 } }, at('10:00:00'));
    const c = openConversation('c1', { messageId: 'm1', channel: 'sms', from: '+1', text: 'hi', queue: 'default' }, ctx);
    const alice = agent('alice');
    const assigned = assign(c, alice, ctx);
    const held = holding(alice, c, assigned, ctx)!;
    expect(held).toMatchObject({ active: 1, load: 1 });
    const quiet: Conversation = { ...assigned, state: 'inactive', version: assigned.version + 1 };
    expect(holding(held, assigned, quiet, ctx)).toMatchObject({ active: 0, load: 0.25, holds: { c1: 'inactive' } });
    const off = ctxWith({ routing: { inactiveLoadWeight: 0 } }, at('10:00:00'));
    expect(holding(alice, c, assigned, off)?.load).toBeUndefined();
    // On by default, at LivePerson's 0.1.
    expect(holding(held, assigned, quiet, ctxWith({}, at('10:00:00')))).toMatchObject({ load: 0.1 });
  });

  it('refuses a weight outside 0..1', () => {
    expect(() => parseConfig({ routing: { inactiveLoadWeight: 1.5 } })).toThrow();
  });
});

describe('adaptive inactivity (queues.*.adaptiveInactivity)', () => {
  const adaptive = { queues: { default: { adaptiveInactivity: { multiplier: 3, minSeconds: 90, maxSeconds: 600, longFirstWaitSeconds: 300 } } } };
  const queue = (config: Parameters<typeof parseConfig>[0]) => parseConfig(config).queues.default!;
  const conversation = (over: Partial<Conversation>): Conversation => {
    const ctx = ctxWith({}, at('10:00:00'));
    return { ...openConversation('c1', { messageId: 'm1', channel: 'sms', from: '+1', text: 'hi', queue: 'default' }, ctx), ...over };
  };

  it('is the fixed inactiveAfterSeconds when turned off', () => {
    expect(inactivitySeconds(conversation({ customerResponseSeconds: 10 }), queue({ queues: { default: { inactiveAfterSeconds: 420, adaptiveInactivity: false } } }), at('10:01:00'))).toBe(420);
  });

  it('is on by default (2 × the pace in 90–180 s), and never longer than inactiveAfterSeconds', () => {
    const answered = (seconds: number) => conversation({ customerResponseSeconds: seconds, lastMessage: { messageId: 'm2', direction: 'in', text: 'x', at: at('10:00:30').toISOString() } });
    expect(inactivitySeconds(answered(60), queue({}), at('10:01:00'))).toBe(120);
    expect(inactivitySeconds(answered(1200), queue({}), at('10:01:00'))).toBe(180);
    // A queue configured to go inactive sooner than the rule's floor or cap keeps its own time.
    expect(inactivitySeconds(answered(1200), queue({ queues: { default: { inactiveAfterSeconds: 5 } } }), at('10:01:00'))).toBe(5);
    expect(inactivitySeconds(answered(1), queue({ queues: { default: { inactiveAfterSeconds: 60 } } }), at('10:01:00'))).toBe(60);
  });

  it('follows the customer’s own pace, clamped', () => {
    const q = queue(adaptive);
    const answered = (seconds: number) => conversation({ customerResponseSeconds: seconds, lastMessage: { messageId: 'm2', direction: 'in', text: 'x', at: at('10:00:30').toISOString() } });
    expect(inactivitySeconds(answered(40), q, at('10:01:00'))).toBe(120);
    expect(inactivitySeconds(answered(5), q, at('10:01:00'))).toBe(90);
    expect(inactivitySeconds(answered(1200), q, at('10:01:00'))).toBe(600);
  });

  it('gives a first reply after a long wait the shortest τ, and a prompt first reply the longest', () => {
    const q = queue(adaptive);
    const waiting = conversation({ waitingSince: at('10:00:00').toISOString() });
    expect(inactivitySeconds(waiting, q, at('10:01:00'))).toBe(600);
    expect(inactivitySeconds(waiting, q, at('10:06:00'))).toBe(90);
  });

  it('arms the inactivity deadline the agent’s reply gets', () => {
    const start = ctxWith(adaptive, at('10:00:00'));
    const first = assign(openConversation('c1', { messageId: 'm1', channel: 'sms', from: '+1', text: 'hi', queue: 'default' }, start), agent('alice'), start);
    const replied = reply(first, { messageId: 'o1', text: 'hello' }, ctxWith(adaptive, at('10:00:30')));
    expect(replied.inactiveAt).toBe(at('10:10:30').toISOString()); // a prompt first reply: 600 s
    // The customer answers in 20 s, so the next reply waits 3 × their average.
    const answered = receiveCustomerMessage(replied, { messageId: 'm2', channel: 'sms', from: '+1', text: 'my order', queue: 'default' }, 'normal', undefined, ctxWith(adaptive, at('10:00:50')));
    expect(answered.customerResponseSeconds).toBe(20);
    const second = reply(answered, { messageId: 'o2', text: 'checking' }, ctxWith(adaptive, at('10:01:00')));
    expect(second.inactiveAt).toBe(at('10:02:30').toISOString()); // clamped up to 90 s
  });

  it('refuses a minimum above the maximum', () => {
    expect(() => parseConfig({ queues: { default: { adaptiveInactivity: { minSeconds: 700, maxSeconds: 600 } } } })).toThrow(/minSeconds/);
  });
});

describe('dynamic concurrency (routing.dynamicConcurrencyMargin)', () => {
  const start = (config: Parameters<typeof parseConfig>[0]) => {
    const ctx = ctxWith(config, at('10:00:00'));
    const c = openConversation('c1', { messageId: 'm1', channel: 'sms', from: '+1', text: 'hi', queue: 'default' }, ctx);
    const alice = agent('alice', { preferredConcurrency: 1, maxLoad: 2 });
    const assigned = assign(c, alice, ctx);
    return { ctx, assigned, held: holding(alice, c, assigned, ctx)! };
  };

  it('lets an agent with nothing waiting on them take work above preferred, up to maxLoad and never while ramping', () => {
    const full = agent('x', { preferredConcurrency: 3, maxLoad: 4, active: 3 });
    expect(canTakeQueueWork(full)).toBe(false);
    expect(canTakeQueueWork({ ...full, stretch: 2 })).toBe(true);
    expect(canTakeQueueWork({ ...full, stretch: 2, active: 4 })).toBe(false); // maxLoad is the cap whatever the margin
    expect(canTakeQueueWork({ ...full, stretch: 2, routingLimit: 2, active: 2 })).toBe(false); // ramping up
    expect(stretchOf({ a: 'active', b: 'inactive' }, 1)).toBe(1);
    expect(stretchOf({ a: 'active', b: 'waiting' }, 1)).toBeUndefined();
    expect(stretchOf({ a: 'active' }, 0)).toBeUndefined();
  });

  it('is kept by the agent transition: a customer waiting takes the stretch away, the reply gives it back', () => {
    const { ctx, assigned, held } = start({ routing: { dynamicConcurrencyMargin: 1 } });
    expect(held).toMatchObject({ holds: { c1: 'waiting' }, active: 1 });
    expect(held.stretch).toBeUndefined();
    const replied = reply(assigned, { messageId: 'o1', text: 'hello' }, ctx);
    const free = holding(held, assigned, replied, ctx)!;
    expect(free).toMatchObject({ holds: { c1: 'active' }, active: 1, stretch: 1, lastAssignedAt: held.lastAssignedAt });
    expect(canTakeQueueWork(free)).toBe(true);
    const answered = receiveCustomerMessage(replied, { messageId: 'm2', channel: 'sms', from: '+1', text: 'ok', queue: 'default' }, 'normal', undefined, ctx);
    const busy = holding(free, replied, answered, ctx)!;
    expect(busy).toMatchObject({ holds: { c1: 'waiting' }, active: 1 });
    expect(canTakeQueueWork(busy)).toBe(false);
  });

  it('writes no agent on a reply or a customer message when off', () => {
    const { ctx, assigned, held } = start({});
    expect(held.holds).toEqual({ c1: 'active' });
    expect(holding(held, assigned, reply(assigned, { messageId: 'o1', text: 'hello' }, ctx), ctx)).toBeUndefined();
  });
});
