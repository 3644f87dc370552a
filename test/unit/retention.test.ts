import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/schema.js';
import { closedExpiry, messageExpiry, openCeilingDays, openMessageCeiling, retentionDays } from '../../shared/conversation/retention.js';
import { close, openConversation, timedEvent } from '../../shared/conversation/transitions.js';

/** The retention rule (docs/data.md) as pure functions, and where the state machine applies it. */
const day = 86_400;
const at = '2030-05-01T10:00:00.000Z';
const epoch = Date.parse(at) / 1000;

describe('retentionDays', () => {
  it('a queue’s own rule wins over the top-level one; neither means until erased', () => {
    const config = parseConfig({ retention: { messageDays: 30 }, queues: { vip: { retention: { messageDays: 90 } }, plain: {} } });
    expect(retentionDays(config, 'vip')).toBe(90);
    expect(retentionDays(config, 'plain')).toBe(30);
    expect(retentionDays(config, 'default')).toBe(30);
    expect(retentionDays(parseConfig({}), 'default')).toBeUndefined();
    expect(retentionDays(parseConfig({ queues: { vip: { retention: { messageDays: 7 } } } }), 'default')).toBeUndefined();
  });

  it('is whole days from 1 to 100 years', () => {
    for (const bad of [0, -1, 1.5, 36_501, '30']) expect(() => parseConfig({ retention: { messageDays: bad } }), String(bad)).toThrow(/messageDays/);
    expect(() => parseConfig({ queues: { vip: { retention: { messageDays: 0 } } } })).toThrow(/queues\.vip\.retention\.messageDays/);
    expect(() => parseConfig({ retention: { days: 3 } })).toThrow(/retention/);
  });
});

describe('expiries', () => {
  const config = parseConfig({ retention: { messageDays: 30 }, queues: { vip: { retention: { messageDays: 90 } } } });

  it('a closed conversation expires its queue’s days after it closed, in epoch seconds', () => {
    expect(closedExpiry(config, 'default', at)).toBe(epoch + 30 * day);
    expect(closedExpiry(config, 'vip', new Date(at))).toBe(epoch + 90 * day);
    expect(closedExpiry(parseConfig({}), 'default', at)).toBeUndefined();
  });

  it('a message of an open conversation gets the ceiling: the longest retention plus a year', () => {
    expect(openMessageCeiling(config, at)).toBe(epoch + (90 + openCeilingDays) * day);
    // One queue kept until erased: no ceiling can be right for its messages.
    expect(openMessageCeiling(parseConfig({ queues: { vip: { retention: { messageDays: 90 } } } }), at)).toBeUndefined();
    expect(openMessageCeiling(parseConfig({}), at)).toBeUndefined();
  });

  it('a message written with a closed conversation takes the conversation’s expiry; with an open one, the ceiling', () => {
    expect(messageExpiry(config, { state: 'closed', expiresAt: 123 }, at)).toBe(123);
    expect(messageExpiry(parseConfig({}), { state: 'closed' }, at)).toBeUndefined();
    for (const state of ['queued', 'active', 'inactive'] as const) expect(messageExpiry(config, { state }, at)).toBe(epoch + (90 + openCeilingDays) * day);
    expect(messageExpiry(config, undefined, at)).toBe(epoch + (90 + openCeilingDays) * day);
  });
});

describe('the state machine stamps a conversation’s expiry when it closes, and only then', () => {
  const config = parseConfig({ retention: { messageDays: 30 }, queues: { vip: { retention: { messageDays: 90 } } } });
  const opened = openConversation('c_1', { messageId: 'mi_1', channel: 'generic', from: '+1', text: 'hi', queue: 'vip' }, { now: new Date(at), config });

  it('open: no expiry', () => {
    expect(opened.expiresAt).toBeUndefined();
  });

  it('closed by the agent or the customer: its queue’s days after the close', () => {
    const later = new Date(Date.parse(at) + 3 * day * 1000);
    const closed = close(opened, opened, { now: later, config });
    expect(closed.expiresAt).toBe(later.getTime() / 1000 + 90 * day);
  });

  it('auto-closed by its timer: the same rule, from the moment it closed', () => {
    const later = new Date(Date.parse(at) + 2 * day * 1000);
    const closed = timedEvent({ ...opened, state: 'inactive', autoCloseAt: later.toISOString() }, 'autoClose', undefined, { now: later, config });
    expect(closed.state).toBe('closed');
    expect(closed.expiresAt).toBe(later.getTime() / 1000 + 90 * day);
  });

  it('kept until erased when no rule applies', () => {
    const noRule = parseConfig({});
    const c = openConversation('c_2', { messageId: 'mi_2', channel: 'generic', from: '+1', text: 'hi', queue: 'default' }, { now: new Date(at), config: noRule });
    expect(close(c, c, { now: new Date(at), config: noRule }).expiresAt).toBeUndefined();
  });
});
