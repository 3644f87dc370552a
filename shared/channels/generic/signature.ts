import { createHmac, timingSafeEqual } from 'node:crypto';

/** `X-Tide-Signature` of the generic channel: `sha256=<hex HMAC-SHA256(secret, raw body)>`. */
export const signatureHeader = 'x-tide-signature';

export function sign(secret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** Constant-time check of a signature header; hex digits in either case are accepted. */
export function isValidSignature(secret: string, rawBody: Buffer | string, header: string | undefined): boolean {
  if (!header) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(match[1]!, 'hex'));
}
