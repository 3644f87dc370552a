/**
 * Unread markers: a conversation is unread while its newest message is from the customer and
 * arrived after the agent last had it open. Kept in localStorage per agent, so a reload or a
 * second tab agrees, and a conversation is never "read" merely because a push arrived.
 */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** conversationId → the time of the newest message the agent has seen in it (ISO). */
export type SeenMarks = Record<string, string>;

/** Bounded so that storage cannot grow without end over months of shifts. */
export const maxSeenMarks = 500;

export const seenStorageKey = (agentId: string) => `tide.seen.${agentId}`;

export function readSeen(storage: KeyValueStorage, agentId: string): SeenMarks {
  try {
    const value: unknown = JSON.parse(storage.getItem(seenStorageKey(agentId)) ?? '{}');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

interface Unreadable {
  conversationId: string;
  lastMessage: { direction: 'in' | 'out'; at: string };
}

export function isUnread(item: Unreadable, seen: SeenMarks): boolean {
  if (item.lastMessage.direction !== 'in') return false;
  const mark = seen[item.conversationId];
  return mark === undefined || Date.parse(item.lastMessage.at) > Date.parse(mark);
}

/**
 * Records that the agent has seen the conversation up to `at`; never moves a mark back (an
 * older page of history, or a stale tab, cannot make a read message unread again). Returns
 * the marks as stored.
 */
export function markSeen(storage: KeyValueStorage, agentId: string, conversationId: string, at: string): SeenMarks {
  const seen = readSeen(storage, agentId);
  const previous = seen[conversationId];
  if (previous !== undefined && Date.parse(previous) >= Date.parse(at)) return seen;
  delete seen[conversationId];
  seen[conversationId] = at;
  // Insertion order is recency of marking: the oldest marks go first.
  const entries = Object.entries(seen);
  const kept = Object.fromEntries(entries.slice(Math.max(0, entries.length - maxSeenMarks)));
  try {
    storage.setItem(seenStorageKey(agentId), JSON.stringify(kept));
  } catch {
    // Storage full or disabled (private mode): the marker still works for this page.
  }
  return kept;
}
