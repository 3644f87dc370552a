import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { performAgentAction } from '../../shared/agent/perform-action.js';
import type { StoredMessage } from '../../shared/conversation/message-store.js';
import { receiveMessage } from '../../shared/conversation/receive-message.js';
import { createTestDeps, type TestDeps } from '../support/domain-deps.js';
import { conversation, online, say } from '../support/scenario.js';

/**
 * The agent protocol's rules for bad input and retries (DESIGN §4), through the action handler's
 * domain function with real tables.
 */
const setup = async () => {
  const deps = await createTestDeps({
    queues: { billing: {} },
    agents: [{ id: 'ann' }, { id: 'ben' }],
    channels: { generic: { secret: 's', outboundUrl: 'http://127.0.0.1:9/out' } },
  });
  await online(deps, 'ann');
  const { conversationId } = await say(deps, '+1', 'Where is my order?');
  return { deps, conversationId };
};

const act = (deps: TestDeps, frame: unknown, connectionId = 'conn-ann') =>
  performAgentAction(deps, { connectionId }, typeof frame === 'string' ? frame : JSON.stringify(frame)) as Promise<Record<string, unknown>>;

const outbound = async (deps: TestDeps) =>
  (((await deps.db.send(new ScanCommand({ TableName: deps.tables.messages, ConsistentRead: true }))).Items ?? []) as StoredMessage[]).filter((m) => m.direction === 'out');

describe('send: a request is its id and its fields, for 10 minutes', () => {
  it('a client numbering its requests per connection gets every new reply sent after a reconnect', async () => {
    const { deps, conversationId } = await setup();
    const first = await act(deps, { action: 'send', requestId: 'r1', conversationId, text: 'Let me check.' });
    // The connection is replaced (every 2 hours at the latest); the new one numbers from r1 again.
    await deps.connect('ann', 'conn-ann-2');
    const second = await act(deps, { action: 'send', requestId: 'r1', conversationId, text: 'It ships today.' }, 'conn-ann-2');
    expect(first).toMatchObject({ type: 'ack', action: 'send' });
    expect(second).toMatchObject({ type: 'ack', action: 'send' });
    expect(second.messageId).not.toBe(first.messageId);
    expect((await outbound(deps)).map((m) => m.text).sort()).toEqual(['It ships today.', 'Let me check.']);
  });

  it('a retry with the same id and fields gets the first answer and sends nothing again, within 10 minutes only', async () => {
    const { deps, conversationId } = await setup();
    const frame = { action: 'send', requestId: 'r7', conversationId, text: 'On it' };
    const first = await act(deps, frame);
    deps.clock.advance(9 * 60);
    // The same answer, with the server's time of now (clients measure their clock offset from it).
    expect(await act(deps, frame)).toEqual({ ...first, now: deps.clock.now().toISOString() });
    expect(await outbound(deps)).toHaveLength(1);
    deps.clock.advance(2 * 60);
    const later = await act(deps, frame);
    expect(later).toMatchObject({ type: 'ack' });
    expect(later.messageId).not.toBe(first.messageId);
    expect(await outbound(deps)).toHaveLength(2);
  });

  it('a send retried after the conversation closed still gets its first ack', async () => {
    const { deps, conversationId } = await setup();
    const frame = { action: 'send', requestId: 'late', conversationId, text: 'Anything else?' };
    const first = await act(deps, frame);
    await act(deps, { action: 'close', requestId: 'bye', conversationId });
    expect(await act(deps, frame)).toEqual(first);
    expect(await act(deps, { ...frame, text: 'Something new' })).toMatchObject({ type: 'error', code: 'invalid_state' });
  });

  it('concurrent copies of one request store one message and get one answer', async () => {
    const { deps, conversationId } = await setup();
    const frame = { action: 'send', requestId: 'dup', conversationId, text: 'Once only' };
    const answers = await Promise.all(Array.from({ length: 6 }, () => act(deps, frame)));
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]).toMatchObject({ type: 'ack', action: 'send' });
    expect(await outbound(deps)).toHaveLength(1);
  });

  it('a repeated close is answered with its first ack, not with invalid_state', async () => {
    const { deps, conversationId } = await setup();
    const frame = { action: 'close', requestId: 'c1', conversationId };
    const first = await act(deps, frame);
    expect(first).toMatchObject({ type: 'ack', action: 'close' });
    expect(await act(deps, frame)).toEqual(first);
    // A new request to close it again is a real second close: invalid_state.
    expect(await act(deps, { ...frame, requestId: 'c2' })).toMatchObject({ type: 'error', code: 'invalid_state' });
  });
});

describe('bad input: invalid_request, and nothing changes', () => {
  const bad: Array<[string, (conversationId: string) => unknown]> = [
    ['not JSON', () => '{nope'],
    ['not an object', () => '[1,2]'],
    ['an unknown action', () => ({ action: 'explode', requestId: 'x' })],
    ['text that is only whitespace', (conversationId) => ({ action: 'send', requestId: 'x', conversationId, text: ' \n\t ' })],
    ['empty text', (conversationId) => ({ action: 'send', requestId: 'x', conversationId, text: '' })],
    ['text over 4,096 characters', (conversationId) => ({ action: 'send', requestId: 'x', conversationId, text: '🙂'.repeat(4097) })],
    ['a missing conversationId', () => ({ action: 'close', requestId: 'x' })],
    ['a numeric conversationId', () => ({ action: 'close', requestId: 'x', conversationId: 42 })],
    ['a requestId over 128 characters', (conversationId) => ({ action: 'close', requestId: 'r'.repeat(129), conversationId })],
    ['a numeric requestId', (conversationId) => ({ action: 'close', requestId: 7, conversationId })],
    ['a follow-up in the past', (conversationId) => ({ action: 'followUp', requestId: 'x', conversationId, at: '2020-01-01T00:00:00Z' })],
    ['a follow-up that is not a time', (conversationId) => ({ action: 'followUp', requestId: 'x', conversationId, at: 'tomorrow' })],
    ['a transfer with both queue and agentId', (conversationId) => ({ action: 'transfer', requestId: 'x', conversationId, queue: 'billing', agentId: 'ben' })],
    ['a priority out of range', (conversationId) => ({ action: 'setPriority', requestId: 'x', conversationId, priority: 101 })],
    ['a status that does not exist', () => ({ action: 'setStatus', requestId: 'x', status: 'busy' })],
  ];
  for (const [what, frame] of bad) {
    it(what, async () => {
      const { deps, conversationId } = await setup();
      const before = await conversation(deps, conversationId);
      const answer = await act(deps, frame(conversationId));
      expect(answer).toMatchObject({ type: 'error', code: 'invalid_request' });
      expect(answer.message).toEqual(expect.any(String));
      await deps.settle();
      expect(await conversation(deps, conversationId)).toEqual(before);
      expect(await outbound(deps)).toEqual([]);
    });
  }

  it('a reply longer than the conversation\'s channel allows (SMS: 1,600)', async () => {
    const deps = await createTestDeps({ agents: [{ id: 'ann' }], channels: { generic: { secret: 's' } } });
    await online(deps, 'ann');
    const { conversationId } = await receiveMessage(deps, { channel: 'sms', externalId: 'SM1', from: '+15550100', text: 'hi', queue: 'default' });
    await deps.settle();
    expect(await act(deps, { action: 'send', requestId: 'x', conversationId, text: 'a'.repeat(1601) })).toMatchObject({ type: 'error', code: 'invalid_request' });
    expect(await act(deps, { action: 'send', requestId: 'y', conversationId, text: 'a'.repeat(1600) })).toMatchObject({ type: 'ack' });
  });

  for (const name of ['constructor', '__proto__', 'valueOf', 'toString', 'hasOwnProperty']) {
    it(`a transfer to the queue "${name}" is an unknown queue, and the conversation stays`, async () => {
      const { deps, conversationId } = await setup();
      const before = await conversation(deps, conversationId);
      expect(await act(deps, { action: 'transfer', requestId: 'x', conversationId, queue: name })).toMatchObject({ type: 'error', code: 'not_found' });
      expect(await conversation(deps, conversationId)).toEqual(before);
    });
  }

  it(`an inbound message for the queue "constructor" is unknown_queue, and nothing is stored`, async () => {
    const { deps } = await setup();
    for (const queue of ['constructor', '__proto__', 'toString']) {
      await expect(receiveMessage(deps, { channel: 'generic', externalId: `q-${queue}`, from: '+2', text: 'hi', queue })).rejects.toMatchObject({ code: 'unknown_queue' });
    }
    const messages = (await deps.db.send(new ScanCommand({ TableName: deps.tables.messages, ConsistentRead: true }))).Items ?? [];
    expect(messages.filter((m) => (m.externalId as string).startsWith('q-'))).toEqual([]);
  });
});

describe('transfer', () => {
  it('to a queue, of a conversation waiting on the customer: not queued as work until the customer writes', async () => {
    const deps = await createTestDeps({ queues: { billing: {} }, agents: [{ id: 'ann' }, { id: 'bea', queues: ['billing'] }], channels: { generic: { secret: 's' } } });
    await online(deps, 'ann', 'bea');
    const { conversationId } = await say(deps, '+1', 'I need an invoice');
    await act(deps, { action: 'send', requestId: 'a', conversationId, text: 'Which month?' });
    await deps.settle();
    expect(await act(deps, { action: 'transfer', requestId: 't', conversationId, queue: 'billing' })).toMatchObject({ type: 'ack' });
    await deps.settle();
    // Nobody is handed a conversation with nothing to answer.
    expect(await conversation(deps, conversationId)).toMatchObject({ queue: 'billing', state: 'inactive', waitingOn: 'customer' });
    expect((await conversation(deps, conversationId)).assignedTo).toBeUndefined();
    expect(deps.pusher.latestWorklist('conn-bea')!.items).toEqual([]);
    expect(deps.pusher.latestWorklist('conn-ann')!.items).toEqual([]);
    // The customer answers: now it is work, in billing.
    await say(deps, '+1', 'March, please');
    expect(await conversation(deps, conversationId)).toMatchObject({ state: 'active', assignedTo: 'bea', queue: 'billing' });
  });
});

describe('a close or a transfer pushes the agent\'s list once, before its ack', () => {
  const worklists = (deps: TestDeps, connectionId = 'conn-ann') => deps.pusher.framesFor(connectionId, 'worklist') as Array<{ seq: number; items: Array<{ conversationId: string }> }>;

  it('a close: one push, before the ack, without the conversation; the stream does not push it again', async () => {
    const { deps, conversationId } = await setup();
    await deps.settle();
    const before = worklists(deps).length;
    expect(await act(deps, { action: 'close', requestId: 'c1', conversationId })).toMatchObject({ type: 'ack' });
    const atAck = worklists(deps).length;
    expect(atAck).toBe(before + 1);
    await deps.settle();
    expect(worklists(deps)).toHaveLength(atAck);
    expect(worklists(deps).at(-1)!.items).toEqual([]);
  });

  it('a transfer to another agent: the receiver is pushed by the stream, the giver once, before the ack', async () => {
    const { deps, conversationId } = await setup();
    await online(deps, 'ben');
    await deps.settle();
    const before = worklists(deps).length;
    expect(await act(deps, { action: 'transfer', requestId: 't1', conversationId, agentId: 'ben' })).toMatchObject({ type: 'ack' });
    await deps.settle();
    expect(worklists(deps)).toHaveLength(before + 1);
    expect(worklists(deps).at(-1)!.items).toEqual([]);
    expect(deps.pusher.latestWorklist('conn-ben')!.items.map((i) => i.conversationId)).toEqual([conversationId]);
  });

  it('a retried close (its first push may have died with its invocation) pushes again', async () => {
    const { deps, conversationId } = await setup();
    const frame = { action: 'close', requestId: 'c1', conversationId };
    await act(deps, frame);
    await deps.settle();
    const after = worklists(deps).length;
    expect(await act(deps, frame)).toMatchObject({ type: 'ack' });
    expect(worklists(deps)).toHaveLength(after + 1);
    expect(worklists(deps).at(-1)!.items).toEqual([]);
  });

  it('the next change of a transferred conversation is pushed as usual', async () => {
    const { deps, conversationId } = await setup();
    await online(deps, 'ben');
    await act(deps, { action: 'transfer', requestId: 't1', conversationId, agentId: 'ben' });
    await deps.settle();
    const bens = worklists(deps, 'conn-ben').length;
    await say(deps, '+1', 'Still there?');
    expect(worklists(deps, 'conn-ben').length).toBeGreaterThan(bens);
  });
});

describe('a close reads what it decides on in one round trip', () => {
  it('the conversation and the agent whose slot it frees, together, before its one transaction', async () => {
    const { deps, conversationId } = await setup();
    await deps.settle();
    const send = deps.db.send.bind(deps.db);
    const calls: Array<{ name: string; tables: string[] }> = [];
    deps.db.send = (async (command: { constructor: { name: string }; input: { TableName?: string; RequestItems?: object; TransactItems?: unknown[] } }) => {
      calls.push({ name: command.constructor.name, tables: command.input.RequestItems ? Object.keys(command.input.RequestItems).sort() : [command.input.TableName ?? ''] });
      return send(command as never);
    }) as typeof deps.db.send;
    expect(await act(deps, { action: 'close', requestId: 'c1', conversationId })).toMatchObject({ type: 'ack' });
    const upToCommit = calls.slice(0, calls.findIndex((c) => c.name === 'TransactWriteCommand') + 1);
    // The connection's row is read first (a frame without the token's identity), then the decision's one read, then the commit.
    expect(upToCommit.filter((c) => c.name !== 'GetCommand' || c.tables[0] !== deps.tables.connections).map((c) => c.name)).toEqual(['BatchGetCommand', 'TransactWriteCommand']);
    expect(upToCommit.find((c) => c.name === 'BatchGetCommand')!.tables).toEqual([deps.tables.agents, deps.tables.conversations].sort());
  });
});
