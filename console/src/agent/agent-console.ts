import { batch, computed, signal } from '@preact/signals';
import {
  ConnectionLostError,
  NotConnectedError,
  TideClient,
  type AckFrame,
  type ConnectionState,
  type DeliveryFrame,
  type DeliveryStatus,
  type MessageFrame,
  type WorklistFrame,
  type WorklistItem,
} from '../../../client/tide-client.js';
import { actionFailure } from '../app/action-failure.js';
import { startClock, serverNow } from '../app/clock.js';
import type { ConsoleConfig } from '../app/config.js';
import { fetchHistory, HistoryError, type HistoryConversation, type HistoryMessage } from '../app/history.js';
import { announce } from '../app/live-regions.js';
import type { Session } from '../app/session.js';
import { newWorkBetween, type NewWork } from '../work/new-work.js';
import { displayOrder, sectionsOf } from '../work/sections.js';
import { isUnread, markSeen, readSeen, seenStorageKey } from '../work/unread.js';

/** A work-list item as pushed. */
export type WorkItem = WorklistItem;

export interface ShownMessage {
  id: string;
  direction: 'in' | 'out';
  text: string;
  at: string;
  media?: HistoryMessage['media'];
  status?: DeliveryStatus;
  error?: { code: string; message: string };
  /** Sent from this tab and not yet acknowledged. */
  sending?: boolean;
}

export interface ConversationView {
  id: string;
  conversation?: HistoryConversation;
  /** Oldest first. */
  messages: ShownMessage[];
  /** How many of the newest messages are shown ("Load earlier" shows more). */
  shown: number;
  loading: boolean;
  error?: string;
}

export interface Notice {
  tone: 'error' | 'info';
  text: string;
}

/** How many messages a conversation opens with, and how many more each "Load earlier" shows. */
export const historyPageSize = 50;

const statusRank: Record<DeliveryStatus, number> = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/** The reply limits of the channels, in characters (DESIGN §4; Tide enforces them). */
export const replyLimits: Record<string, number> = { generic: 4096, sms: 1600, whatsapp: 4096, messenger: 2000, instagram: 1000 };

export const channelNames: Record<string, string> = { generic: 'Web', sms: 'SMS', whatsapp: 'WhatsApp', messenger: 'Messenger', instagram: 'Instagram' };

export type AgentConsole = ReturnType<typeof createAgentConsole>;

/**
 * The agent console's state: the socket, the pushed work list, the open conversation and what
 * the agent does to it. Components read signals; nothing here touches the DOM except storage.
 */
export function createAgentConsole(config: ConsoleConfig, session: Session, hooks: { onNewWork?: (work: NewWork[]) => void } = {}) {
  const agentId = session.identity.agentId;
  const client = new TideClient({ url: config.wsUrl, token: session.token });

  const connection = signal<ConnectionState>('connecting');
  const worklist = signal<WorklistFrame | undefined>(undefined);
  const selectedId = signal<string | undefined>(undefined);
  /** The row that takes Tab and that j/k move (roving focus); Enter opens it. */
  const cursorId = signal<string | undefined>(undefined);
  const view = signal<ConversationView | undefined>(undefined);
  const deliveries = signal<Record<string, { status: DeliveryStatus; error?: { code: string; message: string } }>>({});
  const seen = signal(readSeen(localStorage, agentId));
  const notice = signal<Notice | undefined>(undefined);
  /** Ids of actions running, to disable their buttons meanwhile. */
  const busy = signal<ReadonlySet<string>>(new Set());

  const live = computed(() => connection.value === 'live');
  const items = computed(() => (worklist.value?.items ?? []) as WorkItem[]);
  const sections = computed(() => sectionsOf(items.value));
  const rows = computed(() => displayOrder(sections.value));
  const selectedItem = computed(() => items.value.find((i) => i.conversationId === selectedId.value));
  const unreadIds = computed(() => new Set(items.value.filter((i) => isUnread(i, seen.value)).map((i) => i.conversationId)));

  let previousItems: WorkItem[] | undefined;
  let historyAbort: AbortController | undefined;
  let localIds = 0;

  client.on('state', (state) => {
    const wasLive = connection.peek() === 'live';
    connection.value = state;
    // Back after an outage: what happened meanwhile comes with the snapshot; the open
    // conversation's messages are read again in full (a time delta misses replies, chatwoot#14934).
    if (state === 'live' && !wasLive && view.peek()) void loadHistory(view.peek()!.id, { keepShown: true });
  });

  client.on('worklist', (frame) => {
    const next = frame.items as WorkItem[];
    const fresh = newWorkBetween(previousItems, next);
    previousItems = next;
    batch(() => {
      worklist.value = frame;
      // The open conversation is seen as it updates.
      const open = next.find((i) => i.conversationId === selectedId.peek());
      if (open && open.lastMessage.direction === 'in') seen.value = markSeen(localStorage, agentId, open.conversationId, open.lastMessage.at);
    });
    const others = fresh.filter((w) => w.item.conversationId !== selectedId.peek() || document.visibilityState !== 'visible');
    if (others.length > 0) {
      announce(others.map((w) => `${w.kind === 'conversation' ? 'New conversation' : 'New message'} from ${customerName(w.item)}`).join('. '));
      hooks.onNewWork?.(others);
    }
  });

  client.on('message', (frame: MessageFrame) => {
    const current = view.peek();
    if (!current || current.id !== frame.conversationId) return;
    if (current.messages.some((m) => m.id === frame.message.id)) return;
    const message: ShownMessage = { id: frame.message.id, direction: frame.message.direction, text: frame.message.text, at: frame.message.at };
    view.value = { ...current, messages: [...current.messages, message], shown: current.shown + 1 };
    if (message.direction === 'in') seen.value = markSeen(localStorage, agentId, frame.conversationId, message.at);
  });

  client.on('delivery', (frame: DeliveryFrame) => {
    const before = deliveries.peek()[frame.messageId];
    // Statuses only move forward; frames may arrive out of order across two sockets.
    if (before && statusRank[before.status] >= statusRank[frame.status]) return;
    deliveries.value = { ...deliveries.peek(), [frame.messageId]: { status: frame.status, ...(frame.error ? { error: frame.error } : {}) } };
    if (frame.status === 'failed' && frame.conversationId === selectedId.peek()) {
      notice.value = { tone: 'error', text: `A message could not be delivered: ${frame.error?.message ?? 'the channel refused it'}.` };
    }
  });

  // Another tab opened a conversation: its unread marker clears here too.
  addEventListener('storage', (event) => {
    if (event.key === seenStorageKey(agentId)) seen.value = readSeen(localStorage, agentId);
  });

  async function loadHistory(conversationId: string, options: { keepShown?: boolean } = {}): Promise<void> {
    historyAbort?.abort();
    const abort = new AbortController();
    historyAbort = abort;
    const before = view.peek();
    if (!before || before.id !== conversationId) return;
    view.value = { ...before, loading: true, error: undefined };
    try {
      const history = await fetchHistory(config, session.token, conversationId, abort.signal);
      if (abort.signal.aborted) return;
      const current = view.peek();
      if (!current || current.id !== conversationId) return;
      // What arrived here after the history was read (a reply still awaiting its ack, a pushed
      // message the history's read did not see yet) stays.
      const known = new Set(history.messages.map((m) => m.id));
      const newest = history.messages.at(-1)?.at ?? '';
      const pendingHere = current.messages.filter((m) => !known.has(m.id) && !m.id.startsWith('preview-') && (m.sending || m.at >= newest));
      const messages: ShownMessage[] = [
        ...history.messages.map((m) => ({
          id: m.id,
          direction: m.direction,
          text: m.text,
          at: m.at,
          media: m.media,
          ...(m.status ? { status: m.status } : {}),
          ...(m.error ? { error: m.error } : {}),
        })),
        ...pendingHere,
      ];
      view.value = {
        ...current,
        conversation: history.conversation,
        messages,
        shown: options.keepShown ? Math.max(current.shown, historyPageSize) : historyPageSize,
        loading: false,
      };
      const lastIn = [...history.messages].reverse().find((m) => m.direction === 'in');
      if (lastIn) seen.value = markSeen(localStorage, agentId, conversationId, lastIn.at);
    } catch (error) {
      if (abort.signal.aborted) return;
      const current = view.peek();
      if (!current || current.id !== conversationId) return;
      const text =
        error instanceof HistoryError && error.code === 'forbidden'
          ? 'This conversation is no longer yours.'
          : error instanceof HistoryError && error.code === 'not_found'
            ? 'Tide does not know this conversation.'
            : (error as Error).message || 'The history could not be loaded.';
      view.value = { ...current, loading: false, error: text };
    }
  }

  function select(conversationId: string): void {
    if (view.peek()?.id === conversationId) return;
    const item = items.peek().find((i) => i.conversationId === conversationId);
    batch(() => {
      selectedId.value = conversationId;
      notice.value = undefined;
      view.value = { id: conversationId, messages: [], shown: historyPageSize, loading: true };
      // The preview is the newest message: show it while the history loads.
      if (item) {
        view.value = {
          ...view.value,
          messages: [{ id: `preview-${conversationId}`, direction: item.lastMessage.direction, text: item.lastMessage.text, at: item.lastMessage.at }],
        };
        if (item.lastMessage.direction === 'in') seen.value = markSeen(localStorage, agentId, conversationId, item.lastMessage.at);
      }
    });
    void loadHistory(conversationId);
  }

  function loadEarlier(): void {
    const current = view.peek();
    if (current) view.value = { ...current, shown: current.shown + historyPageSize };
  }

  /**
   * Runs an action. If the socket dies between sending it and its answer, it is sent again
   * with the same `requestId` once live (Tide answers a repeat with its first answer, never
   * doing it twice), so the agent is not left wondering whether it happened.
   */
  async function act(key: string, action: Record<string, unknown>): Promise<AckFrame> {
    busy.value = new Set([...busy.peek(), key]);
    try {
      try {
        return await client.request(action);
      } catch (error) {
        if (!(error instanceof ConnectionLostError)) throw error;
        await untilLive(60_000);
        return await client.request({ ...action, requestId: error.requestId });
      }
    } finally {
      const next = new Set(busy.peek());
      next.delete(key);
      busy.value = next;
    }
  }

  function untilLive(timeoutMs: number): Promise<void> {
    if (client.state === 'live') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new NotConnectedError());
      }, timeoutMs);
      const off = client.on('state', (state) => {
        if (state !== 'live') return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  async function perform(what: string, key: string, action: Record<string, unknown>, done?: string): Promise<boolean> {
    notice.value = undefined;
    try {
      await act(key, action);
      if (done) announce(done);
      return true;
    } catch (error) {
      const text = actionFailure(what, error);
      notice.value = { tone: 'error', text };
      announce(text);
      return false;
    }
  }

  async function send(text: string): Promise<boolean> {
    const current = view.peek();
    if (!current) return false;
    const conversationId = current.id;
    const localId = `local-${++localIds}`;
    view.value = {
      ...current,
      messages: [...current.messages, { id: localId, direction: 'out', text, at: new Date(serverNow()).toISOString(), sending: true }],
      shown: current.shown + 1,
    };
    notice.value = undefined;
    try {
      const ack = await act('send', { action: 'send', conversationId, text });
      const messageId = typeof ack.messageId === 'string' ? ack.messageId : localId;
      const now = view.peek();
      if (now?.id === conversationId) {
        view.value = {
          ...now,
          // The history may already have brought this message back under its own id.
          messages: now.messages.some((m) => m.id === messageId)
            ? now.messages.filter((m) => m.id !== localId)
            : now.messages.map((m) => (m.id === localId ? { ...m, id: messageId, sending: false, status: m.status ?? 'pending' } : m)),
        };
      }
      return true;
    } catch (error) {
      const now = view.peek();
      if (now?.id === conversationId) view.value = { ...now, messages: now.messages.filter((m) => m.id !== localId), shown: Math.max(historyPageSize, now.shown - 1) };
      const failure = actionFailure('Sending', error);
      notice.value = { tone: 'error', text: failure };
      announce(failure);
      return false;
    }
  }

  /**
   * A conversation the agent closed or handed over leaves the list: the pane empties and the
   * cursor moves to the row that took its place, so the agent carries on from there.
   */
  function leaving(conversationId: string, done: boolean): boolean {
    if (!done) return false;
    const order = rows.peek();
    const at = order.findIndex((r) => r.conversationId === conversationId);
    const next = order[at + 1] ?? order[at - 1];
    batch(() => {
      if (selectedId.peek() === conversationId) {
        historyAbort?.abort();
        selectedId.value = undefined;
        view.value = undefined;
      }
      if (cursorId.peek() === conversationId) cursorId.value = next?.conversationId;
    });
    return true;
  }

  const target = (to: { queue: string } | { agentId: string }) => ('queue' in to ? { queue: to.queue } : { agentId: to.agentId });

  const actions = {
    setStatus: (status: 'online' | 'away' | 'offline') =>
      perform('Changing your status', 'status', { action: 'setStatus', status }, `Status: ${status[0]!.toUpperCase()}${status.slice(1)}`),
    close: async (conversationId: string) => leaving(conversationId, await perform('Closing', `close ${conversationId}`, { action: 'close', conversationId }, 'Conversation closed')),
    followUp: (conversationId: string, at: Date) =>
      perform('Scheduling the follow-up', `followUp ${conversationId}`, { action: 'followUp', conversationId, at: at.toISOString() }, 'Follow-up scheduled'),
    transfer: async (conversationId: string, to: { queue: string } | { agentId: string }, note?: string) =>
      leaving(
        conversationId,
        await perform('Transferring', `transfer ${conversationId}`, { action: 'transfer', conversationId, ...target(to), ...(note ? { note } : {}) }, 'Conversation transferred'),
      ),
    setPriority: (conversationId: string, priority: number) =>
      perform('Changing the priority', `priority ${conversationId}`, { action: 'setPriority', conversationId, priority }, `Priority set to ${priority}`),
  };

  function start(): void {
    startClock(() => client.clockOffsetMs);
    client.start();
  }

  return {
    identity: session.identity,
    session,
    client,
    connection,
    live,
    worklist,
    items,
    sections,
    rows,
    selectedId,
    cursorId,
    selectedItem,
    view,
    deliveries,
    unreadIds,
    notice,
    busy,
    start,
    select,
    loadEarlier,
    send,
    ...actions,
    deliveryOf(message: ShownMessage): { status?: DeliveryStatus; error?: { code: string; message: string } } {
      const pushed = deliveries.value[message.id];
      if (!pushed) return { status: message.status, error: message.error };
      if (message.status && statusRank[message.status] > statusRank[pushed.status]) return { status: message.status, error: message.error };
      return pushed;
    },
  };
}

export const customerName = (item: Pick<WorklistItem, 'customer'>) => item.customer.name || item.customer.id;
