import { createHmac, timingSafeEqual } from 'node:crypto';

/** Meta signs every webhook POST with the app secret in this header (lower case, as Tide keys headers). */
export const metaSignatureHeader = 'x-hub-signature-256';

/**
 * Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(appSecret, body)>` over the raw bytes as
 * received: Meta signs its own serialisation (non-ASCII escaped as `\u00e4`), so hashing a
 * re-serialised body would fail on any non-ASCII text. Hex digits in either case are accepted;
 * a missing or malformed header, or the legacy `sha1=` one, is refused. Constant time.
 */
export function isValidMetaSignature(appSecret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!appSecret || !header) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(match[1]!, 'hex'));
}
