import { z } from 'zod';
import type { MetaChannelConfig } from '../../config/schema.js';
import type { StatusReport } from '../channel.js';
import { harvestMessage, type Harvest } from './harvest.js';
import { whatsappContent } from './whatsapp-content.js';

/** Ids as Meta sends them; bounded so a hostile batch cannot make huge keys. */
const providerId = z.string().min(1).max(1024);
const customerId = z.string().min(1).max(256);

const entrySchema = z.object({ changes: z.array(z.unknown()) });
const changeSchema = z.object({
  field: z.string(),
  value: z.object({
    contacts: z.array(z.unknown()).optional(),
    messages: z.array(z.unknown()).optional(),
    statuses: z.array(z.unknown()).optional(),
    errors: z.array(z.unknown()).optional(),
  }),
});
const contactSchema = z.object({
  wa_id: z.string().optional(),
  /** The business-scoped user id (BSUID), sent alongside or instead of the phone number. */
  user_id: z.string().optional(),
  profile: z.object({ name: z.string().max(256).optional() }).optional(),
});
const messageSchema = z.object({
  id: providerId,
  /** The customer's WhatsApp id: a phone number today, absent for a user who hides it behind a username. */
  from: customerId.optional(),
  from_user_id: customerId.optional(),
  user_id: customerId.optional(),
  type: z.string(),
});
const statusSchema = z.object({
  id: providerId,
  status: z.string(),
  /** Tide's message id, passed on send: lets the status land before the send call returned. */
  biz_opaque_callback_data: z.string().min(1).max(512).optional(),
  errors: z
    .array(z.object({ code: z.union([z.number(), z.string()]), title: z.string().optional(), message: z.string().optional() }))
    .optional(),
});

type Contact = z.output<typeof contactSchema>;
const deliveryStatuses = new Set<StatusReport['status']>(['sent', 'delivered', 'read', 'failed']);

/**
 * One `entry` of a `whatsapp_business_account` webhook: each `messages` change's messages become
 * customer messages, its statuses delivery reports. Every change, message and status is checked
 * on its own; what does not fit is counted in `harvest.ignored`.
 */
export function harvestWhatsAppEntry(config: MetaChannelConfig, entry: unknown, harvest: Harvest): void {
  const parsed = entrySchema.safeParse(entry);
  if (!parsed.success) {
    harvest.ignored++;
    return;
  }
  for (const change of parsed.data.changes) harvestChange(config, change, harvest);
}

function harvestChange(config: MetaChannelConfig, change: unknown, harvest: Harvest): void {
  const parsed = changeSchema.safeParse(change);
  if (!parsed.success || parsed.data.field !== 'messages') {
    harvest.ignored++;
    return;
  }
  const { messages = [], statuses = [], errors = [], contacts: rawContacts = [] } = parsed.data.value;
  const contacts = rawContacts.flatMap((c) => {
    const contact = contactSchema.safeParse(c);
    return contact.success ? [contact.data] : [];
  });
  for (const message of messages) harvestMessageOf(config, message, contacts, harvest);
  for (const status of statuses) harvestStatus(status, harvest);
  // Errors about the webhook itself (not about a message of ours): nothing to store, but counted.
  harvest.ignored += errors.length;
  if (messages.length + statuses.length + errors.length === 0) harvest.ignored++;
}

function harvestMessageOf(config: MetaChannelConfig, raw: unknown, contacts: Contact[], harvest: Harvest): void {
  const parsed = messageSchema.safeParse(raw);
  const message = parsed.success ? parsed.data : undefined;
  const customer = message && customerOf(message, contacts);
  const content = message && customer ? whatsappContent(message.type, raw) : undefined;
  if (!message || !customer || !content) {
    harvest.ignored++;
    return;
  }
  const name = contactOf(customer, contacts)?.profile?.name;
  harvestMessage(harvest, {
    channel: 'whatsapp',
    provider: 'meta',
    externalId: message.id,
    from: customer,
    text: content.text,
    queue: config.queue,
    ...(name ? { name } : {}),
    ...(content.media ? { media: content.media } : {}),
    ...(content.ineffectual ? { ineffectual: true } : {}),
  });
}

/**
 * Who wrote: the id Meta puts in `from`, taken as it is (a phone number today, possibly not
 * tomorrow). A customer whose number Meta withholds is keyed by their business-scoped user id,
 * on the message or on the change's only contact.
 */
function customerOf(message: z.output<typeof messageSchema>, contacts: Contact[]): string | undefined {
  const sole = contacts.length === 1 ? contacts[0]!.user_id : undefined;
  const id = message.from ?? message.from_user_id ?? message.user_id ?? sole;
  return id && customerId.safeParse(id).success ? id : undefined;
}

/** The profile of the customer `customer`: by WhatsApp id or user id, else the change's only contact. */
function contactOf(customer: string, contacts: Contact[]): Contact | undefined {
  return contacts.find((c) => c.wa_id === customer || c.user_id === customer) ?? (contacts.length === 1 ? contacts[0] : undefined);
}

function harvestStatus(raw: unknown, harvest: Harvest): void {
  const parsed = statusSchema.safeParse(raw);
  const status = parsed.success && deliveryStatuses.has(parsed.data.status as StatusReport['status']) ? parsed.data : undefined;
  if (!status) {
    harvest.ignored++;
    return;
  }
  const report: StatusReport = { providerMessageId: status.id, status: status.status as StatusReport['status'] };
  if (status.biz_opaque_callback_data) report.messageId = status.biz_opaque_callback_data;
  const error = status.errors?.[0];
  if (report.status === 'failed' && error) {
    report.error = { code: String(error.code), message: error.title || error.message || 'WhatsApp reported the message failed' };
  }
  harvest.items.push({ kind: 'status', report });
}
