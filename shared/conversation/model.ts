/**
 * The conversation as stored in the Conversations table. Every change to it is a pure transition
 * in shared/conversation/transitions.ts.
 *
 * Lifecycle (DESIGN §1): `queued` (no agent, actionable) → `active` (assigned, counts toward the
 * agent's load) ⇄ `inactive` (does not count; usually still the agent's) → `closed`. `waitingOn`
 * says who owes the next message. `queuedIn` is the sparse key of the queue index.
 *
 * Optional fields are absent rather than null or false when they do not apply: absent
 * attributes cost nothing, and every write is billed by item size (`storedForm`).
 */
export type ConversationState = 'queued' | 'active' | 'inactive' | 'closed';
export type WaitingOn = 'agent' | 'customer';
export type Direction = 'in' | 'out';
export const channelNames = ['generic', 'sms', 'whatsapp', 'messenger', 'instagram'] as const;
export type ChannelName = (typeof channelNames)[number];
/**
 * Who carries a conversation. Its `channel` is what the customer uses (sms, whatsapp, …); its
 * provider is who Tide talks to for it: WhatsApp may come through Twilio or through Meta
 * (shared/channels/registry.ts).
 */
export const providerNames = ['generic', 'twilio', 'meta'] as const;
export type ProviderName = (typeof providerNames)[number];

export interface MessageSummary {
  messageId: string;
  direction: Direction;
  /** At most `summaryTextLength` code points; a longer text is cut and ends with `…`. */
  text: string;
  at: string;
  /** The text above was cut: the full one is in the Messages table. */
  cut?: boolean;
}

/** What the last agent or supervisor who handed the conversation over wrote for its next owner. */
export interface TransferNote {
  /** 1–1,000 characters. */
  text: string;
  /** The agent or supervisor who transferred it. */
  from: string;
  at: string;
}

export interface Conversation {
  conversationId: string;
  channel: ChannelName;
  /** Absent: the channel's usual provider (shared/channels/registry.ts). */
  provider?: ProviderName;
  customerId: string;
  customerName?: string;
  queue: string;
  state: ConversationState;
  waitingOn: WaitingOn;
  /** Queue index key: present exactly while `state` is `queued`. */
  queuedIn?: string;
  /** The owning agent while the conversation is open and assigned. */
  assignedTo?: string;
  /** The last agent who owned it; kept after close and requeue (authorisation, reactivation). */
  lastAgentId?: string;
  /** Routing prefers this agent when eligible: the customer's previous agent, or the one who left. */
  preferredAgentId?: string;
  /** Sortable priority key of the queue and the work lists (shared/routing/priority.ts). */
  rank: string;
  /** Business priority: the queue's, or set by a rule or an agent. Higher is sooner. */
  priority: number;
  lastMessage: MessageSummary;
  /** When the customer's oldest unanswered message arrived; absent while waiting on the customer. */
  waitingSince?: string | null;
  slaDueAt?: string | null;
  slaBreached?: boolean;
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
  /** The note of the last hand-over (transfer, reassign); replaced by the next one, gone on close. */
  transferNote?: TransferNote;
  /** Hidden until then by the agent's follow-up; the conversation is inactive meanwhile. */
  followUpAt?: string | null;
  /** A follow-up came due and the agent has not answered since: first in the work list. */
  followUpDue?: boolean;
  /** While active and waiting on the customer: when it goes inactive if they stay silent. */
  inactiveAt?: string | null;
  /** While inactive: when it closes if the customer stays silent. */
  autoCloseAt?: string | null;
  /** While a reactivated conversation waits for its offline agent: when it goes to the queue. */
  reassignAt?: string | null;
  lastCustomerMessageAt?: string;
  /**
   * Ids of the last inbound messages applied to this conversation. An inbound message is stored
   * before the conversation is updated (two writes, not a transaction: half the cost); a provider
   * retry or a concurrent duplicate finds its id here and is not applied twice.
   */
  recentInbound?: string[];
  /** The timer schedule armed for this conversation: its deadline and generation (shared/timers). */
  armedAt?: string | null;
  armedGen?: number;
  createdAt: string;
  updatedAt: string;
  closedAt?: string;
  /** Set when it closes: when DynamoDB may delete it (epoch seconds; retention, docs/data.md). */
  expiresAt?: number;
  /**
   * The version whose change let go of the conversation (a close, a transfer) by the agent who
   * held it, whose command pushed that agent's list itself before its ack: the change stream
   * does not push that list a second time (shared/follow-ups/derive.ts).
   */
  releasePushedAt?: number;
  /** Incremented on every change; writes are conditional on it (optimistic concurrency). */
  version: number;
}

/** The work list shows the last message's first 500 characters (DESIGN §4). */
export const summaryTextLength = 500;

/** Cuts a text to `max` code points, ending with `…` when cut. */
export function cutText(text: string, max = summaryTextLength): { text: string; cut: boolean } {
  const points = [...text];
  if (points.length <= max) return { text, cut: false };
  return { text: `${points.slice(0, max - 1).join('')}…`, cut: true };
}

export function summaryOf(message: { messageId: string; direction: Direction; text: string; at: string }): MessageSummary {
  const { text, cut } = cutText(message.text);
  return { messageId: message.messageId, direction: message.direction, text, at: message.at, ...(cut ? { cut: true } : {}) };
}

export const isOpen = (c: Pick<Conversation, 'state'>) => c.state !== 'closed';
