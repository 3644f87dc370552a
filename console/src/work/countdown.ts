/**
 * The SLA countdown of a work-list row: how long until the reply is due, or how long overdue.
 * Colour is never the only signal: every state has its own icon and words (research/console.md §5).
 */
export type SlaState = 'running' | 'due-soon' | 'breached';

export interface SlaCountdown {
  state: SlaState;
  /** Milliseconds left; negative once overdue. */
  remainingMs: number;
  /** "1:45 left", "overdue 2:10". */
  text: string;
}

/**
 * Due soon: at most this share of the SLA window left, the server's default near-breach fraction,
 * so the badge turns when the row moves up the list. A fixed "5 minutes" would mark every row of
 * a 2-minute SLA (the default) due soon from its first second, and then the badge says nothing.
 */
export const dueSoonFraction = 0.25;
/** When the window's start is unknown: at most this long left. */
export const dueSoonMs = 5 * 60_000;

export interface SlaClock {
  slaDueAt: string | null;
  slaBreached: boolean;
  /** When the SLA started, if known: bounds the window for the 25% rule. */
  startedAt?: string | null;
}

/** Undefined when no SLA runs (the conversation waits on the customer, or is inactive). */
export function slaCountdown(clock: SlaClock, nowMs: number): SlaCountdown | undefined {
  if (!clock.slaDueAt) return undefined;
  const dueMs = Date.parse(clock.slaDueAt);
  if (Number.isNaN(dueMs)) return undefined;
  const remainingMs = dueMs - nowMs;
  // The server's word wins: a breach it recorded is a breach even if this clock is a little behind.
  if (remainingMs <= 0 || clock.slaBreached) {
    return { state: 'breached', remainingMs: Math.min(remainingMs, 0), text: `overdue ${formatDuration(Math.max(0, -remainingMs), 'floor')}` };
  }
  const startMs = clock.startedAt ? Date.parse(clock.startedAt) : NaN;
  const windowMs = Number.isNaN(startMs) ? undefined : dueMs - startMs;
  const dueSoon = windowMs !== undefined && windowMs > 0 ? remainingMs <= windowMs * dueSoonFraction : remainingMs <= dueSoonMs;
  const left = formatDuration(remainingMs, 'ceil');
  return { state: dueSoon ? 'due-soon' : 'running', remainingMs, text: `${left} left` };
}

/**
 * m:ss below an hour, h:mm:ss from there, "2 d 3:04:05" past a day. Time left rounds up (a
 * countdown shows 0:01 until the deadline, never 0:00 early); time overdue rounds down.
 */
export function formatDuration(ms: number, rounding: 'ceil' | 'floor' = 'floor'): string {
  const total = Math.max(0, rounding === 'ceil' ? Math.ceil(ms / 1000) : Math.floor(ms / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const ss = String(seconds).padStart(2, '0');
  if (days > 0) return `${days} d ${hours}:${String(minutes).padStart(2, '0')}:${ss}`;
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, '0')}:${ss}`;
  return `${minutes}:${ss}`;
}

