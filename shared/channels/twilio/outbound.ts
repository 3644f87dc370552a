import type { StoredMessage } from '../../conversation/message-store.js';
import type { Deps } from '../../runtime/deps.js';
import type { SendOutcome } from '../channel.js';
import { secretValue } from '../secrets.js';
import { whatsappPrefix } from './customer-message.js';
import { publicUrlOf, twilioRoutes } from './routes.js';
import { tideMessageIdParameter } from './status-callback.js';
import { outcomeOfTwilioAnswer } from './twilio-answer.js';

/**
 * One delivery attempt of an agent's reply through Twilio's Messages API (DESIGN §4b): from the
 * configured number (as a WhatsApp sender on a WhatsApp conversation) or Messaging Service, with
 * a `StatusCallback` that names Tide's own message id, so a status that beats this call's answer
 * still finds its message. A failed read of the auth token, a refused connection or a timeout is
 * retried; the answer is read by `outcomeOfTwilioAnswer`. Twilio's API takes no idempotency key:
 * a retry after a timeout may send the message twice, which delivery at least once accepts.
 */
export async function sendTwilio(deps: Pick<Deps, 'config' | 'secrets' | 'http'>, message: StoredMessage, options: { timeoutMs?: number } = {}): Promise<SendOutcome> {
  const config = deps.config.channels.twilio;
  if (!config) return { kind: 'failed', code: 'channel_not_configured', message: 'the twilio channel is not configured' };
  if (!message.to) return { kind: 'failed', code: 'no_recipient', message: 'the message names no customer to send to' };
  let authToken: string | undefined;
  try {
    authToken = await secretValue(deps, config.authToken, config.authTokenSecretId);
  } catch (error) {
    return { kind: 'retry', reason: `auth token: ${nameOf(error)}` };
  }
  if (!authToken) return { kind: 'failed', code: 'channel_not_configured', message: 'the twilio channel has no auth token' };

  const whatsapp = message.channel === 'whatsapp';
  const form = new URLSearchParams({ To: whatsapp ? asWhatsApp(message.to) : message.to });
  if (config.from) form.set('From', whatsapp ? asWhatsApp(config.from) : config.from);
  else if (config.messagingServiceSid) form.set('MessagingServiceSid', config.messagingServiceSid);
  form.set('Body', message.text);
  form.set('StatusCallback', `${publicUrlOf(config.webhookBaseUrl, twilioRoutes.status)}?${tideMessageIdParameter}=${encodeURIComponent(message.messageId)}`);

  const url = `${config.apiBaseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`;
  try {
    const answer = await deps.http(url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${config.accountSid}:${authToken}`, 'utf8').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: form.toString(),
      timeoutMs: options.timeoutMs,
    });
    return outcomeOfTwilioAnswer(answer);
  } catch (error) {
    return { kind: 'retry', reason: nameOf(error) };
  }
}

/**
 * Twilio tells WhatsApp from SMS by the address's prefix. The customer's address already has it
 * (it is `From` as received); the configured sender is usually the bare number, shared with SMS.
 */
const asWhatsApp = (address: string) => (address.startsWith(whatsappPrefix) ? address : `${whatsappPrefix}${address}`);

const nameOf = (error: unknown) => (error instanceof Error ? error.name : 'error');
