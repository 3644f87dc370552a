import type { StoredMessage } from '../conversation/message-store.js';
import type { ChannelName } from '../conversation/model.js';
import type { Deps } from '../runtime/deps.js';
import { genericOutbound } from './generic/outbound.js';

/**
 * What a channel's answer to an outbound message means: sent (with the provider's id; a channel
 * that confirms delivery in its answer says so), worth retrying later, or refused for good with
 * the provider's code.
 */
export type SendOutcome =
  | { kind: 'sent'; providerMessageId?: string; delivered?: boolean }
  | { kind: 'retry'; reason: string }
  | { kind: 'failed'; code: string; message: string };

export interface OutboundChannel {
  /** `timeoutMs`: how long the provider may take to answer before the attempt counts as transient. */
  send(deps: Deps, message: StoredMessage, options?: { timeoutMs?: number }): Promise<SendOutcome>;
}

/** The channels Tide can send on, by the conversation's channel name. */
const outbound: Partial<Record<ChannelName, OutboundChannel>> = { generic: genericOutbound };

export const outboundChannel = (channel: ChannelName): OutboundChannel | undefined => outbound[channel];
