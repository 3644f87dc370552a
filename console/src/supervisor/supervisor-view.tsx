import { computed, signal } from '@preact/signals';
import { useState } from 'preact/hooks';
import { TideClient, type AgentOverview, type AgentStatus, type ConnectionState, type OverviewFrame } from '../../../client/tide-client.js';
import { actionFailure } from '../app/action-failure.js';
import { now, startClock } from '../app/clock.js';
import type { ConsoleConfig } from '../app/config.js';
import { announce, Announcer, ConnectionBadge } from '../app/live-regions.js';
import { domKey, initials } from '../app/names.js';
import type { Session } from '../app/session.js';
import { TopBar } from '../app/top-bar.js';
import { formatDuration } from '../work/countdown.js';

export type Supervision = ReturnType<typeof createSupervision>;

/** The supervisor's live view: the overview Tide pushes, and the two supervisor actions. */
export function createSupervision(config: ConsoleConfig, session: Session) {
  const client = new TideClient({ url: config.wsUrl, token: session.token });
  const connection = signal<ConnectionState>('connecting');
  const overview = signal<OverviewFrame | undefined>(undefined);
  const live = computed(() => connection.value === 'live');
  client.on('state', (s) => (connection.value = s));
  client.on('overview', (frame) => (overview.value = frame));

  async function perform(what: string, action: Record<string, unknown>, done: string): Promise<string | undefined> {
    try {
      await client.request(action);
      announce(done);
      return undefined;
    } catch (error) {
      const text = actionFailure(what, error);
      announce(text);
      return text;
    }
  }

  return {
    identity: session.identity,
    session,
    connection,
    overview,
    live,
    start() {
      startClock(() => client.clockOffsetMs);
      client.start();
    },
    setAgentStatus: (agent: AgentOverview, status: AgentStatus) =>
      perform(`Setting ${agent.name}'s status`, { action: 'setAgentStatus', agentId: agent.id, status }, `${agent.name} is now ${status}`),
    reassign: (conversationId: string, to: { queue: string } | { agentId: string }, note?: string) =>
      perform('Reassigning', { action: 'reassign', conversationId, ...to, ...(note ? { note } : {}) }, 'Conversation reassigned'),
  };
}

const statusWords: Record<AgentStatus, string> = { online: 'Online', away: 'Away', offline: 'Offline' };

export function SupervisorApp({ supervision }: { supervision: Supervision }) {
  const frame = supervision.overview.value;
  const queued = frame?.queues.reduce((n, q) => n + q.queued, 0) ?? 0;
  const breaches = frame?.queues.reduce((n, q) => n + q.slaBreached, 0) ?? 0;
  const online = frame?.agents.filter((a) => a.status === 'online').length ?? 0;
  const oldest = frame?.queues.map((q) => q.oldestQueuedAt).filter((t): t is string => Boolean(t)).sort()[0];
  return (
    <div class="shell">
      <TopBar page="Supervisor" session={supervision.session}>
        <ConnectionBadge state={supervision.connection.value} />
      </TopBar>
      <main class="supervisor">
        <h1 class="visually-hidden">Supervisor overview</h1>
        {!frame && <p class="muted pad">Waiting for the overview…</p>}
        {frame && (
          <>
            <ul class="tiles" aria-label="Summary">
              <li class="tile">
                <span class="tile-value">{queued}</span>
                <span class="tile-label">queued</span>
              </li>
              <li class="tile">
                <span class="tile-value">{oldest ? <Wait since={oldest} /> : '—'}</span>
                <span class="tile-label">longest wait</span>
              </li>
              <li class={`tile${breaches > 0 ? ' tile-alarm' : ''}`}>
                <span class="tile-value">
                  {breaches > 0 && <span aria-hidden="true">⚠ </span>}
                  {breaches}
                </span>
                <span class="tile-label">SLA breaches in queues</span>
              </li>
              <li class="tile">
                <span class="tile-value">
                  {online} <span class="muted tile-of">of {frame.agents.length}</span>
                </span>
                <span class="tile-label">agents online</span>
              </li>
            </ul>
            <div class="supervisor-grid">
              <div class="supervisor-main">
                <QueuesTable frame={frame} />
                <AgentsTable supervision={supervision} frame={frame} />
              </div>
              <ReassignForm supervision={supervision} frame={frame} />
            </div>
          </>
        )}
      </main>
      <Announcer />
    </div>
  );
}

/** Time since `since`, ticking with the page's clock. */
function Wait({ since }: { since: string }) {
  const ms = now.value - Date.parse(since);
  return <time dateTime={since}>{Number.isNaN(ms) ? '—' : formatDuration(Math.max(0, ms))}</time>;
}

function QueuesTable({ frame }: { frame: OverviewFrame }) {
  return (
    <section class="card">
      <table class="data">
        <caption>Queues</caption>
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col" class="num">Queued</th>
            <th scope="col" class="num">Oldest wait</th>
            <th scope="col" class="num">Breaches</th>
            <th scope="col" class="num">Agents online</th>
          </tr>
        </thead>
        <tbody>
          {frame.queues.map((q) => (
            <tr key={q.queue}>
              <th scope="row">{q.queue}</th>
              <td class="num">{q.queued}</td>
              <td class="num">{q.oldestQueuedAt ? <Wait since={q.oldestQueuedAt} /> : '—'}</td>
              <td class={`num${q.slaBreached > 0 ? ' alarm' : ''}`}>
                {q.slaBreached > 0 && <span aria-hidden="true">⚠ </span>}
                {q.slaBreached}
              </td>
              <td class="num">{q.agentsOnline}</td>
            </tr>
          ))}
          {frame.queues.length === 0 && (
            <tr>
              <td colSpan={5} class="muted">
                No queues.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

function AgentsTable({ supervision, frame }: { supervision: Supervision; frame: OverviewFrame }) {
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  return (
    <section class="card">
      <table class="data">
        <caption>Agents</caption>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">Active</th>
            <th scope="col" class="num">Inactive</th>
            <th scope="col">Load</th>
            <th scope="col">Set status</th>
          </tr>
        </thead>
        <tbody>
          {frame.agents.map((agent) => (
            <tr key={agent.id}>
              <th scope="row">
                <span class="agent-cell">
                  <span class="avatar" aria-hidden="true">
                    {initials(agent.name)}
                  </span>
                  <span>
                    {agent.name}
                    <span class="muted small block">{agent.id}</span>
                  </span>
                </span>
              </th>
              <td>
                <span class={`status-pill status-${agent.status}`}>
                  <span class="dot" aria-hidden="true" />
                  {statusWords[agent.status]}
                </span>
              </td>
              <td class="num">
                {agent.active} <span class="muted">of {agent.preferredConcurrency} · max {agent.maxLoad}</span>
              </td>
              <td class="num">{agent.inactive}</td>
              <td>
                <LoadBar agent={agent} />
              </td>
              <td>
                <label class="visually-hidden" for={`status-of-${domKey(agent.id)}`}>
                  Status of {agent.name}
                </label>
                <select
                  id={`status-of-${domKey(agent.id)}`}
                  value={agent.status}
                  disabled={!supervision.live.value}
                  onChange={async (e) => {
                    const select = e.currentTarget as HTMLSelectElement;
                    const error = await supervision.setAgentStatus(agent, select.value as AgentStatus);
                    // Refused: show what Tide has, not the choice.
                    if (error) select.value = agent.status;
                    setErrors((all) => ({ ...all, [agent.id]: error }));
                  }}
                >
                  {(Object.keys(statusWords) as AgentStatus[]).map((s) => (
                    <option key={s} value={s}>
                      {statusWords[s]}
                    </option>
                  ))}
                </select>
                {errors[agent.id] && (
                  <p class="notice notice-error small" role="alert">
                    {errors[agent.id]}
                  </p>
                )}
              </td>
            </tr>
          ))}
          {frame.agents.length === 0 && (
            <tr>
              <td colSpan={6} class="muted">
                No agents.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

function LoadBar({ agent }: { agent: AgentOverview }) {
  const slots = Math.min(Math.max(agent.maxLoad, agent.active, 1), 20);
  return (
    <span class="capacity-bar" aria-hidden="true">
      {Array.from({ length: slots }, (_, i) => (
        <span key={i} class={`slot${i < agent.active ? ' filled' : ''}${i === agent.preferredConcurrency - 1 ? ' preferred' : ''}${i >= agent.preferredConcurrency ? ' beyond' : ''}`} />
      ))}
    </span>
  );
}

function ReassignForm({ supervision, frame }: { supervision: Supervision; frame: OverviewFrame }) {
  const [conversationId, setConversationId] = useState('');
  const [kind, setKind] = useState<'queue' | 'agent'>('agent');
  const [to, setTo] = useState('');
  const [note, setNote] = useState('');
  const [result, setResult] = useState<{ tone: 'error' | 'info'; text: string } | undefined>(undefined);
  const [pending, setPending] = useState(false);
  const options = kind === 'queue' ? frame.queues.map((q) => ({ value: q.queue, label: q.queue })) : frame.agents.map((a) => ({ value: a.id, label: a.name }));
  return (
    <section class="card reassign" aria-labelledby="reassign-title">
      <h2 id="reassign-title">Reassign a conversation</h2>
      <form
        class="stack"
        onSubmit={async (event) => {
          event.preventDefault();
          const id = conversationId.trim();
          const target = to.trim();
          if (!id || !target) return setResult({ tone: 'error', text: 'Give the conversation id and where it goes.' });
          setPending(true);
          const error = await supervision.reassign(id, kind === 'queue' ? { queue: target } : { agentId: target }, note.trim() || undefined);
          setPending(false);
          setResult(error ? { tone: 'error', text: error } : { tone: 'info', text: `Reassigned to ${kind === 'queue' ? `queue ${target}` : target}.` });
          if (!error) {
            setConversationId('');
            setNote('');
          }
        }}
      >
        <label for="reassign-conversation">Conversation id</label>
        <input id="reassign-conversation" value={conversationId} required autocomplete="off" onInput={(e) => setConversationId((e.currentTarget as HTMLInputElement).value)} />
        <fieldset class="choice">
          <legend>Reassign to</legend>
          <label>
            <input type="radio" name="reassign-kind" checked={kind === 'agent'} onChange={() => (setKind('agent'), setTo(''))} /> An agent
          </label>
          <label>
            <input type="radio" name="reassign-kind" checked={kind === 'queue'} onChange={() => (setKind('queue'), setTo(''))} /> A queue
          </label>
        </fieldset>
        <label for="reassign-to">{kind === 'queue' ? 'Queue' : 'Agent'}</label>
        <select id="reassign-to" value={to} required onChange={(e) => setTo((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">Choose…</option>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        <label for="reassign-note">Note for the agent (optional)</label>
        <textarea id="reassign-note" rows={2} maxLength={1000} value={note} onInput={(e) => setNote((e.currentTarget as HTMLTextAreaElement).value)} />
        {result && (
          <p class={`notice notice-${result.tone} small`} role={result.tone === 'error' ? 'alert' : 'status'}>
            {result.text}
          </p>
        )}
        <div class="form-actions">
          <button type="submit" class="primary" disabled={!supervision.live.value || pending}>
            Reassign
          </button>
        </div>
      </form>
    </section>
  );
}
