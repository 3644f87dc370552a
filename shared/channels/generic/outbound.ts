import type { Deps } from '../../runtime/deps.js';
import type { StoredMessage } from '../../conversation/message-store.js';
import type { SendOutcome } from '../channel.js';
import { channelSecret } from '../secrets.js';
import { sign, signatureHeader } from './signature.js';

/**
 * The generic channel's outbound webhook (DESIGN §4): the reply is POSTed to `outboundUrl`,
 * signed like inbound messages. A 2xx means delivered; a 5xx, 408, 429, timeout or refused
 * connection is worth retrying; any other 4xx is a permanent refusal. The receiver dedupes by
 * `messageId`, since delivery is at least once.
 */
export async function sendGeneric(deps: Deps, message: StoredMessage, options: { timeoutMs?: number } = {}): Promise<SendOutcome> {
  const channel = deps.config.channels.generic;
  const secret = await channelSecret(deps);
  if (!channel?.outboundUrl || !secret) return { kind: 'failed', code: 'channel_not_configured', message: 'the generic channel has no outboundUrl' };
  const body = JSON.stringify({ conversationId: message.conversationId, messageId: message.messageId, to: message.to, text: message.text });
  let status: number;
  try {
    status = (await deps.http(channel.outboundUrl, { method: 'POST', headers: { 'content-type': 'application/json', [signatureHeader]: sign(secret, body) }, body, timeoutMs: options.timeoutMs })).status;
  } catch (error) {
    return { kind: 'retry', reason: (error as Error).name };
  }
  if (status >= 200 && status < 300) return { kind: 'sent', delivered: true };
  if (status >= 500 || status === 408 || status === 429) return { kind: 'retry', reason: `HTTP ${status}` };
  return { kind: 'failed', code: `http_${status}`, message: `the channel answered HTTP ${status}` };
}
