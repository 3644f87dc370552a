import type { MetaChannelConfig } from '../../config/schema.js';
import type { StoredMessage } from '../../conversation/message-store.js';
import type { Deps } from '../../runtime/deps.js';
import type { SendOutcome } from '../channel.js';
import { secretValue } from '../secrets.js';
import { outcomeOfGraphAnswer } from './graph-answer.js';

/** Where a reply on `channel` is sent, and how the Graph API wants it said. */
interface GraphSend {
  product: 'whatsapp' | 'messaging';
  /** The sending phone number, page or Instagram account; undefined when not configured. */
  senderId: string | undefined;
  body: (message: StoredMessage) => unknown;
}

/**
 * Tide's own message id rides along (`biz_opaque_callback_data` on WhatsApp, `metadata` on
 * Messenger and Instagram): Meta echoes it in status webhooks and echoes, so a status that beats
 * the send call's answer still finds its message.
 */
const messagingBody = (message: StoredMessage) => ({
  recipient: { id: message.to },
  messaging_type: 'RESPONSE',
  message: { text: message.text, metadata: message.messageId },
});

const graphSends = (config: MetaChannelConfig): Partial<Record<StoredMessage['channel'], GraphSend>> => ({
  whatsapp: {
    product: 'whatsapp',
    senderId: config.whatsappPhoneNumberId,
    body: (message) => ({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: message.to,
      type: 'text',
      text: { body: message.text },
      biz_opaque_callback_data: message.messageId,
    }),
  },
  messenger: { product: 'messaging', senderId: config.pageId, body: messagingBody },
  instagram: { product: 'messaging', senderId: config.instagramAccountId, body: messagingBody },
});

/**
 * One delivery attempt of an agent's reply through the Graph API (DESIGN §4b): WhatsApp from the
 * configured phone number, Messenger from the page, Instagram from the professional account, as
 * a free-form text (the customer-service window is checked before a reply is accepted). A
 * refused connection or a timeout is retried; the answer is read by `outcomeOfGraphAnswer`.
 */
export async function sendMeta(deps: Pick<Deps, 'config' | 'secrets' | 'http'>, message: StoredMessage, options: { timeoutMs?: number } = {}): Promise<SendOutcome> {
  const config = deps.config.channels.meta;
  const send = config ? graphSends(config)[message.channel] : undefined;
  if (!config || !send?.senderId) return { kind: 'failed', code: 'channel_not_configured', message: `the meta channel sends no ${message.channel} messages` };
  if (!message.to) return { kind: 'failed', code: 'no_recipient', message: 'the message names no customer to send to' };
  let accessToken: string | undefined;
  try {
    accessToken = await secretValue(deps, config.accessToken, config.accessTokenSecretId);
  } catch (error) {
    return { kind: 'retry', reason: `access token: ${nameOf(error)}` };
  }
  if (!accessToken) return { kind: 'failed', code: 'channel_not_configured', message: 'the meta channel has no access token' };
  const url = `${config.graphBaseUrl.replace(/\/+$/, '')}/${config.graphVersion}/${encodeURIComponent(send.senderId)}/messages`;
  try {
    const answer = await deps.http(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(send.body(message)),
      timeoutMs: options.timeoutMs,
    });
    return outcomeOfGraphAnswer(send.product, answer);
  } catch (error) {
    return { kind: 'retry', reason: nameOf(error) };
  }
}

const nameOf = (error: unknown) => (error instanceof Error ? error.name : 'error');
