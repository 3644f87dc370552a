import { z } from 'zod';
import type { MessageMedia } from '../../conversation/message-store.js';

/** What a WhatsApp message shows the agent, whatever its type. */
export interface WhatsAppContent {
  text: string;
  media?: MessageMedia[];
  /** Stored and shown, but makes nothing actionable (a reaction). */
  ineffectual?: boolean;
}

/** The media types: Meta sends an id (fetched later through the Graph API), never a URL. */
export const whatsappMediaTypes = ['image', 'audio', 'video', 'document', 'sticker'] as const;

const coordinate = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/)]);
const mediaSchema = z.object({ id: z.string().min(1).max(1024), mime_type: z.string().max(256).optional(), caption: z.string().optional() });

const textSchema = z.object({ text: z.object({ body: z.string() }) });
const interactiveSchema = z.object({
  interactive: z.object({
    button_reply: z.object({ title: z.string() }).optional(),
    list_reply: z.object({ title: z.string() }).optional(),
  }),
});
const buttonSchema = z.object({ button: z.object({ text: z.string() }) });
const locationSchema = z.object({
  location: z.object({ latitude: coordinate, longitude: coordinate, name: z.string().optional(), address: z.string().optional() }),
});
/** An absent or empty emoji means the customer took the reaction back. */
const reactionSchema = z.object({ reaction: z.object({ message_id: z.string().optional(), emoji: z.string().optional() }) });
const sharedContactSchema = z.object({
  name: z.object({ formatted_name: z.string().optional(), first_name: z.string().optional(), last_name: z.string().optional() }).optional(),
  phones: z.array(z.object({ phone: z.string().optional(), wa_id: z.string().optional() })).optional(),
});
const contactsSchema = z.object({ contacts: z.array(sharedContactSchema).min(1) });

type Reader = (message: unknown) => WhatsAppContent | undefined;

/** Parses with `schema`, then maps; a message that does not fit its type's shape is unusable. */
const reading =
  <S extends z.ZodType>(schema: S, map: (value: z.output<S>) => WhatsAppContent | undefined): Reader =>
  (message) => {
    const parsed = schema.safeParse(message);
    return parsed.success ? map(parsed.data) : undefined;
  };

const mediaReader = (type: (typeof whatsappMediaTypes)[number]): Reader =>
  reading(z.object({ [type]: mediaSchema }), (m) => {
    const media = (m as Record<string, z.output<typeof mediaSchema>>)[type]!;
    return { text: media.caption ?? '', media: [{ providerMediaId: media.id, contentType: media.mime_type, kind: type }] };
  });

function locationSummary({ location: l }: z.output<typeof locationSchema>): string {
  const place = [l.name, l.address].filter((p) => p && p.trim() !== '').join(', ');
  return `Location: ${place ? `${place} ` : ''}(${l.latitude}, ${l.longitude})`;
}

function contactsSummary({ contacts }: z.output<typeof contactsSchema>): string {
  const each = contacts.map((c) => {
    const name = c.name?.formatted_name || [c.name?.first_name, c.name?.last_name].filter(Boolean).join(' ') || 'unnamed';
    const phones = (c.phones ?? []).map((p) => p.phone ?? p.wa_id).filter(Boolean);
    return phones.length ? `${name} (${phones.join(', ')})` : name;
  });
  return `${contacts.length === 1 ? 'Contact' : 'Contacts'}: ${each.join('; ')}`;
}

/**
 * One reader per message type Tide shows (DESIGN §4b): the customer's words, a tapped button's
 * title, media with its caption, a location or shared contacts as a line of text, a reaction as
 * its emoji. Types not listed (`unsupported`, `system`, `order`, …) have no reader: ignored.
 */
const readers: Record<string, Reader> = {
  text: reading(textSchema, (m) => ({ text: m.text.body })),
  interactive: reading(interactiveSchema, (m) => {
    const title = m.interactive.button_reply?.title ?? m.interactive.list_reply?.title;
    return title === undefined ? undefined : { text: title };
  }),
  button: reading(buttonSchema, (m) => ({ text: m.button.text })),
  ...Object.fromEntries(whatsappMediaTypes.map((type) => [type, mediaReader(type)])),
  location: reading(locationSchema, (m) => ({ text: locationSummary(m) })),
  reaction: reading(reactionSchema, (m) => ({ text: m.reaction.emoji ?? '', ineffectual: true })),
  contacts: reading(contactsSchema, (m) => ({ text: contactsSummary(m) })),
};

/** What a WhatsApp message of `type` shows; undefined when Tide cannot use it. */
export function whatsappContent(type: string, message: unknown): WhatsAppContent | undefined {
  return Object.hasOwn(readers, type) ? readers[type]!(message) : undefined;
}
