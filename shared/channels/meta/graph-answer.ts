import { z } from 'zod';
import type { SendOutcome } from '../channel.js';
import { answerJson } from '../provider-answer.js';

/**
 * Graph error codes worth another attempt later: 1 and 2 (temporary), 4, 17 and 341 (app or
 * account throttled), 80007 (WhatsApp account rate limit), 130429 (throughput), 131000 (unknown,
 * retried per Meta) and 131056 (too many messages to one customer). Every other code is a refusal
 * that a retry will not change (131047 outside the window, 10/2018278 the same on Messenger, 190
 * an expired token, 551 a customer who cannot be reached, …).
 */
export const transientGraphCodes: ReadonlySet<number> = new Set([1, 2, 4, 17, 341, 80007, 130429, 131000, 131056]);

const graphErrorSchema = z.object({
  error: z.object({ code: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]), message: z.string().optional() }),
});
const whatsappSentSchema = z.object({ messages: z.array(z.object({ id: z.string().min(1) })).min(1) });
const messagingSentSchema = z.object({ message_id: z.string().min(1) });

/**
 * What the Graph API's answer to a send means. A 2xx is `sent` (accepted, not yet delivered: the
 * status webhooks say the rest), with Meta's id when the answer names it; even an answer Tide
 * cannot read is `sent`, since sending again would send twice. HTTP 5xx, 429 and 408, and the
 * transient codes, are retried; any other Graph error fails the message with Meta's code.
 */
export function outcomeOfGraphAnswer(product: 'whatsapp' | 'messaging', answer: { status: number; body?: string }): SendOutcome {
  const json = answerJson(answer.body);
  if (answer.status >= 200 && answer.status < 300) {
    const id = product === 'whatsapp' ? whatsappSentSchema.safeParse(json).data?.messages[0]?.id : messagingSentSchema.safeParse(json).data?.message_id;
    return id ? { kind: 'sent', providerMessageId: id } : { kind: 'sent' };
  }
  const error = graphErrorSchema.safeParse(json).data?.error;
  if (answer.status >= 500 || answer.status === 429 || answer.status === 408) return { kind: 'retry', reason: `HTTP ${answer.status}${error ? ` (Graph error ${error.code})` : ''}` };
  if (!error) return { kind: 'failed', code: `http_${answer.status}`, message: `the Graph API answered HTTP ${answer.status}` };
  if (transientGraphCodes.has(error.code)) return { kind: 'retry', reason: `Graph error ${error.code}` };
  return { kind: 'failed', code: String(error.code), message: error.message ?? `Graph error ${error.code}` };
}
