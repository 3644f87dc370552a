import { z } from 'zod';

/** Client → server WebSocket frames (DESIGN §4). Every action may carry a `requestId`. */
const requestId = z.union([z.string().max(128), z.number()]).optional();
const conversationId = z.string().min(1).max(128);
const text = z.string().min(1).max(4096);

export const agentActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('setStatus'), requestId, status: z.enum(['online', 'away', 'offline']) }),
  // `closing: true` flags the message as a closing question when the rules would not recognise it.
  z.object({ action: z.literal('send'), requestId, conversationId, text, closing: z.boolean().optional() }),
  z.object({ action: z.literal('close'), requestId, conversationId }),
  z.object({ action: z.literal('followUp'), requestId, conversationId, at: z.iso.datetime({ offset: true }) }),
  z
    .object({
      action: z.literal('transfer'),
      requestId,
      conversationId,
      queue: z.string().min(1).max(64).optional(),
      agentId: z.string().min(1).max(128).optional(),
    })
    .refine((t) => (t.queue === undefined) !== (t.agentId === undefined), {
      message: 'transfer takes exactly one of queue or agentId',
    }),
  z.object({ action: z.literal('setPriority'), requestId, conversationId, priority: z.number().int().min(-100).max(100) }),
  z.object({ action: z.literal('sync'), requestId }),
]);

export type AgentAction = z.infer<typeof agentActionSchema>;

/** Server → client replies to a request. */
export type AckFrame = { type: 'ack'; requestId?: string | number; action: string } & Record<string, unknown>;
export interface ErrorFrame {
  type: 'error';
  requestId?: string | number;
  code: string;
  message: string;
}
