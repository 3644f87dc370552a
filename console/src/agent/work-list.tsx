import { formatFollowUp } from '../work/follow-up.js';
import { movedIndex } from '../work/keyboard.js';
import { waitingStateLabels, sectionOf, type Section } from '../work/sections.js';
import { channelNames, customerName, type AgentConsole, type WorkItem } from './agent-console.js';
import { SlaBadge } from './sla.js';
import { now } from '../app/clock.js';
import { domKey } from '../app/names.js';

/** Moves the list's cursor (the row that takes Tab) and focuses it: j/k, the arrow keys, Home, End. */
export function moveCursor(app: AgentConsole, action: 'next' | 'previous' | 'first' | 'last'): void {
  const rows = app.rows.peek();
  if (rows.length === 0) return;
  const at = rows.findIndex((r) => r.conversationId === app.cursorId.peek());
  const index = action === 'first' ? 0 : action === 'last' ? rows.length - 1 : movedIndex(at, rows.length, action);
  const id = rows[index]!.conversationId;
  app.cursorId.value = id;
  focusRow(id);
}

/** After the open conversation left (closed, handed over): focus goes to the row that took its place. */
export function focusCursor(app: AgentConsole): void {
  const id = app.cursorId.peek() ?? app.rows.peek()[0]?.conversationId;
  // After the list has re-rendered without the row that left.
  if (id) requestAnimationFrame(() => focusRow(id));
}

export function focusRow(conversationId: string): void {
  const row = document.querySelector<HTMLElement>(`[data-row="${CSS.escape(conversationId)}"]`);
  row?.focus();
  row?.scrollIntoView({ block: 'nearest' });
}

/**
 * The work list, as Tide pushed it, in sections. One row takes Tab (roving focus); the arrow
 * keys and j/k move between rows, Enter or a click opens one.
 */
export function WorkList({ app }: { app: AgentConsole }) {
  const sections = app.sections.value;
  const rows = app.rows.value;
  const frame = app.worklist.value;
  // The row that takes Tab: the cursor if it is still listed, else the open one, else the first.
  const cursor =
    rows.find((r) => r.conversationId === app.cursorId.value)?.conversationId ??
    rows.find((r) => r.conversationId === app.selectedId.value)?.conversationId ??
    rows[0]?.conversationId;
  const onKeyDown = (event: KeyboardEvent) => {
    const moves: Record<string, 'next' | 'previous' | 'first' | 'last'> = { ArrowDown: 'next', ArrowUp: 'previous', Home: 'first', End: 'last' };
    const move = moves[event.key];
    if (!move || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    moveCursor(app, move);
  };
  return (
    <nav class="worklist-pane" aria-labelledby="worklist-title">
      <div class="pane-head">
        <h2 id="worklist-title">Work list</h2>
        <span class="muted small">
          {rows.length === 1 ? '1 conversation' : `${rows.length} conversations`}
          <span class="visually-hidden">: {sections.map((s) => `${s.items.length} ${s.title.toLowerCase()}`).join(', ')}</span>
        </span>
      </div>
      {frame?.agent.status === 'offline' && (
        <p class="notice notice-info small">You are offline: no new work comes to you. Set your status to Online to start.</p>
      )}
      {frame?.agent.status === 'away' && <p class="notice notice-info small">You are away: you keep your conversations but get no new ones.</p>}
      {!frame && <p class="muted pad">Waiting for your work list…</p>}
      <ul class="worklist" aria-label="Work list" onKeyDown={onKeyDown}>
        {frame && sections.map((section) => <SectionRows key={section.id} app={app} section={section} cursor={cursor} />)}
      </ul>
      {frame?.omitted ? <p class="muted small pad">{frame.omitted} more, lower in the list, are not shown: answer some to see them.</p> : null}
    </nav>
  );
}

function SectionRows({ app, section, cursor }: { app: AgentConsole; section: Section<WorkItem>; cursor: string | undefined }) {
  return (
    <>
      {/* For the eye only: every row says its waiting state itself, and the pane's summary counts them. */}
      <li aria-hidden="true" class="section-head">
        <h3>
          {section.title} <span class="count">{section.items.length}</span>
        </h3>
        {section.items.length === 0 && <p class="muted small section-empty">{emptyWords[section.id]}</p>}
      </li>
      {section.items.map((item) => (
        <Row key={item.conversationId} app={app} item={item} tabbable={item.conversationId === cursor} />
      ))}
    </>
  );
}

const emptyWords: Record<Section<WorkItem>['id'], string> = {
  'waiting-on-me': 'Nothing waits on you.',
  'waiting-on-customer': 'No replies pending from customers.',
  inactive: 'No inactive conversations.',
  'follow-ups': 'No follow-ups scheduled.',
};

function Row({ app, item, tabbable }: { app: AgentConsole; item: WorkItem; tabbable: boolean }) {
  const id = item.conversationId;
  const selected = app.selectedId.value === id;
  const unread = app.unreadIds.value.has(id);
  const section = sectionOf(item);
  const key = domKey(id);
  const channel = channelNames[item.channel] ?? item.channel;
  // The button holds the name only (what a screen reader says first, and what the row is
  // called); its click area stretches over the whole row. The rest is the list item's text.
  return (
    <li class={`row-item${selected ? ' is-selected' : ''}${unread ? ' is-unread' : ''}`}>
      <span class="row-top">
        <span class={`channel channel-${item.channel}`}>{channel}</span>
        <button
          type="button"
          class="row"
          data-row={id}
          tabIndex={tabbable ? 0 : -1}
          aria-current={selected ? 'true' : undefined}
          aria-describedby={`${key}-desc`}
          onClick={() => {
            app.cursorId.value = id;
            app.select(id);
          }}
          onFocus={() => (app.cursorId.value = id)}
        >
          <span class="customer">{customerName(item)}</span>
          <span class="visually-hidden">
            , {channel}, {waitingStateLabels[section].toLowerCase()}
            {unread ? ', new message' : ''}
          </span>
        </button>
        {unread && (
          <span class="unread">
            <span class="unread-dot" aria-hidden="true" />
            New
          </span>
        )}
      </span>
      <span class="row-desc" id={`${key}-desc`}>
        <span class="preview">
          {item.lastMessage.direction === 'out' && <span class="muted">You: </span>}
          {item.lastMessage.text || <em class="muted">(attachment)</em>}
        </span>
        <span class="row-meta">
          <span class="waiting">{waitingStateLabels[section]}</span>
          <SlaBadge item={item} />
          {item.followUpAt && <FollowUpTime at={item.followUpAt} />}
          {item.priority !== 0 && <span class="priority">Priority {item.priority}</span>}
        </span>
        {item.transferNote && (
          <span class="row-note">
            <span class="muted">Note from {item.transferNote.from}: </span>
            {item.transferNote.text}
          </span>
        )}
      </span>
    </li>
  );
}

function FollowUpTime({ at }: { at: string }) {
  // Re-read each second with the clock: "tomorrow" becomes "today" at midnight.
  return (
    <span class="follow-up">
      <svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
        <rect x="2" y="3" width="12" height="11" rx="2" fill="none" stroke="currentColor" stroke-width="1.4" />
        <path d="M2 6.5h12M5.5 1.5v3M10.5 1.5v3" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" />
      </svg>
      <span class="visually-hidden">Follow-up </span>
      {formatFollowUp(at, new Date(now.value))}
    </span>
  );
}
