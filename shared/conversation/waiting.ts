import { addSeconds } from '../clock.js';
import type { PriorityConfig, QueueConfig } from '../config/schema.js';
import type { Conversation } from './model.js';

/**
 * The facts that change when a conversation starts or stops waiting on an agent, in one place:
 * the SLA clock and the timers that re-rank a conversation as time passes (near breach, stale).
 */
export function startWaitingOnAgent(now: Date, queue: QueueConfig, priority: PriorityConfig): Partial<Conversation> {
  return {
    waitingOn: 'agent',
    waitingSince: now.toISOString(),
    slaDueAt: addSeconds(now, queue.slaSeconds).toISOString(),
    slaWarnAt: addSeconds(now, queue.slaSeconds * (1 - priority.nearBreachFraction)).toISOString(),
    staleAt: addSeconds(now, priority.staleAfterSeconds).toISOString(),
    slaBreached: false,
    slaNearBreach: false,
    stale: false,
  };
}

/** The agent answered (or hid the conversation): no SLA runs, nothing is overdue. */
export const stopWaitingOnAgent = (): Partial<Conversation> => ({
  waitingSince: null,
  slaDueAt: null,
  slaWarnAt: null,
  staleAt: null,
  slaBreached: false,
  slaNearBreach: false,
  stale: false,
  followUpDue: false,
});

/** How fast the customer answered the agent's last message, folded into a moving average. */
export function customerResponseSeconds(previous: Conversation, now: Date): number | undefined {
  if (previous.lastMessage.direction !== 'out') return previous.customerResponseSeconds;
  const sample = Math.max(0, (now.getTime() - Date.parse(previous.lastMessage.at)) / 1000);
  const before = previous.customerResponseSeconds;
  return Math.round(before === undefined ? sample : 0.5 * before + 0.5 * sample);
}
