import { now } from '../app/clock.js';
import { slaCountdown, type SlaState } from '../work/countdown.js';
import type { WorkItem } from './agent-console.js';

const stateWords: Record<SlaState, string> = { running: 'Reply due', 'due-soon': 'Due soon', breached: 'SLA breached' };

/**
 * The SLA countdown. Reads the page's one clock, so only this re-renders every second. The
 * state is in the icon and in words as well as in the colour.
 */
export function SlaBadge({ item, large = false }: { item: Pick<WorkItem, 'slaDueAt' | 'slaBreached' | 'lastMessage'>; large?: boolean }) {
  const countdown = slaCountdown(
    { slaDueAt: item.slaDueAt, slaBreached: item.slaBreached, startedAt: item.lastMessage.direction === 'in' ? item.lastMessage.at : null },
    now.value,
  );
  if (!countdown) return null;
  return (
    <span class={`sla sla-${countdown.state}${large ? ' sla-large' : ''}`}>
      <SlaIcon state={countdown.state} />
      {countdown.state === 'due-soon' ? <span class="sla-word">Due soon</span> : <span class="visually-hidden">{stateWords[countdown.state]}: </span>}
      <span class="sla-time">{countdown.text}</span>
    </span>
  );
}

export function SlaIcon({ state }: { state: SlaState }) {
  if (state === 'breached') {
    return (
      <svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
        <path d="M5.2 1h5.6L15 5.2v5.6L10.8 15H5.2L1 10.8V5.2z" fill="currentColor" />
        <path d="M8 4.2v4.6M8 10.9v.1" stroke="var(--on-danger)" stroke-width="1.8" stroke-linecap="round" />
      </svg>
    );
  }
  if (state === 'due-soon') {
    return (
      <svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
        <path d="M8 1.2 15.2 14H.8z" fill="currentColor" />
        <path d="M8 5.6v4M8 11.8v.1" stroke="var(--on-warning)" stroke-width="1.7" stroke-linecap="round" />
      </svg>
    );
  }
  return (
    <svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <circle cx="8" cy="8" r="6.3" fill="none" stroke="currentColor" stroke-width="1.5" />
      <path d="M8 4.3V8l2.6 1.6" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" />
    </svg>
  );
}
