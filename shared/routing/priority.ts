import type { Conversation } from '../conversation/model.js';

/**
 * The one priority function: it orders the queue and every agent's work list (DESIGN §1).
 *
 * The result is a string that sorts ascending, best first, and is stored as the `rank` index key
 * of both the `byQueue` and the `byAgent` indexes. It depends only on facts that change on events
 * (a message, a timer, a manual change), never on "now", so it stays valid between events and the
 * next conversation to route is always the first item of an index query.
 *
 * rank = tier ":" virtual time
 *  - tier 0: a follow-up came due (the agent promised to come back: first in the list)
 *  - tier 1: waiting on the agent with the SLA breached
 *  - tier 2: waiting on the agent (actionable)
 *  - tier 3: active, waiting on the customer
 *  - tier 4: inactive (the customer went dark, or the conversation waits for its offline agent)
 *  - tier 5: hidden until a follow-up time
 *  - within a tier, an earlier virtual time comes first. For actionable work it is the moment the
 *    customer started waiting, moved earlier by business priority (each level counts as
 *    `priorityStepSeconds` of extra waiting, as Amazon Connect's QueueTimeAdjustment does), so
 *    FIFO ageing needs no re-keying: the longer someone waits, the further ahead they already are.
 */
export interface PriorityWeights {
  /** Seconds of waiting that one level of business priority is worth. */
  priorityStepSeconds: number;
}

export const defaultPriorityWeights: PriorityWeights = { priorityStepSeconds: 300 };

export type RankedFacts = Pick<
  Conversation,
  'state' | 'waitingOn' | 'waitingSince' | 'priority' | 'slaBreached' | 'followUpAt' | 'lastMessage' | 'followUpDue'
>;

export type Tier = 0 | 1 | 2 | 3 | 4 | 5;

export function tierOf(c: RankedFacts): Tier {
  if (c.followUpAt) return 5;
  if (c.state === 'inactive') return 4;
  if (c.waitingOn === 'customer') return 3;
  if (c.followUpDue) return 0;
  return c.slaBreached ? 1 : 2;
}

export function rankOf(c: RankedFacts, weights: PriorityWeights = defaultPriorityWeights): string {
  const tier = tierOf(c);
  let virtualTime: number;
  if (tier === 5) virtualTime = Date.parse(c.followUpAt!);
  else if (tier <= 2) {
    const since = Date.parse(c.waitingSince ?? c.lastMessage.at);
    virtualTime = since - c.priority * weights.priorityStepSeconds * 1000;
  } else virtualTime = Date.parse(c.lastMessage.at);
  return `${tier}:${String(Math.max(0, Math.round(virtualTime))).padStart(15, '0')}`;
}

/** Orders conversations as the indexes do (for lists assembled in memory). */
export const byRank = (a: { rank: string; conversationId: string }, b: { rank: string; conversationId: string }) =>
  a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.conversationId < b.conversationId ? -1 : 1;
