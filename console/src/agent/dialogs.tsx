import { Fragment, type ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { serverNow } from '../app/clock.js';
import { dateTimeLocalValue, followUpFromInput, inOneHour, maxFollowUpDays, tomorrowAtNine, checkFollowUp } from '../work/follow-up.js';
import { shortcutHelp } from '../work/keyboard.js';
import type { AgentConsole } from './agent-console.js';
import { focusCursor } from './work-list.js';

/**
 * A modal <dialog>: the browser traps focus, Esc closes it, and focus returns to where it was.
 * `open` drives it; `onClose` hears every way it closes.
 */
export function Modal({ open, onClose, title, children, id }: { open: boolean; onClose: () => void; title: string; children: ComponentChildren; id: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} class="modal" aria-labelledby={`${id}-title`} onClose={onClose}>
      <div class="modal-head">
        <h2 id={`${id}-title`}>{title}</h2>
      </div>
      {open && children}
    </dialog>
  );
}

export function ShortcutsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Modal id="shortcuts" open={open} onClose={onClose} title="Keyboard shortcuts">
      <p class="muted small">Single keys work outside text boxes; none use Ctrl, Alt or Meta.</p>
      <table class="shortcuts">
        <thead>
          <tr>
            <th scope="col">Keys</th>
            <th scope="col">What they do</th>
          </tr>
        </thead>
        <tbody>
          {shortcutHelp.map((s) => (
            <tr key={`${s.keys.join('+')} ${s.does}`}>
              <td>
                {s.keys.map((k, i) => (
                  <Fragment key={k}>
                    {i > 0 && (s.keys[0] === 'Shift' ? ' + ' : ' or ')}
                    <kbd>{k}</kbd>
                  </Fragment>
                ))}
              </td>
              <td>{s.does}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="modal-actions">
        <button type="button" class="primary" onClick={onClose} autofocus>
          Done
        </button>
      </div>
    </Modal>
  );
}

export function FollowUpDialog({ app, conversationId, open, onClose }: { app: AgentConsole; conversationId: string | undefined; open: boolean; onClose: () => void }) {
  const [custom, setCustom] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (open) {
      setCustom('');
      setError(undefined);
    }
  }, [open]);
  const nowDate = new Date(serverNow());
  async function choose(at: Date | undefined) {
    if (!conversationId || !at) return;
    const checked = checkFollowUp(at, new Date(serverNow()));
    if ('error' in checked) return setError(checked.error);
    if (await app.followUp(conversationId, checked.at)) onClose();
    else setError(app.notice.peek()?.text);
  }
  const presets: Array<[string, Date]> = [
    ['in 1 h', inOneHour(nowDate)],
    ['tomorrow 9:00', tomorrowAtNine(nowDate)],
  ];
  return (
    <Modal id="follow-up" open={open} onClose={onClose} title="Follow up later">
      <p class="muted small">The conversation leaves your active work until then, and comes back first in your list.</p>
      <div class="presets" role="group" aria-label="Presets">
        {presets.map(([label, at]) => (
          <button key={label} type="button" disabled={!app.live.value} onClick={() => void choose(at)}>
            {label}
          </button>
        ))}
      </div>
      <form
        class="stack"
        onSubmit={(event) => {
          event.preventDefault();
          const choice = followUpFromInput(custom, new Date(serverNow()));
          if ('error' in choice) setError(choice.error);
          else void choose(choice.at);
        }}
      >
        <label for="follow-up-at">Custom time</label>
        <input
          id="follow-up-at"
          type="datetime-local"
          value={custom}
          min={dateTimeLocalValue(nowDate)}
          max={dateTimeLocalValue(new Date(nowDate.getTime() + maxFollowUpDays * 86_400_000))}
          aria-describedby={error ? 'follow-up-error' : undefined}
          aria-invalid={error ? 'true' : undefined}
          onInput={(e) => {
            setCustom((e.currentTarget as HTMLInputElement).value);
            setError(undefined);
          }}
        />
        {error && (
          <p id="follow-up-error" class="notice notice-error small" role="alert">
            {error}
          </p>
        )}
        <SubmitOrCancel label="Set follow-up" disabled={!app.live.value || custom === ''} onCancel={onClose} />
      </form>
    </Modal>
  );
}

export function TransferDialog({
  app,
  conversationId,
  open,
  onClose,
  queues,
  agents,
}: {
  app: AgentConsole;
  conversationId: string | undefined;
  open: boolean;
  onClose: () => void;
  queues: string[];
  agents: Array<{ id: string; name: string }>;
}) {
  const [kind, setKind] = useState<'queue' | 'agent'>('queue');
  const [to, setTo] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (open) {
      setKind('queue');
      setTo('');
      setNote('');
      setError(undefined);
    }
  }, [open]);
  const options = kind === 'queue' ? queues.map((q) => ({ value: q, label: q })) : agents.filter((a) => a.id !== app.identity.agentId).map((a) => ({ value: a.id, label: a.name }));
  return (
    <Modal id="transfer" open={open} onClose={onClose} title="Transfer the conversation">
      <form
        class="stack"
        onSubmit={async (event) => {
          event.preventDefault();
          const target = to.trim();
          if (!conversationId) return;
          if (!target) return setError(kind === 'queue' ? 'Name the queue.' : 'Name the agent.');
          if ([...note].length > 1000) return setError('The note is at most 1,000 characters.');
          const ok = await app.transfer(conversationId, kind === 'queue' ? { queue: target } : { agentId: target }, note.trim() || undefined);
          if (ok) {
            onClose();
            focusCursor(app);
          }
          else setError(app.notice.peek()?.text);
        }}
      >
        <fieldset class="choice">
          <legend>Transfer to</legend>
          <label>
            <input type="radio" name="transfer-kind" checked={kind === 'queue'} onChange={() => (setKind('queue'), setTo(''))} /> A queue
          </label>
          <label>
            <input type="radio" name="transfer-kind" checked={kind === 'agent'} onChange={() => (setKind('agent'), setTo(''))} /> An agent
          </label>
        </fieldset>
        <label for="transfer-to">{kind === 'queue' ? 'Queue' : 'Agent id'}</label>
        <input
          id="transfer-to"
          list="transfer-options"
          value={to}
          autocomplete="off"
          required
          onInput={(e) => {
            setTo((e.currentTarget as HTMLInputElement).value);
            setError(undefined);
          }}
        />
        <datalist id="transfer-options">
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </datalist>
        <label for="transfer-note">Note for whoever takes it (optional)</label>
        <textarea id="transfer-note" rows={3} maxLength={1000} value={note} onInput={(e) => setNote((e.currentTarget as HTMLTextAreaElement).value)} />
        {error && (
          <p class="notice notice-error small" role="alert">
            {error}
          </p>
        )}
        <SubmitOrCancel label="Hand over" disabled={!app.live.value} onCancel={onClose} />
      </form>
    </Modal>
  );
}

/** A dialog form's buttons: Cancel, and the submit that does what the dialog is for. */
function SubmitOrCancel({ label, disabled, onCancel }: { label: string; disabled: boolean; onCancel: () => void }) {
  return (
    <div class="modal-actions">
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" class="primary" disabled={disabled}>
        {label}
      </button>
    </div>
  );
}
