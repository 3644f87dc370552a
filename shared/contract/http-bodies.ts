import { z } from 'zod';
import type { AgentView } from '../agent/admin.js';
import { agentStatuses } from '../agent/model.js';
import { roles } from '../agent/connections.js';
import { bodySchema as genericInboundSchema, maxTextCharacters } from '../channels/generic/inbound-request.js';
import { agentConfigSchema } from '../config/schema.js';
import type { HistoryPage } from '../conversation/history.js';
import type { ErasureReport } from '../customer/erasure.js';
import type { CustomerExport } from '../customer/export.js';
import { channelNames } from '../conversation/model.js';
import { errorCodes } from './error-codes.js';
import { deliveryStatuses, transferNoteSchema } from './frames.js';

/**
 * HTTP request and response bodies (DESIGN §4, §4b) as zod schemas: what docs/openapi.json
 * publishes. A body the code already validates with zod is that schema (the generic webhook,
 * the admin API's profile); the others describe what the handlers answer, and the tests parse
 * real answers with them (test/integration/contract-frames.test.ts, test/e2e/agent-terminal.test.ts).
 */

const time = z.iso.datetime();

export const errorBodySchema = z
  .strictObject({
    error: z.strictObject({ code: z.enum(errorCodes), message: z.string().describe('For people; match on `code`.') }),
  })
  .describe('Every 4xx and 5xx of Tide’s own routes; a 4xx changed nothing.');

/** The generic webhook's body: the very schema `parseGenericInbound` validates with, its text's rules spelled out. */
export const genericInboundBodySchema = genericInboundSchema
  .extend({
    text: genericInboundSchema.shape.text.meta({
      description: `1–${maxTextCharacters.toLocaleString('en')} characters (code points), at least one of them not whitespace.`,
      minLength: 1,
      maxLength: maxTextCharacters,
    }),
    externalId: genericInboundSchema.shape.externalId.describe('The channel’s id of the message: the dedupe key (a repeat answers 200 with the same ids).'),
    from: genericInboundSchema.shape.from.describe('The customer’s address on the channel; at most one open conversation per customer.'),
    queue: genericInboundSchema.shape.queue.describe('A configured queue; `default` when absent.'),
    name: genericInboundSchema.shape.name.describe('The customer’s name, shown to agents.'),
    priority: genericInboundSchema.shape.priority.describe('Business priority from the channel (a VIP flag, say); higher is sooner.'),
  })
  .describe('One customer message, signed with `X-Tide-Signature`.');

export const messageAcceptedSchema = z
  .strictObject({ conversationId: z.string(), messageId: z.string() })
  .describe('The message is stored: its conversation and its id (the same ids again for a repeat).');

export const genericOutboundBodySchema = z
  .strictObject({
    conversationId: z.string(),
    messageId: z.string().describe('Delivery is at least once: dedupe by it.'),
    to: z.string().describe('The customer (`from` of their messages).'),
    text: z.string(),
  })
  .describe('An agent’s reply (or Tide’s closing message), POSTed to `outboundUrl` with `X-Tide-Signature` over the raw body.');

const mediaSchema = z
  .strictObject({
    url: z.string().optional().describe('Where the provider serves it (Twilio’s `MediaUrlN`, Messenger’s `payload.url`).'),
    providerMediaId: z.string().optional().describe('The provider’s media id (WhatsApp: fetched through the Graph API).'),
    contentType: z.string().optional(),
    kind: z.string().optional().describe('image, audio, video, document, sticker, location, …'),
  })
  .describe('An attachment as the provider described it: a reference, not the bytes.');

export const conversationViewSchema = z.strictObject({
  conversationId: z.string(),
  state: z.enum(['queued', 'active', 'inactive', 'closed']),
  channel: z.enum(channelNames),
  queue: z.string(),
  customer: z.strictObject({ id: z.string(), name: z.string().nullable() }),
  assignedTo: z.string().nullable(),
  waitingOn: z.enum(['agent', 'customer']),
  slaDueAt: time.nullable(),
  slaBreached: z.boolean(),
  followUpAt: time.nullable(),
  priority: z.number().int(),
  transferNote: transferNoteSchema.nullable(),
});

export const messageViewSchema = z.strictObject({
  id: z.string(),
  direction: z.enum(['in', 'out']),
  text: z.string().describe('The full text.'),
  at: time,
  media: z.array(mediaSchema),
  status: z.enum(deliveryStatuses).nullable().describe('Delivery status of an outbound message; null for the customer’s.'),
  error: z.strictObject({ code: z.string(), message: z.string() }).nullable().describe('Why delivery failed (the provider’s code), when it did.'),
  agentId: z.string().nullable().describe('Who wrote an outbound message; null for the customer’s and Tide’s own.'),
});

export const historyPageSchema = z
  .strictObject({
    conversation: conversationViewSchema,
    messages: z.array(messageViewSchema).describe('Oldest first.'),
    next: z.string().nullable().describe('Pass as `?after=` for the next page; null on the last page.'),
  })
  .describe('One page of a conversation’s history.');

export const agentViewSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  queues: z.array(z.string()),
  preferredConcurrency: z.number().int(),
  maxLoad: z.number().int(),
  status: z.enum(agentStatuses),
  active: z.number().int().min(0).describe('Active conversations now.'),
});

export const agentListSchema = z.strictObject({ agents: z.array(agentViewSchema).describe('By id.') });
export const agentEnvelopeSchema = z.strictObject({ agent: agentViewSchema });

/** `GET /v1/admin/customers/{channel}/{customerId}/export` (shared/customer/export.ts, docs/data.md). */
export const customerExportSchema = z
  .strictObject({
    exportedAt: time,
    customer: z
      .strictObject({
        channel: z.enum(channelNames),
        id: z.string().describe('Their address on the channel (`from` of their messages).'),
        optedOut: z.boolean().describe('They sent STOP and not START since.'),
        optedOutAt: time.nullable(),
        expiresAt: time.nullable().describe('When DynamoDB may delete the item; null while a conversation is open or while opted out.'),
      })
      .nullable()
      .describe('Null when no customer item is left (it expires with their last conversation).'),
    conversations: z
      .array(
        z.strictObject({
          conversation: conversationViewSchema.extend({
            createdAt: time,
            closedAt: time.nullable(),
            expiresAt: time.nullable().describe('When DynamoDB may delete it with its messages; null while open, or when kept until erased.'),
          }),
          messages: z.array(messageViewSchema).describe('Oldest first.'),
        }),
      )
      .describe('Oldest first.'),
  })
  .describe('Everything Tide stores about one customer.');

/** `DELETE /v1/admin/customers/{channel}/{customerId}` (shared/customer/erasure.ts). */
export const customerErasureSchema = z.strictObject({
  erased: z.strictObject({
    erasureId: z.string().describe('Names this erasure’s log lines, which carry no customer data.'),
    closed: z.number().int().min(0).describe('Open conversations closed first, their agents released.'),
    conversations: z.number().int().min(0),
    messages: z.number().int().min(0),
    customerItem: z.boolean().describe('Whether there was a customer item to delete.'),
  }),
});

/**
 * `PUT /v1/admin/agents/{agentId}`: the configuration file's agent (the schema `profileFromRequest`
 * validates with), its `id` optional since the path names the agent.
 */
export const agentProfileBodySchema = z
  .strictObject({ ...agentConfigSchema.shape, id: agentConfigSchema.shape.id.optional().describe('If given, the id in the path.') })
  .describe('An agent’s profile, by the configuration file’s rules; `maxLoad` at least `preferredConcurrency`. Fields left out take their defaults.');

/** The local stack's `POST /dev/token` (infra/local/stack.ts); it does not exist when deployed. */
export const devTokenRequestSchema = z.object({
  agentId: z.string().min(1).max(128).describe('For role `agent`, an agent that exists; any id for the other roles.'),
  role: z.enum(roles).default('agent'),
});
export const devTokenSchema = z.strictObject({ token: z.string().describe('A JWT: put it in `?token=` of the WebSocket URL, or `Authorization: Bearer`.') });
export const healthSchema = z.strictObject({ status: z.literal('ok') });

/**
 * Twilio's webhooks, as Twilio sends them (form fields; research channels.md §1.1, §1.6). Tide
 * reads the fields named here and signs over every field, so the others are allowed.
 */
export const twilioMessageFormSchema = z
  .looseObject({
    MessageSid: z.string().describe('The dedupe key.'),
    AccountSid: z.string(),
    From: z.string().describe('The customer; `whatsapp:+…` for WhatsApp.'),
    To: z.string(),
    Body: z.string().optional().describe('Empty for a media-only message.'),
    NumMedia: z.string().optional(),
    MediaUrl0: z.string().optional().describe('…`MediaUrlN`, with `MediaContentTypeN`, kept as the message’s media.'),
    MediaContentType0: z.string().optional(),
    OptOutType: z.enum(['STOP', 'START', 'HELP']).optional().describe('Twilio Advanced Opt-Out.'),
  })
  .describe('Twilio’s incoming-message webhook.');

export const twilioStatusFormSchema = z
  .looseObject({
    MessageSid: z.string(),
    MessageStatus: z.string().describe('`sent`, `delivered`, `read`, `failed`, `undelivered`, `canceled` move the delivery status; others are ignored.'),
    ErrorCode: z.string().optional(),
    ErrorMessage: z.string().optional(),
  })
  .describe('Twilio’s status callback for one of Tide’s replies.');

export const metaWebhookSchema = z
  .looseObject({
    object: z.enum(['whatsapp_business_account', 'page', 'instagram']),
    entry: z.array(z.looseObject({})).describe('WhatsApp: `entry[].changes[].value.messages[]` and `statuses[]`; Messenger and Instagram: `entry[].messaging[]`.'),
  })
  .describe('Meta’s webhook (WhatsApp Cloud API, Messenger, Instagram): many messages and statuses per POST.');

/** True only when A and B are the same type; a schema that drifts from its body's type fails to compile. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const schemasMatchTheirTypes: [Same<z.output<typeof historyPageSchema>, HistoryPage>, Same<z.output<typeof agentViewSchema>, AgentView>] = [true, true];
export const customerSchemasMatchTheirTypes: [Same<z.output<typeof customerExportSchema>, CustomerExport>, Same<z.output<typeof customerErasureSchema>, { erased: ErasureReport }>] = [true, true];
