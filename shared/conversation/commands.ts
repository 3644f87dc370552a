import { createHash, randomUUID } from 'node:crypto';
import { getAgent } from '../agent/agent-store.js';
import type { Agent } from '../agent/model.js';
import { RequestAlreadyDone, requestWriteName, type RememberAnswer } from '../agent/request-log.js';
import { channelOf } from '../channels/registry.js';
import { queueSettings } from '../config/schema.js';
import { TideError } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import { withRetries, type CommitOutcome } from '../storage/commit.js';
import { commitChange, contextOf } from './change.js';
import { completeClose } from './complete-close.js';
import { customerKey, getCustomer } from './customer-store.js';
import { getMessage, type StoredMessage } from './message-store.js';
import { getConversationWithAgents } from './conversation-store.js';
import type { Conversation, TransferNote } from './model.js';
import { ownConversation, ownedBy } from './ownership.js';
import * as transitions from './transitions.js';
import type { Context } from './transitions.js';

/**
 * The agent's actions on one of its conversations. Each reads the conversation, applies one
 * transition and commits it, with the agents whose holdings the change moves (read only when it
 * moves them) and, for a request with a `requestId`, the record of its answer; a lost race reads
 * again (`withRetries`). What follows a change (work-list pushes, routing the freed slot, timers,
 * delivery of a reply) is derived from the change stream (shared/follow-ups), not done here, so
 * an action is never slowed by a channel, the WebSocket API or the Scheduler.
 */

/** A request retried with the same requestId and fields within this window is the same request. */
export const sameRequestSeconds = 10 * 60;

/** Options every command takes: the record of the agent's request, committed with the change. */
export interface CommandOptions {
  remember?: RememberAnswer;
  /**
   * The caller pushes the acting agent's list itself before its ack (a close, a transfer: see
   * shared/agent/perform-action.ts): the change says so, and the change stream does not push it again.
   */
  pushesBeforeAck?: boolean;
}

/** Throws if the commit was refused because this very request was already done. */
function refuseRepeat(outcome: CommitOutcome): void {
  if (!outcome.committed && outcome.conflicts.some((c) => c.name === requestWriteName)) throw new RequestAlreadyDone();
}

async function changeOwned(
  deps: Deps,
  command: string,
  agentId: string,
  conversationId: string,
  decide: (c: Conversation, agents: Agent[], ctx: Context) => { after: Conversation; ack: Record<string, unknown> },
  options: CommandOptions & { preload?: string[] } = {},
): Promise<Conversation> {
  return (await change(deps, command, conversationId, (c) => ownedBy(c, agentId, conversationId), decide, options)).after;
}

/**
 * One command's read, decide and commit, retried on a lost race. The conversation and the agents
 * the command will move (`preload`) are read in one round trip; `check` authorises and validates
 * what was read (it throws to refuse).
 */
async function change(
  deps: Deps,
  command: string,
  conversationId: string,
  check: (c: Conversation | undefined) => Conversation,
  decide: (c: Conversation, agents: Agent[], ctx: Context) => { after: Conversation; ack: Record<string, unknown> },
  options: CommandOptions & { preload?: string[] } = {},
): Promise<{ before: Conversation; after: Conversation }> {
  return withRetries<{ before: Conversation; after: Conversation }>(command, async () => {
    const read = await getConversationWithAgents(deps, conversationId, options.preload ?? []);
    const before = check(read.conversation);
    const preloaded = read.agents;
    const ctx = contextOf(deps);
    const decided = decide(before, preloaded, ctx);
    const after = options.pushesBeforeAck ? { ...decided.after, releasePushedAt: decided.after.version } : decided.after;
    const { ack } = decided;
    // Any other agent the change moves (the one who held it before a transfer) is read by commitChange.
    const outcome = await commitChange(deps, ctx, { before, after, agents: preloaded, also: options.remember ? [options.remember(ack)] : [] });
    refuseRepeat(outcome);
    return outcome.committed ? { done: true, value: { before, after } } : { done: false };
  });
}

/**
 * The id of a reply sent with a `requestId`: derived from the agent, the conversation, the
 * request id and every field, so a retry of the same request finds its message, and the same id
 * with other fields is another message.
 */
export function replyMessageId(input: { agentId: string; conversationId: string; text: string; closing?: boolean; requestId?: string }): string | undefined {
  if (!input.requestId) return undefined;
  const digest = createHash('sha256').update(JSON.stringify([input.agentId, input.conversationId, input.requestId, input.text, input.closing ?? null])).digest('base64url').slice(0, 26);
  return `mo_${digest}`;
}

export interface Reply {
  messageId: string;
  /** True when this exact request was already stored (a client retry): nothing new was sent. */
  repeated: boolean;
}

/**
 * Stores an agent's reply and the conversation change it causes (it now waits on the customer,
 * the SLA clock stops) in one transaction. The message is `pending`; the change stream hands it
 * to the delivery queue. A request with a `requestId` gets an id derived from it and its fields,
 * so concurrent copies of one request store one message; the same request after
 * `sameRequestSeconds` is a new message.
 */
export async function sendReply(
  deps: Deps,
  input: { agentId: string; conversationId: string; text: string; closing?: boolean; requestId?: string },
  options: CommandOptions = {},
): Promise<Reply> {
  const derived = replyMessageId(input);
  const digest = derived?.slice(3);
  let messageId = derived ?? `mo_${randomUUID()}`;
  return withRetries<Reply>('send', async () => {
    const before = await ownConversation(deps, input.agentId, input.conversationId);
    const ctx = contextOf(deps);
    await refuseUnsendable(deps, before, input.text, ctx.now);
    const after = transitions.reply(before, { messageId, text: input.text, closing: input.closing }, ctx);
    const message: StoredMessage = {
      messageId,
      conversationId: before.conversationId,
      channel: before.channel,
      ...(before.provider ? { provider: before.provider } : {}),
      direction: 'out',
      agentId: input.agentId,
      to: before.customerId,
      text: input.text,
      sentAt: ctx.now.toISOString(),
      requestDigest: digest,
      status: 'pending',
      statusAt: ctx.now.toISOString(),
    };
    // A reply never moves the conversation between agents or states: no agent to read or write
    // (but with dynamic concurrency it stops waiting on the agent: commitChange reads the agent then).
    const also = options.remember ? [options.remember({ conversationId: input.conversationId, messageId })] : [];
    const outcome = await commitChange(deps, ctx, { before, after, agents: [], messages: [message], also });
    if (outcome.committed) return { done: true, value: { messageId, repeated: false } };
    refuseRepeat(outcome);
    if (outcome.conflicts.some((c) => c.name === `message:${messageId}`)) {
      const stored = await getMessage(deps, messageId);
      if (stored && Date.parse(stored.sentAt) > ctx.now.getTime() - sameRequestSeconds * 1000) {
        return { done: true, value: { messageId, repeated: true } };
      }
      // The same request long after: a new message.
      messageId = `mo_${randomUUID()}`;
    }
    return { done: false };
  });
}

/**
 * The channel's rules for a reply, checked before anything is stored: its text limit, its
 * customer-service window (from the customer's last message) and the customer's opt-out.
 */
async function refuseUnsendable(deps: Deps, c: Conversation, text: string, now: Date): Promise<void> {
  const channel = channelOf(c);
  const limit = channel.replyTextLimit(c.channel);
  if ([...text].length > limit) throw new TideError('invalid_request', `text: a ${c.channel} message is at most ${limit} characters`);
  const window = channel.replyWindowSeconds?.(deps.config);
  const lastWrote = c.lastCustomerMessageAt ?? c.createdAt;
  if (window !== undefined && now.getTime() - Date.parse(lastWrote) > window * 1000) {
    throw new TideError('outside_window', `the customer last wrote more than ${window} s ago; ${c.channel} refuses free-form replies after that`);
  }
  if (channel.optOut && (await getCustomer(deps, customerKey(c.channel, c.customerId)))?.optedOut) {
    throw new TideError('opted_out', 'the customer opted out of messages on this channel (STOP); nothing is sent until they write START');
  }
}

/** Closes the conversation; the customer's next message opens a new one. */
export async function closeConversation(deps: Deps, agentId: string, conversationId: string, options: CommandOptions = {}): Promise<Conversation> {
  // The agent is read with the conversation: a close always moves its holding.
  const closed = await changeOwned(deps, 'close', agentId, conversationId, (c, _a, ctx) => ({ after: transitions.close(c, c, ctx), ack: { conversationId } }), { ...options, preload: [agentId] });
  await completeClose(deps, closed);
  return closed;
}

/** Hides the conversation until `at` (future, at most 30 days), freeing its slot. */
export async function scheduleFollowUp(deps: Deps, agentId: string, conversationId: string, at: string, options: CommandOptions = {}): Promise<Conversation> {
  return changeOwned(
    deps,
    'followUp',
    agentId,
    conversationId,
    (c, _a, ctx) => {
      const after = transitions.followUp(c, at, ctx);
      return { after, ack: { conversationId, followUpAt: after.followUpAt } };
    },
    // Read with the conversation: hiding it frees the agent's slot.
    { ...options, preload: [agentId] },
  );
}

export async function setConversationPriority(deps: Deps, agentId: string, conversationId: string, priority: number, options: CommandOptions = {}): Promise<Conversation> {
  return changeOwned(deps, 'setPriority', agentId, conversationId, (c, _a, ctx) => ({ after: transitions.setPriority(c, priority, ctx), ack: { conversationId, priority } }), options);
}

export type TransferTarget = { queue: string } | { agentId: string };

/** Hands the conversation to a queue or an agent, with its history, SLA clock and priority, and the note if any. */
export async function transferConversation(
  deps: Deps,
  agentId: string,
  conversationId: string,
  target: TransferTarget,
  options: CommandOptions & { note?: string } = {},
): Promise<Conversation> {
  if ('agentId' in target && target.agentId === agentId) throw new TideError('invalid_request', 'agentId: cannot transfer to yourself');
  const check = (c: Conversation | undefined) => ownedBy(c, agentId, conversationId);
  return (await handOver(deps, 'transfer', agentId, conversationId, check, target, { ...options, holder: agentId })).after;
}

/**
 * A supervisor hands any open conversation (queued, held, waiting for an agent who left) to a
 * queue or an agent, as a transfer would: history, SLA clock and priority kept, the supervisor
 * named as who handed it over. Returns the conversation before and after (whose lists changed).
 */
export async function reassignConversation(
  deps: Deps,
  supervisorId: string,
  conversationId: string,
  target: TransferTarget,
  options: CommandOptions & { note?: string } = {},
): Promise<{ before: Conversation; after: Conversation }> {
  const check = (conversation: Conversation | undefined) => {
    if (!conversation) throw new TideError('not_found', `conversation ${conversationId} does not exist`);
    if (conversation.state === 'closed') throw new TideError('invalid_state', 'the conversation is closed');
    if ('agentId' in target && conversation.assignedTo === target.agentId) {
      throw new TideError('invalid_state', `the conversation is already ${target.agentId}'s`);
    }
    return conversation;
  };
  return handOver(deps, 'reassign', supervisorId, conversationId, check, target, options);
}

/** The hand-over both a transfer and a reassignment are: to a configured queue or an existing agent. */
async function handOver(
  deps: Deps,
  command: string,
  by: string,
  conversationId: string,
  check: (c: Conversation | undefined) => Conversation,
  target: TransferTarget,
  options: CommandOptions & { note?: string; holder?: string },
): Promise<{ before: Conversation; after: Conversation }> {
  const noteAt = (ctx: Context): TransferNote | undefined => (options.note !== undefined ? { text: options.note, from: by, at: ctx.now.toISOString() } : undefined);
  if ('queue' in target) {
    if (!queueSettings(deps.config, target.queue)) throw new TideError('not_found', `queue ${target.queue} does not exist`);
    return change(deps, command, conversationId, check, (c, _a, ctx) => ({ after: transitions.transferToQueue(c, target.queue, ctx, noteAt(ctx)), ack: { conversationId: c.conversationId } }), {
      remember: options.remember,
      pushesBeforeAck: options.pushesBeforeAck,
      preload: options.holder ? [options.holder] : [],
    });
  }
  if (!(await getAgent(deps, target.agentId, false))) throw new TideError('not_found', `agent ${target.agentId} does not exist`);
  return change(
    deps,
    command,
    conversationId,
    check,
    (c, agents, ctx) => {
      const receiver = agents.find((a) => a.agentId === target.agentId);
      if (!receiver) throw new TideError('not_found', `agent ${target.agentId} does not exist`);
      return { after: transitions.transferToAgent(c, receiver, ctx, noteAt(ctx)), ack: { conversationId: c.conversationId } };
    },
    // Both agents in one read when the holder is known (a transfer); a supervisor's reassignment
    // learns who holds it from the conversation, and `change` reads that agent then.
    { remember: options.remember, pushesBeforeAck: options.pushesBeforeAck, preload: [...(options.holder ? [options.holder] : []), target.agentId] },
  );
}
