import { z } from 'zod';
import { agentStatuses } from '../agent/model.js';
import type { DeliveryStatus } from '../conversation/message-store.js';
import { channelNames } from '../conversation/model.js';
import type { WorklistFrame } from '../push/worklist.js';
import type { OverviewFrame } from '../supervision/overview.js';
import type { AgentActionName } from './routes.js';
import { errorCodes } from './error-codes.js';

/**
 * Server → client WebSocket frames (DESIGN §4, §4b) as zod schemas: what docs/asyncapi.json
 * publishes, and what the tests parse real frames with (test/integration/contract-frames.test.ts).
 * The code that builds each frame keeps its own TypeScript type; `Same` below makes the compiler
 * refuse a schema and a type that disagree, and the tests refuse a frame with a field the schema
 * does not name (every object here is strict), so neither can drift from the other.
 */

/** ISO 8601 UTC, as every time Tide sends (`Date.toISOString()`). */
const time = z.iso.datetime();
const requestId = z.string().max(128).describe('The `requestId` of the action answered, when it carried one.');
const agentStatus = z.enum(agentStatuses);
const direction = z.enum(['in', 'out']);
export const deliveryStatuses = ['pending', 'sent', 'delivered', 'read', 'failed'] as const satisfies readonly DeliveryStatus[];
const deliveryStatus = z.enum(deliveryStatuses);
const count = z.number().int().min(0);

export const transferNoteSchema = z
  .strictObject({
    text: z.string().describe('1–1,000 characters.'),
    from: z.string().describe('The agent or supervisor who handed the conversation over.'),
    at: time,
  })
  .describe('What whoever handed the conversation over (transfer, reassign) wrote for its next owner.');

export const worklistItemSchema = z.strictObject({
  conversationId: z.string(),
  state: z.enum(['active', 'inactive']).describe('`inactive`: silent for `inactiveAfterSeconds`, or hidden by a pending follow-up; does not count toward the load.'),
  waitingOn: z.enum(['agent', 'customer']).describe('Who owes the next message.'),
  queue: z.string(),
  channel: z.enum(channelNames),
  customer: z.strictObject({ id: z.string(), name: z.string().optional() }),
  lastMessage: z.strictObject({
    direction,
    text: z.string().describe('At most 500 characters; a longer text is cut and ends with `…` (the full text is in `message` frames and the history API).'),
    at: time,
  }),
  slaDueAt: time.nullable().describe('When the SLA breaches; null while no SLA runs (waiting on the customer, say).'),
  slaBreached: z.boolean(),
  followUpAt: time.nullable().describe('When a pending follow-up brings the conversation back; null when none.'),
  priority: z.number().int().min(-100).max(100).describe('Business priority: higher is sooner.'),
  transferNote: transferNoteSchema.nullable(),
});

export const worklistFrameSchema = z
  .strictObject({
    type: z.literal('worklist'),
    seq: z.number().int().min(0).describe('Per agent, strictly increasing across all its connections: keep the list with the highest `seq`.'),
    agent: z.strictObject({
      id: z.string(),
      status: agentStatus,
      active: count.describe('The agent’s `active` items.'),
      preferredConcurrency: z.number().int(),
      maxLoad: z.number().int(),
    }),
    items: z.array(worklistItemSchema).describe('In priority order: first = answer first.'),
    omitted: count.optional().describe('Lowest-ranked items left out so that the frame fits in 128 KB (absent when none).'),
  })
  .describe('The agent’s whole work list, a snapshot: after `setStatus` and `sync`, and after every change to the agent’s work.');

export const messageFrameSchema = z
  .strictObject({
    type: z.literal('message'),
    conversationId: z.string(),
    message: z.strictObject({ id: z.string(), direction, text: z.string().describe('The full text.'), at: time }),
  })
  .describe('A new customer message in a conversation the agent holds (sent before the work list that shows it).');

export const deliveryFrameSchema = z
  .strictObject({
    type: z.literal('delivery'),
    conversationId: z.string(),
    messageId: z.string(),
    status: deliveryStatus.describe('Only moves forward: pending → sent → delivered → read, or failed.'),
    error: z.strictObject({ code: z.string().describe('The provider’s code (`21610`, `131047`, `http_404`, …).'), message: z.string() }).optional().describe('Only when `failed`.'),
  })
  .describe('A change of an outbound message’s delivery status, to the agent who sent it while it holds the conversation.');

export const queueOverviewSchema = z.strictObject({
  queue: z.string(),
  queued: count.describe('Conversations waiting in the queue for an agent.'),
  oldestQueuedAt: time.nullable().describe('When the longest-waiting queued customer started waiting; null when none.'),
  slaBreached: count.describe('Conversations of the queue, queued or with an agent, whose SLA is breached now.'),
  agentsOnline: count.describe('Online agents who serve the queue.'),
  capped: z.literal(true).optional().describe('More than 1,000 are queued and `queued` counts 1,000 (absent otherwise).'),
});

export const agentOverviewSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  status: agentStatus,
  active: count,
  inactive: count,
  preferredConcurrency: z.number().int(),
  maxLoad: z.number().int(),
});

export const overviewFrameSchema = z
  .strictObject({
    type: z.literal('overview'),
    seq: z.number().int().min(0).describe('Keep the overview with the highest `seq`.'),
    queues: z.array(queueOverviewSchema),
    agents: z.array(agentOverviewSchema).describe('Online first, then away, then offline; by name within each.'),
    omittedAgents: count.optional().describe('Agents left out (the last in that order) so that the frame fits in 128 KB (absent when none).'),
  })
  .describe('What supervisors and admins see: after `sync`, and within about a second of any change.');

const ack = <A extends AgentActionName, F extends z.ZodRawShape>(action: A, fields: F, description: string) =>
  z
    .strictObject({
      type: z.literal('ack'),
      requestId: requestId.optional(),
      action: z.literal(action),
      now: time.describe('The server’s clock when it answered (clients measure their clock offset from it).'),
      ...fields,
    })
    .describe(description);

const conversationId = z.string();
/** The ack of each action: what an action's success answers (shared/agent/perform-action.ts). */
export const ackSchemas = {
  setStatus: ack('setStatus', { status: agentStatus }, 'The status set; a work list follows.'),
  send: ack('send', { conversationId, messageId: z.string().describe('The reply’s id; its `delivery` frames carry it.') }, 'The reply is stored `pending`; delivery follows.'),
  close: ack('close', { conversationId }, 'Closed; the next work list no longer shows it.'),
  followUp: ack('followUp', { conversationId, followUpAt: time }, 'Hidden until `followUpAt`.'),
  transfer: ack('transfer', { conversationId }, 'Handed over; the next work list no longer shows it.'),
  setPriority: ack('setPriority', { conversationId, priority: z.number().int() }, 'The conversation’s new business priority.'),
  sync: ack('sync', {}, 'The work list (and, for supervisors, the overview) went out before this ack.'),
  ping: ack('ping', {}, 'Alive; nothing changed.'),
  setAgentStatus: ack('setAgentStatus', { agentId: z.string(), status: agentStatus }, 'The agent’s status set.'),
  reassign: ack('reassign', { conversationId }, 'Reassigned.'),
} satisfies Record<AgentActionName, z.ZodObject>;

export const ackFrameSchema = z.discriminatedUnion('action', Object.values(ackSchemas) as unknown as [typeof ackSchemas.setStatus, ...Array<(typeof ackSchemas)[AgentActionName]>]);

export const errorFrameSchema = z
  .strictObject({
    type: z.literal('error'),
    requestId: requestId.optional(),
    code: z.enum(errorCodes),
    message: z.string().describe('For people; match on `code`.'),
  })
  .describe('An action refused (it changed nothing), or a fault of ours (`internal_error`: safe to retry with the same `requestId`).');

export const serverFrameSchema = z.union([worklistFrameSchema, messageFrameSchema, deliveryFrameSchema, overviewFrameSchema, ackFrameSchema, errorFrameSchema]);

/** True only when A and B are the same type; a schema that drifts from its frame's type fails to compile. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const schemasMatchTheirTypes: [Same<z.output<typeof worklistFrameSchema>, WorklistFrame>, Same<z.output<typeof overviewFrameSchema>, OverviewFrame>] = [true, true];
