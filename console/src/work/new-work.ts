import type { WorklistItem } from '../../../shared/push/worklist.js';

export interface NewWork {
  item: WorklistItem;
  /** A conversation that just arrived in the list, or a new customer message in one already there. */
  kind: 'conversation' | 'message';
}

/**
 * What deserves an alert between two pushed lists: a conversation that appeared waiting on the
 * agent, or a newer customer message in one the agent already held. The first list a tab sees
 * is the baseline (a reload does not ring for everything held); after a reconnect the list from
 * before the outage is, so what came meanwhile rings once.
 */
export function newWorkBetween(previous: readonly WorklistItem[] | undefined, next: readonly WorklistItem[]): NewWork[] {
  if (!previous) return [];
  const before = new Map(previous.map((i) => [i.conversationId, i]));
  const found: NewWork[] = [];
  for (const item of next) {
    const old = before.get(item.conversationId);
    if (!old) {
      if (item.state === 'active' && item.waitingOn === 'agent') found.push({ item, kind: 'conversation' });
      continue;
    }
    if (item.lastMessage.direction === 'in' && Date.parse(item.lastMessage.at) > Date.parse(old.lastMessage.at)) {
      found.push({ item, kind: 'message' });
    }
  }
  return found;
}
