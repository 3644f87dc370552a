import type { Channel } from '../channel.js';
import { channelSecret } from '../secrets.js';
import { parseGenericInbound } from './inbound-request.js';
import { sendGeneric } from './outbound.js';
import { signatureHeader } from './signature.js';

/** Any system that signs its JSON with the shared key (DESIGN §4): `POST /v1/messages`. */
export const genericChannel: Channel = {
  provider: 'generic',
  configured: (config) => config.channels.generic !== undefined,
  async parseWebhook(deps, request) {
    const secret = await channelSecret(deps);
    const message = parseGenericInbound(deps.config, secret, { rawBody: request.rawBody, signature: request.headers[signatureHeader] });
    // The handler answers with the stored message's ids (functions/inbound-message.ts).
    return { items: [{ kind: 'message', message }], ignored: 0, reply: { statusCode: 202, contentType: 'application/json', body: '{}' } };
  },
  send: sendGeneric,
  replyTextLimit: () => 4096,
};
