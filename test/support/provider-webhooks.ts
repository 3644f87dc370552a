import { createHmac } from 'node:crypto';
import twilio from 'twilio';
import type { WebhookRequest } from '../../shared/channels/channel.js';
import { metaJson } from '../../infra/local/fake-providers/graph.js';

/**
 * Webhooks as the providers send them, signed the providers' way by code that is not Tide's:
 * Twilio's with the official `twilio` package, Meta's over the escaped-unicode bytes it sends.
 */

/** A form post from Twilio to `baseUrl + route` (`query` included in the signed URL). */
export function twilioWebhook(authToken: string, baseUrl: string, route: string, params: Record<string, string>, query = ''): WebhookRequest {
  const url = `${baseUrl}${route}${query ? `?${query}` : ''}`;
  const body = new URLSearchParams(params).toString();
  return {
    method: 'POST',
    route,
    rawQueryString: query,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, url, params) },
    rawBody: Buffer.from(body),
  };
}

/** Twilio's incoming-message fields for an SMS (or WhatsApp when `from` starts with `whatsapp:`). */
export const twilioInbound = (sid: string, from: string, body: string, extra: Record<string, string> = {}): Record<string, string> => ({
  ToCountry: 'US',
  SmsMessageSid: sid,
  NumMedia: '0',
  SmsSid: sid,
  SmsStatus: 'received',
  Body: body,
  To: from.startsWith('whatsapp:') ? 'whatsapp:+15550001111' : '+15550001111',
  NumSegments: '1',
  MessageSid: sid,
  AccountSid: `AC${'1'.repeat(32)}`,
  From: from,
  ApiVersion: '2010-04-01',
  ...extra,
});

/** A signed POST from Meta. */
export function metaWebhook(appSecret: string, payload: unknown): WebhookRequest {
  const raw = Buffer.from(metaJson(payload));
  return {
    method: 'POST',
    route: '/v1/channels/meta',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}` },
    rawBody: raw,
  };
}

/** A WhatsApp Cloud API `messages` change, as one entry of a webhook. */
export const whatsappChange = (value: Record<string, unknown>) => ({
  id: 'WABA_ID',
  changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001111', phone_number_id: 'PHONE_ID' }, ...value } }],
});

export const whatsappText = (id: string, from: string, body: string) => ({ from, id, timestamp: '1764633600', type: 'text', text: { body } });
