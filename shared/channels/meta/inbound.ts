import { z } from 'zod';
import type { MetaChannelConfig } from '../../config/schema.js';
import { TideError } from '../../errors.js';
import type { Deps } from '../../runtime/deps.js';
import type { ParsedWebhook, WebhookRequest } from '../channel.js';
import { matchingSecret, secretValue } from '../secrets.js';
import type { Harvest } from './harvest.js';
import { harvestMessagingEntry } from './messaging-inbound.js';
import { isValidMetaSignature, metaSignatureHeader } from './signature.js';
import { answerSubscription } from './subscription.js';
import { harvestWhatsAppEntry } from './whatsapp-inbound.js';

/** The one callback URL of the Meta app, for its subscription check (GET) and its webhooks (POST). */
export const metaRoute = '/v1/channels/meta';

/** Meta's batches stay far below this; more is not a webhook of Meta's. */
export const maxMetaBodyBytes = 1024 * 1024;

const envelopeSchema = z.object({ object: z.string(), entry: z.array(z.unknown()) });

/** What Meta's docs answer; Meta only looks at the status. */
const received = { statusCode: 200, contentType: 'text/plain', body: 'EVENT_RECEIVED' };

/**
 * A request on the Meta callback URL (DESIGN §4b). GET is the subscription check. POST is checked
 * in the contract's order (size, signature over the raw bytes, then JSON and envelope) before
 * anything is read from it; then every entry of the batch is taken on its own, by the product
 * that sent it, and one Tide cannot use is counted as ignored without failing the others.
 */
export async function parseMetaWebhook(deps: Pick<Deps, 'secrets'>, config: MetaChannelConfig, request: WebhookRequest): Promise<ParsedWebhook> {
  if (request.route !== metaRoute) throw new TideError('not_found', `the meta channel has no route ${request.route}`);
  if (request.method === 'GET') {
    const reply = answerSubscription(await secretValue(deps, config.verifyToken, config.verifyTokenSecretId), request.rawQueryString);
    return { items: [], ignored: 0, reply };
  }
  if (request.rawBody.byteLength > maxMetaBodyBytes) throw new TideError('payload_too_large', `the body is over ${maxMetaBodyBytes} bytes`);
  const signature = request.headers[metaSignatureHeader];
  // During a rotation the previous app secret may be the one that signed.
  const appSecret = await matchingSecret(deps, config.appSecret, config.appSecretSecretId, (secret) => isValidMetaSignature(secret, request.rawBody, signature));
  if (!appSecret) {
    throw new TideError('invalid_signature', 'X-Hub-Signature-256 is missing or does not match the body');
  }
  const envelope = envelopeSchema.safeParse(jsonOf(request.rawBody));
  if (!envelope.success) throw new TideError('invalid_request', 'the body is not a Meta webhook (no object and entry list)');
  const harvest: Harvest = { items: [], ignored: 0 };
  for (const entry of envelope.data.entry) harvestEntry(config, envelope.data.object, entry, harvest);
  return { ...harvest, reply: received };
}

function jsonOf(rawBody: Buffer): unknown {
  try {
    // JSON.parse turns Meta's `\u00e4` escapes into the characters themselves.
    return JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new TideError('invalid_request', 'the body is not JSON');
  }
}

/** By the product that sent it; other objects (`user`, `permissions`, …) are subscriptions Tide does not use. */
function harvestEntry(config: MetaChannelConfig, object: string, entry: unknown, harvest: Harvest): void {
  if (object === 'whatsapp_business_account') harvestWhatsAppEntry(config, entry, harvest);
  else if (object === 'page') harvestMessagingEntry(config, 'messenger', entry, harvest);
  else if (object === 'instagram') harvestMessagingEntry(config, 'instagram', entry, harvest);
  else harvest.ignored++;
}
