import { getAgents } from '../agent/agent-store.js';
import { getMessage } from '../conversation/message-store.js';
import { deliverOutbound, firstAttemptTimeoutMs, retryDelaySeconds } from '../delivery/deliver.js';
import type { DeliveryJob } from '../delivery/delivery-queue.js';
import type { Conversation } from '../conversation/model.js';
import { postToAgent, pushWorklist } from '../push/worklist.js';
import { routeQueue, type RoutingHints } from '../routing/route-queue.js';
import { requestOverview } from '../supervision/overview-requests.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { conversationTimerName } from '../timers/timer-scheduler.js';
import type { FollowUp } from './derive.js';

/** The follow-ups each stream consumer applies: separate consumers, so that one dependency's outage stalls only its own. */
export const consumerKinds = {
  /** Conversations and Agents streams: routing, work-list pushes and supervisors' overviews. */
  work: ['route', 'push', 'message', 'overview'],
  /** Conversations stream, second consumer: timer schedules (a Scheduler outage delays only timers). */
  timers: ['arm'],
  /** Messages stream: the first delivery attempt (retries go to the delivery queue), statuses to the agent. */
  messages: ['deliver', 'delivery'],
} as const satisfies Record<string, ReadonlyArray<FollowUp['kind']>>;

/** Some follow-ups failed; the stream delivers the batch again (every follow-up is idempotent). */
export class FollowUpError extends Error {
  constructor(readonly failures: unknown[]) {
    super(`${failures.length} follow-up(s) failed`, { cause: failures[0] });
    this.name = 'FollowUpError';
  }
}

/**
 * Applies a batch of follow-ups: coalesced first (one routing pass per queue, one push per agent,
 * one schedule per conversation, however many changes asked for them), then applied.
 *
 * One failure policy: routing, timer schedules and hand-overs to the delivery queue are retried
 * until they succeed, by failing the batch, which the stream delivers again; all of them are
 * idempotent. Pushes are best effort: a lost push is repaired by the next change's push or the
 * client's `sync`, and a WebSocket outage must not stop routing. Asking for an overview is a push.
 */
export async function runFollowUps(deps: Deps, followUps: readonly FollowUp[]): Promise<void> {
  const routes = new Map<string, { conversations: Map<string, Conversation>; agents: Map<string, NonNullable<RoutingHints['agents']>[number]> }>();
  const pushes = new Map<string, { messages: Map<string, Conversation> }>();
  const arms = new Map<string, { gen: number; at: string }>();
  const deliveries = new Map<string, DeliveryJob>();
  const statuses: Array<Extract<FollowUp, { kind: 'delivery' }>> = [];
  let overview = false;
  const newest = (map: Map<string, Conversation>, c: Conversation) => {
    const seen = map.get(c.conversationId);
    if (!seen || seen.version < c.version) map.set(c.conversationId, c);
  };
  const pushOf = (agentId: string) => {
    let push = pushes.get(agentId);
    if (!push) pushes.set(agentId, (push = { messages: new Map() }));
    return push;
  };
  for (const f of followUps) {
    switch (f.kind) {
      case 'route': {
        let route = routes.get(f.queue);
        if (!route) routes.set(f.queue, (route = { conversations: new Map(), agents: new Map() }));
        if (f.conversation) newest(route.conversations, f.conversation);
        if (f.agent) route.agents.set(f.agent.agentId, f.agent);
        break;
      }
      case 'push':
        pushOf(f.agentId);
        break;
      case 'message':
        pushOf(f.agentId).messages.set(f.conversation.lastMessage.messageId, f.conversation);
        break;
      case 'arm': {
        const seen = arms.get(f.conversationId);
        if (!seen || seen.gen < f.gen) arms.set(f.conversationId, { gen: f.gen, at: f.at });
        break;
      }
      case 'deliver': {
        const { messageId, conversationId, channel, provider, direction, to, text, sentAt, agentId } = f.message;
        deliveries.set(messageId, { messageId, attempt: 1, message: { conversationId, channel, ...(provider ? { provider } : {}), direction, to, text, sentAt, agentId } });
        break;
      }
      case 'delivery':
        statuses.push(f);
        break;
      case 'overview':
        overview = true;
        break;
    }
  }

  const failures: unknown[] = [];
  const settle = async (work: Array<Promise<unknown>>, retried: boolean) => {
    for (const result of await Promise.allSettled(work)) {
      if (result.status === 'fulfilled') continue;
      if (retried) failures.push(result.reason);
      else logger.warn('push follow-up failed', { error: (result.reason as Error)?.name });
    }
  };
  // All at once: a push never waits for a routing pass (an agent given work by this pass gets
  // its push from the assignment's own change), nor a schedule for either.
  const delay = deps.config.routing.recheckAfterSeconds;
  await Promise.all([
    settle(
      [...routes].map(async ([queue, hints]) => {
        const pass = await routeQueue(deps, queue, { conversations: [...hints.conversations.values()], agents: [...hints.agents.values()] });
        // Only a pass for capacity that appeared can have missed work queued just before it (the
        // index lagging); a pass for new work saw that work in the change itself, and asks again
        // only for work it left behind with room still there. Best effort: should the recheck be
        // lost, the sweep is the net.
        if (((pass.roomLeft && hints.agents.size > 0) || pass.leftBehind) && delay > 0) await deps.rechecks.enqueue([{ queue }], delay).catch((error: Error) => logger.warn('recheck not queued', { queue, error: error.name }));
      }),
      true,
    ),
    settle(
      [...pushes].map(async ([agentId, push]) => pushWorklist(deps, agentId, { before: await messageFrames(deps, [...push.messages.values()]) })),
      false,
    ),
    settle(
      [...arms].map(([conversationId, { gen, at }]) =>
        deps.timers.schedule(conversationTimerName(conversationId, gen), new Date(at), { kind: 'conversation', conversationId, gen }),
      ),
      true,
    ),
    // The first attempt at once; retries go through the delivery queue (shared/delivery). An
    // attempt that throws (a fault of ours, a failed status write) is handed to the queue too
    // rather than failing the batch, whose redelivery would send the batch's other messages again;
    // only a failed hand-over fails the batch.
    deliveries.size > 0
      ? settle(
          [...deliveries.values()].map((job) =>
            deliverOutbound(deps, job, { timeoutMs: firstAttemptTimeoutMs }).catch(async (error: Error) => {
              logger.warn('first delivery attempt failed; queued', { messageId: job.messageId, error: error.name });
              await deps.deliveries.enqueue([{ ...job, attempt: job.attempt + 1 }], retryDelaySeconds(job.attempt));
            }),
          ),
          true,
        )
      : undefined,
    statuses.length > 0 ? settle([pushDeliveryStatuses(deps, statuses)], false) : undefined,
    // One request per batch, which costs nothing while nobody watches (shared/supervision).
    overview ? settle([requestOverview(deps)], false) : undefined,
  ]);
  if (failures.length > 0) throw new FollowUpError(failures);
}

/** `message` frames (DESIGN §4) with the full text, read back only when the summary was cut. */
async function messageFrames(deps: Deps, conversations: readonly Conversation[]): Promise<object[]> {
  return Promise.all(
    [...conversations]
      .sort((a, b) => (a.lastMessage.at < b.lastMessage.at ? -1 : 1))
      .map(async (c) => {
        const m = c.lastMessage;
        const text = m.cut ? ((await getMessage(deps, m.messageId, false))?.text ?? m.text) : m.text;
        return { type: 'message', conversationId: c.conversationId, message: { id: m.messageId, direction: m.direction, text, at: m.at } };
      }),
  );
}

/**
 * `delivery` frames to the agents who sent the messages, when they still hold the conversations
 * (their `holds` says so; nobody to tell for a closed one or an automatic message).
 */
async function pushDeliveryStatuses(deps: Deps, statuses: ReadonlyArray<Extract<FollowUp, { kind: 'delivery' }>>): Promise<void> {
  const agents = await getAgents(deps, [...new Set(statuses.flatMap((s) => (s.agentId ? [s.agentId] : [])))], false);
  await Promise.all(
    agents.map((agent) => {
      const frames = statuses
        .filter((s) => s.agentId === agent.agentId && agent.holds?.[s.conversationId])
        .map((s) => ({ type: 'delivery', conversationId: s.conversationId, messageId: s.messageId, status: s.status, ...(s.error ? { error: s.error } : {}) }));
      return frames.length ? postToAgent(deps, agent, frames) : undefined;
    }),
  );
}
