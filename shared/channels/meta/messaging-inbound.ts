import { z } from 'zod';
import type { MetaChannelConfig } from '../../config/schema.js';
import type { MessageMedia } from '../../conversation/message-store.js';
import { harvestMessage, type Harvest } from './harvest.js';

/** The two Meta channels that share the Messenger Platform's webhook shape. */
export type MessagingChannel = 'messenger' | 'instagram';

const providerId = z.string().min(1).max(1024);

const entrySchema = z.object({ messaging: z.array(z.unknown()).optional(), standby: z.array(z.unknown()).optional() });
const eventSchema = z.object({
  /** The customer's page- (PSID) or Instagram-scoped id; on an echo, the page itself. */
  sender: z.object({ id: z.string().min(1).max(256) }).optional(),
  message: z.unknown().optional(),
  delivery: z.unknown().optional(),
  read: z.unknown().optional(),
  messaging_seen: z.unknown().optional(),
});
const messageSchema = z.object({
  mid: providerId,
  text: z.string().optional(),
  attachments: z.array(z.unknown()).optional(),
  is_deleted: z.boolean().optional(),
  is_unsupported: z.boolean().optional(),
});
const attachmentSchema = z.object({ type: z.string().max(64), payload: z.object({ url: z.string().min(1).max(4096) }) });
const deliverySchema = z.object({ mids: z.array(providerId).min(1) });
/** Reads carry a watermark (everything before it was read) and, on Instagram, the `mid`. */
const readSchema = z.object({ mid: providerId });
/** Milliseconds since the epoch, within reason (no earlier than 2015, no later than 2100). */
const watermarkSchema = z.object({ watermark: z.number().int().min(1_420_070_400_000).max(4_102_444_800_000) });

/**
 * One `entry` of a `page` (Messenger) or `instagram` webhook. Each `messaging` event is read on
 * its own: a customer's message becomes a message, deliveries and reads become status reports,
 * anything else (an echo of the page's own message, a postback, a reaction, …) is ignored.
 * Events under `standby` belong to another app under the handover protocol: counted, not taken.
 */
export function harvestMessagingEntry(config: MetaChannelConfig, channel: MessagingChannel, entry: unknown, harvest: Harvest): void {
  const parsed = entrySchema.safeParse(entry);
  if (!parsed.success || (!parsed.data.messaging && !parsed.data.standby)) {
    harvest.ignored++;
    return;
  }
  harvest.ignored += parsed.data.standby?.length ?? 0;
  for (const event of parsed.data.messaging ?? []) harvestEvent(config, channel, event, harvest);
}

function harvestEvent(config: MetaChannelConfig, channel: MessagingChannel, raw: unknown, harvest: Harvest): void {
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) harvest.ignored++;
  else if (parsed.data.message !== undefined) harvestCustomerMessage(config, channel, parsed.data.sender?.id, parsed.data.message, harvest);
  else if (parsed.data.delivery !== undefined) harvestDelivery(parsed.data.delivery, harvest);
  else if (parsed.data.read !== undefined || parsed.data.messaging_seen !== undefined) harvestRead(channel, parsed.data.sender?.id, parsed.data.read ?? parsed.data.messaging_seen, harvest);
  else harvest.ignored++;
}

function harvestCustomerMessage(config: MetaChannelConfig, channel: MessagingChannel, from: string | undefined, raw: unknown, harvest: Harvest): void {
  // An echo is the page's own message (Tide's reply, or one sent from another inbox): checked
  // first, so an echo is never mistaken for the customer's words whatever else it carries.
  const echo = typeof raw === 'object' && raw !== null && (raw as { is_echo?: unknown }).is_echo === true;
  const parsed = messageSchema.safeParse(raw);
  if (echo || !parsed.success || !from || parsed.data.is_deleted || parsed.data.is_unsupported) {
    harvest.ignored++;
    return;
  }
  const media = mediaOf(parsed.data.attachments ?? []);
  harvestMessage(harvest, {
    channel,
    provider: 'meta',
    externalId: parsed.data.mid,
    from,
    // A quick reply keeps the text of the button the customer tapped.
    text: parsed.data.text ?? '',
    queue: config.queue,
    ...(media.length ? { media } : {}),
  });
}

/** Attachments with a URL (images, files, stickers, shared reels, …); others have nothing to keep. */
function mediaOf(attachments: unknown[]): MessageMedia[] {
  return attachments.flatMap((a) => {
    const parsed = attachmentSchema.safeParse(a);
    return parsed.success ? [{ url: parsed.data.payload.url, kind: parsed.data.type }] : [];
  });
}

function harvestDelivery(raw: unknown, harvest: Harvest): void {
  const parsed = deliverySchema.safeParse(raw);
  if (!parsed.success) {
    harvest.ignored++;
    return;
  }
  for (const mid of parsed.data.mids) harvest.items.push({ kind: 'status', report: { providerMessageId: mid, status: 'delivered' } });
}

/**
 * A read that names its message (Instagram's `mid`) is reported for that message. One with only
 * a watermark (Messenger: everything before this time was read) is reported for the customer's
 * conversation up to that time.
 */
function harvestRead(channel: MessagingChannel, customerId: string | undefined, raw: unknown, harvest: Harvest): void {
  const named = readSchema.safeParse(raw);
  if (named.success) {
    harvest.items.push({ kind: 'status', report: { providerMessageId: named.data.mid, status: 'read' } });
    return;
  }
  const watermark = watermarkSchema.safeParse(raw);
  if (watermark.success && customerId) {
    harvest.items.push({ kind: 'read-up-to', watermark: { channel, customerId, upTo: new Date(watermark.data.watermark).toISOString() } });
  } else harvest.ignored++;
}
