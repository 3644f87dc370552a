import { getAgent } from '../agent/agent-store.js';
import { commitChange, contextOf } from '../conversation/change.js';
import { getConversation } from '../conversation/conversation-store.js';
import { completeClose } from '../conversation/complete-close.js';
import { rearm, timedEvent } from '../conversation/transitions.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { tideMetrics } from '../runtime/metrics.js';
import { withRetries } from '../storage/commit.js';
import { dueEvent, pendingDeadlines, type TimedEvent } from './deadlines.js';

/** At most this many events are performed by one fire (several deadlines can pass together). */
const maxEventsPerFire = 8;

/**
 * A conversation's timer fired. Re-reads the conversation and performs whatever is due *now*: a
 * late fire does late work, an early one only re-arms, a duplicate finds the work done, and a
 * fire from a superseded schedule (an older generation) leaves everything to the current one.
 * Returns the events it performed.
 */
export async function onConversationTimer(deps: Deps, conversationId: string, gen: number): Promise<TimedEvent[]> {
  const performed: TimedEvent[] = [];
  // The generation this fire stands for: its own, then each one its own writes armed (those
  // schedules need not fire for what this fire does now; when they do, they find it done).
  let firing = gen;
  for (let step = 0; step < maxEventsPerFire; step++) {
    const event = await withRetries('timer', async () => {
      const before = await getConversation(deps, conversationId);
      if (!before || before.state === 'closed' || (before.armedGen ?? 0) > firing) return { done: true, value: undefined };
      const ctx = contextOf(deps);
      const due = dueEvent(before, ctx.now);
      if (!due) {
        // Nothing (more) due. After an event, the arming that event's write made stands.
        if (step > 0) return { done: true, value: undefined };
        const after = rearm(before, ctx, firing);
        if (after && !(await commitChange(deps, ctx, { before, after, agents: [] })).committed) return { done: false };
        return { done: true, value: undefined };
      }
      const agent = before.assignedTo ? await getAgent(deps, before.assignedTo) : undefined;
      const after = timedEvent(before, due, agent, ctx, firing);
      if (!(await commitChange(deps, ctx, { before, after, agents: agent ? [agent] : [] })).committed) return { done: false };
      firing = Math.max(firing, after.armedGen ?? 0);
      // The fire's own lateness: later events of the same fire were due later still.
      if (step === 0) deps.metrics?.measure(tideMetrics.timerLateness, {}, ctx.now.getTime() - Date.parse(pendingDeadlines(before).find((p) => p.event === due)!.at));
      if (due === 'slaBreach') {
        logger.warn('SLA breached', { conversationId, queue: before.queue, agentId: before.assignedTo });
        deps.metrics?.count(tideMetrics.slaBreaches, { Queue: before.queue });
      }
      if (after.state === 'closed') await completeClose(deps, after);
      return { done: true, value: due };
    });
    if (!event) break;
    performed.push(event);
  }
  return performed;
}
