import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AgentIdentity } from '../auth/agent-token.js';
import { supervising } from '../auth/http-bearer.js';
import { TideError } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import { batchGet } from '../storage/batch-get.js';
import { getConversation } from './conversation-store.js';
import { getMessage, type DeliveryStatus, type MessageMedia, type StoredMessage } from './message-store.js';
import type { ChannelName, Conversation, ConversationState, Direction, TransferNote, WaitingOn } from './model.js';

/**
 * The history API (DESIGN §4b, `GET /v1/conversations/{conversationId}`): a conversation and its
 * messages, oldest first, a page at a time.
 *
 * Messages are keyed by id; the only way to list a conversation's is the `byConversation` index
 * (keys only, sorted by `sentAt`), which is eventually consistent. So the page's keys come from
 * the index and the messages themselves from the table, read consistently (a delivery status is
 * never older than the read). Index lag can hide the newest messages for a moment; the one the
 * conversation names as its last (read consistently with it) is fetched by id when the index
 * does not list it yet, so an agent opening a conversation just after the customer wrote sees
 * that message. Anything else the lag hides reaches an open console as `message` frames, and
 * the next read of the history lists it.
 */

type StoreDeps = Pick<Deps, 'db' | 'tables'>;

export const historyLimits = { default: 50, max: 200 } as const;

export interface ConversationView {
  conversationId: string;
  state: ConversationState;
  channel: ChannelName;
  queue: string;
  customer: { id: string; name: string | null };
  assignedTo: string | null;
  waitingOn: WaitingOn;
  slaDueAt: string | null;
  slaBreached: boolean;
  followUpAt: string | null;
  priority: number;
  transferNote: TransferNote | null;
}

export interface MessageView {
  id: string;
  direction: Direction;
  /** The full text (work lists carry at most 500 characters of it). */
  text: string;
  at: string;
  /** Attachments as the provider described them (references, not bytes); empty when none. */
  media: MessageMedia[];
  /** Delivery status of an outbound message; null for the customer's messages. */
  status: DeliveryStatus | null;
  /** Why delivery failed (the provider's code), when it did. */
  error: { code: string; message: string } | null;
  /** The agent who wrote an outbound message; null for the customer's and Tide's own. */
  agentId: string | null;
}

export interface HistoryPage {
  conversation: ConversationView;
  messages: MessageView[];
  /** Pass as `?after=` for the next page; null on the last page. */
  next: string | null;
}

export interface HistoryQuery {
  limit: number;
  after?: Cursor;
}

/** Where a page ended: the index position of its last message. */
interface Cursor {
  conversationId: string;
  sentAt: string;
  messageId: string;
}

const idPattern = /^[A-Za-z0-9_-]{1,128}$/;
const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const cursorVersion = 1;

/** Validates the query string (`limit`, `after`) of a history request: `invalid_request` if bad. */
export function historyQuery(conversationId: string, params: Record<string, string | undefined> = {}): HistoryQuery {
  let limit: number = historyLimits.default;
  if (params.limit !== undefined) {
    if (!/^\d{1,4}$/.test(params.limit) || Number(params.limit) < 1 || Number(params.limit) > historyLimits.max) {
      throw new TideError('invalid_request', `limit: a whole number from 1 to ${historyLimits.max}`);
    }
    limit = Number(params.limit);
  }
  if (params.after === undefined) return { limit };
  return { limit, after: decodeCursor(conversationId, params.after) };
}

/** The cursor is opaque to clients; it is checked as strictly as any other input. */
function decodeCursor(conversationId: string, text: string): Cursor {
  const refuse = (why: string) => new TideError('invalid_request', `after: ${why}; pass the \`next\` of the previous page`);
  if (text.length > 600 || !/^[A-Za-z0-9_-]+$/.test(text)) throw refuse('not a cursor');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw refuse('not a cursor');
  }
  if (!Array.isArray(decoded) || decoded.length !== 4 || decoded[0] !== cursorVersion) throw refuse('not a cursor');
  const [, forConversation, sentAt, messageId] = decoded as unknown[];
  if (typeof sentAt !== 'string' || !isoPattern.test(sentAt) || typeof messageId !== 'string' || !idPattern.test(messageId)) throw refuse('not a cursor');
  if (forConversation !== conversationId) throw refuse('the cursor belongs to another conversation');
  return { conversationId, sentAt, messageId };
}

const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify([cursorVersion, c.conversationId, c.sentAt, c.messageId])).toString('base64url');

/**
 * One page of a conversation's history for `reader`. Agents read the conversations they hold
 * (`forbidden` otherwise); supervisors and admins read any. `not_found` when it does not exist.
 */
export async function readHistory(deps: StoreDeps, reader: AgentIdentity, conversationId: string, query: HistoryQuery): Promise<HistoryPage> {
  const conversation = idPattern.test(conversationId) ? await getConversation(deps, conversationId) : undefined;
  if (!conversation) throw new TideError('not_found', `conversation ${conversationId} does not exist`);
  if (!supervising.includes(reader.role) && !(conversation.state !== 'closed' && conversation.assignedTo === reader.agentId)) {
    throw new TideError('forbidden', 'the conversation is not yours');
  }

  // One more key than the page holds says whether another page follows (no empty last page).
  const { Items = [] } = await deps.db.send(
    new QueryCommand({
      TableName: deps.tables.messages,
      IndexName: 'byConversation',
      KeyConditionExpression: 'conversationId = :c',
      ExpressionAttributeValues: { ':c': conversationId },
      ExclusiveStartKey: query.after,
      ScanIndexForward: true,
      Limit: query.limit + 1,
    }),
  );
  const keys = Items.slice(0, query.limit) as Array<Pick<StoredMessage, 'messageId' | 'sentAt'>>;
  let more = Items.length > query.limit;
  const stored = new Map((await batchGet<StoredMessage>(deps.db, deps.tables.messages, 'messageId', keys.map((k) => k.messageId), true)).map((m) => [m.messageId, m]));
  // A message moved to another conversation (a customer's concurrent first messages) may still
  // be listed here by the lagging index: the table has the last word.
  const messages = keys.flatMap((k) => {
    const m = stored.get(k.messageId);
    return m && m.conversationId === conversationId ? [m] : [];
  });

  if (!more) {
    const latest = await latestNotYetIndexed(deps, conversation, keys, query.after);
    if (latest && messages.length < query.limit) messages.push(latest);
    else if (latest) more = true; // no room on this page: the next one fetches it
  }
  messages.sort(oldestFirst);
  const last = keys[keys.length - 1];
  return {
    conversation: conversationView(conversation),
    messages: messages.map(messageView),
    next: more && last ? encodeCursor({ conversationId, sentAt: last.sentAt, messageId: last.messageId }) : null,
  };
}

/**
 * The conversation's last message when the index does not list it yet (its lag), read by id:
 * undefined when the page has it, when it may lie before the cursor, or when it is not this
 * conversation's.
 */
async function latestNotYetIndexed(
  deps: StoreDeps,
  conversation: Conversation,
  listed: ReadonlyArray<Pick<StoredMessage, 'messageId'>>,
  after: Cursor | undefined,
): Promise<StoredMessage | undefined> {
  const id = conversation.lastMessage?.messageId;
  if (!id || listed.some((k) => k.messageId === id) || after?.messageId === id) return undefined;
  const message = await getMessage(deps, id);
  if (!message || message.conversationId !== conversation.conversationId) return undefined;
  // Only when it is surely after the cursor: the index orders messages of one millisecond
  // arbitrarily, so one of the cursor's own millisecond may be on an earlier page already.
  if (after && message.sentAt <= after.sentAt) return undefined;
  return message;
}

/**
 * By time; within one millisecond (a customer's "no thanks" and the closing message it causes
 * share their time) the customer's message first. The index orders equal times arbitrarily, so
 * this holds within a page; the cursor follows the index, so each message is on one page only.
 */
export const oldestFirst = (a: StoredMessage, b: StoredMessage) =>
  a.sentAt < b.sentAt ? -1 : a.sentAt > b.sentAt ? 1 : a.direction === b.direction ? 0 : a.direction === 'in' ? -1 : 1;

export function conversationView(c: Conversation): ConversationView {
  return {
    conversationId: c.conversationId,
    state: c.state,
    channel: c.channel,
    queue: c.queue,
    customer: { id: c.customerId, name: c.customerName ?? null },
    assignedTo: c.assignedTo ?? null,
    waitingOn: c.waitingOn,
    slaDueAt: c.slaDueAt ?? null,
    slaBreached: Boolean(c.slaBreached),
    followUpAt: c.followUpAt ?? null,
    priority: c.priority,
    transferNote: c.transferNote ? { text: c.transferNote.text, from: c.transferNote.from, at: c.transferNote.at } : null,
  };
}

export function messageView(m: StoredMessage): MessageView {
  return {
    id: m.messageId,
    direction: m.direction,
    text: m.text,
    at: m.sentAt,
    media: m.media ?? [],
    status: m.direction === 'out' ? (m.status ?? null) : null,
    error: m.status === 'failed' && m.error ? { code: m.error.code, message: m.error.message } : null,
    agentId: m.direction === 'out' ? (m.agentId ?? null) : null,
  };
}
