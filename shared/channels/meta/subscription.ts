import { createHash, timingSafeEqual } from 'node:crypto';
import { TideError } from '../../errors.js';
import type { WebhookReply } from '../channel.js';

/**
 * Meta's subscription check (`GET` on the callback URL): it sends `hub.mode=subscribe`, the
 * verify token the business typed into the app dashboard and a `hub.challenge`, and expects the
 * challenge back as plain text. Anything else is refused, so the URL cannot be subscribed by
 * someone who does not know the token; an empty token (a blank secret) verifies nothing.
 */
export function answerSubscription(verifyToken: string | undefined, rawQueryString: string): WebhookReply {
  const query = new URLSearchParams(rawQueryString);
  const mode = query.get('hub.mode');
  const token = query.get('hub.verify_token');
  const challenge = query.get('hub.challenge');
  if (mode !== 'subscribe' || !verifyToken || token === null || !isSameToken(token, verifyToken) || challenge === null) {
    throw new TideError('forbidden', 'the subscription request does not carry the verify token');
  }
  return { statusCode: 200, contentType: 'text/plain', body: challenge };
}

/** Compares digests, so neither the content nor the length of the token leaks through timing. */
function isSameToken(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
