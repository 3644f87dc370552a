import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performAgentAction } from '../../shared/agent/perform-action.js';
import { metaChannel } from '../../shared/channels/meta/channel.js';
import { twilioChannel } from '../../shared/channels/twilio/channel.js';
import { getConversation } from '../../shared/conversation/conversation-store.js';
import { getMessage } from '../../shared/conversation/message-store.js';
import { receiveWebhook } from '../../shared/conversation/receive-webhook.js';
import type { WorklistItem } from '../../shared/push/worklist.js';
import { fetchSend } from '../../shared/runtime/lambda-deps.js';
import { createTestDeps, type TestDeps } from '../support/domain-deps.js';
import { startFakeGraph } from '../../infra/local/fake-providers/graph.js';
import { startFakeTwilio } from '../../infra/local/fake-providers/twilio.js';
import { metaWebhook, twilioInbound, twilioWebhook, whatsappChange, whatsappText } from '../support/provider-webhooks.js';
import { indexesCaughtUp, online } from '../support/scenario.js';

/**
 * The providers end to end through the domain, on DynamoDB Local, against local fake Twilio and
 * Graph API servers that check the exact requests (DESIGN §4b): webhooks in, replies out,
 * delivery statuses back, opt-out and the customer-service window.
 */
const account = { accountSid: `AC${'a'.repeat(32)}`, authToken: 'twilio-token' };
const publicUrl = 'https://tide.example.com';
const graphIds = { version: 'v23.0', accessToken: 'graph-token', whatsappPhoneNumberId: 'PHONE_ID', pageId: 'PAGE_ID', instagramAccountId: 'IG_ID' };
let fakeTwilio: Awaited<ReturnType<typeof startFakeTwilio>>;
let fakeGraph: Awaited<ReturnType<typeof startFakeGraph>>;

beforeAll(async () => {
  fakeTwilio = await startFakeTwilio(account);
  fakeGraph = await startFakeGraph(graphIds);
});
afterAll(async () => {
  await fakeTwilio.close();
  await fakeGraph.close();
});

const setup = async (routing: { customerServiceWindowSeconds?: number } = {}) => {
  const deps = await createTestDeps(
    {
      agents: [{ id: 'ann', preferredConcurrency: 5, maxLoad: 6 }],
      channels: {
        twilio: { ...account, webhookBaseUrl: publicUrl, from: '+15550001111', apiBaseUrl: fakeTwilio.url },
        meta: {
          appSecret: 'app-secret',
          verifyToken: 'verify-me',
          accessToken: graphIds.accessToken,
          graphBaseUrl: fakeGraph.url,
          graphVersion: graphIds.version,
          whatsappPhoneNumberId: graphIds.whatsappPhoneNumberId,
          pageId: graphIds.pageId,
          instagramAccountId: graphIds.instagramAccountId,
          ...routing,
        },
      },
    },
    fetchSend,
  );
  await online(deps, 'ann');
  return deps;
};

let sid = 0;
const nextSid = () => `SM${(++sid).toString(16).padStart(32, '0')}`;
const sms = (deps: TestDeps, from: string, body: string, extra: Record<string, string> = {}) =>
  receiveWebhook(deps, twilioChannel, twilioWebhook(account.authToken, publicUrl, '/v1/channels/twilio/messages', twilioInbound(nextSid(), from, body, extra)));
const send = async (deps: TestDeps, conversationId: string, text: string) =>
  (await performAgentAction(deps, { connectionId: 'conn-ann' }, JSON.stringify({ action: 'send', requestId: `r-${Math.random()}`, conversationId, text }))) as Record<string, unknown>;
const held = (deps: TestDeps) => (deps.pusher.latestWorklist('conn-ann')?.items ?? []) as unknown as WorklistItem[];

describe('Twilio', () => {
  it('an SMS in, the reply out through the Messages API, and its statuses back, forward only', async () => {
    const deps = await setup();
    const from = `+1555${Math.floor(Math.random() * 1e7)}`;
    const answer = await sms(deps, from, 'Where is my parcel?');
    expect(answer.reply).toMatchObject({ statusCode: 200, contentType: 'text/xml' });
    expect(answer.reply.body).toMatch(/<Response\s*\/>|<Response><\/Response>/);
    await deps.settle();
    const [item] = held(deps);
    expect(item).toMatchObject({ channel: 'sms', customer: { id: from }, waitingOn: 'agent' });

    const ack = await send(deps, item!.conversationId, 'It left the depot this morning.');
    expect(ack).toMatchObject({ type: 'ack' });
    const messageId = ack.messageId as string;
    const before = fakeTwilio.sends.length;
    await deps.deliverDue();
    const request = fakeTwilio.sends.slice(before).find((s) => s.form.To === from)!;
    expect(request.path).toBe(`/2010-04-01/Accounts/${account.accountSid}/Messages.json`);
    expect(request.authorization).toBe(`Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`);
    expect(request.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(request.form).toEqual({
      To: from,
      From: '+15550001111',
      Body: 'It left the depot this morning.',
      StatusCallback: `${publicUrl}/v1/channels/twilio/status?tideMessageId=${encodeURIComponent(messageId)}`,
    });
    expect(await getMessage(deps, messageId)).toMatchObject({ status: 'sent', providerMessageId: request.sid, provider: 'twilio' });

    const status = (MessageStatus: string, extra: Record<string, string> = {}) =>
      receiveWebhook(
        deps,
        twilioChannel,
        twilioWebhook(account.authToken, publicUrl, '/v1/channels/twilio/status', { MessageSid: request.sid!, MessageStatus, AccountSid: account.accountSid, ...extra }, `tideMessageId=${encodeURIComponent(messageId)}`),
      );
    await status('delivered');
    await status('sent'); // late, out of order: ignored
    expect(await getMessage(deps, messageId)).toMatchObject({ status: 'delivered' });
    await deps.settle();
    expect(deps.pusher.framesFor('conn-ann', 'delivery').map((f) => f.status)).toEqual(['sent', 'delivered']);
  });

  it('a status that arrives before the send call has answered still lands', async () => {
    const deps = await setup();
    await sms(deps, '+15550100001', 'Hello?');
    await deps.settle();
    const conversationId = held(deps)[0]!.conversationId;
    const messageId = (await send(deps, conversationId, 'Hi!')).messageId as string;
    // Twilio's callback for this message, before Tide has run the send (so before it knows the sid).
    await receiveWebhook(deps, twilioChannel, twilioWebhook(account.authToken, publicUrl, '/v1/channels/twilio/status', { MessageSid: 'SMearly', MessageStatus: 'delivered' }, `tideMessageId=${encodeURIComponent(messageId)}`));
    expect(await getMessage(deps, messageId)).toMatchObject({ status: 'delivered', providerMessageId: 'SMearly' });
    await deps.deliverDue();
    // The send's own answer ("sent") does not move it back.
    expect(await getMessage(deps, messageId)).toMatchObject({ status: 'delivered' });
  });

  it('a bad signature is refused and stores nothing', async () => {
    const deps = await setup();
    const request = twilioWebhook('not-the-token', publicUrl, '/v1/channels/twilio/messages', twilioInbound(nextSid(), '+15550100002', 'hi'));
    await expect(receiveWebhook(deps, twilioChannel, request)).rejects.toMatchObject({ code: 'invalid_signature' });
    await deps.settle();
    expect(held(deps)).toEqual([]);
  });

  it('concurrent duplicates of one MessageSid are stored once', async () => {
    const deps = await setup();
    const request = twilioWebhook(account.authToken, publicUrl, '/v1/channels/twilio/messages', twilioInbound(nextSid(), '+15550100003', 'Is anyone there?'));
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => receiveWebhook(deps, twilioChannel, request)));
    expect(outcomes.reduce((n, o) => n + o.received, 0)).toBe(1);
    expect(outcomes.reduce((n, o) => n + o.duplicates, 0)).toBe(5);
  });

  it('STOP: stored and shown, then send answers opted_out and nothing is sent, until START', async () => {
    const deps = await setup();
    const from = '+15550100004';
    await sms(deps, from, 'Question about my bill');
    await deps.settle();
    const conversationId = held(deps)[0]!.conversationId;
    await sms(deps, from, '  Stop. ');
    const before = fakeTwilio.sends.length;
    expect(await send(deps, conversationId, 'Sorry to see you go')).toMatchObject({ type: 'error', code: 'opted_out' });
    await deps.deliverDue();
    expect(fakeTwilio.sends.length).toBe(before);
    await sms(deps, from, 'START');
    expect(await send(deps, conversationId, 'Welcome back')).toMatchObject({ type: 'ack' });
    await deps.deliverDue();
    expect(fakeTwilio.sends.slice(before).map((s) => s.form.Body)).toEqual(['Welcome back']);
  });

  it('media is kept; WhatsApp through Twilio replies from the whatsapp: sender', async () => {
    const deps = await setup();
    const from = 'whatsapp:+15550100005';
    await sms(deps, from, '', { NumMedia: '1', MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1', MediaContentType0: 'image/jpeg', ProfileName: 'Zoë' });
    await deps.settle();
    const item = held(deps)[0]!;
    expect(item).toMatchObject({ channel: 'whatsapp', customer: { id: from, name: 'Zoë' } });
    const conversation = (await getConversation(deps, item.conversationId))!;
    const stored = await getMessage(deps, conversation.lastMessage.messageId);
    expect(stored).toMatchObject({ text: '', media: [{ url: expect.stringContaining('/Media/ME1'), contentType: 'image/jpeg' }] });
    const before = fakeTwilio.sends.length;
    const reply = (await send(deps, item.conversationId, 'Thanks for the photo')).messageId as string;
    await deps.deliverDue();
    expect(await getMessage(deps, reply)).toMatchObject({ status: 'sent' });
    expect(fakeTwilio.sends.slice(before)[0]!.form).toMatchObject({ To: from, From: 'whatsapp:+15550001111' });
  });

  it("Twilio's refusals: 21211 fails at once with its code; a 500 is retried", async () => {
    const deps = await setup();
    await sms(deps, '+15550100006', 'hi');
    await deps.settle();
    const conversationId = held(deps)[0]!.conversationId;
    fakeTwilio.answerNext({ status: 400, code: 21211, message: "The 'To' number is not a valid phone number." });
    const refused = (await send(deps, conversationId, 'one')).messageId as string;
    await deps.settle();
    expect(await getMessage(deps, refused)).toMatchObject({ status: 'failed', error: { code: '21211' } });
    fakeTwilio.answerNext({ status: 500, code: 20500 });
    const retried = (await send(deps, conversationId, 'two')).messageId as string;
    await deps.settle();
    expect(await getMessage(deps, retried)).toMatchObject({ status: 'pending' });
    expect(deps.deliveries.jobs.map((j) => j.messageId)).toContain(retried);
    deps.clock.advance(3);
    await deps.deliverDue();
    expect(await getMessage(deps, retried)).toMatchObject({ status: 'sent' });
  });
});

describe('Meta', () => {
  it('a WhatsApp batch with several customers, statuses and an unusable item: each usable one stored once', async () => {
    const deps = await setup();
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        whatsappChange({
          contacts: [{ profile: { name: 'Jörg' }, wa_id: '4915100000001' }, { profile: { name: 'Ana' }, wa_id: '5511900000002' }],
          messages: [
            whatsappText('wamid.A1', '4915100000001', 'Grüße, wo ist meine Bestellung?'),
            whatsappText('wamid.B1', '5511900000002', 'Olá, preciso de ajuda'),
            { from: '5511900000002', id: 'wamid.B2', timestamp: '1764633601', type: 'unsupported', errors: [{ code: 131051, title: 'Message type unknown' }] },
            { id: 'wamid.broken' },
          ],
          statuses: [{ id: 'wamid.nobody-knows', status: 'delivered', timestamp: '1764633602', recipient_id: '4915100000001' }],
        }),
      ],
    };
    const first = await receiveWebhook(deps, metaChannel, metaWebhook('app-secret', payload));
    expect(first).toMatchObject({ received: 2, reply: { statusCode: 200 } });
    expect(first.ignored).toBeGreaterThanOrEqual(3);
    const again = await receiveWebhook(deps, metaChannel, metaWebhook('app-secret', payload)); // Meta's retry
    expect(again).toMatchObject({ received: 0, duplicates: 2 });
    await deps.settle();
    expect(held(deps).map((i) => [i.channel, i.customer]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      ['whatsapp', { id: '4915100000001', name: 'Jörg' }],
      ['whatsapp', { id: '5511900000002', name: 'Ana' }],
    ]);
    expect(held(deps).find((i) => i.customer.id === '4915100000001')!.lastMessage).toMatchObject({ text: 'Grüße, wo ist meine Bestellung?' });
  });

  it('a WhatsApp reply goes to the Cloud API with Tide\'s id, and its status finds it by that id', async () => {
    const deps = await setup();
    await receiveWebhook(deps, metaChannel, metaWebhook('app-secret', { object: 'whatsapp_business_account', entry: [whatsappChange({ contacts: [{ profile: { name: 'Li' }, wa_id: '8613800000003' }], messages: [whatsappText('wamid.C1', '8613800000003', 'hello')] })] }));
    await deps.settle();
    const conversationId = held(deps)[0]!.conversationId;
    const messageId = (await send(deps, conversationId, 'Hi Li')).messageId as string;
    const before = fakeGraph.sends.length;
    await deps.deliverDue();
    const request = fakeGraph.sends.slice(before)[0]!;
    expect(request.path).toBe('/v23.0/PHONE_ID/messages');
    expect(request.authorization).toBe('Bearer graph-token');
    expect(request.body).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '8613800000003', type: 'text', text: { body: 'Hi Li' }, biz_opaque_callback_data: messageId });
    expect(await getMessage(deps, messageId)).toMatchObject({ status: 'sent', providerMessageId: request.id });
    await receiveWebhook(deps, metaChannel, metaWebhook('app-secret', { object: 'whatsapp_business_account', entry: [whatsappChange({ statuses: [{ id: request.id, status: 'read', timestamp: '1764633700', recipient_id: '8613800000003', biz_opaque_callback_data: messageId }] })] }));
    expect(await getMessage(deps, messageId)).toMatchObject({ status: 'read' });
  });

  it('Messenger: the reply goes to the Send API, and a delivery event finds it by the provider\'s id', async () => {
    const deps = await setup();
    const psid = `PSID${Math.floor(Math.random() * 1e9)}`;
    const event = (messaging: unknown[]) => ({ object: 'page', entry: [{ id: 'PAGE_ID', time: 1764633600000, messaging }] });
    await receiveWebhook(deps, metaChannel, metaWebhook('app-secret', event([{ sender: { id: psid }, recipient: { id: 'PAGE_ID' }, timestamp: 1764633600000, message: { mid: 'm_in1', text: 'Is the shop open?' } }])));
    await deps.settle();
    const conversationId = held(deps)[0]!.conversationId;
    const messageId = (await send(deps, conversationId, 'Until 6 pm')).messageId as string;
    const before = fakeGraph.sends.length;
    await deps.deliverDue();
    const request = fakeGraph.sends.slice(before)[0]!;
    expect(request.path).toBe('/v23.0/PAGE_ID/messages');
    expect(request.body).toMatchObject({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'Until 6 pm' } });
    // Our own message echoed back is ignored; the delivery event carries only Meta's id.
    await receiveWebhook(deps, metaChannel, metaWebhook('app-secret', event([{ sender: { id: 'PAGE_ID' }, recipient: { id: psid }, timestamp: 1764633601000, message: { mid: request.id, text: 'Until 6 pm', is_echo: true, app_id: 1 } }])));
    await indexesCaughtUp();
    await receiveWebhook(deps, metaChannel, metaWebhook('app-secret', event([{ sender: { id: psid }, recipient: { id: 'PAGE_ID' }, timestamp: 1764633602000, delivery: { mids: [request.id], watermark: 1764633602000 } }])));
    expect(await getMessage(deps, messageId)).toMatchObject({ status: 'delivered' });
    // Messenger's read names no message: everything sent up to the watermark is read.
    const sentAt = Date.parse((await getMessage(deps, messageId))!.sentAt);
    const later = (await send(deps, conversationId, 'See you')).messageId as string;
    await deps.deliverDue();
    await indexesCaughtUp(); // the watermark is matched against the conversation's index
    await receiveWebhook(deps, metaChannel, metaWebhook('app-secret', event([{ sender: { id: psid }, recipient: { id: 'PAGE_ID' }, timestamp: sentAt + 1, read: { watermark: sentAt } }])));
    expect(await getMessage(deps, messageId)).toMatchObject({ status: 'read' });
    expect(await getMessage(deps, later)).toMatchObject({ status: 'read' }); // same virtual instant: at or before
    await deps.settle();
    expect(deps.pusher.framesFor('conn-ann', 'delivery').filter((f) => f.messageId === messageId).map((f) => f.status)).toEqual(['sent', 'delivered', 'read']);
    expect(held(deps)).toHaveLength(1);
  });

  it('outside the customer-service window, send answers outside_window and nothing is sent', async () => {
    const deps = await setup({ customerServiceWindowSeconds: 60 });
    await receiveWebhook(deps, metaChannel, metaWebhook('app-secret', { object: 'instagram', entry: [{ id: 'IG_ID', time: 1, messaging: [{ sender: { id: 'IGSID1' }, recipient: { id: 'IG_ID' }, timestamp: 1, message: { mid: 'ig_m1', text: 'love it' } }] }] }));
    await deps.settle();
    const conversationId = held(deps)[0]!.conversationId;
    expect(await send(deps, conversationId, 'Thank you!')).toMatchObject({ type: 'ack' });
    deps.clock.advance(61);
    const before = fakeGraph.sends.length;
    expect(await send(deps, conversationId, 'Anything else?')).toMatchObject({ type: 'error', code: 'outside_window' });
    await deps.deliverDue();
    expect(fakeGraph.sends.slice(before).map((s) => (s.body.message as { text: string }).text)).toEqual(['Thank you!']);
  });

  it('an outage at one provider slows neither the agent nor the other channels', async () => {
    const deps = await setup();
    await sms(deps, '+15550100007', 'sms customer');
    await receiveWebhook(deps, metaChannel, metaWebhook('app-secret', { object: 'whatsapp_business_account', entry: [whatsappChange({ contacts: [{ profile: { name: 'W' }, wa_id: '15550100008' }], messages: [whatsappText('wamid.D1', '15550100008', 'whatsapp customer')] })] }));
    await deps.settle();
    const [viaSms, viaWhatsapp] = ['sms', 'whatsapp'].map((c) => held(deps).find((i) => i.channel === c)!.conversationId);
    fakeTwilio.answerNext({ hang: true });
    const started = Date.now();
    expect(await send(deps, viaSms!, 'to the hanging provider')).toMatchObject({ type: 'ack' });
    const whatsappReply = (await send(deps, viaWhatsapp!, 'to the healthy one')).messageId as string;
    expect(Date.now() - started).toBeLessThan(1_000);
    await deps.settle();
    expect(await getMessage(deps, whatsappReply)).toMatchObject({ status: 'sent' });
  });
});
