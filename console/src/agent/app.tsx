import { useEffect, useState } from 'preact/hooks';
import type { WorklistFrame } from '../../../client/tide-client.js';
import type { ConsoleConfig } from '../app/config.js';
import { Announcer, ConnectionBadge } from '../app/live-regions.js';
import { TopBar } from '../app/top-bar.js';
import { shortcutFor } from '../work/keyboard.js';
import type { AgentConsole } from './agent-console.js';
import type { Alerts } from './alerts.js';
import { ConversationPane } from './conversation.js';
import { FollowUpDialog, ShortcutsDialog, TransferDialog } from './dialogs.js';
import { focusCursor, focusRow, moveCursor, WorkList } from './work-list.js';

type Dialog = 'shortcuts' | 'follow-up' | 'transfer' | undefined;

export function AgentApp({ app, alerts, config, agents }: { app: AgentConsole; alerts: Alerts; config: ConsoleConfig; agents: Array<{ id: string; name: string }> }) {
  const [dialog, setDialog] = useState<Dialog>(undefined);
  const unread = app.unreadIds.value.size;

  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Tide · Agent console` : 'Tide · Agent console';
  }, [unread]);

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || document.querySelector('dialog[open]')) return;
      const action = shortcutFor({ key: event.key, ctrlKey: event.ctrlKey, altKey: event.altKey, metaKey: event.metaKey, isComposing: event.isComposing, target: event.target as HTMLElement | null });
      if (!action) return;
      event.preventDefault();
      switch (action) {
        case 'next':
        case 'previous':
          return moveCursor(app, action);
        case 'open': {
          const id = app.cursorId.peek() ?? app.rows.peek()[0]?.conversationId;
          if (id) {
            app.select(id);
            focusRow(id);
          }
          return;
        }
        case 'reply':
          return document.getElementById('reply')?.focus();
        case 'close': {
          const id = app.selectedId.peek();
          if (id && app.live.peek() && app.selectedItem.peek()) void app.close(id).then((closed) => closed && focusCursor(app));
          return;
        }
        case 'help':
          return setDialog('shortcuts');
      }
    };
    addEventListener('keydown', onKeyDown);
    return () => removeEventListener('keydown', onKeyDown);
  }, [app]);

  const frame = app.worklist.value;
  const queues = [...new Set([...(config.queues ?? []), ...app.items.value.map((i) => i.queue)])].sort();
  return (
    <div class="shell">
      <TopBar page="Agent console" session={app.session} middle={frame && <CapacityMeter agent={frame.agent} />}>
        <StatusControl app={app} />
        <ConnectionBadge state={app.connection.value} />
        <button
          type="button"
          class={alerts.enabled.value ? 'quiet' : 'attention'}
          title={alerts.enabled.value ? 'Turn alerts off' : 'Play a sound and show a notification for new work'}
          onClick={() => (alerts.enabled.peek() ? alerts.disable() : void alerts.enable())}
        >
          <BellIcon off={!alerts.enabled.value} />
          {alerts.enabled.value ? 'Alerts on' : 'Turn on alerts'}
        </button>
        <button type="button" class="quiet icon-button" onClick={() => setDialog('shortcuts')} aria-keyshortcuts="?" title="Keyboard shortcuts (?)">
          <span aria-hidden="true" class="key-hint">?</span>
          <span class="visually-hidden">Keyboard shortcuts</span>
        </button>
      </TopBar>
      <main class="workspace">
        <WorkList app={app} />
        <ConversationPane app={app} onFollowUp={() => setDialog('follow-up')} onTransfer={() => setDialog('transfer')} />
      </main>
      <Announcer />
      <ShortcutsDialog open={dialog === 'shortcuts'} onClose={() => setDialog(undefined)} />
      <FollowUpDialog app={app} conversationId={app.selectedId.value} open={dialog === 'follow-up'} onClose={() => setDialog(undefined)} />
      <TransferDialog app={app} conversationId={app.selectedId.value} open={dialog === 'transfer'} onClose={() => setDialog(undefined)} queues={queues} agents={agents} />
    </div>
  );
}

/** Active conversations against the agent's preferred and maximum load: slots, filled, with the preferred mark. */
function CapacityMeter({ agent }: { agent: WorklistFrame['agent'] }) {
  const slots = Math.max(agent.maxLoad, agent.active, 1);
  const state = agent.active >= agent.maxLoad ? 'full' : agent.active > agent.preferredConcurrency ? 'over' : 'ok';
  return (
    <div class={`capacity capacity-${state}`}>
      <span class="capacity-text">
        <strong>{agent.active}</strong> active <span class="muted">· preferred {agent.preferredConcurrency} · max {agent.maxLoad}</span>
      </span>
      <span class="capacity-bar" aria-hidden="true">
        {Array.from({ length: Math.min(slots, 20) }, (_, i) => (
          <span key={i} class={`slot${i < agent.active ? ' filled' : ''}${i === agent.preferredConcurrency - 1 ? ' preferred' : ''}${i >= agent.preferredConcurrency ? ' beyond' : ''}`} />
        ))}
      </span>
    </div>
  );
}

const statusWords = { online: 'Online', away: 'Away', offline: 'Offline' } as const;

/**
 * The agent's status, as Tide knows it. Only the agent changes it here: opening a tab never
 * does (Rocket.Chat#23563), and a new tab shows what the others set.
 */
function StatusControl({ app }: { app: AgentConsole }) {
  const [choosing, setChoosing] = useState<keyof typeof statusWords | undefined>(undefined);
  const status = app.worklist.value?.agent.status;
  const shown = choosing ?? status;
  return (
    <div class={`status-control status-${shown ?? 'unknown'}`}>
      <span class="dot" aria-hidden="true" />
      <label for="status">Status</label>
      <select
        id="status"
        value={shown ?? ''}
        disabled={!app.live.value || shown === undefined}
        onChange={async (e) => {
          const next = (e.currentTarget as HTMLSelectElement).value as keyof typeof statusWords;
          if (next === status) return;
          setChoosing(next);
          await app.setStatus(next);
          setChoosing(undefined);
        }}
      >
        {shown === undefined && <option value="">…</option>}
        {(Object.keys(statusWords) as Array<keyof typeof statusWords>).map((s) => (
          <option key={s} value={s}>
            {statusWords[s]}
          </option>
        ))}
      </select>
    </div>
  );
}

function BellIcon({ off }: { off: boolean }) {
  return (
    <svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path d="M8 1.8a4.2 4.2 0 0 0-4.2 4.2v2.7L2.4 11.2h11.2l-1.4-2.5V6A4.2 4.2 0 0 0 8 1.8zM6.3 12.8a1.8 1.8 0 0 0 3.4 0" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linejoin="round" />
      {off && <path d="M2 2l12 12" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" />}
    </svg>
  );
}
