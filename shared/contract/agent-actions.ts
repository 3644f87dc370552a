import { z } from 'zod';

/**
 * Client → server WebSocket frames (DESIGN §4). Every action may carry a `requestId` (a string of
 * at most 128 characters). A frame that is not a JSON object, names an unknown action, or has a
 * field missing or of the wrong type is `invalid_request` and changes nothing.
 */
const requestId = z.string().max(128).optional();
const conversationId = z.string().min(1).max(128);
/** 1–4,096 characters (code points: an emoji is one), at least one of them not whitespace. */
const text = z
  .string()
  .refine((t) => t.trim().length > 0, 'text must have a character that is not whitespace')
  .refine((t) => [...t].length <= 4096, 'text is at most 4,096 characters')
  // For docs/asyncapi.json, which cannot show a refinement (JSON Schema counts code points too).
  .meta({ minLength: 1, maxLength: 4096, description: '1–4,096 characters, at least one not whitespace; the channel may allow fewer (SMS 1,600, Messenger 2,000, Instagram 1,000).' });
const name = z.string().min(1).max(128);
/** A hand-over note for the next owner: 1–1,000 characters (code points), not only whitespace. */
const note = z
  .string()
  .refine((t) => t.trim().length > 0, 'note must have a character that is not whitespace')
  .refine((t) => [...t].length <= 1000, 'note is at most 1,000 characters')
  .meta({ minLength: 1, maxLength: 1000, description: 'A hand-over note for the next owner, shown as `transferNote`: 1–1,000 characters, not only whitespace.' });
const status = z.enum(['online', 'away', 'offline']);
const exactlyOneTarget = { message: 'exactly one of queue or agentId' };
const oneTarget = (t: { queue?: string; agentId?: string }) => (t.queue === undefined) !== (t.agentId === undefined);
/** `oneTarget` as JSON Schema, for docs/asyncapi.json. */
const oneTargetSchema = { oneOf: [{ required: ['queue'] }, { required: ['agentId'] }] };

export const agentActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('setStatus'), requestId, status }),
  // `closing: true` flags the message as a closing question when the rules would not recognise it.
  z.object({ action: z.literal('send'), requestId, conversationId, text, closing: z.boolean().optional() }),
  z.object({ action: z.literal('close'), requestId, conversationId }),
  // In the future and at most 30 days ahead: checked against the clock by the transition.
  z.object({ action: z.literal('followUp'), requestId, conversationId, at: z.iso.datetime({ offset: true }) }),
  z
    .strictObject({ action: z.literal('transfer'), requestId, conversationId, queue: name.optional(), agentId: name.optional(), note: note.optional() })
    .refine(oneTarget, { message: 'transfer takes exactly one of queue or agentId' })
    .meta(oneTargetSchema),
  z.object({ action: z.literal('setPriority'), requestId, conversationId, priority: z.number().int().min(-100).max(100) }),
  z.object({ action: z.literal('sync'), requestId }),
  // Keeps an idle connection open (API Gateway closes it after 10 minutes) and proves it alive.
  z.object({ action: z.literal('ping'), requestId }),
  // Supervisors and admins only (DESIGN §4b).
  z.object({ action: z.literal('setAgentStatus'), requestId, agentId: name, status }),
  z
    .strictObject({ action: z.literal('reassign'), requestId, conversationId, queue: name.optional(), agentId: name.optional(), note: note.optional() })
    .refine(oneTarget, exactlyOneTarget)
    .meta(oneTargetSchema),
]);

/** Actions on one's own work: they need an agent profile (a supervisor without one holds nothing). */
export const ownWorkActions: ReadonlySet<AgentAction['action']> = new Set(['setStatus', 'send', 'close', 'followUp', 'transfer', 'setPriority']);
/** Actions on anyone's work: roles `supervisor` and `admin` only. */
export const supervisorActions: ReadonlySet<AgentAction['action']> = new Set(['setAgentStatus', 'reassign']);

export type AgentAction = z.infer<typeof agentActionSchema>;

/** Server → client replies to a request; `now` is the server's time (ISO), for the client's clock offset. */
export type AckFrame = { type: 'ack'; requestId?: string; action: string; now?: string } & Record<string, unknown>;
export interface ErrorFrame {
  type: 'error';
  requestId?: string;
  code: string;
  message: string;
}
