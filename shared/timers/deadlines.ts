import type { Conversation } from '../conversation/model.js';

/**
 * The timed events of a conversation, as pure rules over its stored deadlines (DESIGN §1):
 *  - `followUp`:  a hidden conversation's follow-up time has come;
 *  - `autoClose`: an inactive conversation's customer stayed silent for `autoCloseAfterSeconds`;
 *  - `reassign`:  a reactivated conversation waited long enough for its offline agent;
 *  - `inactive`:  an active conversation waited on the customer for `inactiveAfterSeconds`;
 *  - `slaBreach`: a conversation waiting on an agent passed its SLA deadline;
 *  - `slaWarning`: ... came close to it (re-ranked ahead of other waiting work);
 *  - `stale`: ... has waited so long the customer has probably gone (re-ranked after fresh work).
 * Deadlines live on the item, so a timer fire only has to ask "what is due now?" and a fire
 * that is late, early, repeated or stale finds the right answer (possibly "nothing").
 */
export type TimedEvent = 'followUp' | 'autoClose' | 'reassign' | 'inactive' | 'slaBreach' | 'slaWarning' | 'stale';

type Facts = Pick<
  Conversation,
  | 'state'
  | 'waitingOn'
  | 'followUpAt'
  | 'autoCloseAt'
  | 'reassignAt'
  | 'inactiveAt'
  | 'slaDueAt'
  | 'slaBreached'
  | 'slaWarnAt'
  | 'slaNearBreach'
  | 'staleAt'
  | 'stale'
>;

/** Every pending deadline, in the order their events are handled when several are due. */
export function pendingDeadlines(c: Facts): Array<{ event: TimedEvent; at: string }> {
  if (c.state === 'closed') return [];
  const waitingOnAgent = (c.state === 'active' || c.state === 'queued') && c.waitingOn === 'agent';
  const pending: Array<{ event: TimedEvent; at: string | null | undefined }> = [
    { event: 'followUp', at: c.followUpAt },
    { event: 'autoClose', at: c.state === 'inactive' && !c.followUpAt && c.waitingOn === 'customer' ? c.autoCloseAt : null },
    { event: 'reassign', at: c.state === 'inactive' && !c.followUpAt && c.waitingOn === 'agent' ? c.reassignAt : null },
    { event: 'inactive', at: c.state === 'active' && c.waitingOn === 'customer' ? c.inactiveAt : null },
    { event: 'slaBreach', at: waitingOnAgent && !c.slaBreached ? c.slaDueAt : null },
    { event: 'slaWarning', at: waitingOnAgent && !c.slaBreached && !c.slaNearBreach ? c.slaWarnAt : null },
    { event: 'stale', at: waitingOnAgent && !c.stale ? c.staleAt : null },
  ];
  return pending.filter((p): p is { event: TimedEvent; at: string } => Boolean(p.at));
}

/** The first event due at `now`, if any. */
export function dueEvent(c: Facts, now: Date): TimedEvent | undefined {
  return pendingDeadlines(c).find((p) => Date.parse(p.at) <= now.getTime())?.event;
}

/** The earliest pending deadline: when this conversation's timer must fire next. */
export function nextDeadline(c: Facts): string | undefined {
  return pendingDeadlines(c)
    .map((p) => p.at)
    .sort()[0];
}

/**
 * Scheduler fires up to a minute after an `at()` time; an armed schedule whose time is further
 * in the past than this has fired (or was lost) and no longer counts as armed.
 */
export const fireLatenessMs = 90_000;

/**
 * The timer arming a conversation's next image must carry: a schedule is needed only when none
 * is armed or the next deadline moved earlier (most messages move deadlines later, so most
 * writes cost no Scheduler call). A later schedule left behind fires, finds nothing due and
 * re-arms: harmless. `firedGen` is the generation of the schedule now firing, which therefore no
 * longer counts as armed. The schedule itself is created from the change stream when `armedGen`
 * grows (shared/follow-ups), so an arming written is an arming that gets its schedule.
 */
export function armingAfter(
  before: Pick<Conversation, 'armedAt' | 'armedGen'> | undefined,
  after: Facts,
  now: Date,
  firedGen?: number,
): { armedAt: string | null; armedGen: number } {
  const gen = before?.armedGen ?? 0;
  let armed = before?.armedAt ?? null;
  if (firedGen !== undefined && firedGen === gen) armed = null;
  if (armed && Date.parse(armed) < now.getTime() - fireLatenessMs) armed = null;
  const next = nextDeadline(after);
  if (next && (!armed || next < armed)) return { armedAt: next, armedGen: gen + 1 };
  return { armedAt: armed, armedGen: gen };
}
