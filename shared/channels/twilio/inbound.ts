import type { TwilioChannelConfig } from '../../config/schema.js';
import { TideError } from '../../errors.js';
import type { Deps } from '../../runtime/deps.js';
import type { ParsedWebhook, WebhookReply, WebhookRequest } from '../channel.js';
import { matchingSecret } from '../secrets.js';
import { customerMessageOf } from './customer-message.js';
import { formParams } from './form-params.js';
import { publicUrlOf, twilioRoutes } from './routes.js';
import { isValidTwilioSignature, twilioSignatureHeader } from './signature.js';
import { statusItemOf } from './status-callback.js';

export { twilioRoutes } from './routes.js';

/** Twilio's webhooks are a few kilobytes of form fields; more is not a webhook of Twilio's. */
export const maxTwilioBodyBytes = 64 * 1024;

/**
 * An empty TwiML document: "received, nothing to say back". An empty body or another content type
 * shows in the Twilio console as errors 11200 and 12300.
 */
export const emptyTwiml: WebhookReply = {
  statusCode: 200,
  contentType: 'text/xml',
  body: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
};

/**
 * A request on one of Twilio's webhook routes (DESIGN §4b), checked in the contract's order
 * before anything is read from it: size (413), then the signature (401) over the public URL and
 * every form field, then the fields themselves (400). A customer's message becomes one message
 * item; a status callback one status item, or nothing for a status Tide ignores.
 */
export async function parseTwilioWebhook(deps: Pick<Deps, 'secrets'>, config: TwilioChannelConfig, request: WebhookRequest): Promise<ParsedWebhook> {
  const route = request.route;
  if (request.method !== 'POST' || (route !== twilioRoutes.messages && route !== twilioRoutes.status)) {
    throw new TideError('not_found', `the twilio channel has no route ${request.method} ${route}`);
  }
  if (request.rawBody.byteLength > maxTwilioBodyBytes) throw new TideError('payload_too_large', `the body is over ${maxTwilioBodyBytes} bytes`);
  const params = formParams(request.rawBody);
  const url = publicUrlOf(config.webhookBaseUrl, route, request.rawQueryString);
  const signature = request.headers[twilioSignatureHeader];
  // During a rotation (a secondary token promoted at Twilio) the previous token may be the one that signed.
  const authToken = await matchingSecret(deps, config.authToken, config.authTokenSecretId, (token) => isValidTwilioSignature(token, signature, url, params));
  if (!authToken) {
    throw new TideError('invalid_signature', 'X-Twilio-Signature is missing or does not match the request');
  }
  if (route === twilioRoutes.messages) return { items: [{ kind: 'message', message: customerMessageOf(config, params) }], ignored: 0, reply: emptyTwiml };
  const item = statusItemOf(params, request.rawQueryString);
  return item ? { items: [item], ignored: 0, reply: emptyTwiml } : { items: [], ignored: 1, reply: emptyTwiml };
}
