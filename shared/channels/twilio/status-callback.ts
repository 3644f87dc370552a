import type { StatusReport, WebhookItem } from '../channel.js';
import { TideError } from '../../errors.js';
import { field } from './form-params.js';
import type { TwilioParams } from './signature.js';

/** The query parameter of Tide's `StatusCallback` URL that names the message (shared/channels/twilio/outbound.ts). */
export const tideMessageIdParameter = 'tideMessageId';

/**
 * What each Twilio status means for Tide's delivery status. `queued`, `accepted`, `scheduled` and
 * `sending` say nothing Tide does not know once the send call answered; `receiving`/`received`
 * are inbound statuses and `partially_delivered` is not final: all of these, and any status Twilio
 * adds later, are ignored. `undelivered` (the carrier gave up) and `canceled` (a scheduled message
 * withdrawn) end the message as surely as `failed`.
 */
const deliveryStatuses: ReadonlyMap<string, StatusReport['status']> = new Map([
  ['sent', 'sent'],
  ['delivered', 'delivered'],
  ['read', 'read'],
  ['failed', 'failed'],
  ['undelivered', 'failed'],
  ['canceled', 'failed'],
]);

/**
 * Readable causes of the codes an agent is most likely to see (research channels.md §1.8), for
 * callbacks whose `ErrorMessage` is empty, as it often is.
 */
const errorDescriptions: ReadonlyMap<string, string> = new Map([
  ['21610', 'the customer replied STOP to this sender'],
  ['30003', 'the handset is unreachable'],
  ['30005', 'the number is unknown or no longer exists'],
  ['30006', 'a landline, or a carrier that cannot take the message'],
  ['30007', 'filtered by Twilio or the carrier'],
  ['30008', 'the carrier reported an unknown error'],
  ['63016', 'outside the WhatsApp customer-service window (24 h since the customer last wrote)'],
]);

/**
 * A status callback (DESIGN §4b), already verified: one report about one of Tide's replies, found
 * by Tide's own id from the callback URL's query (so it lands even if it beat the send call's
 * answer), else by `MessageSid`. Undefined when the status is one Tide ignores.
 */
export function statusItemOf(params: TwilioParams, rawQueryString: string): WebhookItem | undefined {
  const providerMessageId = field(params, 'MessageSid');
  const twilioStatus = field(params, 'MessageStatus');
  if (!providerMessageId) throw new TideError('invalid_request', 'MessageSid is missing');
  if (!twilioStatus) throw new TideError('invalid_request', 'MessageStatus is missing');
  const named = twilioStatus.trim().toLowerCase();
  const status = deliveryStatuses.get(named);
  if (!status) return undefined;
  const messageId = new URLSearchParams(rawQueryString).get(tideMessageIdParameter) || undefined;
  const report: StatusReport = {
    ...(messageId ? { messageId } : {}),
    providerMessageId,
    status,
    ...(status === 'failed' ? { error: errorOf(params, named) } : {}),
  };
  return { kind: 'status', report };
}

/** Twilio's `ErrorCode` and `ErrorMessage`; the status itself stands in for a missing code. */
function errorOf(params: TwilioParams, twilioStatus: string): { code: string; message: string } {
  const code = field(params, 'ErrorCode')?.trim() || twilioStatus;
  const message = field(params, 'ErrorMessage')?.trim() || errorDescriptions.get(code) || `Twilio reported the message ${twilioStatus}`;
  return { code, message };
}
