import type { ChannelName } from '../conversation/model.js';

/**
 * The longest reply each channel carries, in characters (code points), from DESIGN §4: SMS
 * concatenates up to 1,600; Messenger takes 2,000 and Instagram 1,000; the generic channel and
 * WhatsApp take the contract's 4,096.
 */
export const replyTextLimit: Record<ChannelName, number> = {
  generic: 4096,
  sms: 1600,
  whatsapp: 4096,
  messenger: 2000,
  instagram: 1000,
};
