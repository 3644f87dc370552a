import type { TwilioChannelConfig } from '../../config/schema.js';
import type { MessageMedia } from '../../conversation/message-store.js';
import type { InboundMessage } from '../../conversation/receive-message.js';
import { TideError } from '../../errors.js';
import { field } from './form-params.js';
import { optOutOf } from './opt-out.js';
import type { TwilioParams } from './signature.js';

/** Twilio's MMS carries at most 10 media; anything past this many is not Twilio's. */
const maxMedia = 20;
/** Twilio's sids are 34 characters and addresses short; longer is not a message of Twilio's. */
const maxIdLength = 256;

/** WhatsApp senders and customers carry this prefix on Twilio (`whatsapp:+14155550123`). */
export const whatsappPrefix = 'whatsapp:';

/**
 * A customer's message from Twilio's incoming-message webhook (DESIGN §4b), already verified.
 * The customer is `From` as Twilio wrote it, prefix included, so that replies go back to the same
 * address; the channel is WhatsApp when that prefix is there, else SMS. `MessageSid` is the dedupe
 * key. Media (`MediaUrlN`, `MediaContentTypeN`) is kept as links; a media-only message has empty
 * text, a WhatsApp location a line of text, and a message with neither text nor media is refused.
 */
export function customerMessageOf(config: TwilioChannelConfig, params: TwilioParams): InboundMessage {
  const externalId = required(params, 'MessageSid');
  const from = required(params, 'From');
  const body = field(params, 'Body') ?? '';
  const media = mediaOf(params);
  const text = body.trim() === '' && media.length === 0 ? locationSummary(params) ?? '' : body;
  if (text.trim() === '' && media.length === 0) throw new TideError('invalid_request', 'the message has neither a Body nor media');
  const name = field(params, 'ProfileName')?.trim();
  const optOut = optOutOf(body, field(params, 'OptOutType'));
  return {
    channel: from.startsWith(whatsappPrefix) ? 'whatsapp' : 'sms',
    provider: 'twilio',
    externalId,
    from,
    text,
    queue: config.queue,
    ...(name ? { name } : {}),
    ...(media.length ? { media } : {}),
    ...(optOut ? { optOut } : {}),
  };
}

function required(params: TwilioParams, name: string): string {
  const value = field(params, name);
  if (!value) throw new TideError('invalid_request', `${name} is missing`);
  if (value.length > maxIdLength) throw new TideError('invalid_request', `${name} is longer than ${maxIdLength} characters`);
  return value;
}

/** `MediaUrlN` for N below `NumMedia`, with its type; an entry without a URL has nothing to keep. */
function mediaOf(params: TwilioParams): MessageMedia[] {
  const declared = field(params, 'NumMedia') ?? '0';
  if (!/^\d{1,3}$/.test(declared)) throw new TideError('invalid_request', 'NumMedia is not a count');
  const media: MessageMedia[] = [];
  for (let n = 0; n < Math.min(Number(declared), maxMedia); n++) {
    const url = field(params, `MediaUrl${n}`);
    if (!url) continue;
    const contentType = field(params, `MediaContentType${n}`);
    media.push({ url, ...(contentType ? { contentType, kind: kindOf(contentType) } : {}) });
  }
  return media;
}

/** What the agent's console shows it as: by the MIME type's top level; PDFs, vCards and the rest are documents. */
function kindOf(contentType: string): string {
  const top = contentType.split('/')[0]!.trim().toLowerCase();
  return top === 'image' || top === 'audio' || top === 'video' ? top : 'document';
}

/** A WhatsApp location has no Body: it is shown as Meta's are (shared/channels/meta/whatsapp-content.ts). */
function locationSummary(params: TwilioParams): string | undefined {
  const latitude = field(params, 'Latitude');
  const longitude = field(params, 'Longitude');
  if (!latitude || !longitude) return undefined;
  const place = [field(params, 'Label'), field(params, 'Address')].filter((p) => p && p.trim() !== '').join(', ');
  return `Location: ${place ? `${place} ` : ''}(${latitude}, ${longitude})`;
}
