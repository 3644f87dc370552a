import { useEffect, useRef, useState } from 'preact/hooks';
import type { DeliveryStatus } from '../../../client/tide-client.js';
import { waitingStateLabels, sectionOf } from '../work/sections.js';
import { channelNames, customerName, replyLimits, type AgentConsole, type ShownMessage } from './agent-console.js';
import { SlaBadge } from './sla.js';
import { focusCursor } from './work-list.js';

/** The conversation the agent opened: who, its history with delivery states, the reply box and the actions. */
export function ConversationPane({ app, onFollowUp, onTransfer }: { app: AgentConsole; onFollowUp: () => void; onTransfer: () => void }) {
  const view = app.view.value;
  const item = app.selectedItem.value;
  if (!view) {
    return (
      <section class="conversation-pane empty-pane" aria-label="Conversation">
        <div class="empty-state">
          <h2>No conversation open</h2>
          <p class="muted">
            Pick one from the work list. Keys: <kbd>j</kbd> and <kbd>k</kbd> move, <kbd>Enter</kbd> opens, <kbd>?</kbd> shows all shortcuts.
          </p>
        </div>
      </section>
    );
  }
  const conversation = view.conversation;
  const channel = item?.channel ?? conversation?.channel ?? 'generic';
  const name = item ? customerName(item) : conversation ? conversation.customer.name || conversation.customer.id : '…';
  const customerId = item?.customer.id ?? conversation?.customer.id;
  const held = item !== undefined;
  const live = app.live.value;
  const canAct = live && held;
  const busy = app.busy.value;
  const note = item?.transferNote ?? conversation?.transferNote;
  return (
    <section class="conversation-pane" aria-labelledby="conversation-title">
      <header class="conversation-head">
        <div class="head-row">
          <div class="who">
            <h2 id="conversation-title">{name}</h2>
            <p class="muted small">
              <span class={`channel channel-${channel}`}>{channelNames[channel] ?? channel}</span>
              {customerId && customerId !== name && <span> {customerId}</span>}
              {(item?.queue ?? conversation?.queue) && <span> · queue {item?.queue ?? conversation?.queue}</span>}
              {item && <span> · {waitingStateLabels[sectionOf(item)]}</span>}
            </p>
          </div>
          {item && <SlaBadge item={item} large />}
        </div>
        <div class="actions" role="group" aria-label="Conversation actions">
          <button type="button" disabled={!canAct || busy.has(`close ${view.id}`)} onClick={() => void app.close(view.id).then((closed) => closed && focusCursor(app))}>
            <ActionIcon name="close" />
            Close
          </button>
          <button type="button" disabled={!canAct} onClick={onFollowUp}>
            <ActionIcon name="follow-up" />
            Follow up
          </button>
          <button type="button" disabled={!canAct} onClick={onTransfer}>
            <ActionIcon name="transfer" />
            Transfer
          </button>
          <PriorityControl app={app} conversationId={view.id} priority={item?.priority ?? conversation?.priority ?? 0} disabled={!canAct} />
        </div>
      </header>
      {!held && !view.loading && (
        <p class="notice notice-info">This conversation is no longer in your work list (closed, handed over or taken back): you can read it, not act on it.</p>
      )}
      {note && (
        <aside class="transfer-note" aria-label="Transfer note">
          <strong>Note from {note.from}</strong>
          <time dateTime={note.at}> {shortTime(note.at)}</time>
          <p>{note.text}</p>
        </aside>
      )}
      <Transcript app={app} />
      <Composer app={app} channel={channel} disabled={!canAct} />
    </section>
  );
}

function PriorityControl({ app, conversationId, priority, disabled }: { app: AgentConsole; conversationId: string; priority: number; disabled: boolean }) {
  const [value, setValue] = useState(String(priority));
  useEffect(() => setValue(String(priority)), [priority, conversationId]);
  const number = Number(value);
  const valid = value.trim() !== '' && Number.isInteger(number) && number >= -100 && number <= 100;
  return (
    <form
      class="priority-control"
      onSubmit={(event) => {
        event.preventDefault();
        if (valid && number !== priority) void app.setPriority(conversationId, number);
      }}
    >
      <label for="priority">Priority</label>
      <input
        id="priority"
        type="number"
        min={-100}
        max={100}
        step={1}
        value={value}
        disabled={disabled}
        aria-describedby="priority-hint"
        onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)}
      />
      <span id="priority-hint" class="visually-hidden">
        From -100 to 100; higher is answered sooner.
      </span>
      <button type="submit" class="quiet" disabled={disabled || !valid || number === priority || app.busy.value.has(`priority ${conversationId}`)}>
        Set priority
      </button>
    </form>
  );
}

function Transcript({ app }: { app: AgentConsole }) {
  const view = app.view.value!;
  const list = useRef<HTMLDivElement>(null);
  const hidden = Math.max(0, view.messages.length - view.shown);
  const shown = view.messages.slice(hidden);
  const lastId = shown.at(-1)?.id;
  const stick = useRef(true);
  /** Distance from the bottom before "Load earlier": kept, so the messages read stay in place. */
  const anchor = useRef<number | undefined>(undefined);
  // Follow new messages while the agent is at the bottom; leave them be when they scrolled up to read.
  useEffect(() => {
    const el = list.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lastId, view.id]);
  useEffect(() => {
    const el = list.current;
    if (el && anchor.current !== undefined) el.scrollTop = el.scrollHeight - anchor.current;
    anchor.current = undefined;
  }, [view.shown]);
  useEffect(() => {
    stick.current = true;
  }, [view.id]);
  return (
    <div
      class="transcript"
      ref={list}
      role="log"
      aria-label="History"
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget as HTMLDivElement;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {hidden > 0 && (
        <div class="load-earlier">
          <button
            type="button"
            class="quiet"
            onClick={() => {
              const el = list.current;
              if (el) anchor.current = el.scrollHeight - el.scrollTop;
              app.loadEarlier();
            }}
          >
            Load earlier ({hidden})
          </button>
        </div>
      )}
      {view.loading && view.messages.length <= 1 && <p class="muted pad">Loading the history…</p>}
      {view.error && (
        <p class="notice notice-error" role="alert">
          {view.error}
        </p>
      )}
      <ol class="messages">
        {shown.map((message, i) => (
          <MessageBubble key={message.id} app={app} message={message} dayBreak={i === 0 || dayOf(shown[i - 1]!.at) !== dayOf(message.at)} />
        ))}
      </ol>
    </div>
  );
}

const deliveryWords: Record<DeliveryStatus, string> = { pending: 'Pending', sent: 'Sent', delivered: 'Delivered', read: 'Read', failed: 'Failed' };
const deliveryMarks: Record<DeliveryStatus, string> = { pending: '○', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' };

function MessageBubble({ app, message, dayBreak }: { app: AgentConsole; message: ShownMessage; dayBreak: boolean }) {
  const { status, error } = message.direction === 'out' ? app.deliveryOf(message) : {};
  return (
    <li class={`message message-${message.direction}`}>
      {dayBreak && (
        <p class="day-break" aria-hidden="true">
          {dayLabel(message.at)}
        </p>
      )}
      <div class="bubble">
        <span class="visually-hidden">{message.direction === 'in' ? 'Customer' : 'You'}: </span>
        {message.text && <p class="text">{message.text}</p>}
        {message.media?.map((m, i) => (
          <p key={i} class="media muted">
            Attachment: {m.contentType ?? m.mimeType ?? m.type ?? 'file'}
          </p>
        ))}
      </div>
      <p class="message-meta small muted">
        <time dateTime={message.at}>{shortTime(message.at)}</time>
        {message.direction === 'out' &&
          (message.sending ? (
            <span class="delivery delivery-pending"> · Sending…</span>
          ) : status ? (
            <span class={`delivery delivery-${status}`}>
              {' '}
              · <span aria-hidden="true">{deliveryMarks[status]}</span> {deliveryWords[status]}
              {status === 'failed' && error && `: ${error.message} (${error.code})`}
            </span>
          ) : null)}
      </p>
    </li>
  );
}

function Composer({ app, channel, disabled }: { app: AgentConsole; channel: string; disabled: boolean }) {
  const view = app.view.value!;
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const text = drafts[view.id] ?? '';
  const limit = replyLimits[channel] ?? 4096;
  const length = [...text].length;
  const tooLong = length > limit;
  const empty = text.trim().length === 0;
  const notice = app.notice.value;
  const setText = (value: string) => setDrafts((d) => ({ ...d, [view.id]: value }));
  async function submit() {
    if (disabled || empty || tooLong || app.busy.peek().has('send')) return;
    const sent = text;
    const id = view.id;
    setDrafts((d) => ({ ...d, [id]: '' }));
    const ok = await app.send(sent);
    // Not sent: the words come back, unless the agent already started a new reply.
    if (!ok) setDrafts((d) => ({ ...d, [id]: d[id] ? d[id]! : sent }));
  }
  return (
    <form
      class="composer"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      {notice && (
        <p class={`notice notice-${notice.tone}`} role={notice.tone === 'error' ? 'alert' : 'status'}>
          {notice.text}
        </p>
      )}
      <label for="reply" class="composer-label">
        Reply
      </label>
      <textarea
        id="reply"
        rows={3}
        value={text}
        disabled={disabled}
        aria-describedby="reply-limit reply-keys"
        aria-invalid={tooLong ? 'true' : undefined}
        placeholder={disabled ? (app.live.value ? 'This conversation is not yours to answer.' : 'Reconnecting… replies are paused.') : 'Write to the customer…'}
        onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
            e.preventDefault();
            void submit();
          }
        }}
      />
      <div class="composer-foot">
        <span id="reply-limit" class={`small ${tooLong ? 'over-limit' : 'muted'}`}>
          {length.toLocaleString()} / {limit.toLocaleString()} characters ({channelNames[channel] ?? channel})
          {tooLong && ': too long for this channel'}
        </span>
        <span id="reply-keys" class="small muted">
          Enter sends · Shift+Enter adds a line
        </span>
        <button type="submit" class="primary" disabled={disabled || empty || tooLong}>
          Send
        </button>
      </div>
    </form>
  );
}

const dayOf = (iso: string) => new Date(iso).toDateString();

function dayLabel(iso: string): string {
  const d = new Date(iso);
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return 'Today';
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (d.toDateString() === yesterday.toDateString()) return 'Yesterday';
  return d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: d.getFullYear() === today.getFullYear() ? undefined : 'numeric' });
}

export function shortTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

function ActionIcon({ name }: { name: 'close' | 'follow-up' | 'transfer' }) {
  const paths = {
    close: 'M3 8.5l3 3 7-7',
    'follow-up': 'M8 2.5a5.5 5.5 0 1 0 5.5 5.5M8 5v3l2 1.5M11 1.5l2.5 1-1 2.5',
    transfer: 'M2.5 5.5h10l-3-3M13.5 10.5h-10l3 3',
  };
  return (
    <svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path d={paths[name]} fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}
