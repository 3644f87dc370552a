import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { Channel, WebhookRequest } from '../../shared/channels/channel.js';
import { metaChannel } from '../../shared/channels/meta/channel.js';
import { twilioChannel } from '../../shared/channels/twilio/channel.js';
import { receiveWebhook } from '../../shared/conversation/receive-webhook.js';
import { isTideError } from '../../shared/errors.js';
import { createTestDeps, type TestDeps } from '../support/domain-deps.js';
import { metaWebhook, twilioInbound, twilioWebhook, whatsappChange, whatsappText } from '../support/provider-webhooks.js';

/**
 * Random and mutated webhooks, correctly signed (so they get past the signature and exercise the
 * parsing): each is either taken (200) or refused with a TideError (a 4xx), never a fault of ours
 * (a 5xx), and a refused one changes nothing.
 */
const account = { accountSid: `AC${'e'.repeat(32)}`, authToken: 'fuzz-token' };
const publicUrl = 'https://tide.example.com';

/** A seeded generator, so a failure can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 2 ** 32);
}

const nasty = ['', ' ', '0', '-1', '1e999', 'null', 'true', '[]', '{}', '__proto__', 'constructor', 'toString', '💥', '\u0000', 'a'.repeat(5000), '<Response/>', '%', '&=', 'whatsapp:', 'whatsapp:+1'];

function mutateJson(value: unknown, random: () => number, depth = 0): unknown {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const roll = random();
  if (roll < 0.08) return pick([null, 0, -1, true, 'x', [], {}, 1e308, pick(nasty)]);
  if (Array.isArray(value)) {
    const out = value.map((v) => mutateJson(v, random, depth + 1));
    if (random() < 0.1) out.push(mutateJson(value[0], random, depth + 1));
    if (random() < 0.1) out.splice(0, 1);
    return out;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (random() < 0.07) continue;
      out[random() < 0.03 ? pick(nasty) : k] = mutateJson(v, random, depth + 1);
    }
    return out;
  }
  return value;
}

async function itemCounts(deps: TestDeps) {
  const count = async (table: string) => (await deps.db.send(new ScanCommand({ TableName: table, Select: 'COUNT', ConsistentRead: true }))).Count ?? 0;
  return [await count(deps.tables.messages), await count(deps.tables.conversations), await count(deps.tables.customers)];
}

async function fuzz(deps: TestDeps, channel: Channel, requests: WebhookRequest[]) {
  const faults: string[] = [];
  let refused = 0;
  for (const request of requests) {
    const before = await itemCounts(deps);
    try {
      await receiveWebhook(deps, channel, request);
    } catch (error) {
      if (!isTideError(error)) {
        faults.push(`${(error as Error).message}: ${request.rawBody.toString('utf8').slice(0, 300)}`);
        continue;
      }
      refused++;
      expect(await itemCounts(deps), `a refused webhook changed something: ${request.rawBody.toString('utf8').slice(0, 300)}`).toEqual(before);
    }
  }
  expect(faults).toEqual([]);
  return refused;
}

const config = {
  channels: {
    twilio: { ...account, webhookBaseUrl: publicUrl, from: '+15550001111', apiBaseUrl: 'http://127.0.0.1:9' },
    meta: { appSecret: 'fuzz-secret', verifyToken: 'v', accessToken: 't', graphBaseUrl: 'http://127.0.0.1:9', whatsappPhoneNumberId: 'P', pageId: 'G', instagramAccountId: 'I' },
  },
};

describe('webhook fuzz', () => {
  it('Twilio: 300 mutated form posts get a 200 or a 4xx, never a 5xx', async () => {
    const deps = await createTestDeps(config);
    const random = prng(7);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    const requests: WebhookRequest[] = [];
    for (let i = 0; i < 300; i++) {
      const status = random() < 0.3;
      const base: Record<string, string> = status
        ? { MessageSid: `SM${i}`, MessageStatus: pick(['sent', 'delivered', 'read', 'failed', 'undelivered', 'queued', 'weird']), ErrorCode: pick(['', '30006', 'x']) }
        : twilioInbound(`SM${String(i).padStart(32, '0')}`, pick(['+15550000001', 'whatsapp:+15550000002', '']), pick(['hi', 'STOP', 'start', '', 'Where is my order?']));
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(base)) {
        if (random() < 0.1) continue;
        params[random() < 0.05 ? pick(nasty) || 'Empty' : k] = random() < 0.15 ? pick(nasty) : v;
      }
      if (random() < 0.2) params[`MediaUrl${pick(['0', '1', '-1', 'x'])}`] = pick(['https://example.com/m', '']);
      if (random() < 0.2) params.NumMedia = pick(nasty);
      const route = status ? '/v1/channels/twilio/status' : '/v1/channels/twilio/messages';
      requests.push(twilioWebhook(account.authToken, publicUrl, route, params, random() < 0.2 ? `tideMessageId=${encodeURIComponent(pick(nasty))}` : ''));
    }
    const refused = await fuzz(deps, twilioChannel, requests);
    expect(refused).toBeGreaterThan(0); // the mutations do reach the checks
  });

  it('Meta: 300 mutated JSON posts get a 200 or a 4xx, never a 5xx', async () => {
    const deps = await createTestDeps(config);
    const random = prng(11);
    const seeds = [
      { object: 'whatsapp_business_account', entry: [whatsappChange({ contacts: [{ profile: { name: 'A' }, wa_id: '1555' }], messages: [whatsappText('wamid.1', '1555', 'hello'), { from: '1555', id: 'wamid.2', type: 'image', image: { id: 'MID', mime_type: 'image/jpeg', caption: 'c' } }, { from: '1555', id: 'wamid.3', type: 'reaction', reaction: { message_id: 'wamid.1', emoji: '👍' } }], statuses: [{ id: 'wamid.x', status: 'failed', errors: [{ code: 131047, title: 't' }] }] })] },
      { object: 'page', entry: [{ id: 'G', time: 1, messaging: [{ sender: { id: 'PS1' }, recipient: { id: 'G' }, timestamp: 1, message: { mid: 'm1', text: 'hi', attachments: [{ type: 'image', payload: { url: 'https://x' } }] } }, { sender: { id: 'PS1' }, recipient: { id: 'G' }, delivery: { mids: ['m0'], watermark: 1 } }] }] },
      { object: 'instagram', entry: [{ id: 'I', time: 1, messaging: [{ sender: { id: 'IG1' }, recipient: { id: 'I' }, timestamp: 1, message: { mid: 'i1', text: 'yo', is_echo: false } }] }] },
    ];
    const requests: WebhookRequest[] = [];
    for (let i = 0; i < 300; i++) {
      const seed = seeds[i % seeds.length]!;
      const mutated = random() < 0.1 ? mutateJson(nasty[i % nasty.length], random) : mutateJson(seed, random);
      const request = metaWebhook('fuzz-secret', mutated);
      if (random() < 0.05) {
        // Not JSON at all, still signed.
        const raw = Buffer.from(`{"object":${'['.repeat(i % 50)}`);
        requests.push({ ...request, rawBody: raw, headers: metaWebhook('fuzz-secret', null).headers && { ...request.headers, 'x-hub-signature-256': (await import('node:crypto')).createHmac('sha256', 'fuzz-secret').update(raw).digest('hex').replace(/^/, 'sha256=') } });
      } else requests.push(request);
    }
    const refused = await fuzz(deps, metaChannel, requests);
    expect(refused).toBeGreaterThan(0);
  });
});
