import { getAgent } from '../agent/agent-store.js';
import { classifyCustomerMessage } from '../classifier/classify.js';
import { queueSettings } from '../config/schema.js';
import { TideError } from '../errors.js';
import { closingMessageId, inboundMessageId, newConversationId } from '../ids.js';
import type { Deps } from '../runtime/deps.js';
import { tideMetrics } from '../runtime/metrics.js';
import { commit, withRetries } from '../storage/commit.js';
import { commitChange, contextOf } from './change.js';
import { conversationWrite, getConversation } from './conversation-store.js';
import { completeClose } from './complete-close.js';
import { claimOpenConversation, customerKey, getCustomer, setOptedOut } from './customer-store.js';
import { getMessage, moveMessage, putMessage, type MessageMedia, type StoredMessage } from './message-store.js';
import type { ChannelName, Conversation, ProviderName } from './model.js';
import { hasApplied, openConversation, receiveCustomerMessage, type InboundFacts } from './transitions.js';

/** A customer's message as a channel parsed it. */
export interface InboundMessage {
  channel: ChannelName;
  /** Who carried it (absent: the channel's usual provider, `providerOf`). */
  provider?: ProviderName;
  /** The provider's id for the message: the dedupe key. */
  externalId: string;
  /** The customer's address on the channel (phone number, PSID, WhatsApp user id, …). */
  from: string;
  /** May be empty when the message is media only. */
  text: string;
  queue: string;
  name?: string;
  /** Business priority sent by the channel. */
  priority?: number;
  media?: MessageMedia[];
  /** Stored and shown but makes nothing actionable (a reaction). */
  ineffectual?: boolean;
  /** An opt-out (STOP …) or opt-in (START …) keyword: `send` refuses while opted out. */
  optOut?: 'stop' | 'start';
}

export interface Received {
  conversationId: string;
  messageId: string;
  /** True when this externalId was already stored: nothing new was accepted. */
  duplicate: boolean;
}

/**
 * Takes a customer's message in. Once this returns, the message is kept and its conversation
 * changed; routing, pushes and timers follow from the change stream.
 *
 * The message is written first, with an id derived from the channel's id and a conditional put:
 * that write is the dedupe, and it makes the message durable before anything else. The
 * conversation is written next, on its own (two plain writes cost half of one transaction). The
 * conversation remembers the ids it applied (`recentInbound`), so a provider's retry, or a
 * concurrent duplicate, after a failure between the two writes applies the message exactly once.
 * A customer has one open conversation per channel: the customer item points at it, claimed with
 * a conditional write before a new conversation is written.
 */
export async function receiveMessage(deps: Deps, message: InboundMessage): Promise<Received> {
  if (!queueSettings(deps.config, message.queue)) throw new TideError('unknown_queue', `queue ${message.queue} does not exist`);
  const messageId = inboundMessageId(message.channel, message.externalId);
  const facts: InboundFacts = { messageId, channel: message.channel, provider: message.provider, from: message.from, name: message.name, text: message.text, queue: message.queue, priority: message.priority };
  const key = customerKey(message.channel, message.from);
  /** Where this request's message is stored (set once it is, by this request or an earlier one). */
  let storedIn: string | undefined;
  let duplicate = false;
  let freshId: string | undefined;

  // Before the message, so that by the time it is acknowledged `send` already honours it; a
  // provider's retry sets it again, which changes nothing.
  if (message.optOut) await setOptedOut(deps, key, message.optOut === 'stop', { channel: message.channel, customerId: message.from }, deps.clock.now().toISOString());

  const received = await withRetries<Received>('inbound message', async (attempt) => {
    const consistent = attempt > 0;
    const ctx = contextOf(deps);
    const at = ctx.now.toISOString();
    const customer = await getCustomer(deps, key, consistent);
    const pointed = customer?.openConversationId ? await getConversation(deps, customer.openConversationId, consistent) : undefined;
    const open = pointed && pointed.state !== 'closed' ? pointed : undefined;
    const stale = pointed?.state === 'closed' ? pointed : undefined;
    // A pointer to no conversation: a creation that died between claiming and writing it.
    const unborn = customer?.openConversationId && !pointed ? customer.openConversationId : undefined;

    const kind = message.ineffectual
      ? 'ineffectual'
      : classifyCustomerMessage(message.text, { afterClosingQuestion: Boolean(open?.closingQuestionAsked && open.waitingOn === 'customer') }, deps.config.classifier);
    const lastClosed = customer?.lastConversationId ?? stale?.conversationId;
    if (!storedIn && !open && !unborn && kind === 'ineffectual' && lastClosed) {
      // "Thanks!" after the conversation closed: kept with that conversation, no new work.
      const filed = await putMessage(deps, inboundItem(message, messageId, lastClosed, at, true));
      if (filed === 'stored') return { done: true, value: { conversationId: lastClosed, messageId, duplicate: false } };
    }

    if (!storedIn) {
      const provisional = open?.conversationId ?? unborn ?? (freshId ??= newConversationId());
      if ((await putMessage(deps, inboundItem(message, messageId, provisional, at))) === 'stored') storedIn = provisional;
      else {
        duplicate = true;
        const stored = (await getMessage(deps, messageId))!;
        storedIn = stored.conversationId;
        if (stored.afterClose) return { done: true, value: { conversationId: storedIn, messageId, duplicate } };
        // Stored under a conversation that exists and is not the customer's open one: it was
        // applied there, and that conversation has closed since. Nothing more to do.
        const where = storedIn === open?.conversationId ? open : await getConversation(deps, storedIn);
        if (where && where !== open) return { done: true, value: { conversationId: storedIn, messageId, duplicate } };
      }
    }
    const target = open?.conversationId ?? unborn ?? storedIn;
    if (storedIn !== target) {
      // Stored under a conversation that was never written (a concurrent first message of the
      // customer opened theirs first, or a creation died half way): it belongs to the open one.
      await moveMessage(deps, messageId, target);
      storedIn = target;
    }
    const done = { done: true as const, value: { conversationId: target, messageId, duplicate } };

    if (open) {
      if (hasApplied(open, messageId)) return done;
      const agent = open.assignedTo && (open.state === 'inactive' || kind === 'closing-answer') ? await getAgent(deps, open.assignedTo) : undefined;
      const after = receiveCustomerMessage(open, facts, kind, agent, ctx);
      const outcome = await commitChange(deps, ctx, { before: open, after, agents: agent ? [agent] : [], messages: closingMessage(deps, after, kind, at) });
      if (!outcome.committed) return { done: false };
      if (after.state === 'closed') await completeClose(deps, after);
      return done;
    }

    if (!unborn && !(await claimOpenConversation(deps, { channel: message.channel, customerId: message.from }, target, stale?.conversationId, at))) {
      return { done: false }; // another message opened the customer's conversation first: join it
    }
    const created = openConversation(target, facts, ctx, customer?.lastAgentId ?? stale?.lastAgentId);
    // Refused only if another message created it meanwhile; the next round applies this one to it.
    return (await commit(deps.db, [conversationWrite(deps, undefined, created)])).committed ? done : { done: false };
  });
  if (!received.duplicate) deps.metrics?.count(tideMetrics.inboundMessages, { Channel: message.channel });
  return received;
}

const inboundItem = (m: InboundMessage, messageId: string, conversationId: string, at: string, afterClose = false): StoredMessage => ({
  messageId,
  conversationId,
  channel: m.channel,
  ...(m.provider ? { provider: m.provider } : {}),
  direction: 'in',
  externalId: m.externalId,
  from: m.from,
  text: m.text,
  ...(m.media?.length ? { media: m.media } : {}),
  sentAt: at,
  afterClose,
});

/** The queue's closing message, when the customer's "no, that's all" closed the conversation. */
function closingMessage(deps: Deps, after: Conversation, kind: string, at: string): StoredMessage[] {
  const text = queueSettings(deps.config, after.queue)?.closingMessage;
  if (kind !== 'closing-answer' || after.state !== 'closed' || !text) return [];
  return [
    {
      messageId: closingMessageId(after.conversationId),
      conversationId: after.conversationId,
      channel: after.channel,
      ...(after.provider ? { provider: after.provider } : {}),
      direction: 'out',
      to: after.customerId,
      text,
      sentAt: at,
      automatic: true,
      status: 'pending',
      statusAt: at,
    },
  ];
}
