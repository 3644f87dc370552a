import { createHmac } from 'node:crypto';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../support/agent-client.js';
import { metaJson, startFakeGraph } from '../../infra/local/fake-providers/graph.js';
import { startFakeTwilio } from '../../infra/local/fake-providers/twilio.js';
import { startStack, type RunningStack } from '../support/local-stack-process.js';
import { twilioInbound, whatsappChange, whatsappText } from '../support/provider-webhooks.js';

/**
 * Twilio and Meta through `npm start`'s HTTP API, as the providers call it: form posts that the
 * gateway base64-encodes as API Gateway does, signatures over the public URL (not the address the
 * request reached), Meta's verification handshake, secrets through the local Secrets Manager.
 */
const account = { accountSid: `AC${'b'.repeat(32)}`, authToken: 'e2e-twilio-token' };
const publicUrl = 'https://tide.example.com/';
const graph = { version: 'v23.0', accessToken: 'e2e-graph-token', whatsappPhoneNumberId: 'PN1', pageId: 'PG1', instagramAccountId: 'IG1' };
let stack: RunningStack;
let fakeTwilio: Awaited<ReturnType<typeof startFakeTwilio>>;
let fakeGraph: Awaited<ReturnType<typeof startFakeGraph>>;
let ann: AgentClient;

beforeAll(async () => {
  fakeTwilio = await startFakeTwilio(account);
  fakeGraph = await startFakeGraph(graph);
  stack = await startStack({
    agents: [{ id: 'ann', preferredConcurrency: 5, maxLoad: 6 }],
    channels: {
      twilio: { ...account, webhookBaseUrl: publicUrl, from: '+15550009999', apiBaseUrl: fakeTwilio.url },
      meta: { appSecret: 'e2e-app-secret', verifyToken: 'e2e-verify', accessToken: graph.accessToken, graphBaseUrl: fakeGraph.url, graphVersion: graph.version, whatsappPhoneNumberId: graph.whatsappPhoneNumberId, pageId: graph.pageId, instagramAccountId: graph.instagramAccountId },
    },
  });
  ann = await AgentClient.connect(stack, 'ann');
  expect(await ann.request({ action: 'setStatus', status: 'online' })).toMatchObject({ type: 'ack' });
});
afterAll(async () => {
  await ann?.close();
  expect(await stack.stop()).toBe(0);
  await fakeTwilio.close();
  await fakeGraph.close();
});

/** POSTs a form as Twilio does, signed over the public URL. */
const twilioPost = (route: string, params: Record<string, string>, query = '', token = account.authToken) => {
  const signedUrl = `${publicUrl.replace(/\/$/, '')}${route}${query ? `?${query}` : ''}`;
  return fetch(`${stack.httpUrl}${route}${query ? `?${query}` : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(token, signedUrl, params) },
    body: new URLSearchParams(params).toString(),
  });
};
const metaPost = (payload: unknown, secret = 'e2e-app-secret') => {
  const raw = metaJson(payload);
  return fetch(`${stack.httpUrl}/v1/channels/meta`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}` },
    body: raw,
  });
};

describe('Twilio over HTTP', () => {
  it('answers an SMS with empty TwiML once stored; the reply goes out and its status reaches the agent', async () => {
    const res = await twilioPost('/v1/channels/twilio/messages', twilioInbound('SM' + 'c'.repeat(32), '+15550200001', 'Can I change my delivery address?'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(await res.text()).toMatch(/<Response\s*\/>|<Response><\/Response>/);
    const list = await ann.waitForWorklist((w) => w.items.some((i) => i.customer.id === '+15550200001'));
    const item = list.items.find((i) => i.customer.id === '+15550200001')!;
    expect(item).toMatchObject({ channel: 'sms', waitingOn: 'agent' });

    const ack = await ann.request({ action: 'send', conversationId: item.conversationId, text: 'Yes: send me the new one.' });
    expect(ack).toMatchObject({ type: 'ack' });
    const messageId = ack.messageId as string;
    await ann.waitFor((f) => f.type === 'delivery' && f.messageId === messageId && f.status === 'sent');
    const sent = fakeTwilio.sends.find((s) => s.form.Body === 'Yes: send me the new one.')!;
    expect(sent.form).toMatchObject({ To: '+15550200001', From: '+15550009999', StatusCallback: `https://tide.example.com/v1/channels/twilio/status?tideMessageId=${encodeURIComponent(messageId)}` });

    const status = await twilioPost('/v1/channels/twilio/status', { MessageSid: sent.sid!, MessageStatus: 'delivered', AccountSid: account.accountSid }, `tideMessageId=${encodeURIComponent(messageId)}`);
    expect(status.status).toBe(200);
    await ann.waitFor((f) => f.type === 'delivery' && f.messageId === messageId && f.status === 'delivered');
  });

  it('refuses a signature made with another token: 401 invalid_signature', async () => {
    const res = await twilioPost('/v1/channels/twilio/messages', twilioInbound('SM' + 'd'.repeat(32), '+15550200002', 'hi'), '', 'wrong-token');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_signature' } });
  });
});

describe('Meta over HTTP', () => {
  it('answers the verification handshake with the challenge, and only with the right token', async () => {
    const ok = await fetch(`${stack.httpUrl}/v1/channels/meta?hub.mode=subscribe&hub.verify_token=e2e-verify&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await ok.text()).toBe('1158201444');
    const wrong = await fetch(`${stack.httpUrl}/v1/channels/meta?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1`);
    expect(wrong.status).toBe(403);
  });

  it('WhatsApp and Messenger: answered through the Graph API, then delivered and read reach the agent', async () => {
    const whatsappFrom = '447700900001';
    const psid = 'PSID-E2E-1';
    expect((await metaPost({ object: 'whatsapp_business_account', entry: [whatsappChange({ contacts: [{ profile: { name: 'Amy' }, wa_id: whatsappFrom }], messages: [whatsappText('wamid.E2E-W1', whatsappFrom, 'Do you ship to Leeds?')] })] })).status).toBe(200);
    const page = (messaging: unknown[]) => ({ object: 'page', entry: [{ id: graph.pageId, time: Date.now(), messaging }] });
    expect((await metaPost(page([{ sender: { id: psid }, recipient: { id: graph.pageId }, timestamp: Date.now(), message: { mid: 'm_e2e_in1', text: 'Opening hours?' } }]))).status).toBe(200);
    const list = await ann.waitForWorklist((w) => [whatsappFrom, psid].every((id) => w.items.some((i) => i.customer.id === id)));
    const conversationOf = (id: string) => list.items.find((i) => i.customer.id === id)!.conversationId;

    const whatsappReply = (await ann.request({ action: 'send', conversationId: conversationOf(whatsappFrom), text: 'Yes, next day.' })).messageId as string;
    const messengerReply = (await ann.request({ action: 'send', conversationId: conversationOf(psid), text: '9 to 6.' })).messageId as string;
    for (const id of [whatsappReply, messengerReply]) await ann.waitFor((f) => f.type === 'delivery' && f.messageId === id && f.status === 'sent');
    const wamid = fakeGraph.sends.find((s) => (s.body.text as { body?: string } | undefined)?.body === 'Yes, next day.')!.id!;
    const mid = fakeGraph.sends.find((s) => (s.body.message as { text?: string } | undefined)?.text === '9 to 6.')!.id!;

    const statuses = (status: string) => ({ object: 'whatsapp_business_account', entry: [whatsappChange({ statuses: [{ id: wamid, status, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: whatsappFrom, biz_opaque_callback_data: whatsappReply }] })] });
    expect((await metaPost(statuses('delivered'))).status).toBe(200);
    expect((await metaPost(statuses('read'))).status).toBe(200);
    expect((await metaPost(page([{ sender: { id: psid }, recipient: { id: graph.pageId }, timestamp: Date.now(), delivery: { mids: [mid], watermark: Date.now() } }]))).status).toBe(200);
    expect((await metaPost(page([{ sender: { id: psid }, recipient: { id: graph.pageId }, timestamp: Date.now(), read: { watermark: Date.now() } }]))).status).toBe(200);
    for (const id of [whatsappReply, messengerReply]) {
      await ann.waitFor((f) => f.type === 'delivery' && f.messageId === id && f.status === 'delivered');
      await ann.waitFor((f) => f.type === 'delivery' && f.messageId === id && f.status === 'read');
    }
  });

  it('takes a signed WhatsApp message with non-ASCII text, and refuses a re-serialised body', async () => {
    const payload = { object: 'whatsapp_business_account', entry: [whatsappChange({ contacts: [{ profile: { name: 'Ünal' }, wa_id: '905300000001' }], messages: [whatsappText('wamid.E2E1', '905300000001', 'Merhaba, siparişim nerede? 📦')] })] };
    const res = await metaPost(payload);
    expect(res.status).toBe(200);
    const list = await ann.waitForWorklist((w) => w.items.some((i) => i.customer.id === '905300000001'));
    expect(list.items.find((i) => i.customer.id === '905300000001')).toMatchObject({ channel: 'whatsapp', customer: { name: 'Ünal' }, lastMessage: { text: 'Merhaba, siparişim nerede? 📦' } });
    // The same JSON signed as JSON.stringify prints it (unescaped) is not what Meta signed.
    const raw = metaJson(payload);
    const forged = await fetch(`${stack.httpUrl}/v1/channels/meta`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', 'e2e-app-secret').update(JSON.stringify(payload)).digest('hex')}` },
      body: raw,
    });
    expect(forged.status).toBe(401);
  });
});
