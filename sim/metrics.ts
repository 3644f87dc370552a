import type { FollowUpStats } from './follow-ups.js';
import type { Policy } from './policies.js';
import { computeKpis, firstReplySeconds, firstReplyTargetSeconds, slaAttainment, type Kpis } from './kpis.js';
import { percentile, ratio } from './stats.js';
import type { CustomerType, Workload } from './workload.js';

/** What the simulator observed about one customer, from message timestamps. */
export interface ContactRecord {
  type: CustomerType;
  firstMessageAt: number;
  firstAgentAt?: number;
  abandonedAt?: number;
  /** The customer's questions (not the closing answer) and when an agent message answered each. */
  questions: Array<{ at: number; answeredAt?: number }>;
  replies: number;
  /** Tide conversations this customer's messages went to (more than one if one was closed under them). */
  conversationIds: string[];
  closingAskedAt?: number;
  closingAnswerAt?: number;
  /** The inbound business priority the customer's messages carried. */
  priority?: number;
  /** When a customer who gave up said so (the others left without a word). */
  saidLeavingAt?: number;
}

/** One sample of the floor (sim/engine.ts `sample`). */
export interface TimelinePoint {
  minute: number;
  queueLength: number;
  waitingForFirstResponse: number;
  agentsOnline: number;
  composing: number;
  /** Idle (not composing) agents at or above preferred concurrency while work is queued. */
  idleSlotsFull: number;
  /** Idle agents below preferred concurrency while work is queued: should never happen. */
  idleWithCapacity: number;
  active: number;
  preferred: number;
}

/** Totals over all samples: agent-samples in each state. */
export interface FloorTally {
  samples: number;
  /** On shift: online or on a break (`away`); the states below are of online agents. */
  onShift: number;
  /** On a break (`away`). */
  away: number;
  composing: number;
  idleSlotsFull: number;
  idleWithCapacity: number;
  idleQueueEmpty: number;
}

export interface Spread {
  n: number;
  p50?: number;
  p90?: number;
}

export interface PolicyMetrics {
  contacts: number;
  /** First agent message minus first customer message, seconds; customers who gave up excluded. */
  firstResponse: Record<'all' | CustomerType, Spread>;
  /** Every answered question: agent message minus customer message, seconds. */
  replyTime: Spread;
  /** Share of customer questions answered within the queue SLA (unanswered ones count as missed). */
  slaAttainment?: number;
  slaMessages: number;
  slaAttainmentEngaged?: number;
  /** Customers who got no agent message within their patience and gave up. */
  abandoned: number;
  abandonedByType: Record<CustomerType, number>;
  /** Neither answered nor given up when the last shift ended. */
  unansweredAtEnd: number;
  /** Tide conversations closed (by anyone) with at least one agent reply. */
  handled: number;
  handledPerAgentHour?: number;
  /** Customers who got to the closing question (their questions all answered). */
  resolved: number;
  resolvedPerAgentHour?: number;
  agentHours: number;
  /** Share of on-shift time spent composing replies. */
  utilisation?: number;
  /** Replies composed for customers who had already given up. */
  wastedReplies: number;
  /** Customers whose messages went to more than one Tide conversation (closed under them). */
  splitContacts: number;
  capacity: { maxActiveSeen: number; observations: number; overMax: number; overPreferredUnexplained: number; counterDrift: number };
  closes: Record<'agent' | 'classifier' | 'autoClose', number>;
}

export interface PolicyResult {
  key: string;
  label: string;
  description: string;
  /** The workload's seed (the day) this run simulated. */
  seed: number;
  /** The honest KPIs (sim/kpis.ts): what the summary averages over seeds. */
  kpis: Kpis;
  metrics: PolicyMetrics;
  diagnostics: {
    timerEvents: Record<string, number>;
    timersCreated: number;
    pushes: number;
    finalStates: Record<string, number>;
    openWaitingOnAgentAtEnd: number;
    missedPushes: number;
    /** Looks where the agent's latest pushed work list differed from what the tables hold (after the follow-ups ran). */
    frameMismatches: number;
    sweepAssigned: number;
    /** Agents the sweep found with drifted load and repaired. */
    repairedAgents: number;
    /** Presence checks the sweep started or ran, and on-shift agents Tide set offline. */
    presenceChecks: number;
    droppedAgents: number;
    staleActions: number;
    domainErrors: number;
    looks: number;
    replies: number;
    /** Frames pushed, by type (`worklist`, `message`, …). */
    frames: Record<string, number>;
    /** The stream-driven follow-ups as the simulator ran them (sim/follow-ups.ts). */
    followUps: FollowUpStats;
    /** Replies handed to the delivery queue (nobody delivers them here). */
    deliveriesQueued: number;
    staleItemsSeen: number;
    staleItemsInBreachTier: number;
    stalePicks: number;
    /** What the model added (sim/model.ts): compose time from the slowdown and from switching, and how often each applied. */
    model: ModelTally;
    evidence: Array<{ kind: string; at: string; detail: Record<string, unknown> }>;
    domainLog: { tally: Record<string, { level: string; count: number }>; examples: unknown[] };
    /** When the run ended, as a time of day from the day's start. */
    endedAt: string;
    /** Agent-samples by state: composing, idle with slots full while work was queued, idle with capacity while queued (a bug), idle with nothing queued. */
    floor: FloorTally;
    timeline: TimelinePoint[];
  };
  dbCalls: number;
  /** DynamoDB calls by what caused them (nested causes count for the innermost). */
  callsBy: Record<string, number>;
  wallMs: number;
  /**
   * CPU the run cost: this process (the domain code and the simulator), and its own DynamoDB Local
   * (absent on a shared one). What the time budget depends on when the machine is shared.
   */
  cpuSeconds?: { simulator: number; dynamodb?: number };
}

export interface ModelTally {
  slowdownMs: number;
  switches: number;
  switchMs: number;
  /** Engaged customers' answers slowed because the reply before was late (co-production). */
  slowedAnswers: number;
  /** Customers who gave up silently, and who said they were leaving. */
  leftSilently: number;
  saidLeaving: number;
  /** Customers who gave up waiting for their first reply, and on a later question. */
  gaveUpBeforeFirstReply: number;
  gaveUpLater: number;
  /** Breaks taken, and their time (ms). */
  breaks: number;
  breakMs: number;
  /** Mean lateness of Tide's timers (ms). */
  timerLateMsMean: number;
  /** Customers with an inbound business priority, and the share of them whose first reply came within 2 minutes. */
  priorityCustomers: number;
  priorityFirstReplyWithin2minShare?: number;
}

export interface MetricsInput {
  policy: Policy;
  workload: Workload;
  contacts: ContactRecord[];
  dayStart: number;
  dayEnd: number;
  endedAt: number;
  closedBy: Map<string, 'agent' | 'classifier' | 'autoClose'>;
  repliedConversations: Set<string>;
  timerEvents: Record<string, number>;
  capacity: PolicyMetrics['capacity'];
  counters: {
    missedPushes: number;
    frameMismatches: number;
    sweepAssigned: number;
    repairedAgents: number;
    presenceChecks: number;
    droppedAgents: number;
    staleActions: number;
    domainErrors: number;
    looks: number;
    composeMs: number;
    onShiftMs: number;
    replies: number;
    wastedReplies: number;
    staleItemsSeen: number;
    staleItemsInBreachTier: number;
    stalePicks: number;
  };
  model: Omit<ModelTally, 'priorityCustomers' | 'priorityFirstReplyWithin2minShare' | 'leftSilently' | 'saidLeaving' | 'gaveUpBeforeFirstReply' | 'gaveUpLater'>;
  finalStates: Record<string, number>;
  openWaitingOnAgent: number;
  slaSeconds: number;
  evidence: PolicyResult['diagnostics']['evidence'];
  domainLog: PolicyResult['diagnostics']['domainLog'];
  timersCreated: number;
  pushes: number;
  frames: Record<string, number>;
  followUps: FollowUpStats;
  deliveriesQueued: number;
  dbCalls: number;
  callsBy: Record<string, number>;
  timeline: TimelinePoint[];
  floor: FloorTally;
  wallMs: number;
}

/** A time as `hh:mm:ss` from the start of the day (`-hh:mm:ss` before it). */
export function dayTime(ms: number, dayStart: number): string {
  const offset = Math.round((ms - dayStart) / 1000);
  const s = Math.abs(offset);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${offset < 0 ? '-' : ''}${two(Math.floor(s / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}

/** ISO timestamps anywhere in `value` as times of day from `dayStart` (evidence then compares equal across dates). */
export function relativeTimes(value: unknown, dayStart: number): unknown {
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value)) return dayTime(Date.parse(value), dayStart);
  if (Array.isArray(value)) return value.map((v) => relativeTimes(v, dayStart));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relativeTimes(v, dayStart)]));
  return value;
}

export function spread(values: readonly number[]): Spread {
  return { n: values.length, p50: percentile(values, 50), p90: percentile(values, 90) };
}

const types: CustomerType[] = ['engaged', 'slow', 'gone'];

export function computeMetrics(input: MetricsInput): PolicyResult {
  const { contacts } = input;
  const served = contacts.filter((c) => c.abandonedAt === undefined && c.firstAgentAt !== undefined);
  const frt = (list: ContactRecord[]) => spread(list.map((c) => (c.firstAgentAt! - c.firstMessageAt) / 1000));
  const replyTimes = contacts.flatMap((c) => c.questions.filter((q) => q.answeredAt !== undefined).map((q) => (q.answeredAt! - q.at) / 1000));
  // Over every question, answers after the customer left count as missed (sim/kpis.ts).
  const sla = slaAttainment(contacts, input.slaSeconds, input.dayEnd);
  const slaEngaged = slaAttainment(contacts.filter((c) => c.type === 'engaged'), input.slaSeconds, input.dayEnd);
  const abandonedByType = Object.fromEntries(types.map((t) => [t, contacts.filter((c) => c.type === t && c.abandonedAt !== undefined).length])) as Record<CustomerType, number>;
  const handled = [...input.closedBy.keys()].filter((id) => input.repliedConversations.has(id)).length;
  const agentHours = input.counters.onShiftMs / 3_600_000;
  const resolved = contacts.filter((c) => c.closingAskedAt !== undefined).length;
  const closes = { agent: 0, classifier: 0, autoClose: 0 };
  for (const by of input.closedBy.values()) closes[by] += 1;

  const metrics: PolicyMetrics = {
    contacts: contacts.length,
    firstResponse: {
      all: frt(served),
      engaged: frt(served.filter((c) => c.type === 'engaged')),
      slow: frt(served.filter((c) => c.type === 'slow')),
      gone: frt(served.filter((c) => c.type === 'gone')),
    },
    replyTime: spread(replyTimes),
    slaAttainment: sla.attainment,
    slaMessages: sla.counted,
    slaAttainmentEngaged: slaEngaged.attainment,
    abandoned: contacts.filter((c) => c.abandonedAt !== undefined).length,
    abandonedByType,
    unansweredAtEnd: contacts.filter((c) => c.abandonedAt === undefined && c.firstAgentAt === undefined).length,
    handled,
    handledPerAgentHour: agentHours > 0 ? handled / agentHours : undefined,
    resolved,
    resolvedPerAgentHour: agentHours > 0 ? resolved / agentHours : undefined,
    agentHours,
    utilisation: ratio(input.counters.composeMs, input.counters.onShiftMs),
    wastedReplies: input.counters.wastedReplies,
    splitContacts: contacts.filter((c) => c.conversationIds.length > 1).length,
    capacity: input.capacity,
    closes,
  };
  const kpis = computeKpis({
    contacts,
    slaSeconds: input.slaSeconds,
    dayEnd: input.dayEnd,
    agentHours,
    wastedReplies: input.counters.wastedReplies,
    floor: input.floor,
    overruns: input.capacity.overMax,
  });
  const gaveUp = contacts.filter((c) => c.abandonedAt !== undefined);
  const withPriority = contacts.filter((c) => c.priority !== undefined);
  const model: ModelTally = {
    ...input.model,
    leftSilently: gaveUp.filter((c) => c.saidLeavingAt === undefined).length,
    saidLeaving: gaveUp.filter((c) => c.saidLeavingAt !== undefined).length,
    gaveUpBeforeFirstReply: gaveUp.filter((c) => firstReplySeconds(c) === Infinity).length,
    gaveUpLater: gaveUp.filter((c) => firstReplySeconds(c) !== Infinity).length,
    priorityCustomers: withPriority.length,
    priorityFirstReplyWithin2minShare: ratio(withPriority.filter((c) => firstReplySeconds(c) <= firstReplyTargetSeconds).length, withPriority.length),
  };
  return {
    key: input.policy.key,
    label: input.policy.label,
    description: input.policy.description,
    seed: input.workload.options.seed,
    kpis,
    metrics,
    diagnostics: {
      timerEvents: input.timerEvents,
      timersCreated: input.timersCreated,
      pushes: input.pushes,
      finalStates: input.finalStates,
      openWaitingOnAgentAtEnd: input.openWaitingOnAgent,
      missedPushes: input.counters.missedPushes,
      frameMismatches: input.counters.frameMismatches,
      sweepAssigned: input.counters.sweepAssigned,
      repairedAgents: input.counters.repairedAgents,
      presenceChecks: input.counters.presenceChecks,
      droppedAgents: input.counters.droppedAgents,
      staleActions: input.counters.staleActions,
      domainErrors: input.counters.domainErrors,
      looks: input.counters.looks,
      replies: input.counters.replies,
      frames: input.frames,
      followUps: input.followUps,
      deliveriesQueued: input.deliveriesQueued,
      staleItemsSeen: input.counters.staleItemsSeen,
      staleItemsInBreachTier: input.counters.staleItemsInBreachTier,
      stalePicks: input.counters.stalePicks,
      model,
      evidence: input.evidence,
      domainLog: input.domainLog,
      endedAt: dayTime(input.endedAt, input.dayStart),
      floor: input.floor,
      // Every 5 minutes is enough to see the day's shape, and keeps the JSON small.
      timeline: input.timeline.filter((p) => p.minute % 5 === 0),
    },
    dbCalls: input.dbCalls,
    callsBy: input.callsBy,
    wallMs: input.wallMs,
  };
}

