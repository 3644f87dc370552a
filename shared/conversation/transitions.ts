import type { Agent } from '../agent/model.js';
import { isClosingQuestion, type MessageClass } from '../classifier/classify.js';
import { addSeconds } from '../clock.js';
import { queueSettings, type PriorityConfig, type QueueConfig, type TideConfig } from '../config/schema.js';
import { TideError } from '../errors.js';
import { priorityFromRules, raisedPriority } from '../routing/priority-rules.js';
import { rankOf } from '../routing/priority.js';
import { armingAfter, type TimedEvent } from '../timers/deadlines.js';
import { closedExpiry } from './retention.js';
import { summaryOf, type ChannelName, type Conversation, type ProviderName, type TransferNote } from './model.js';

/**
 * Every state change of a conversation, as pure functions: (conversation as read, input) → the
 * conversation as it must be written. Nothing here reads or writes; the commands
 * (shared/conversation/commands.ts, receive-message.ts, the router and the timers) load the
 * images, call one of these and commit the result with a write conditional on the version read.
 *
 * Every transition ends in `stamp`, which sets rank, version, time and the timer arming the same
 * way for all of them. What the change does to the agents who hold the conversation (their
 * `holds`, `active`, availability) is derived from the before and after images
 * (shared/agent/transitions.ts), so no transition can forget the agent side.
 */

export interface Context {
  now: Date;
  config: TideConfig;
}

/** A customer message as a transition sees it (already stored; its id is final). */
export interface InboundFacts {
  messageId: string;
  channel: ChannelName;
  provider?: ProviderName;
  from: string;
  name?: string;
  text: string;
  queue: string;
  /** Business priority sent by the channel. */
  priority?: number;
}

/** A follow-up further out than this is more likely a typo than a promise to a customer (DESIGN §4). */
export const maxFollowUpDays = 30;
/** How many recent inbound message ids a conversation remembers (dedupe of retried webhooks). */
const rememberedInbound = 8;

const iso = (ctx: Context) => ctx.now.toISOString();

/** The queue's settings; a conversation's queue always exists, `default` stands in if config changed. */
const settingsOf = (ctx: Context, queue: string): QueueConfig =>
  queueSettings(ctx.config, queue) ?? queueSettings(ctx.config, 'default')!;

/** Every transition's last step: rank, version, time and timer arming, stamped one way. */
export function stamp(before: Conversation | undefined, next: Conversation, ctx: Context, firedGen?: number): Conversation {
  const c: Conversation = { ...next, updatedAt: iso(ctx), version: (before?.version ?? 0) + 1 };
  c.rank = rankOf(c, ctx.config.priority);
  return { ...c, ...armingAfter(before, c, ctx.now, firedGen) };
}

// ---- waiting on the agent: the SLA clock and the re-ranking deadlines ------------------------

function startWaitingOnAgent(now: Date, queue: QueueConfig, priority: PriorityConfig): Partial<Conversation> {
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
const stopWaitingOnAgent = (): Partial<Conversation> => ({
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
function customerResponseSeconds(previous: Conversation, now: Date): number | undefined {
  if (previous.lastMessage.direction !== 'out') return previous.customerResponseSeconds;
  const sample = Math.max(0, (now.getTime() - Date.parse(previous.lastMessage.at)) / 1000);
  const before = previous.customerResponseSeconds;
  return Math.round(before === undefined ? sample : 0.5 * before + 0.5 * sample);
}

/**
 * How long the agent's reply waits for the customer before the conversation goes inactive: the
 * queue's fixed `inactiveAfterSeconds`, or, with `adaptiveInactivity`, this customer's own pace
 * (a multiple of their moving-average response time, clamped), and the shortest wait for a first
 * reply that came after a long wait (a customer who waited that long has probably gone).
 */
export function inactivitySeconds(c: Conversation, queue: QueueConfig, now: Date): number {
  const adaptive = queue.adaptiveInactivity;
  if (!adaptive) return queue.inactiveAfterSeconds;
  const max = Math.min(adaptive.maxSeconds, queue.inactiveAfterSeconds);
  const min = Math.min(adaptive.minSeconds, max);
  // Never answered an agent's message, and the last message is theirs: this is the first reply.
  if (c.customerResponseSeconds === undefined && c.lastMessage.direction === 'in') {
    const waited = c.waitingSince ? (now.getTime() - Date.parse(c.waitingSince)) / 1000 : 0;
    return waited > adaptive.longFirstWaitSeconds ? min : max;
  }
  if (c.customerResponseSeconds === undefined) return max;
  return Math.round(Math.min(max, Math.max(min, adaptive.multiplier * c.customerResponseSeconds)));
}

/** Auto-close counts from the customer's last message, and never before the conversation went inactive. */
function autoCloseAt(c: Conversation, queue: QueueConfig, now: Date): string {
  const from = c.lastCustomerMessageAt ? new Date(c.lastCustomerMessageAt) : now;
  return new Date(Math.max(addSeconds(from, queue.autoCloseAfterSeconds).getTime(), now.getTime())).toISOString();
}

/** Back in the queue, actionable: the agent named is preferred when it returns. */
const queued = (c: Conversation, preferredAgentId: string | undefined): Partial<Conversation> => ({
  state: 'queued',
  queuedIn: c.queue,
  assignedTo: undefined,
  preferredAgentId,
  reassignAt: null,
});

/** The short form of an inbound id kept in `recentInbound` (60 bits: enough for a handful). */
export const inboundTag = (messageId: string) => messageId.slice(-10);
export const hasApplied = (c: Conversation, messageId: string) => (c.recentInbound ?? []).includes(inboundTag(messageId));
const remember = (c: Pick<Conversation, 'recentInbound'> | undefined, messageId: string) =>
  [...(c?.recentInbound ?? []), inboundTag(messageId)].slice(-rememberedInbound);

// ---- customer messages ----------------------------------------------------------------------

/** A customer without an open conversation writes: a new conversation, queued. */
export function openConversation(
  conversationId: string,
  m: InboundFacts,
  ctx: Context,
  preferredAgentId?: string,
): Conversation {
  const queue = settingsOf(ctx, m.queue);
  const lastMessage = summaryOf({ messageId: m.messageId, direction: 'in', text: m.text, at: iso(ctx) });
  return stamp(
    undefined,
    {
      conversationId,
      channel: m.channel,
      ...(m.provider ? { provider: m.provider } : {}),
      customerId: m.from,
      customerName: m.name,
      queue: m.queue,
      state: 'queued',
      queuedIn: m.queue,
      preferredAgentId,
      rank: '',
      priority: raisedPriority(queue.priority, m.priority, priorityFromRules(m.text, m.queue, ctx.config.priorityRules)),
      lastMessage,
      lastCustomerMessageAt: lastMessage.at,
      recentInbound: remember(undefined, m.messageId),
      ...(startWaitingOnAgent(ctx.now, queue, ctx.config.priority) as { waitingOn: 'agent' }),
      createdAt: iso(ctx),
      updatedAt: iso(ctx),
      version: 0,
    },
    ctx,
  );
}

/**
 * A customer writes in their open conversation. What the message means comes from the classifier:
 *  - `normal`: the conversation now waits on the agent. An inactive one is reactivated: with its
 *    agent when the agent is online or away and below `maxLoad`, even above preferred concurrency
 *    (the customer continues with the person who knows the case); if the agent is offline it waits
 *    `offlineReactivationWaitSeconds` for them; otherwise it is queued, the agent preferred.
 *  - `ineffectual` ("thanks", 👍): kept and shown; nothing else changes (state, owner, timers, SLA).
 *  - `closing-answer` ("no, that's all" after "anything else?"): kept, and the conversation closes.
 * `agent` is the current image of the conversation's agent, when it has one.
 */
export function receiveCustomerMessage(c: Conversation, m: InboundFacts, kind: MessageClass, agent: Agent | undefined, ctx: Context): Conversation {
  const lastMessage = summaryOf({ messageId: m.messageId, direction: 'in', text: m.text, at: iso(ctx) });
  const noted: Conversation = { ...c, lastMessage, recentInbound: remember(c, m.messageId), customerName: m.name ?? c.customerName };
  if (kind === 'ineffectual') return stamp(c, noted, ctx);
  if (kind === 'closing-answer') return close(c, noted, ctx);

  const queue = settingsOf(ctx, c.queue);
  const wasWaitingOnAgent = c.waitingOn === 'agent' && !c.followUpAt;
  const next: Conversation = {
    ...noted,
    // The SLA clock runs from the first unanswered message; later ones don't restart it.
    ...(wasWaitingOnAgent && c.waitingSince ? {} : startWaitingOnAgent(ctx.now, queue, ctx.config.priority)),
    waitingOn: 'agent',
    lastCustomerMessageAt: lastMessage.at,
    customerResponseSeconds: customerResponseSeconds(c, ctx.now),
    closingQuestionAsked: false,
    priority: raisedPriority(c.priority, m.priority, priorityFromRules(m.text, c.queue, ctx.config.priorityRules)),
    followUpAt: null,
    inactiveAt: null,
    autoCloseAt: null,
  };
  if (c.state === 'inactive') {
    const wait = ctx.config.routing.offlineReactivationWaitSeconds;
    if (!c.assignedTo) Object.assign(next, queued(c, c.preferredAgentId));
    else if (agent && agent.status !== 'offline' && agent.active < agent.maxLoad) Object.assign(next, { state: 'active', reassignAt: null });
    else if (agent?.status === 'offline' && wait > 0) next.reassignAt = c.reassignAt ?? addSeconds(ctx.now, wait).toISOString();
    else Object.assign(next, queued(c, c.assignedTo));
  }
  return stamp(c, next, ctx);
}

// ---- the agent's actions --------------------------------------------------------------------

/** The agent replies: the SLA clock stops, the conversation waits on the customer. */
export function reply(c: Conversation, r: { messageId: string; text: string; closing?: boolean }, ctx: Context): Conversation {
  const queue = settingsOf(ctx, c.queue);
  return stamp(
    c,
    {
      ...c,
      ...stopWaitingOnAgent(),
      waitingOn: 'customer',
      lastMessage: summaryOf({ messageId: r.messageId, direction: 'out', text: r.text, at: iso(ctx) }),
      closingQuestionAsked: r.closing ?? isClosingQuestion(r.text, ctx.config.classifier),
      // Silence from here on makes an active conversation inactive (shared/timers).
      inactiveAt: c.state === 'active' ? addSeconds(ctx.now, inactivitySeconds(c, queue, ctx.now)).toISOString() : (c.inactiveAt ?? null),
    },
    ctx,
  );
}

/** Closed: out of the queue and every work list; the customer's next message opens a new one. */
export function close(before: Conversation, c: Conversation, ctx: Context): Conversation {
  return stamp(
    before,
    {
      ...c,
      ...stopWaitingOnAgent(),
      state: 'closed',
      assignedTo: undefined,
      queuedIn: undefined,
      preferredAgentId: undefined,
      followUpAt: null,
      inactiveAt: null,
      autoCloseAt: null,
      reassignAt: null,
      transferNote: undefined,
      closedAt: iso(ctx),
      // Never reopened (a new message opens a new conversation), so this is final.
      expiresAt: closedExpiry(ctx.config, c.queue, ctx.now),
    },
    ctx,
  );
}

/**
 * "I'll get back to you at `at`": hidden (inactive, waiting on the agent, `followUpAt` set), the
 * slot freed; the timer brings it back first in the list. `at` must be in the future, at most 30 days.
 */
export function followUp(c: Conversation, atIso: string, ctx: Context): Conversation {
  const at = Date.parse(atIso);
  if (!(at > ctx.now.getTime())) throw new TideError('invalid_request', 'at: a follow-up time must be in the future');
  if (at > ctx.now.getTime() + maxFollowUpDays * 86_400_000) {
    throw new TideError('invalid_request', `at: a follow-up is at most ${maxFollowUpDays} days ahead`);
  }
  return stamp(
    c,
    {
      ...c,
      ...stopWaitingOnAgent(),
      state: 'inactive',
      waitingOn: 'agent',
      followUpAt: new Date(at).toISOString(),
      inactiveAt: null,
      autoCloseAt: null,
      reassignAt: null,
    },
    ctx,
  );
}

/**
 * Handed to another queue, with its history, SLA clock and priority. Work waiting on the agent is
 * queued there. Work waiting on the customer is not actionable, so it is not queued (an agent
 * would be given a conversation with nothing to answer): it waits, unassigned and inactive, and
 * the customer's next message queues it in the new queue.
 */
export function transferToQueue(c: Conversation, queue: string, ctx: Context, note?: TransferNote): Conversation {
  // A note belongs to one hand-over: the next one replaces it, with its own or none.
  const moved: Conversation = { ...c, queue, preferredAgentId: undefined, followUpAt: null, inactiveAt: null, reassignAt: null, transferNote: note };
  if (c.waitingOn === 'customer') {
    Object.assign(moved, { state: 'inactive', assignedTo: undefined, queuedIn: undefined, autoCloseAt: autoCloseAt(c, settingsOf(ctx, queue), ctx.now) });
  } else Object.assign(moved, { state: 'queued', queuedIn: queue, assignedTo: undefined, autoCloseAt: null });
  return stamp(c, moved, ctx);
}

/**
 * Handed to another agent, who must be online or away and, for work that will be active, below
 * `maxLoad` (a hand-over may go above preferred concurrency, as a reactivation may).
 */
export function transferToAgent(c: Conversation, target: Agent, ctx: Context, note?: TransferNote): Conversation {
  if (target.status === 'offline') throw new TideError('invalid_state', `agent ${target.agentId} is offline`);
  // A supervisor may hand over work nobody holds actively: queued work, or a customer waiting for
  // an agent who went offline. Either becomes active work of the receiver, as an assignment would.
  const waitingForSomeone = c.state === 'queued' || (c.state === 'inactive' && c.waitingOn === 'agent' && !c.followUpAt);
  if ((c.state === 'active' || waitingForSomeone) && target.active >= target.maxLoad) {
    throw new TideError('invalid_state', `agent ${target.agentId} is at maximum load`);
  }
  const taken: Partial<Conversation> = waitingForSomeone ? { state: 'active', queuedIn: undefined, preferredAgentId: undefined, reassignAt: null } : {};
  return stamp(c, { ...c, ...taken, assignedTo: target.agentId, lastAgentId: target.agentId, transferNote: note }, ctx);
}

/** An agent sets the business priority (higher is sooner); re-ranked at once. */
export function setPriority(c: Conversation, priority: number, ctx: Context): Conversation {
  return stamp(c, { ...c, priority }, ctx);
}

// ---- routing and presence -------------------------------------------------------------------

/** The router gives a queued conversation to an agent that can take queue work. */
export function assign(c: Conversation, agent: Agent, ctx: Context): Conversation {
  return stamp(c, { ...c, state: 'active', assignedTo: agent.agentId, lastAgentId: agent.agentId, queuedIn: undefined, preferredAgentId: undefined }, ctx);
}

/**
 * The agent went offline: what waits on them goes back to the queue (customers must not wait on
 * someone who left), the agent preferred if they return; what waits on the customer goes
 * inactive and stays theirs. Inactive conversations stay as they are.
 */
export function agentLeft(c: Conversation, ctx: Context): Conversation | undefined {
  if (c.state !== 'active' || !c.assignedTo) return undefined;
  if (c.waitingOn === 'agent') return stamp(c, { ...c, ...queued(c, c.assignedTo) }, ctx);
  return stamp(c, { ...c, state: 'inactive', inactiveAt: null, autoCloseAt: autoCloseAt(c, settingsOf(ctx, c.queue), ctx.now) }, ctx);
}

/** The agent came back online: a customer who wrote while they were away is theirs again, up to maxLoad. */
export function agentReturned(c: Conversation, agent: Agent, ctx: Context): Conversation | undefined {
  const waitingForThem = c.state === 'inactive' && c.waitingOn === 'agent' && !c.followUpAt && c.assignedTo === agent.agentId;
  if (!waitingForThem || agent.active >= agent.maxLoad) return undefined;
  return stamp(c, { ...c, state: 'active', reassignAt: null }, ctx);
}

/**
 * An administrator removed the agent (shared/agent/admin.ts): nothing may stay with someone who
 * no longer exists. Work waiting on an agent is queued now; a pending follow-up stays hidden
 * until its time, when its timer queues it; work waiting on the customer stays inactive and
 * unassigned, and the customer's next message queues it (as after a transfer to a queue).
 */
export function agentRemoved(c: Conversation, agentId: string, ctx: Context): Conversation | undefined {
  if (c.assignedTo !== agentId || c.state === 'closed' || c.state === 'queued') return undefined;
  if (c.waitingOn === 'agent' && !c.followUpAt) return stamp(c, { ...c, ...queued(c, undefined) }, ctx);
  const released: Conversation = { ...c, state: 'inactive', assignedTo: undefined, preferredAgentId: undefined, reassignAt: null, inactiveAt: null };
  if (!c.followUpAt) released.autoCloseAt = c.autoCloseAt ?? autoCloseAt(c, settingsOf(ctx, c.queue), ctx.now);
  return stamp(c, released, ctx);
}

// ---- timers ---------------------------------------------------------------------------------

/**
 * A deadline came (shared/timers/deadlines.ts says which). `agent` is the current image of the
 * conversation's agent, when it has one. `firedGen` is the generation of the schedule firing,
 * which therefore no longer counts as armed.
 */
export function timedEvent(c: Conversation, event: TimedEvent, agent: Agent | undefined, ctx: Context, firedGen?: number): Conversation {
  const next: Conversation = { ...c };
  switch (event) {
    case 'autoClose':
      return close(c, c, ctx);
    case 'slaWarning':
      next.slaNearBreach = true;
      break;
    case 'stale':
      next.stale = true;
      break;
    case 'slaBreach':
      // Escalates: the breached tier outranks all other waiting work, in the queue and the lists.
      Object.assign(next, { slaBreached: true, slaBreachedAt: iso(ctx), slaBreaches: (c.slaBreaches ?? 0) + 1 });
      break;
    case 'inactive':
      // The customer went dark: the conversation stays with its agent but frees the slot.
      Object.assign(next, { state: 'inactive', inactiveAt: null, autoCloseAt: autoCloseAt(c, settingsOf(ctx, c.queue), ctx.now) });
      break;
    case 'followUp':
    case 'reassign': {
      // Back to actionable: with its agent if they can take it (up to maxLoad), else queued.
      const returning = event === 'followUp';
      Object.assign(next, {
        ...(returning || !c.waitingSince ? startWaitingOnAgent(ctx.now, settingsOf(ctx, c.queue), ctx.config.priority) : {}),
        waitingOn: 'agent',
        followUpAt: null,
        reassignAt: null,
        followUpDue: returning ? true : c.followUpDue,
      });
      const canTake = agent && agent.agentId === c.assignedTo && agent.status !== 'offline' && (c.state === 'active' || agent.active < agent.maxLoad);
      if (canTake) next.state = 'active';
      else Object.assign(next, queued(c, c.assignedTo ?? c.preferredAgentId));
      break;
    }
  }
  return stamp(c, next, ctx, firedGen);
}

/** A fire with nothing due: only the arming changes (the next deadline gets its schedule). */
export function rearm(c: Conversation, ctx: Context, firedGen: number): Conversation | undefined {
  const arming = armingAfter(c, c, ctx.now, firedGen);
  if (arming.armedAt === (c.armedAt ?? null) && arming.armedGen === (c.armedGen ?? 0)) return undefined;
  return stamp(c, { ...c }, ctx, firedGen);
}
