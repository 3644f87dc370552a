import { queueSettings, type TideConfig } from '../config/schema.js';
import type { Conversation } from './model.js';

/**
 * How long customer data is kept (docs/data.md), as pure functions of the configuration. The rule:
 * a closed conversation and all its messages are kept `messageDays` after the conversation
 * closed (its queue's `retention.messageDays`, else the top-level one; neither: until erased).
 * DynamoDB's TTL deletes each item some time after its `expiresAt` (epoch seconds).
 *
 * A message's expiry cannot be known when it is written while its conversation is open (nobody
 * knows when it will close), and a message of an open conversation must not vanish. So it is
 * written with a ceiling far enough out for any conversation still open, and the close stamps
 * the exact expiry on every message of the conversation (shared/conversation/complete-close.ts).
 * The ceiling is what still deletes a message whose stamp was lost (the function died just
 * after the close, or the index had not listed the message yet).
 */

const daySeconds = 86_400;

/**
 * How long after a message was written its ceiling lies, beyond the longest retention: a
 * conversation open longer than this (a year of a customer writing every day, or of an agent
 * putting it off with follow-ups) loses its messages older than that while still open.
 */
export const openCeilingDays = 365;

type RetentionConfig = Pick<TideConfig, 'queues' | 'retention'>;

const epochSeconds = (at: string | Date) => Math.floor(new Date(at).getTime() / 1000);

/** Days a closed conversation of `queue` is kept with its messages; undefined: until erased. */
export function retentionDays(config: RetentionConfig, queue: string): number | undefined {
  return queueSettings(config, queue)?.retention?.messageDays ?? config.retention.messageDays;
}

/** The expiry of a conversation of `queue` that closed at `closedAt`, and of its messages. */
export function closedExpiry(config: RetentionConfig, queue: string, closedAt: string | Date): number | undefined {
  const days = retentionDays(config, queue);
  return days === undefined ? undefined : epochSeconds(closedAt) + days * daySeconds;
}

/**
 * The ceiling a message written at `sentAt` into an open conversation gets: the longest
 * retention of any queue (the conversation may be transferred to it) plus `openCeilingDays`.
 * None while any queue keeps its conversations until erased.
 */
export function openMessageCeiling(config: RetentionConfig, sentAt: string | Date): number | undefined {
  const days = Object.keys(config.queues).map((queue) => retentionDays(config, queue));
  if (days.length === 0 || days.some((d) => d === undefined)) return undefined;
  return epochSeconds(sentAt) + (Math.max(...(days as number[])) + openCeilingDays) * daySeconds;
}

/**
 * The expiry a message is written with, given its conversation as that write leaves it: a closed
 * conversation's own (the queue's closing message, a "thanks" filed after the close), else the
 * ceiling.
 */
export function messageExpiry(config: RetentionConfig, conversation: Pick<Conversation, 'state' | 'expiresAt'> | undefined, sentAt: string | Date): number | undefined {
  if (conversation?.state === 'closed') return conversation.expiresAt;
  return openMessageCeiling(config, sentAt);
}
