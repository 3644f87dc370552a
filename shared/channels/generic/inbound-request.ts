import { z } from 'zod';
import { queueSettings, type TideConfig } from '../../config/schema.js';
import type { InboundMessage } from '../../conversation/receive-message.js';
import { TideError } from '../../errors.js';
import { isValidSignature } from './signature.js';

export const maxBodyBytes = 65_536;
export const maxTextCharacters = 4_096;

export const bodySchema = z.object({
  externalId: z.string().min(1).max(256),
  from: z.string().min(1).max(256),
  text: z
    .string()
    .refine((t) => t.trim().length > 0, 'text must not be empty')
    .refine((t) => [...t].length <= maxTextCharacters, `text is at most ${maxTextCharacters} characters`),
  queue: z.string().min(1).max(64).optional(),
  name: z.string().min(1).max(256).optional(),
  /** Business priority from the channel (e.g. a VIP flag in the CRM); higher is sooner. */
  priority: z.number().int().min(-100).max(100).optional(),
});

/**
 * Turns a generic-channel webhook into an inbound message, checking in the contract's order:
 * size (413), signature over the raw bytes (401), JSON and fields (400), queue (400). Nothing is
 * read from an unsigned body beyond its size.
 */
export function parseGenericInbound(
  config: TideConfig,
  /** The channel's signing key (shared/channels/generic/channel-secret.ts); none refuses all. */
  secret: string | undefined,
  request: { rawBody: Buffer; signature: string | undefined },
): InboundMessage {
  if (request.rawBody.byteLength > maxBodyBytes) {
    throw new TideError('payload_too_large', `the body is over ${maxBodyBytes} bytes`);
  }
  if (!secret || !isValidSignature(secret, request.rawBody, request.signature)) {
    throw new TideError('invalid_signature', 'X-Tide-Signature is missing or does not match the body');
  }
  let json: unknown;
  try {
    json = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw new TideError('invalid_request', 'the body is not JSON');
  }
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TideError('invalid_request', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const queue = parsed.data.queue ?? 'default';
  if (!queueSettings(config, queue)) throw new TideError('unknown_queue', `queue ${queue} does not exist`);
  return {
    channel: 'generic',
    externalId: parsed.data.externalId,
    from: parsed.data.from,
    text: parsed.data.text,
    queue,
    name: parsed.data.name,
    priority: parsed.data.priority,
  };
}
