/**
 * The conversation as stored in the Conversations table.
 *
 * Lifecycle (DESIGN §1): `queued` (no agent) → `active` (assigned, counts toward the agent's load)
 * ⇄ `inactive` (still the agent's, does not count) → `closed`. `waitingOn` says who owes the next
 * message. `queuedIn` and `assignedTo` are the sparse index keys of the queue and the work lists.
 */
export type ConversationState = 'queued' | 'active' | 'inactive' | 'closed';
export type WaitingOn = 'agent' | 'customer';
export type Direction = 'in' | 'out';

export interface MessageSummary {
  messageId: string;
  direction: Direction;
  text: string;
  at: string;
}

export interface Conversation {
  conversationId: string;
  channel: string;
  customerId: string;
  customerName?: string;
  queue: string;
  state: ConversationState;
  waitingOn: WaitingOn;
  /** Queue index key: present only while `state` is `queued`. */
  queuedIn?: string;
  /** Work-list index key: the owning agent while the conversation is open and assigned. */
  assignedTo?: string;
  /** The last agent who owned it; kept after close and requeue (authorisation, reactivation). */
  lastAgentId?: string;
  /** Routing prefers this agent when eligible: the customer's previous agent (history affinity). */
  preferredAgentId?: string;
  /** Sortable priority key shared by the queue and the work lists (shared/routing/priority.ts). */
  rank: string;
  /** Business priority: the queue's, or set by a rule or an agent. Higher is sooner. */
  priority: number;
  lastMessage: MessageSummary;
  /** When the customer's oldest unanswered message arrived; null while waiting on the customer. */
  waitingSince: string | null;
  slaDueAt: string | null;
  slaBreached: boolean;
  /** When the SLA counts as about to breach (a timer then sets `slaNearBreach`). */
  slaWarnAt?: string | null;
  slaNearBreach?: boolean;
  /** When a conversation still waiting on the agent counts as stale (a timer then sets `stale`). */
  staleAt?: string | null;
  stale?: boolean;
  /** The agent's last message asked "anything else?" (by rule or flagged): a "no" now closes. */
  closingQuestionAsked?: boolean;
  /** Moving average of how fast the customer answers the agent, in seconds. */
  customerResponseSeconds?: number;
  /** When the SLA was last breached, and how many times it has been in this conversation. */
  slaBreachedAt?: string;
  slaBreaches?: number;
  /** Hidden until then by the agent's follow-up; the conversation is inactive meanwhile. */
  followUpAt: string | null;
  /** A follow-up came due and the agent has not answered since: first in the work list. */
  followUpDue?: boolean;
  /** While active and waiting on the customer: when it goes inactive if they stay silent. */
  inactiveAt?: string | null;
  /** While inactive: when it closes if the customer stays silent. */
  autoCloseAt?: string | null;
  /** While a reactivated conversation waits for its offline agent: when it goes to the queue. */
  reassignAt?: string | null;
  lastCustomerMessageAt?: string;
  /** The timer schedule currently armed for this conversation (shared/timers/arm.ts). */
  armedAt?: string | null;
  armedGen?: number;
  createdAt: string;
  updatedAt: string;
  closedAt?: string;
  /** Incremented on every write; conditional writes on it make read-modify-write safe. */
  version: number;
}
