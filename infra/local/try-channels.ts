/**
 * Trying the provider channels on `npm start`, without a Twilio or Meta account:
 *
 *   npm run channels -- fakes                      # fake Twilio (:4010) and Graph API (:4020); prints what Tide sends
 *   npm run channels -- sms +15550100001 "Hello"   # a signed Twilio SMS webhook to the local stack
 *   npm run channels -- whatsapp 4915100000001 "Hallo"   (WhatsApp Cloud API)
 *   npm run channels -- messenger PSID123 "Hi"     /   instagram IGSID123 "Hi"
 *   npm run channels -- delivered <messageId>      # Twilio's status callback for a reply
 *
 * It reads the same TIDE_CONFIG as `npm start` (infra/local/channels.example.json has the shape)
 * and signs each webhook the way the provider does, with the secrets in that file.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { expectedSignature } from '../../shared/channels/twilio/signature.js';
import { startFakeGraph, metaJson } from './fake-providers/graph.js';
import { startFakeTwilio } from './fake-providers/twilio.js';
import { loadLocalConfig } from './local-config.js';

const config = loadLocalConfig(process.env.TIDE_CONFIG);
const stackUrl = `http://${process.env.HOST ?? '127.0.0.1'}:${process.env.PORT ?? 3000}`;
const [command, who, ...words] = process.argv.slice(2);
const text = words.join(' ');

async function main(): Promise<void> {
  const { twilio, meta } = config.channels;
  switch (command) {
    case 'fakes': {
      if (!twilio?.authToken || !meta?.accessToken) throw new Error('the config needs channels.twilio (authToken) and channels.meta (accessToken) with literal values');
      const port = (url: string) => Number(new URL(url).port);
      await startFakeTwilio({ accountSid: twilio.accountSid, authToken: twilio.authToken }, { port: port(twilio.apiBaseUrl), onSend: (s) => console.log(`twilio ${s.status} ${JSON.stringify(s.form)}`) });
      await startFakeGraph({ version: meta.graphVersion, accessToken: meta.accessToken, whatsappPhoneNumberId: meta.whatsappPhoneNumberId ?? '', pageId: meta.pageId ?? '', instagramAccountId: meta.instagramAccountId ?? '', port: port(meta.graphBaseUrl), onSend: (s) => console.log(`graph ${s.status} ${s.path} ${JSON.stringify(s.body)}`) });
      console.log(`fake Twilio on ${twilio.apiBaseUrl}, fake Graph API on ${meta.graphBaseUrl}; Ctrl-C to stop`);
      return;
    }
    case 'sms':
    case 'delivered': {
      if (!twilio?.authToken) throw new Error('the config needs channels.twilio with a literal authToken');
      const route = command === 'sms' ? '/v1/channels/twilio/messages' : '/v1/channels/twilio/status';
      const sid = `SM${randomBytes(16).toString('hex')}`;
      const params: Record<string, string> = command === 'sms' ? { MessageSid: sid, AccountSid: twilio.accountSid, From: who!, To: twilio.from ?? '', Body: text, NumMedia: '0' } : { MessageSid: sid, MessageStatus: 'delivered', AccountSid: twilio.accountSid };
      const query = command === 'delivered' ? `tideMessageId=${encodeURIComponent(who!)}` : '';
      const signedUrl = `${twilio.webhookBaseUrl.replace(/\/$/, '')}${route}${query ? `?${query}` : ''}`;
      return show(fetch(`${stackUrl}${route}${query ? `?${query}` : ''}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': expectedSignature(twilio.authToken, signedUrl, params) },
        body: new URLSearchParams(params).toString(),
      }));
    }
    case 'whatsapp':
    case 'messenger':
    case 'instagram': {
      if (!meta?.appSecret) throw new Error('the config needs channels.meta with a literal appSecret');
      const id = `m_${randomBytes(8).toString('hex')}`;
      const payload =
        command === 'whatsapp'
          ? { object: 'whatsapp_business_account', entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: meta.whatsappPhoneNumberId }, contacts: [{ profile: { name: who }, wa_id: who }], messages: [{ from: who, id: `wamid.${id}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } }] } }] }] }
          : { object: command === 'messenger' ? 'page' : 'instagram', entry: [{ id: 'PAGE', time: Date.now(), messaging: [{ sender: { id: who }, recipient: { id: 'PAGE' }, timestamp: Date.now(), message: { mid: id, text } }] }] };
      const raw = metaJson(payload);
      return show(fetch(`${stackUrl}/v1/channels/meta`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', meta.appSecret).update(raw).digest('hex')}` },
        body: raw,
      }));
    }
    default:
      throw new Error('usage: npm run channels -- fakes | sms <from> <text> | whatsapp|messenger|instagram <customer id> <text> | delivered <messageId>');
  }
}

async function show(answer: Promise<Response>): Promise<void> {
  const res = await answer;
  console.log(`${res.status} ${await res.text()}`);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
