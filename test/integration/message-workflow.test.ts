import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { getAgent } from '../../shared/agent/agent-store.js';
import { closeConversation, sendReply } from '../../shared/conversation/commands.js';
import { createTestDeps, type TestDeps } from '../support/domain-deps.js';
import { conversation as state, indexesCaughtUp, online, say as saying } from '../support/scenario.js';

const say = (deps: TestDeps, from: string, text: string) => saying(deps, from, text);
/** The agent answers; the reply is then delivered, as the delivery queue would. */
const reply = async (deps: TestDeps, input: Parameters<typeof sendReply>[1]) => {
  await sendReply(deps, input);
  await deps.deliverDue();
};
const setup = async (extra: Record<string, unknown> = {}) => {
  const sent: string[] = [];
  const deps = await createTestDeps(
    {
      queues: { default: { inactiveAfterSeconds: 300, closingMessage: 'Thanks for contacting us!' } },
      agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 2 }],
      channels: { generic: { secret: 's', outboundUrl: 'http://127.0.0.1:9/out' } },
      ...extra,
    },
    async (_url, init) => {
      sent.push(JSON.parse(init.body).text);
      return { status: 200 };
    },
  );
  await online(deps, 'ann');
  return { deps, sent };
};

describe('messages drive the workflow', () => {
  it('"no thanks, that\'s all" after "anything else?" closes, frees the slot and sends the closing message', async () => {
    const { deps, sent } = await setup();
    const c = await say(deps, '+1', 'Where is my order?');
    const queued = await say(deps, '+2', 'Hello?');
    await reply(deps, { agentId: 'ann', conversationId: c.conversationId, text: 'It ships today. Anything else I can help with?' });
    expect((await state(deps, c.conversationId)).closingQuestionAsked).toBe(true);
    await say(deps, '+1', 'No thanks, that’s all!');
    await deps.deliverDue();
    expect((await state(deps, c.conversationId)).state).toBe('closed');
    expect((await state(deps, queued.conversationId)).assignedTo).toBe('ann');
    expect(sent).toContain('Thanks for contacting us!');
  });

  it('"No, it still doesn\'t work" after the closing question keeps the conversation going', async () => {
    const { deps } = await setup();
    const c = await say(deps, '+1', 'It is broken');
    await reply(deps, { agentId: 'ann', conversationId: c.conversationId, text: 'Fixed! Anything else?' });
    await say(deps, '+1', "No, it still doesn't work");
    expect(await state(deps, c.conversationId)).toMatchObject({ state: 'active', waitingOn: 'agent' });
    expect((await state(deps, c.conversationId)).closingQuestionAsked).toBeFalsy();
  });

  it('a plain "no" closes only after a closing question, which an agent may also flag', async () => {
    const { deps } = await setup();
    const c = await say(deps, '+1', 'Can you help?');
    await reply(deps, { agentId: 'ann', conversationId: c.conversationId, text: 'Do you have the receipt?' });
    await say(deps, '+1', 'no');
    expect((await state(deps, c.conversationId)).state).toBe('active');
    await reply(deps, { agentId: 'ann', conversationId: c.conversationId, text: 'Then we are done here.', closing: true });
    await say(deps, '+1', 'no');
    expect((await state(deps, c.conversationId)).state).toBe('closed');
  });

  it('"thanks" does not make a conversation actionable', async () => {
    const { deps } = await setup();
    const c = await say(deps, '+1', 'Question');
    await reply(deps, { agentId: 'ann', conversationId: c.conversationId, text: 'Answer' });
    await say(deps, '+1', 'thanks 👍');
    expect(await state(deps, c.conversationId)).not.toHaveProperty('slaDueAt');
    expect(await state(deps, c.conversationId)).toMatchObject({
      state: 'active',
      waitingOn: 'customer',
      lastMessage: { direction: 'in', text: 'thanks 👍' },
    });
  });

  it('"ok" does not reactivate an inactive conversation; a real question does', async () => {
    const { deps } = await setup();
    const c = await say(deps, '+1', 'Question');
    await reply(deps, { agentId: 'ann', conversationId: c.conversationId, text: 'Answer' });
    deps.clock.advance(301);
    await deps.fireDue();
    expect((await state(deps, c.conversationId)).state).toBe('inactive');
    await say(deps, '+1', 'ok');
    expect((await state(deps, c.conversationId)).state).toBe('inactive');
    expect((await getAgent(deps, 'ann'))!.active).toBe(0);
    await say(deps, '+1', 'Actually, one more thing');
    expect((await state(deps, c.conversationId)).state).toBe('active');
  });

  it('"thanks" after a close is kept with that conversation and opens no new work', async () => {
    const { deps } = await setup();
    const c = await say(deps, '+1', 'Question');
    await closeConversation(deps, 'ann', c.conversationId);
    await deps.settle();
    const thanks = await say(deps, '+1', 'Thank you!');
    expect(thanks.conversationId).toBe(c.conversationId);
    expect((await state(deps, c.conversationId)).state).toBe('closed');
    await indexesCaughtUp();
    const { Items = [] } = await deps.db.send(
      new QueryCommand({
        TableName: deps.tables.messages,
        IndexName: 'byConversation',
        KeyConditionExpression: 'conversationId = :c',
        ExpressionAttributeValues: { ':c': c.conversationId },
      }),
    );
    const texts = await Promise.all(
      Items.map(async (key) => (await deps.db.send(new GetCommand({ TableName: deps.tables.messages, Key: { messageId: key.messageId } }))).Item!.text),
    );
    expect(texts).toContain('Thank you!');
    // A real message opens a new conversation.
    expect((await say(deps, '+1', 'New problem')).conversationId).not.toBe(c.conversationId);
  });

  it('uses a business\'s own phrases in addition to the defaults', async () => {
    const { deps } = await setup({ classifier: { languages: { en: { ineffectual: ['cheers mate'] } } } });
    const c = await say(deps, '+1', 'Question');
    await reply(deps, { agentId: 'ann', conversationId: c.conversationId, text: 'Answer' });
    await say(deps, '+1', 'Cheers mate!');
    expect((await state(deps, c.conversationId)).waitingOn).toBe('customer');
  });
});
