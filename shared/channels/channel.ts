import type { TideConfig } from '../config/schema.js';
import type { StoredMessage } from '../conversation/message-store.js';
import type { ChannelName, ProviderName } from '../conversation/model.js';
import type { InboundMessage } from '../conversation/receive-message.js';
import type { Deps } from '../runtime/deps.js';

/**
 * The seam between Tide and a messaging provider. Each provider (the generic webhook, Twilio,
 * Meta) is one `Channel` in `shared/channels/registry.ts`; the domain never names a provider.
 */

export { providerNames, type ProviderName } from '../conversation/model.js';

/** A webhook request as the HTTP API hands it over, body already base64-decoded. */
export interface WebhookRequest {
  method: 'GET' | 'POST';
  /** The route's path as declared in shared/contract/routes.ts, e.g. `/v1/channels/twilio/status`. */
  route: string;
  /** The query string exactly as received, without `?` (signatures cover it verbatim). */
  rawQueryString: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  rawBody: Buffer;
}

/** A delivery status a provider reported for an outbound message. */
export interface StatusReport {
  /** Tide's own message id, when the provider echoes it back (Twilio's StatusCallback query,
   * WhatsApp's `biz_opaque_callback_data`): lets a status land before the send call returned. */
  messageId?: string;
  /** The provider's id for the message (`MessageSid`, `wamid…`, `mid`). */
  providerMessageId?: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  /** For `failed`: the provider's code (as a string) and message. */
  error?: { code: string; message: string };
}

/**
 * "The customer has read everything up to this moment" (Messenger's read watermark), about the
 * messages Tide sent in the customer's conversation, none of which it names.
 */
export interface ReadWatermark {
  channel: ChannelName;
  customerId: string;
  /** ISO time: every outbound message sent at or before it is read. */
  upTo: string;
}

/** One usable thing a webhook carried. */
export type WebhookItem =
  | { kind: 'message'; message: InboundMessage }
  | { kind: 'status'; report: StatusReport }
  | { kind: 'read-up-to'; watermark: ReadWatermark };

/** The HTTP answer a provider expects once what it sent is stored. */
export interface WebhookReply {
  statusCode: number;
  contentType: string;
  body: string;
}

export interface ParsedWebhook {
  items: WebhookItem[];
  /** Entries Tide cannot use (an echo, an unsupported type, a malformed item in a batch): left
   * out without failing the others, and counted in the logs. */
  ignored: number;
  reply: WebhookReply;
}

/**
 * What an outbound attempt's answer means: sent (with the provider's id; a channel that confirms
 * delivery in its answer says so), worth retrying later, or refused for good with the provider's
 * code.
 */
export type SendOutcome =
  | { kind: 'sent'; providerMessageId?: string; delivered?: boolean }
  | { kind: 'retry'; reason: string }
  | { kind: 'failed'; code: string; message: string };

export interface Channel {
  provider: ProviderName;
  /** Whether the business configured this provider (`config.channels`). */
  configured(config: TideConfig): boolean;
  /**
   * Verifies a webhook (size, signature over the raw bytes, then shape) and turns it into items.
   * Throws `TideError` (`payload_too_large`, `invalid_signature`, `invalid_request`, `forbidden`)
   * before anything is stored; a batch's unusable entries are `ignored`, never thrown.
   */
  parseWebhook(deps: Pick<Deps, 'config' | 'secrets'>, request: WebhookRequest): Promise<ParsedWebhook>;
  /** One delivery attempt. `timeoutMs`: how long the provider may take before it counts as transient. */
  send(deps: Deps, message: StoredMessage, options?: { timeoutMs?: number }): Promise<SendOutcome>;
  /** The longest reply on `channel`, in code points. */
  replyTextLimit(channel: ChannelName): number;
  /** Free-form replies are refused this long after the customer's last message (Meta's
   * customer-service window); undefined when the provider has no such rule. */
  replyWindowSeconds?(config: TideConfig): number | undefined;
  /** The provider honours opt-out keywords (STOP … START): `send` refuses while a customer is opted out. */
  optOut?: boolean;
}
