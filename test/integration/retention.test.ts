import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { closeConversation } from '../../shared/conversation/commands.js';
import type { Customer } from '../../shared/conversation/customer-store.js';
import type { StoredMessage } from '../../shared/conversation/message-store.js';
import type { Conversation } from '../../shared/conversation/model.js';
import { openCeilingDays } from '../../shared/conversation/retention.js';
import { createTestDeps, type TestDeps } from '../support/domain-deps.js';
import { answer, conversation, indexesCaughtUp, online, say } from '../support/scenario.js';

/**
 * The retention rule (docs/data.md) as written to DynamoDB Local: the `expiresAt` each item gets
 * and when. The tables' TTL is off here (the manual clock), and DynamoDB Local's own deletion
 * runs on the wall clock anyway, so what is checked is the attribute, not the deletion.
 */
const day = 86_400;
const config = {
  retention: { messageDays: 30 },
  queues: { default: { closingMessage: 'Thanks for writing!' }, vip: { retention: { messageDays: 90 } } },
  agents: [{ id: 'ann', queues: ['default', 'vip'] }],
  channels: { generic: { secret: 's' } },
};

const scan = async <T>(deps: TestDeps, table: string) => ((await deps.db.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? []) as T[];
const messagesOf = async (deps: TestDeps, conversationId: string) => (await scan<StoredMessage>(deps, deps.tables.messages)).filter((m) => m.conversationId === conversationId);
const customer = async (deps: TestDeps, from: string) => (await scan<Customer>(deps, deps.tables.customers)).find((c) => c.customerId === from)!;
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

// One set of tables for the tests with a rule, each with its own customers; Ann is online throughout.
let deps: TestDeps;
beforeAll(async () => {
  deps = await createTestDeps(config);
  await online(deps, 'ann');
});

describe('when a conversation closes', () => {
  it('an agent’s close: the conversation, every message and the customer item expire the queue’s days after the close', async () => {
    const { conversationId } = await say(deps, '+1', 'hi');
    await answer(deps, 'ann', conversationId, 'hello');
    await say(deps, '+1', 'where is my parcel');
    await answer(deps, 'ann', conversationId, 'on its way');
    // While open nothing expires but the messages' ceiling: the longest retention plus a year.
    expect((await conversation(deps, conversationId)).expiresAt).toBeUndefined();
    expect((await customer(deps, '+1')).expiresAt).toBeUndefined();
    for (const m of await messagesOf(deps, conversationId)) expect(m.expiresAt, m.text).toBe(seconds(m.sentAt) + (90 + openCeilingDays) * day);
    deps.clock.advance(3 * day);
    await indexesCaughtUp();
    await closeConversation(deps, 'ann', conversationId);
    await deps.settle();
    const closed = await conversation(deps, conversationId);
    const expected = seconds(closed.closedAt!) + 30 * day;
    expect(closed.expiresAt).toBe(expected);
    const messages = await messagesOf(deps, conversationId);
    expect(messages).toHaveLength(4);
    for (const m of messages) expect(m.expiresAt, `${m.direction} ${m.sentAt}`).toBe(expected);
    expect((await customer(deps, '+1')).expiresAt).toBe(expected);
  });

  it('the customer’s “no, that’s all”: the closing message is written with the expiry, and a late “thanks” is filed with it', async () => {
    const { conversationId } = await say(deps, '+2', 'can I change my address?');
    await answer(deps, 'ann', conversationId, 'Done. Anything else I can help you with?', true);
    deps.clock.advance(120);
    await say(deps, '+2', 'no thanks');
    const closed = await conversation(deps, conversationId);
    expect(closed.state).toBe('closed');
    const expected = seconds(closed.closedAt!) + 30 * day;
    expect(closed.expiresAt).toBe(expected);
    deps.clock.advance(3600);
    const late = await say(deps, '+2', 'thanks!');
    expect(late.conversationId).toBe(conversationId);
    const messages = await messagesOf(deps, conversationId);
    // The question, the answer, the queue's closing message, the late thanks, and the first message.
    expect(messages.map((m) => m.text).sort()).toEqual(['Done. Anything else I can help you with?', 'Thanks for writing!', 'can I change my address?', 'no thanks', 'thanks!']);
    for (const m of messages) expect(m.expiresAt, m.text).toBe(expected);
  });

  it('auto-closed by its timer, in a queue with its own rule: that queue’s days after the auto-close', async () => {
    const { conversationId } = await say(deps, '+3', 'hello?', { queue: 'vip' });
    await answer(deps, 'ann', conversationId, 'hi, how can I help?');
    deps.clock.advance(601);
    await deps.fireDue();
    expect((await conversation(deps, conversationId)).state).toBe('inactive');
    deps.clock.advance(day);
    await indexesCaughtUp();
    await deps.fireDue();
    const closed = await conversation(deps, conversationId);
    expect(closed.state).toBe('closed');
    const expected = seconds(closed.closedAt!) + 90 * day;
    expect(closed.expiresAt).toBe(expected);
    for (const m of await messagesOf(deps, conversationId)) expect(m.expiresAt).toBe(expected);
    expect((await customer(deps, '+3')).expiresAt).toBe(expected);
  });
});

describe('the customer item', () => {
  it('stops expiring while the customer has an open conversation, and never expires while they are opted out', async () => {
    const first = await say(deps, '+4', 'hi');
    await closeConversation(deps, 'ann', first.conversationId);
    expect((await customer(deps, '+4')).expiresAt).toBeDefined();
    // A new message opens a new conversation (a closed one is never reopened).
    const second = await say(deps, '+4', 'me again');
    expect(second.conversationId).not.toBe(first.conversationId);
    expect((await customer(deps, '+4')).expiresAt).toBeUndefined();
    await say(deps, '+4', 'STOP', { optOut: 'stop' });
    await closeConversation(deps, 'ann', second.conversationId);
    const optedOut = await customer(deps, '+4');
    expect(optedOut).toMatchObject({ optedOut: true });
    expect(optedOut.expiresAt).toBeUndefined();
    expect((await conversation(deps, second.conversationId)).expiresAt).toBe(seconds((await conversation(deps, second.conversationId)).closedAt!) + 30 * day);
  });
});

describe('without a retention rule', () => {
  it('nothing gets an expiry: kept until erased', async () => {
    const deps = await createTestDeps({ ...config, retention: {}, queues: {}, agents: [{ id: 'ann' }] });
    await online(deps, 'ann');
    const { conversationId } = await say(deps, '+5', 'hi');
    await answer(deps, 'ann', conversationId, 'hello');
    await closeConversation(deps, 'ann', conversationId);
    const items = [
      ...(await scan<Conversation>(deps, deps.tables.conversations)),
      ...(await scan<StoredMessage>(deps, deps.tables.messages)),
      ...(await scan<Customer>(deps, deps.tables.customers)),
    ];
    expect(items.length).toBe(4);
    for (const item of items) expect(item).not.toHaveProperty('expiresAt');
  });
});
