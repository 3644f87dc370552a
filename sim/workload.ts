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
  /** Delay between an agent's reply and the customer's next message, per reply (ms). */
  responseDelaysMs: number[];
  /** Whether the customer answers the closing question ("no thanks") or just goes silent. */
  answersClosingQuestion: boolean;
  /** How long the customer waits for the FIRST agent message before giving up (ms). */
  patienceMs: number;
  /** How long the agent takes to compose each reply to this customer (ms), by reply number. */
  composeMs: number[];
}

export interface AgentShift {
  id: string;
  /** When the agent goes online / offline, in ms from the start of the day. */
  startMs: number;
  endMs: number;
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
};

/** A smaller day for CI: fewer customers and agents, a shorter day. */
export const quickWorkloadOptions: Partial<WorkloadOptions> = { conversations: 120, agents: 3, dayHours: 4 };

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

function customer(rng: Rng, index: number, arrivalMs: number, mix: Record<CustomerType, number>): CustomerScript {
  const type = rng.weighted(mix);
  const exchanges = rng.int(2, 6);
  // Gone: half never answer after their first message, half vanish part-way through.
  const messages = type === 'gone' ? (rng.chance(0.5) ? 1 : rng.int(1, exchanges - 1)) : exchanges;
  const delay = () =>
    type === 'slow' ? Math.round(rng.uniform(10, 60) * minute) : Math.round(rng.logUniform(5, 60) * second);
  const responseDelaysMs = Array.from({ length: exchanges + 1 }, delay);
  const answersClosingQuestion = type !== 'gone' && rng.chance(type === 'engaged' ? 0.85 : 0.7);
  const patienceMs = Math.round(
    (type === 'slow' ? rng.uniform(30, 90) : type === 'engaged' ? rng.uniform(5, 15) : rng.uniform(5, 30)) * minute,
  );
  const composeMs = Array.from({ length: 8 }, () => Math.round(rng.uniform(30, 90) * second));
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
    composeMs,
  };
}

/** Shifts staggered evenly: the first starts with the day, the last ends with it. */
export function agentShifts(count: number, dayMs: number, shiftFraction: number): AgentShift[] {
  const shiftMs = Math.round(dayMs * Math.min(1, shiftFraction));
  const spread = dayMs - shiftMs;
  return Array.from({ length: count }, (_, i) => {
    const startMs = count === 1 ? 0 : Math.round((spread * i) / (count - 1) / minute) * minute;
    return { id: `agent-${i + 1}`, startMs, endMs: startMs + shiftMs };
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
    customers: arrivals.map((t, i) => customer(people, i, t, o.mix)),
    agents: agentShifts(o.agents, dayMs, o.shiftFraction),
  };
}

/** Counts by type, for the report and the tests. */
export function workloadMix(workload: Workload): Record<CustomerType, number> {
  const mix: Record<CustomerType, number> = { engaged: 0, slow: 0, gone: 0 };
  for (const c of workload.customers) mix[c.type] += 1;
  return mix;
}
