/**
 * Follow-up times: the presets the agent picks from, the custom time they type, and how a
 * scheduled follow-up reads in the list. Times are the agent's local time; what goes to Tide is
 * an ISO instant. Tide checks the same rules (DESIGN §4: in the future, at most 30 days ahead);
 * checking them here too tells the agent before anything is sent.
 */
export const maxFollowUpDays = 30;
const dayMs = 86_400_000;

export const inOneHour = (now: Date): Date => new Date(now.getTime() + 3_600_000);

/** 9:00 tomorrow, local time (on a daylight-saving day that is still 9:00 on the wall clock). */
export function tomorrowAtNine(now: Date): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 9, 0, 0, 0);
}

export type FollowUpChoice = { at: Date } | { error: string };

/** The value of an `<input type="datetime-local">` ("2026-11-21T14:30"), checked. */
export function followUpFromInput(value: string, now: Date): FollowUpChoice {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!match) return { error: 'Enter a date and a time.' };
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  const at = new Date(y!, mo! - 1, d!, h!, mi!, Number.isNaN(s) ? 0 : (s ?? 0), 0);
  // new Date() rolls 31 February over into March; a date that changed is not a real date.
  if (at.getMonth() !== mo! - 1 || at.getDate() !== d!) return { error: 'That date does not exist.' };
  return checkFollowUp(at, now);
}

export function checkFollowUp(at: Date, now: Date): FollowUpChoice {
  if (at.getTime() <= now.getTime()) return { error: 'Pick a time in the future.' };
  if (at.getTime() > now.getTime() + maxFollowUpDays * dayMs) return { error: `Pick a time at most ${maxFollowUpDays} days ahead.` };
  return { at };
}

/** A Date as a `datetime-local` value in local time, to the minute (the input's `min` and `max`). */
export function dateTimeLocalValue(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}`;
}

/** "today 14:30", "tomorrow 09:00", "Mon 23 Nov 09:00" (the time in the agent's locale). */
export function formatFollowUp(atIso: string, now: Date, locale?: string): string {
  const at = new Date(atIso);
  if (Number.isNaN(at.getTime())) return '';
  const time = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(at);
  const days = Math.round((startOfDay(at) - startOfDay(now)) / dayMs);
  if (days === 0) return `today ${time}`;
  if (days === 1) return `tomorrow ${time}`;
  if (days === -1) return `yesterday ${time}`;
  const date = new Intl.DateTimeFormat(locale, { weekday: 'short', day: 'numeric', month: 'short' }).format(at);
  return `${date} ${time}`;
}

const startOfDay = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
