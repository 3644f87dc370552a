import type { ChannelName } from '../conversation/model.js';
import type { Channel, ProviderName } from './channel.js';
import { genericChannel } from './generic/channel.js';
import { metaChannel } from './meta/channel.js';
import { twilioChannel } from './twilio/channel.js';

/** Every provider Tide speaks, by name. */
export const channels: Readonly<Record<ProviderName, Channel>> = {
  generic: genericChannel,
  twilio: twilioChannel,
  meta: metaChannel,
};

/** Who carries a channel when a conversation does not say (conversations from before providers). */
const usualProvider: Record<ChannelName, ProviderName> = {
  generic: 'generic',
  sms: 'twilio',
  whatsapp: 'meta',
  messenger: 'meta',
  instagram: 'meta',
};

/** The provider of a conversation or message: the one it came through, else the channel's usual one. */
export const providerOf = (c: { channel: ChannelName; provider?: ProviderName }): ProviderName => c.provider ?? usualProvider[c.channel];

export const channelOf = (c: { channel: ChannelName; provider?: ProviderName }): Channel => channels[providerOf(c)];
