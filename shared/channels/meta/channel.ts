import type { ChannelName } from '../../conversation/model.js';
import { TideError } from '../../errors.js';
import type { Channel } from '../channel.js';
import { parseMetaWebhook } from './inbound.js';
import { sendMeta } from './outbound.js';

export { metaRoute } from './inbound.js';

/**
 * The longest reply per channel, in code points: WhatsApp's text body takes 4,096, Messenger's
 * 2,000; Instagram's 1,000 (as does anything else, to be safe).
 */
const replyTextLimits: Partial<Record<ChannelName, number>> = { whatsapp: 4096, messenger: 2000, instagram: 1000 };

/** Meta's WhatsApp Cloud API, Messenger and Instagram Messaging, one app (DESIGN §4b). */
export const metaChannel: Channel = {
  provider: 'meta',
  configured: (config) => config.channels.meta !== undefined,
  async parseWebhook(deps, request) {
    const config = deps.config.channels.meta;
    if (!config) throw new TideError('not_found', 'the meta channel is not configured');
    return parseMetaWebhook(deps, config, request);
  },
  send: sendMeta,
  replyTextLimit: (channel) => replyTextLimits[channel] ?? 1000,
  // Free-form replies only within this long of the customer's last message; after it, Meta
  // accepts only templates (WhatsApp) or tagged messages (Messenger, Instagram).
  replyWindowSeconds: (config) => config.channels.meta?.customerServiceWindowSeconds,
};
