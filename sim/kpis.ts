import type { ContactRecord, FloorTally } from './metrics.js';
import { percentile, ratio } from './stats.js';

/**
 * The honest KPIs of one run (one policy on one seed's day), every one over every arrival: a
 * customer who gave up counts as not answered, never as left out. sim/README.md ("KPIs") gives
 * the definitions; sim/summary.ts averages them over seeds with intervals.
 */

/** A first reply within this long counts for `firstReplyWithin2minShare`. */
export const firstReplyTargetSeconds = 120;

export interface Kpis {
  /** Customers whose first agent message came within 2 minutes of their first message, while they were still there. */
  firstReplyWithin2minShare: number;
  /** Questions answered within the SLA while the customer was still there (of every question asked an SLA before the day's end). */
  slaShare: number;
  /** Customers who gave up waiting (on any of their messages). */
  gaveUpShare: number;
  /** Replies composed for customers who had already left. */
  wastedReplies: number;
  /** Customers who had every question answered (they got the closing question), per on-shift agent-hour. */
  resolvedPerAgentHour: number;
  /** First-reply time percentiles by customer type, over every arrival of the type; never answered = Infinity. */
  engagedFirstReplyP50Seconds: number;
  engagedFirstReplyP90Seconds: number;
  slowFirstReplyP50Seconds: number;
  slowFirstReplyP90Seconds: number;
  /** Share of on-shift agent time (breaks included) idle with every slot full while work was queued. */
  idleSlotsFullShare: number;
  /** Observations of an agent above maxLoad (an invariant too: a run with any fails). */
  overruns: number;
}

export type KpiKey = keyof Kpis;

export interface KpiDefinition {
  key: KpiKey;
  /** What the printed table calls it. */
  label: string;
  unit: 'share' | 'seconds' | 'count' | 'rate';
  better: 'lower' | 'higher';
}

/** Every KPI, in the order the table prints them (one home: the summary and the table follow it). */
export const kpiDefinitions: readonly KpiDefinition[] = [
  { key: 'gaveUpShare', label: 'gave up', unit: 'share', better: 'lower' },
  { key: 'firstReplyWithin2minShare', label: 'first reply <= 2 min', unit: 'share', better: 'higher' },
  { key: 'slaShare', label: 'questions within SLA', unit: 'share', better: 'higher' },
  { key: 'engagedFirstReplyP50Seconds', label: 'engaged first reply p50', unit: 'seconds', better: 'lower' },
  { key: 'engagedFirstReplyP90Seconds', label: 'engaged first reply p90', unit: 'seconds', better: 'lower' },
  { key: 'slowFirstReplyP50Seconds', label: 'slow first reply p50', unit: 'seconds', better: 'lower' },
  { key: 'slowFirstReplyP90Seconds', label: 'slow first reply p90', unit: 'seconds', better: 'lower' },
  { key: 'resolvedPerAgentHour', label: 'resolved / agent-hour', unit: 'rate', better: 'higher' },
  { key: 'wastedReplies', label: 'wasted replies', unit: 'count', better: 'lower' },
  { key: 'idleSlotsFullShare', label: 'idle, every slot full', unit: 'share', better: 'lower' },
  { key: 'overruns', label: 'overruns of maxLoad', unit: 'count', better: 'lower' },
];

/**
 * Seconds from the customer's first message to the first agent message, if it came while they
 * were still there; Infinity otherwise (they gave up first, or nobody answered by the end).
 */
export function firstReplySeconds(c: ContactRecord): number {
  if (c.firstAgentAt === undefined) return Infinity;
  if (c.abandonedAt !== undefined && c.firstAgentAt > c.abandonedAt) return Infinity;
  return (c.firstAgentAt - c.firstMessageAt) / 1000;
}

/** Had every question answered: got the closing question, and never gave up. */
export const isResolved = (c: ContactRecord): boolean => c.closingAskedAt !== undefined && c.abandonedAt === undefined;

export interface KpiInput {
  contacts: readonly ContactRecord[];
  slaSeconds: number;
  dayEnd: number;
  agentHours: number;
  wastedReplies: number;
  floor: Pick<FloorTally, 'onShift' | 'idleSlotsFull'>;
  overruns: number;
}

/**
 * SLA attainment over questions asked at least one SLA before the end (later ones are undecided).
 * A question counts as answered in time only if the answer came within the SLA and while the
 * customer was still there: unanswered questions, and answers to a customer who had left, are missed.
 */
export function slaAttainment(contacts: readonly ContactRecord[], slaSeconds: number, endMs: number) {
  let counted = 0;
  let within = 0;
  for (const c of contacts) {
    for (const q of c.questions) {
      if (q.at > endMs - slaSeconds * 1000) continue;
      counted += 1;
      if (q.answeredAt === undefined || q.answeredAt - q.at > slaSeconds * 1000) continue;
      if (c.abandonedAt !== undefined && q.answeredAt > c.abandonedAt) continue;
      within += 1;
    }
  }
  return { counted, within, attainment: ratio(within, counted) };
}

const share = (part: number, whole: number) => (whole === 0 ? Number.NaN : part / whole);

export function computeKpis(input: KpiInput): Kpis {
  const { contacts } = input;
  const firstReplies = (type: ContactRecord['type']) => contacts.filter((c) => c.type === type).map(firstReplySeconds);
  const engaged = firstReplies('engaged');
  const slow = firstReplies('slow');
  const p = (values: number[], q: number) => percentile(values, q) ?? Number.NaN;
  return {
    firstReplyWithin2minShare: share(contacts.filter((c) => firstReplySeconds(c) <= firstReplyTargetSeconds).length, contacts.length),
    slaShare: slaAttainment(contacts, input.slaSeconds, input.dayEnd).attainment ?? Number.NaN,
    gaveUpShare: share(contacts.filter((c) => c.abandonedAt !== undefined).length, contacts.length),
    wastedReplies: input.wastedReplies,
    resolvedPerAgentHour: share(contacts.filter(isResolved).length, input.agentHours),
    engagedFirstReplyP50Seconds: p(engaged, 50),
    engagedFirstReplyP90Seconds: p(engaged, 90),
    slowFirstReplyP50Seconds: p(slow, 50),
    slowFirstReplyP90Seconds: p(slow, 90),
    idleSlotsFullShare: share(input.floor.idleSlotsFull, input.floor.onShift),
    overruns: input.overruns,
  };
}
