import type { ChannelName } from '../../conversation/model.js';
import { TideError } from '../../errors.js';
import type { Channel } from '../channel.js';
import { parseTwilioWebhook } from './inbound.js';
import { sendTwilio } from './outbound.js';

export { twilioRoutes } from './routes.js';

/**
 * The longest reply per channel, in code points: Twilio takes a `Body` of up to 1,600 characters
 * on SMS (sent as up to 10 segments), and WhatsApp's own 4,096 through Twilio.
 */
const replyTextLimits: Partial<Record<ChannelName, number>> = { sms: 1600, whatsapp: 4096 };

/**
 * Twilio Programmable Messaging: SMS, and WhatsApp through Twilio (DESIGN §4b). No reply window
 * is declared for WhatsApp: Twilio enforces it itself, refusing with 63016, which fails the
 * message where the agent sees it.
 */
export const twilioChannel: Channel = {
  provider: 'twilio',
  configured: (config) => config.channels.twilio !== undefined,
  async parseWebhook(deps, request) {
    const config = deps.config.channels.twilio;
    if (!config) throw new TideError('not_found', 'the twilio channel is not configured');
    return parseTwilioWebhook(deps, config, request);
  },
  send: sendTwilio,
  replyTextLimit: (channel) => replyTextLimits[channel] ?? 1600,
  // Twilio refuses to send (21610) to a customer who replied STOP until they reply START; Tide
  // refuses first, so the agent learns it before writing.
  optOut: true,
};
