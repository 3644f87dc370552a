import { dayLoad, defaultModel, type DayKind, type ModelOptions } from './model.js';
import { Rng } from './prng.js';

/**
 * The synthetic contact-center day: who writes when, how they behave, and which agents work
 * when. Pure and deterministic given the options (the seed included), so every policy is run
 * against exactly the same day. Nothing here knows about Tide.
 */

export type CustomerType = 'engaged' | 'slow' | 'gone';

export interface CustomerScript {
  /** `cust-0001`, in order of arrival. */
  id: string;
  /** The customer's address on the generic channel. */
  phone: string;
  type: CustomerType;
  /** When the first message arrives, in ms from the start of the day. */
  arrivalMs: number;
  /** How many questions the customer has (2–6); each needs an agent's answer. */
  exchanges: number;
  /**
   * How many messages the customer sends in all before going silent: `exchanges` for engaged and
   * slow customers, fewer for gone ones (1 = never answers again after the first message).
   */
  messages: number;
  /**
   * Delay between an agent's reply and the customer's next message, per reply (ms), before
   * co-production (a late reply slows an engaged customer: sim/engine.ts).
   */
  responseDelaysMs: number[];
  /** Whether the customer answers the closing question ("no thanks") or just goes silent. */
  answersClosingQuestion: boolean;
  /**
   * How long the customer waits for an answer to each of their questions before giving up (ms),
   * by question: the first, then every later one (exponential, sim/model.ts `patience`).
   */
  patienceMs: number[];
  /** Whether, on giving up, the customer leaves without a word (else they say they are leaving). */
  leavesSilently: boolean;
  /** The inbound business priority the channel sends with this customer's messages (absent: none). */
  priority?: number;
  /** How long the agent takes to compose each reply to this customer (ms), by reply number, before any slowdown. */
  composeMs: number[];
}

/** An agent's break: status `away` from `startMs` to `endMs` (from the start of the day). */
export interface AgentBreak {
  startMs: number;
  endMs: number;
}

export interface AgentShift {
  id: string;
  /** When the agent goes online / offline, in ms from the start of the day. */
  startMs: number;
  endMs: number;
  /** Breaks within the shift, in order. */
  breaks: AgentBreak[];
}

export interface WorkloadOptions {
  seed: number;
  conversations: number;
  agents: number;
  dayHours: number;
  /** Length of each agent's shift, as a fraction of the day. */
  shiftFraction: number;
  /** Intake closes this long before the end of the day (the last shifts end with the day). */
  intakeClosesMinutesBeforeEnd: number;
  mix: Record<CustomerType, number>;
  /** How the people behave (sim/model.ts). */
  model: ModelOptions;
}

export interface Workload {
  options: WorkloadOptions;
  /**
   * The virtual day starts here (UTC): a fixed date, in the past. Nothing depends on the date, and
   * the simulator's tables have TTL off, so DynamoDB Local (which expires items by the wall clock)
   * deletes nothing under it.
   */
  dayStart: string;
  dayMs: number;
  customers: CustomerScript[];
  agents: AgentShift[];
}

export const defaultWorkloadOptions: WorkloadOptions = {
  seed: 42,
  conversations: 500,
  agents: 7,
  dayHours: 8,
  shiftFraction: 0.75,
  intakeClosesMinutesBeforeEnd: 30,
  mix: { engaged: 0.55, slow: 0.25, gone: 0.2 },
  model: defaultModel,
};

/** A smaller day for CI: fewer customers and agents, a shorter day. */
export const quickWorkloadOptions: Partial<WorkloadOptions> = { conversations: 120, agents: 3, dayHours: 4 };

/**
 * The options of a named day: the default or `--quick` size, its customers scaled by the day's
 * load (light 0.7×, overloaded 1.3×: sim/model.ts `dayLoad`) against the same agents; explicit
 * overrides (`--conversations`, …) win.
 */
export function dayOptions(day: DayKind, quick: boolean, overrides: Partial<WorkloadOptions> = {}): Partial<WorkloadOptions> {
  const size = { ...defaultWorkloadOptions, ...(quick ? quickWorkloadOptions : {}) };
  return { ...size, conversations: Math.round(size.conversations * dayLoad[day]), ...overrides };
}

const second = 1000;
const minute = 60 * second;

/**
 * The arrival curve: relative arrival rate over the day (0 ≤ x ≤ 1), lowest at the edges and
 * peaking mid-day at a bit over 3× the rate at opening.
 */
export const arrivalRate = (x: number): number => 0.3 + 0.7 * Math.sin(Math.PI * x) ** 2;

/**
 * Arrival times: a Poisson process with the rate above, conditioned on its count. Given N
 * arrivals, a non-homogeneous Poisson process places them as N independent draws from the
 * normalised rate, which rejection sampling gives exactly.
 */
export function arrivalTimes(rng: Rng, count: number, windowMs: number, dayMs: number): number[] {
  const times: number[] = [];
  while (times.length < count) {
    const t = rng.uniform(0, windowMs);
    if (rng.float() * 1.0 <= arrivalRate(t / dayMs)) times.push(Math.round(t));
  }
  return times.sort((a, b) => a - b);
}

/**
 * One customer. Each part of their behaviour draws from its own stream (`draw(aspect)`), so a
 * change to one part of the model (say, the share who leave silently) leaves every other draw of
 * the day as it was: runs that differ in one setting compare like for like.
 */
function customer(draw: (aspect: string) => Rng, index: number, arrivalMs: number, mix: Record<CustomerType, number>, model: ModelOptions): CustomerScript {
  const kind = draw('kind');
  const type = kind.weighted(mix);
  const exchanges = kind.int(2, 6);
  // Gone: half never answer after their first message, half vanish part-way through.
  const messages = type === 'gone' ? (kind.chance(0.5) ? 1 : kind.int(1, exchanges - 1)) : exchanges;
  const answersClosingQuestion = type !== 'gone' && kind.chance(type === 'engaged' ? 0.85 : 0.7);

  const rt = model.responseTimes;
  const responses = draw('responses');
  const ownMedian = responses.lognormal(type === 'slow' ? rt.slowMedianSeconds : rt.engagedMedianSeconds, rt.betweenSigma);
  const responseDelaysMs = Array.from({ length: exchanges + 1 }, () => Math.max(1_000, Math.round(responses.lognormal(ownMedian, rt.withinSigma) * second)));

  const p = model.patience;
  const patience = draw('patience');
  const firstMean = p.firstMeanMinutes[type] * minute;
  const patienceMs = Array.from({ length: exchanges }, (_, q) => Math.round(patience.exponential(q === 0 ? firstMean : firstMean * p.laterFactor)));
  const leavesSilently = patience.chance(p.silentShare);

  const business = draw('priority');
  const priority = business.chance(model.priority.share) ? model.priority.value : undefined;

  const compose = draw('compose');
  const composeMs = Array.from({ length: 8 }, () => Math.round(compose.uniform(30, 90) * second));
  return {
    id: `cust-${String(index + 1).padStart(4, '0')}`,
    phone: `+1555${String(index + 1).padStart(7, '0')}`,
    type,
    arrivalMs,
    exchanges,
    messages,
    responseDelaysMs,
    answersClosingQuestion,
    patienceMs,
    leavesSilently,
    ...(priority === undefined ? {} : { priority }),
    composeMs,
  };
}

/**
 * Breaks every `everyMinutes` of the shift (each moved up to 10 minutes either way), none in the
 * shift's first or last half hour.
 */
export function agentBreaks(rng: Rng, startMs: number, endMs: number, breaks: ModelOptions['breaks']): AgentBreak[] {
  const out: AgentBreak[] = [];
  if (breaks.minutes <= 0 || breaks.everyMinutes <= 0) return out;
  for (let k = 1; ; k++) {
    const at = startMs + Math.round((k * breaks.everyMinutes + rng.uniform(-10, 10)) * minute);
    const until = at + breaks.minutes * minute;
    if (until > endMs - 30 * minute) break;
    if (at >= startMs + 30 * minute && (out.length === 0 || at > out.at(-1)!.endMs)) out.push({ startMs: at, endMs: until });
  }
  return out;
}

/** Shifts staggered evenly: the first starts with the day, the last ends with it; breaks drawn from `rng` (none without). */
export function agentShifts(count: number, dayMs: number, shiftFraction: number, breaks?: { rng: Rng; options: ModelOptions['breaks'] }): AgentShift[] {
  const shiftMs = Math.round(dayMs * Math.min(1, shiftFraction));
  const spread = dayMs - shiftMs;
  return Array.from({ length: count }, (_, i) => {
    const startMs = count === 1 ? 0 : Math.round((spread * i) / (count - 1) / minute) * minute;
    const endMs = startMs + shiftMs;
    return { id: `agent-${i + 1}`, startMs, endMs, breaks: breaks ? agentBreaks(breaks.rng.fork(`agent-${i + 1}`), startMs, endMs, breaks.options) : [] };
  });
}

export function generateWorkload(options: Partial<WorkloadOptions> = {}): Workload {
  const o: WorkloadOptions = { ...defaultWorkloadOptions, ...options };
  if (!Number.isInteger(o.conversations) || o.conversations < 1) throw new RangeError('conversations must be a positive integer');
  if (!Number.isInteger(o.agents) || o.agents < 1) throw new RangeError('agents must be a positive integer');
  const dayMs = Math.round(o.dayHours * 60 * minute);
  const windowMs = Math.max(minute, dayMs - o.intakeClosesMinutesBeforeEnd * minute);
  const root = new Rng(o.seed);
  const arrivals = arrivalTimes(root.fork('arrivals'), o.conversations, windowMs, dayMs);
  const people = root.fork('customers');
  return {
    options: o,
    dayStart: '2026-11-23T08:00:00.000Z',
    dayMs,
    customers: arrivals.map((t, i) => customer((aspect) => people.fork(`${aspect}:${i}`), i, t, o.mix, o.model)),
    agents: agentShifts(o.agents, dayMs, o.shiftFraction, { rng: root.fork('breaks'), options: o.model.breaks }),
  };
}

/** Counts by type, for the report and the tests. */
export function workloadMix(workload: Workload): Record<CustomerType, number> {
  const mix: Record<CustomerType, number> = { engaged: 0, slow: 0, gone: 0 };
  for (const c of workload.customers) mix[c.type] += 1;
  return mix;
}
