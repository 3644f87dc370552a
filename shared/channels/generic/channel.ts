import type { Channel } from '../channel.js';
import { matchingSecret } from '../secrets.js';
import { maxBodyBytes, parseGenericInbound } from './inbound-request.js';
import { sendGeneric } from './outbound.js';
import { isValidSignature, signatureHeader } from './signature.js';

/** Any system that signs its JSON with the shared key (DESIGN §4): `POST /v1/messages`. */
export const genericChannel: Channel = {
  provider: 'generic',
  configured: (config) => config.channels.generic !== undefined,
  async parseWebhook(deps, request) {
    const channel = deps.config.channels.generic;
    const signature = request.headers[signatureHeader];
    // The key the body is signed with (during a rotation, the previous one may be); an oversized
    // body is refused as such by parseGenericInbound without hashing it.
    const secret =
      channel && request.rawBody.byteLength <= maxBodyBytes
        ? await matchingSecret(deps, channel.secret, channel.secretId, (key) => isValidSignature(key, request.rawBody, signature))
        : undefined;
    const message = parseGenericInbound(deps.config, secret, { rawBody: request.rawBody, signature });
    // The handler answers with the stored message's ids (functions/inbound-message.ts).
    return { items: [{ kind: 'message', message }], ignored: 0, reply: { statusCode: 202, contentType: 'application/json', body: '{}' } };
  },
  send: sendGeneric,
  replyTextLimit: () => 4096,
};
