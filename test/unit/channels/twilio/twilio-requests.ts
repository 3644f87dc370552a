import { readFileSync } from 'node:fs';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import type { WebhookRequest } from '../../../../shared/channels/channel.js';
import type { TideConfigInput } from '../../../../shared/config/schema.js';
import { channelDeps } from '../../../support/channel-deps.js';
import type { Deps, HttpSend } from '../../../../shared/runtime/deps.js';

/** Test helpers for the Twilio channel: fixtures as raw bytes, requests signed by twilio-node, minimal deps. */

export const authToken = 'twilio-test-auth-token-7f3a';
export const accountSid = 'AC5e2a9c0f7b4d4e1a8c3f6b9d2e7a1c40';
export const webhookBaseUrl = 'https://tide.example.com';

type TwilioInput = NonNullable<NonNullable<TideConfigInput['channels']>['twilio']>;

export const twilioConfig = (overrides: Partial<TwilioInput> = {}): TwilioInput => ({
  accountSid,
  authToken,
  webhookBaseUrl,
  from: '+15550001111',
  ...overrides,
});

/** Just what the channel reads, with Twilio configured (unless `twilio: null`). */
export const twilioDeps = ({ twilio, ...options }: { twilio?: Partial<TwilioInput> | null; queues?: TideConfigInput['queues']; http?: HttpSend; secrets?: Deps['secrets'] } = {}): Deps =>
  channelDeps({ ...options, channels: twilio === null ? {} : { twilio: twilioConfig(twilio) } });

/** A fixture's bytes exactly as stored (form-encoded, no trailing newline). */
export const fixture = (name: string): Buffer => readFileSync(new URL(`../../../fixtures/twilio/${name}`, import.meta.url));

/** The form fields as twilio-node's Express middleware hands them to `validateRequest`. */
export function paramsOf(raw: Buffer | string): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(Buffer.from(raw).toString('utf8'))) {
    const before = params[name];
    params[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return params;
}

/** What twilio-node computes for a request to `url` with this body. */
export const twilioSignatureOf = (url: string, raw: Buffer | string, token = authToken) => getExpectedTwilioSignature(token, url, paramsOf(raw));

/**
 * A POST as Twilio sends it, signed by twilio-node over the public URL (`webhookBaseUrl` + route +
 * query) unless `signature` is given; `signature: null` sends none.
 */
export function twilioPost(route: string, raw: Buffer | string, options: { query?: string; signature?: string | null; signedUrl?: string } = {}): WebhookRequest {
  const query = options.query ?? '';
  const signedUrl = options.signedUrl ?? `${webhookBaseUrl}${route}${query ? `?${query}` : ''}`;
  const signature = options.signature === undefined ? twilioSignatureOf(signedUrl, raw) : options.signature;
  return {
    method: 'POST',
    route,
    rawQueryString: query,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === null ? {} : { 'x-twilio-signature': signature }) },
    rawBody: Buffer.from(raw),
  };
}

/** The TideError code a promise rejects with ('ok' when it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message;
  }
}
