import { priorityConfigSchema } from '../config/schema.js';
import type { Conversation } from '../conversation/model.js';

/**
 * The one priority function: it orders the queue and every agent's work list (DESIGN §1). The
 * formula and the reasons for it are in docs/priority.md.
 *
 * The result is a string that sorts ascending, best first, and is stored as the `rank` index key
 * of both the `byQueue` and the `byAgent` indexes. It depends only on facts that change on events
 * (a message, a timer, a manual change), never on "now", so it stays valid between events and the
 * next conversation to route is always the first item of an index query. Standing that changes
 * with time (an SLA about to breach, a conversation going stale) is moved by timers that set
 * `slaNearBreach` / `stale` (shared/timers).
 *
 * rank = tier ":" virtual time
 *   tier 0  a follow-up came due (the agent promised to come back)
 *   tier 1  waiting on the agent, SLA breached
 *   tier 2  waiting on the agent, SLA about to breach
 *   tier 3  waiting on the agent
 *   tier 4  waiting on the agent, but stale (the customer wrote long ago, probably gone): even a
 *           breached SLA does not lift it, or stale work would always come first (an hour-old
 *           conversation has long breached a two-minute SLA)
 *   tier 5  active, waiting on the customer
 *   tier 6  inactive (the customer went dark, or the conversation waits for its offline agent)
 *   tier 7  hidden until a follow-up time
 *
 * With `serveSaveableFirst` (serve what can still be saved, the default) tiers 1-2 become:
 *   tier 1  waiting on the agent, SLA about to breach   (answering now still keeps the commitment)
 *   tier 2  waiting on the agent, SLA breached, NEWEST first (the likeliest to be still there)
 * A breach still escalates a conversation above all other waiting work (DESIGN §1), and stale
 * (tier 4) is the age cap of the newest-first order: past it a customer is ranked with the
 * probably-gone, oldest first, as before.
 *
 * Within the actionable tiers, an earlier virtual time comes first:
 *   virtual time = waitingSince
 *                − priority × priorityStepSeconds               (business priority)
 *                + responsivenessWeight × min(responseSeconds, maxResponseSeconds)
 * where responseSeconds is how fast this customer answers the agent (a moving average). FIFO
 * ageing needs no re-keying: the longer someone waits, the further ahead they already are.
 */
export interface PriorityWeights {
  /** Seconds of waiting that one level of business priority is worth. */
  priorityStepSeconds: number;
  /** Seconds of queue position given up per second the customer takes to answer. */
  responsivenessWeight: number;
  /** Assumed response time of a customer not yet seen answering. */
  defaultResponseSeconds: number;
  /** Slower than this counts as this slow (a customer answering after a day is not 24× worse than one after an hour). */
  maxResponseSeconds: number;
  /** Serve what can still be saved: near-breach, then in-SLA work, then breached work newest first (docs/priority.md). */
  serveSaveableFirst?: boolean;
}

/** The configuration's defaults (shared/config/schema.ts): one home for them. */
export const defaultPriorityWeights: PriorityWeights = priorityConfigSchema.parse({});

export type RankedFacts = Pick<
  Conversation,
  | 'state'
  | 'waitingOn'
  | 'waitingSince'
  | 'priority'
  | 'slaBreached'
  | 'followUpAt'
  | 'lastMessage'
  | 'followUpDue'
  | 'slaNearBreach'
  | 'stale'
  | 'customerResponseSeconds'
>;

export type Tier = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

export function tierOf(c: RankedFacts, serveSaveableFirst = defaultPriorityWeights.serveSaveableFirst ?? true): Tier {
  if (c.followUpAt) return 7;
  if (c.state === 'inactive') return 6;
  if (c.waitingOn === 'customer') return 5;
  if (c.followUpDue) return 0;
  if (c.stale) return 4;
  if (serveSaveableFirst) return c.slaNearBreach && !c.slaBreached ? 1 : c.slaBreached ? 2 : 3;
  if (c.slaBreached) return 1;
  return c.slaNearBreach ? 2 : 3;
}

/** The largest virtual time a rank holds (15 digits): newest-first keys count down from it. */
const latestKey = 999_999_999_999_999;

export function rankOf(c: RankedFacts, weights: PriorityWeights = defaultPriorityWeights): string {
  const tier = tierOf(c, weights.serveSaveableFirst ?? false);
  let virtualTime: number;
  if (tier === 7) virtualTime = Date.parse(c.followUpAt!);
  else if (tier <= 4) {
    const since = Date.parse(c.waitingSince ?? c.lastMessage.at);
    const response = Math.min(c.customerResponseSeconds ?? weights.defaultResponseSeconds, weights.maxResponseSeconds);
    const adjustment = (weights.responsivenessWeight * response - c.priority * weights.priorityStepSeconds) * 1000;
    // Newest first: the later someone started waiting, the earlier their key; priority and
    // responsiveness move it the same way as in the oldest-first tiers.
    virtualTime = weights.serveSaveableFirst && tier === 2 ? latestKey - since + adjustment : since + adjustment;
  } else virtualTime = Date.parse(c.lastMessage.at);
  return `${tier}:${String(Math.min(latestKey, Math.max(0, Math.round(virtualTime)))).padStart(15, '0')}`;
}

/** Orders conversations as the indexes do (for lists assembled in memory). */
export const byRank = (a: { rank: string; conversationId: string }, b: { rank: string; conversationId: string }) =>
  a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.conversationId < b.conversationId ? -1 : 1;
