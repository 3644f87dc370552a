import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { WebhookRequest } from '../../../../shared/channels/channel.js';
import type { TideConfigInput } from '../../../../shared/config/schema.js';
import { channelDeps } from '../../../support/channel-deps.js';
import type { Deps, HttpSend } from '../../../../shared/runtime/deps.js';

/** Test helpers for the Meta channel: fixtures as raw bytes, signed requests, minimal deps. */

export const appSecret = 'meta-app-secret';
export const verifyToken = 'meta-verify-token';

type MetaInput = NonNullable<NonNullable<TideConfigInput['channels']>['meta']>;

export const metaConfig = (overrides: Partial<MetaInput> = {}): MetaInput => ({
  appSecret,
  verifyToken,
  accessToken: 'graph-token',
  whatsappPhoneNumberId: '106540352242922',
  pageId: '112233445566778',
  instagramAccountId: '17841400008460056',
  ...overrides,
});

/** Just what the channel reads, with Meta configured (unless `meta: null`). */
export const metaDeps = ({ meta, ...options }: { meta?: Partial<MetaInput> | null; queues?: TideConfigInput['queues']; http?: HttpSend; secrets?: Deps['secrets'] } = {}): Deps =>
  channelDeps({ ...options, channels: meta === null ? {} : { meta: metaConfig(meta) } });

/** A fixture's bytes exactly as stored: Meta's `\u00e4` escapes stay escaped. */
export const fixture = (name: string): Buffer => readFileSync(new URL(`../../../fixtures/meta/${name}`, import.meta.url));

/** The signature an independent HMAC over the bytes gives. */
export const signatureOf = (raw: Buffer, secret = appSecret) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

/** A POST signed like Meta signs it; `signature: null` sends none. */
export const metaPost = (raw: Buffer | string, signature: string | null = signatureOf(Buffer.from(raw))): WebhookRequest => ({
  method: 'POST',
  route: '/v1/channels/meta',
  rawQueryString: '',
  headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'x-hub-signature-256': signature }) },
  rawBody: Buffer.from(raw),
});

export const metaGet = (rawQueryString: string): WebhookRequest => ({
  method: 'GET',
  route: '/v1/channels/meta',
  rawQueryString,
  headers: {},
  rawBody: Buffer.alloc(0),
});

/** The TideError code a promise rejects with ('ok' when it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message;
  }
}
