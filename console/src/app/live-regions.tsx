import { signal } from '@preact/signals';
import type { ConnectionState } from '../../../client/tide-client.js';

/**
 * What screen readers are told without moving focus: the connection state, and announcements
 * (new work, done actions, failures). Both are polite: they wait for the reader to finish.
 */
const announcement = signal('');
let clearTimer: ReturnType<typeof setTimeout> | undefined;

export function announce(text: string): void {
  // The same words twice in a row must be read twice: clear first, then set.
  announcement.value = '';
  setTimeout(() => (announcement.value = text), 50);
  if (clearTimer !== undefined) clearTimeout(clearTimer);
  clearTimer = setTimeout(() => (announcement.value = ''), 8000);
}

export function Announcer() {
  return (
    <div class="visually-hidden" aria-live="polite" aria-atomic="true">
      {announcement.value}
    </div>
  );
}

const connectionWords: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};

export function ConnectionBadge({ state }: { state: ConnectionState }) {
  return (
    <p class={`connection connection-${state}`} role="status" aria-live="polite">
      <span class="dot" aria-hidden="true" />
      {connectionWords[state]}
    </p>
  );
}
