import type { DeliveryStatus } from '../conversation/message-store.js';

/**
 * Delivery statuses only move forward (DESIGN §4): pending → sent → delivered → read, or failed
 * (from pending or sent). Providers report them late, twice and out of order; a report that would
 * move a status backwards is ignored.
 */
const order: Record<DeliveryStatus, number> = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 2 };

/** The statuses a message may be in for `to` to apply. */
export function statusesBefore(to: DeliveryStatus): DeliveryStatus[] {
  if (to === 'failed') return ['pending', 'sent'];
  return (Object.keys(order) as DeliveryStatus[]).filter((s) => s !== 'failed' && order[s] < order[to]);
}

export const canMove = (from: DeliveryStatus | undefined, to: DeliveryStatus) => statusesBefore(to).includes(from ?? 'pending');
