import { describe, expect, it } from 'vitest';
import type { AgentIdentity } from '../../shared/auth/agent-token.js';
import { sendReply, transferConversation } from '../../shared/conversation/commands.js';
import { historyQuery, readHistory, type MessageView } from '../../shared/conversation/history.js';
import { receiveMessage } from '../../shared/conversation/receive-message.js';
import { indexesSettled } from '../../infra/local/index-lag.js';
import { createTestDeps, type TestDeps } from '../support/domain-deps.js';
import { answer, indexesCaughtUp, online, say } from '../support/scenario.js';

/**
 * The history API's domain function (DESIGN §4b) against DynamoDB Local: paging with the cursor,
 * who may read what, bad queries, and the index's lag.
 */
const ann: AgentIdentity = { agentId: 'ann', role: 'agent' };
const ben: AgentIdentity = { agentId: 'ben', role: 'agent' };
const sue: AgentIdentity = { agentId: 'sue', role: 'supervisor' };
const ada: AgentIdentity = { agentId: 'ada', role: 'admin' };

const config = {
  agents: [{ id: 'ann' }, { id: 'ben' }],
  channels: { generic: { secret: 's', outboundUrl: 'http://127.0.0.1:9/out' } },
};

const readNow = (deps: TestDeps, who: AgentIdentity, id: string, params: Record<string, string> = {}) => readHistory(deps, who, id, historyQuery(id, params));
/** A read once the index caught up (only waits when the suite runs with TIDE_INDEX_LAG_MS). */
const read = async (deps: TestDeps, who: AgentIdentity, id: string, params: Record<string, string> = {}) => {
  await indexesCaughtUp();
  return readNow(deps, who, id, params);
};
const refusal = (promise: Promise<unknown>) => promise.then(() => 'accepted', (error: { code?: string }) => error.code ?? String(error));
const queryRefusal = (id: string, params: Record<string, string>) => {
  try {
    historyQuery(id, params);
    return 'accepted';
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

/** Every page from the first, following `next`. */
async function allPages(deps: TestDeps, who: AgentIdentity, id: string, limit?: number) {
  const pages: MessageView[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await read(deps, who, id, { ...(limit ? { limit: String(limit) } : {}), ...(after ? { after } : {}) });
    pages.push(page.messages);
    if (!page.next) return pages;
    after = page.next;
    if (pages.length > 50) throw new Error('paging does not end');
  }
}

describe('paging', () => {
  it('lists more than 200 messages oldest first, 50 by default, up to 200 a page, each once', async () => {
    const deps = await createTestDeps(config);
    await online(deps, 'ann');
    const { conversationId } = await say(deps, '+1', 'message 0');
    const texts = ['message 0'];
    for (let i = 1; i < 230; i++) {
      deps.clock.advance(1);
      await receiveMessage(deps, { channel: 'generic', externalId: `m-${i}`, from: '+1', text: `message ${i}`, queue: 'default' });
      texts.push(`message ${i}`);
      if (i % 10 === 0) {
        deps.clock.advance(1);
        await sendReply(deps, { agentId: 'ann', conversationId, text: `reply ${i}` });
        texts.push(`reply ${i}`);
      }
    }
    await deps.settle();

    const first = await read(deps, ann, conversationId);
    expect(first.messages).toHaveLength(50);
    expect(first.next).toEqual(expect.any(String));
    expect(first.conversation).toMatchObject({ conversationId, state: 'active', channel: 'generic', queue: 'default', customer: { id: '+1', name: null }, assignedTo: 'ann' });

    const byDefault = await allPages(deps, ann, conversationId);
    expect(texts.length).toBe(252);
    expect(byDefault.map((p) => p.length)).toEqual([50, 50, 50, 50, 50, 2]);
    const byMax = await allPages(deps, ann, conversationId, 200);
    expect(byMax.map((p) => p.length)).toEqual([200, 52]);
    for (const pages of [byDefault, byMax]) {
      const all = pages.flat();
      expect(all.map((m) => m.text)).toEqual(texts);
      expect(new Set(all.map((m) => m.id)).size).toBe(texts.length);
      expect(all.map((m) => m.at)).toEqual([...all.map((m) => m.at)].sort());
    }
    // A page that ends exactly at the last message says so (no empty page after it).
    const firstPage = await read(deps, ann, conversationId, { limit: '200' });
    const exact = await read(deps, ann, conversationId, { limit: String(texts.length - 200), after: firstPage.next! });
    expect(exact.messages).toHaveLength(texts.length - 200);
    expect(exact.next).toBeNull();
  });

  it('shows each message in full with its direction, media and delivery status (the customer first within a millisecond)', async () => {
    const deps = await createTestDeps(config);
    await online(deps, 'ann');
    const long = 'x'.repeat(1200);
    const { conversationId } = await say(deps, '+1', long, { media: [{ url: 'https://media.example/1.jpg', contentType: 'image/jpeg', kind: 'image' }] });
    await answer(deps, 'ann', conversationId, 'Got your photo');
    // The first delivery attempt follows from the Messages stream; a 2xx from the generic channel is `delivered`.
    await deps.deliverDue();
    const { messages } = await read(deps, ann, conversationId);
    expect(messages).toEqual([
      { id: expect.stringMatching(/^mi_/), direction: 'in', text: long, at: expect.any(String), media: [{ url: 'https://media.example/1.jpg', contentType: 'image/jpeg', kind: 'image' }], status: null, error: null, agentId: null },
      { id: expect.stringMatching(/^mo_/), direction: 'out', text: 'Got your photo', at: expect.any(String), media: [], status: 'delivered', error: null, agentId: 'ann' },
    ]);
  });

  it('messages of one millisecond each come once across pages', async () => {
    const deps = await createTestDeps(config);
    const { conversationId } = await say(deps, '+1', 't0');
    for (let i = 1; i < 7; i++) await receiveMessage(deps, { channel: 'generic', externalId: `tie-${i}`, from: '+1', text: `t${i}`, queue: 'default' });
    const pages = await allPages(deps, sue, conversationId, 2);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);
    expect(pages.flat().map((m) => m.text).sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6']);
  });

  it('refuses a bad limit or a garbled, forged or foreign cursor with invalid_request', async () => {
    const deps = await createTestDeps(config);
    await online(deps, 'ann');
    const { conversationId } = await say(deps, '+1', 'one');
    deps.clock.advance(1);
    await say(deps, '+1', 'two');
    const other = (await say(deps, '+2', 'elsewhere')).conversationId;
    for (const limit of ['0', '201', '-1', '1.5', 'ten', '', '99999', ' 5']) expect(queryRefusal(conversationId, { limit }), limit).toBe('invalid_request');
    expect(queryRefusal(conversationId, { limit: '1' })).toBe('accepted');
    expect(queryRefusal(conversationId, { limit: '200' })).toBe('accepted');

    const { next } = await read(deps, sue, conversationId, { limit: '1' });
    expect(next).toEqual(expect.any(String));
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const garbled = [
      'not a cursor',
      '%%%',
      next!.slice(0, -3),
      `${next}x`,
      forged({ sentAt: '2020-01-01T00:00:00.000Z' }),
      forged([1, conversationId, 'yesterday', 'mi_x']),
      forged([1, conversationId, '2020-01-01T00:00:00.000Z', '']),
      forged([1, conversationId, '2020-01-01T00:00:00.000Z', { $ne: 1 }]),
      forged([2, conversationId, '2020-01-01T00:00:00.000Z', 'mi_x']),
      'A'.repeat(5000),
    ];
    for (const after of garbled) expect(queryRefusal(conversationId, { after }), after.slice(0, 40)).toBe('invalid_request');
    // A cursor of another conversation is refused, not followed.
    expect(queryRefusal(other, { after: next! })).toBe('invalid_request');
    // A well-formed cursor that points anywhere in the conversation pages from there.
    const anywhere = forged([1, conversationId, '2000-01-01T00:00:00.000Z', 'mi_a']);
    expect((await read(deps, sue, conversationId, { after: anywhere })).messages.map((m) => m.text)).toEqual(['one', 'two']);
  });
});

describe('who may read', () => {
  it('the agent holding it, and any supervisor or admin; another agent is forbidden; unknown is not_found', async () => {
    const deps = await createTestDeps(config);
    await online(deps, 'ann');
    const { conversationId } = await say(deps, '+1', 'Where is my order?');
    expect((await read(deps, ann, conversationId)).messages.map((m) => m.text)).toEqual(['Where is my order?']);
    expect(await refusal(read(deps, ben, conversationId))).toBe('forbidden');
    expect((await read(deps, sue, conversationId)).conversation.assignedTo).toBe('ann');
    expect((await read(deps, ada, conversationId)).messages).toHaveLength(1);
    // An agent id that happens to be a supervisor's does not help an agent token.
    expect(await refusal(read(deps, { agentId: 'sue', role: 'agent' }, conversationId))).toBe('forbidden');
    for (const id of ['c_doesNotExist', '', 'a/b', 'x'.repeat(2000)]) {
      expect(await refusal(read(deps, sue, id)), id.slice(0, 20)).toBe('not_found');
      expect(await refusal(read(deps, ann, id)), id.slice(0, 20)).toBe('not_found');
    }
  });

  it('follows the conversation: after a transfer the receiver reads it with the note, the sender no longer; closed is no one’s', async () => {
    const deps = await createTestDeps(config);
    await online(deps, 'ann', 'ben');
    const { conversationId } = await say(deps, '+1', 'I need a refund', { name: 'Ana' });
    const holder = (await read(deps, sue, conversationId)).conversation.assignedTo!;
    const other = holder === 'ann' ? ben : ann;
    const holderIdentity = holder === 'ann' ? ann : ben;
    expect((await read(deps, sue, conversationId)).conversation.transferNote).toBeNull();

    await transferConversation(deps, holder, conversationId, { agentId: other.agentId }, { note: 'VIP, refund approved' });
    await deps.settle();
    const page = await read(deps, other, conversationId);
    expect(page.conversation).toMatchObject({ assignedTo: other.agentId, customer: { id: '+1', name: 'Ana' } });
    expect(page.conversation.transferNote).toEqual({ text: 'VIP, refund approved', from: holder, at: expect.any(String) });
    expect(await refusal(read(deps, holderIdentity, conversationId))).toBe('forbidden');

    await say(deps, '+1', 'thanks');
    await answer(deps, other.agentId, conversationId, 'Anything else?');
    await say(deps, '+1', 'no thanks');
    expect((await read(deps, sue, conversationId)).conversation.state).toBe('closed');
    expect(await refusal(read(deps, other, conversationId))).toBe('forbidden');
  });
});

describe('index lag', () => {
  it('the message that just arrived is listed at once; the others the index lags on follow', async () => {
    // Every byConversation entry becomes visible 2 s after its write.
    const deps = await createTestDeps(config, undefined, { indexLag: { minMs: 2000, maxMs: 2000 } });
    const first = await receiveMessage(deps, { channel: 'generic', externalId: 'lag-1', from: '+1', text: 'first', queue: 'default' });
    deps.clock.advance(1);
    await receiveMessage(deps, { channel: 'generic', externalId: 'lag-2', from: '+1', text: 'second', queue: 'default' });
    const now = await readNow(deps, sue, first.conversationId);
    expect(now.messages.map((m) => m.text)).toEqual(['second']);
    expect(now.next).toBeNull();
    // No room on the page for it: the page says there is more, and the next page has it.
    await indexesSettled();
    deps.clock.advance(1);
    await receiveMessage(deps, { channel: 'generic', externalId: 'lag-3', from: '+1', text: 'third', queue: 'default' });
    const full = await readNow(deps, sue, first.conversationId, { limit: '2' });
    expect(full.messages.map((m) => m.text)).toEqual(['first', 'second']);
    expect(full.next).toEqual(expect.any(String));
    const rest = await readNow(deps, sue, first.conversationId, { limit: '2', after: full.next! });
    expect(rest.messages.map((m) => m.text)).toEqual(['third']);
    expect(rest.next).toBeNull();
    await indexesSettled();
    expect((await readNow(deps, sue, first.conversationId)).messages.map((m) => m.text)).toEqual(['first', 'second', 'third']);
  }, 20_000);
});
