import { z } from 'zod';
import type { SendOutcome } from '../channel.js';
import { answerJson } from '../provider-answer.js';

/** Twilio's "too many concurrent requests": the request was not processed, so always safe to retry. */
const tooManyRequestsCode = 20429;

const createdSchema = z.object({ sid: z.string().min(1) });
/** Twilio's REST error, `{"code","message","more_info","status"}`. */
const restErrorSchema = z.object({ code: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]), message: z.string().optional() });

/**
 * What the Messages API's answer to a send means. A 2xx with the message's `sid` is `sent` (Twilio
 * accepted it; the status callbacks say the rest). HTTP 5xx, 429 and 408, and error 20429 on any
 * status, are retried. Any other answer fails the message with Twilio's code (21610 the customer
 * opted out, 21211 an invalid number, 63016 outside the WhatsApp window, …), or `http_<status>`
 * when Twilio's error cannot be read.
 *
 * A 2xx without a `sid` is retried, unlike a Graph API answer Tide cannot read (which counts as
 * sent). Twilio's 201 always carries the sid, so such an answer is not Twilio's: a proxy, a portal
 * or a misconfigured `apiBaseUrl` answered, and the message most likely never reached Twilio.
 * Retrying is bounded by the delivery's attempts, after which the message fails where the agent
 * sees it; calling it sent would hide a lost reply. The price, if Twilio did take it, is a
 * duplicate, which at-least-once delivery accepts anyway.
 */
export function outcomeOfTwilioAnswer(answer: { status: number; body?: string }): SendOutcome {
  const json = answerJson(answer.body);
  if (answer.status >= 200 && answer.status < 300) {
    const sid = createdSchema.safeParse(json).data?.sid;
    return sid ? { kind: 'sent', providerMessageId: sid } : { kind: 'retry', reason: `HTTP ${answer.status} without a message sid` };
  }
  const error = restErrorSchema.safeParse(json).data;
  if (answer.status >= 500 || answer.status === 429 || answer.status === 408 || error?.code === tooManyRequestsCode) {
    return { kind: 'retry', reason: `HTTP ${answer.status}${error ? ` (Twilio error ${error.code})` : ''}` };
  }
  if (!error) return { kind: 'failed', code: `http_${answer.status}`, message: `the Twilio API answered HTTP ${answer.status}` };
  return { kind: 'failed', code: String(error.code), message: error.message || `Twilio error ${error.code}` };
}
