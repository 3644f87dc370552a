import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createTables, localCredentials, localRegion } from '../infra/local/dynamodb.js';
import { getAgent, getAgents, upsertAgentProfile } from '../shared/agent/agent-store.js';
import { registerConnection } from '../shared/agent/connections.js';
import { connectionGone } from '../shared/agent/presence.js';
import { setAgentStatus } from '../shared/agent/set-status.js';
import { canTakeQueueWork } from '../shared/agent/model.js';
import { holdingOf, holdsTellWaiting } from '../shared/agent/transitions.js';
import type { DeliveryJob, DeliveryQueue } from '../shared/delivery/delivery-queue.js';
import { closeConversation, sendReply } from '../shared/conversation/commands.js';
import { getConversation, getConversations } from '../shared/conversation/conversation-store.js';
import type { Conversation } from '../shared/conversation/model.js';
import { receiveMessage } from '../shared/conversation/receive-message.js';
import { isTideError } from '../shared/errors.js';
import { byRank } from '../shared/routing/priority.js';
import { sweep } from '../shared/routing/sweep.js';
import type { Deps } from '../shared/runtime/deps.js';
import { environment } from '../shared/runtime/environment.js';
import { createDocumentClient } from '../shared/storage/document-client.js';
import { tableNamesFromEnv } from '../shared/storage/tables.js';
import { onTimer } from '../shared/timers/on-timer.js';
import { SimFollowUps, SimRechecks } from './follow-ups.js';
import { computeMetrics, dayTime, relativeTimes, type ContactRecord, type MetricsInput, type PolicyResult, type TimelinePoint } from './metrics.js';
import { composeWithSlowdown } from './model.js';
import { policyConfig, type Policy } from './policies.js';
import { hash32, Rng } from './prng.js';
import { domainLog, resetDomainLog } from './quiet.js';
import { Heap, seedMathRandom, SimPusher, VirtualClock, VirtualScheduler, type WorklistFrameSeen } from './virtual.js';
import type { AgentBreak, AgentShift, CustomerScript, Workload } from './workload.js';

/**
 * Runs one policy over one workload: the real domain functions against DynamoDB Local (fresh
 * tables), on a virtual clock that jumps from event to event.
 *
 * The simulated people only act on what Tide gives them:
 *  - customers send messages (`receiveMessage`) and read the agents' replies; a customer not
 *    answered within their patience gives up, silently or saying so;
 *  - an agent works one reply at a time; when free and told something changed (a work-list push,
 *    or the end of their own last task) they read their work list (the conversations their agent
 *    item holds, in Tide's rank order) and take the FIRST item that waits on them; they close a
 *    conversation whose last message is the customer's answer to the closing question, or says the
 *    customer is leaving. They take breaks (`away`). Nothing else.
 *
 * How people behave (slowdown, switching, patience, co-production, breaks, …) is the workload's
 * model (sim/model.ts).
 *
 * Commands only write state; what follows a change (routing, pushes, timer schedules, hand-over
 * to delivery) comes from the tables' streams. The simulator runs those follow-ups to completion
 * after every event, on the virtual clock, before the next event (sim/follow-ups.ts).
 */

export const CLOSING_QUESTION = 'Anything else I can help with?';
export const CLOSING_ANSWER = 'no thanks';
/** What a customer who gives up without leaving silently writes (no listed phrase: it needs an agent). */
export const LEAVING_MESSAGE = "Never mind, I'll find another way.";
const closeTaskMs = 5_000;
/** The SLA the simulator measures every policy against (DESIGN §1's default). */
export const measuredSlaSeconds = 120;
/**
 * API Gateway ends a WebSocket connection after 2 h (and Tide's presence check then starts the
 * agent's grace period): the simulated client opens a new connection before that, then closes the
 * old one, as a client renewing its connection does.
 */
export const reconnectEveryMs = 110 * 60_000;

export interface RunOptions {
  endpoint: string;
  /** Delete the policy's tables when done (on a DynamoDB Local that outlives the run). */
  dropTables?: boolean;
  workload: Workload;
  policy: Policy;
  tablePrefix: string;
  /** Tide's safety-net sweep, as the EventBridge rule runs it in AWS. */
  sweepSeconds: number;
  /**
   * Idle agents also re-read their list this often, like a client's periodic `sync`. Any work
   * found this way was not pushed: counted as a missed push (evidence of a domain bug).
   */
  idlePollSeconds: number;
  /** How often the state of the floor is sampled for the timeline (queue length, what agents do). */
  sampleSeconds: number;
  /** Seeds Tide's random routing tie-breaks (default: the workload's seed); another value, same day. */
  routingSeed?: number;
  progress?: (line: string) => void;
}

type SimEvent =
  | { kind: 'message'; contact: Contact; closing: boolean }
  /** The customer's patience for their `question`-th question (0-based) runs out now. */
  | { kind: 'patience'; contact: Contact; question: number }
  | { kind: 'breakStart'; agent: SimAgent; break: AgentBreak }
  | { kind: 'breakEnd'; agent: SimAgent }
  | { kind: 'shiftStart'; agent: SimAgent }
  | { kind: 'shiftEnd'; agent: SimAgent }
  | { kind: 'reconnect'; agent: SimAgent }
  | { kind: 'agentDone'; agent: SimAgent }
  | { kind: 'sweep' }
  | { kind: 'poll' }
  | { kind: 'sample' };

interface Contact extends ContactRecord {
  script: CustomerScript;
  conversationId?: string;
  /** Customer messages sent so far (questions and the closing answer). */
  sentMessages: number;
  /** Will send nothing more (gave up, vanished, answered the closing question, or stayed silent). */
  silent: boolean;
  /** The last reply came late: the customer's next answer is slowed (co-production). */
  answeredLate: boolean;
}

interface SimAgent {
  shift: AgentShift;
  onShift: boolean;
  ending: boolean;
  onlineAt?: number;
  /** The agent's open WebSocket connection, and how many it has opened. */
  connectionId?: string;
  connections: number;
  task?: { kind: 'reply' | 'close'; conversationId: string; durationMs: number };
  dirty: boolean;
  /** The conversation of the agent's last task (a reply to another one costs the switch). */
  lastConversationId?: string;
  /** On a break (`away`); or due to start one as soon as the task in hand is done. */
  onBreak: boolean;
  breakDue: boolean;
  breakStartedAt?: number;
}

interface Evidence {
  kind: string;
  /** Time of day (from the day's start), so that runs of a seed compare equal whatever the date. */
  at: string;
  detail: Record<string, unknown>;
}

/** A delivery queue nobody consumes: replies are handed over and counted, never delivered. */
class CountingDeliveries implements DeliveryQueue {
  jobs = 0;
  async enqueue(jobs: readonly DeliveryJob[]) {
    this.jobs += jobs.length;
  }
}

export async function runPolicy(options: RunOptions): Promise<PolicyResult> {
  // Routing breaks ties at random: seeded, so that a seed's run is the same every time.
  const restoreRandom = seedMathRandom(hash32(`tide-sim:${options.routingSeed ?? options.workload.options.seed}`));
  try {
    return await simulate(options);
  } finally {
    restoreRandom();
  }
}

async function simulate(options: RunOptions): Promise<PolicyResult> {
  const started = Date.now();
  const { workload, policy } = options;
  const dayStart = Date.parse(workload.dayStart);
  const dayEnd = dayStart + workload.dayMs;
  const config = policyConfig(policy, workload.agents);
  // TTL off: DynamoDB Local expires items by the wall clock, and the virtual day lies wherever
  // the workload puts it (docs/decisions.md, Simulator).
  const env = await createTables(options.endpoint, options.tablePrefix, { timeToLive: false });
  const full = { ...env, [environment.dynamodbEndpoint]: options.endpoint, AWS_REGION: 'us-east-1' };
  const tables = tableNamesFromEnv(full);
  const followUps = await SimFollowUps.open(options.endpoint, tables);
  const db = createDocumentClient(full);
  let dbCalls = 0;
  /** DynamoDB calls by what caused them (a domain entry point, the follow-ups, or the simulated agents' reads). */
  const callsBy: Record<string, number> = {};
  let phase = 'setup';
  const send = db.send.bind(db) as (...args: unknown[]) => Promise<unknown>;
  (db as unknown as { send: (...args: unknown[]) => Promise<unknown> }).send = (...args: unknown[]) => {
    dbCalls += 1;
    callsBy[phase] = (callsBy[phase] ?? 0) + 1;
    followUps.written(args[0]);
    return send(...args);
  };

  const model = workload.options.model;
  const clock = new VirtualClock(dayStart);
  // The Scheduler's lateness, drawn in the order Tide creates schedules (a stream of its own).
  const lateness = new Rng(hash32(`scheduler-late:${workload.options.seed}`));
  const timers = new VirtualScheduler(clock, () => lateness.uniform(0, model.schedulerLateSeconds * 1000));
  const now = () => clock.epochMs;
  const at = (ms: number) => dayTime(ms, dayStart);

  // ---- observations -----------------------------------------------------------------------
  const agents = new Map<string, SimAgent>();
  const contacts: Contact[] = [];
  const byConversation = new Map<string, Contact>();
  const repliedConversations = new Set<string>();
  const closedBy = new Map<string, 'agent' | 'classifier' | 'autoClose'>();
  const everInactiveUnder = new Set<string>(); // `${agentId}|${conversationId}`
  const timerEvents: Record<string, number> = {};
  const timeline: TimelinePoint[] = [];
  const floor = { samples: 0, onShift: 0, away: 0, composing: 0, idleSlotsFull: 0, idleWithCapacity: 0, idleQueueEmpty: 0 };
  const modelTally: MetricsInput['model'] = { slowdownMs: 0, switches: 0, switchMs: 0, slowedAnswers: 0, breaks: 0, breakMs: 0, timerLateMsMean: 0 };
  const evidence: Evidence[] = [];
  const note = (kind: string, detail: Record<string, unknown>) => {
    if (evidence.filter((e) => e.kind === kind).length < 5) evidence.push({ kind, at: at(now()), detail: relativeTimes(detail, dayStart) as Record<string, unknown> });
  };
  const capacity = {
    maxActiveSeen: 0,
    observations: 0,
    overMax: 0,
    overPreferredUnexplained: 0,
    counterDrift: 0,
  };
  const counters = {
    missedPushes: 0,
    /** Looks where the agent's latest work-list frame did not show what the tables hold. */
    frameMismatches: 0,
    sweepAssigned: 0,
    /** Agents whose load the sweep found drifted and repaired. */
    repairedAgents: 0,
    /** Presence checks the sweep started or ran (on-shift agents always have a live connection here). */
    presenceChecks: 0,
    /** On-shift agents Tide set offline (a presence check that went through). */
    droppedAgents: 0,
    staleActions: 0,
    domainErrors: 0,
    looks: 0,
    composeMs: 0,
    closeTaskMs: 0,
    onShiftMs: 0,
    replies: 0,
    wastedReplies: 0,
    /** Items seen in work lists flagged stale by Tide's timer, and how many of them still ranked in the breached tier. */
    staleItemsSeen: 0,
    staleItemsInBreachTier: 0,
    /** Agent picks (first actionable item) that were stale. */
    stalePicks: 0,
  };

  const checkLoad = (agentId: string, active: number, preferred: number, max: number, activeIds: string[], source: string) => {
    capacity.observations += 1;
    capacity.maxActiveSeen = Math.max(capacity.maxActiveSeen, active);
    if (active > max) {
      capacity.overMax += 1;
      note('overMax', { agentId, active, max, source });
    }
    const reactivated = activeIds.filter((id) => everInactiveUnder.has(`${agentId}|${id}`)).length;
    // Dynamic concurrency lets queue routing fill an agent with nothing waiting on them this much further.
    const routable = preferred + config.routing.dynamicConcurrencyMargin;
    if (active > routable && active - routable > reactivated) {
      capacity.overPreferredUnexplained += 1;
      note('overPreferredUnexplained', { agentId, active, preferred, reactivated, source, activeIds });
    }
  };

  const pusher = new SimPusher((agentId, frame) => {
    if (frame.type !== 'worklist') return;
    const f = frame as unknown as WorklistFrameSeen;
    for (const item of f.items) if (item.state === 'inactive') everInactiveUnder.add(`${agentId}|${item.conversationId}`);
    const activeIds = f.items.filter((i) => i.state === 'active').map((i) => i.conversationId);
    checkLoad(agentId, f.agent.active, f.agent.preferredConcurrency, f.agent.maxLoad, activeIds, `push seq ${f.seq}`);
    const agent = agents.get(agentId);
    if (agent) agent.dirty = true;
  });

  const rechecks = new SimRechecks();
  const deliveries = new CountingDeliveries();
  const deps: Deps & { rechecks: SimRechecks } = {
    db,
    tables,
    config,
    clock,
    pusher,
    http: async () => ({ status: 200 }),
    timers,
    // The simulated channel has a literal secret: nothing to read.
    secrets: { read: async () => { throw new Error('no Secrets Manager in the simulator'); } },
    deliveries,
    rechecks,
  };

  const domainError = (what: string, error: unknown) => {
    counters.domainErrors += 1;
    note('domainError', { what, error: String((error as Error)?.stack ?? error).slice(0, 600), cause: String((error as Error)?.cause ?? '').slice(0, 300) });
  };
  const onFollowUpError = (error: unknown, consumer: string) => domainError(`follow-ups (${consumer})`, error);
  /** The follow-ups of everything written so far, to completion (a no-op when nothing was written). */
  const settle = async () => {
    const outer = phase;
    phase = 'followUps';
    try {
      await followUps.settle(deps, onFollowUpError);
    } catch (error) {
      domainError('follow-ups', error);
    } finally {
      phase = outer;
    }
  };

  // ---- the event queue ----------------------------------------------------------------------
  let seq = 0;
  const events = new Heap<{ at: number; seq: number; event: SimEvent }>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  const schedule = (ms: number, event: SimEvent) => events.push({ at: ms, seq: seq++, event });

  for (const shift of workload.agents) {
    const agent: SimAgent = { shift, onShift: false, ending: false, dirty: false, connections: 0, onBreak: false, breakDue: false };
    agents.set(shift.id, agent);
    const profile = config.agents.find((a) => a.id === shift.id)!;
    await upsertAgentProfile(deps, profile);
    schedule(dayStart + shift.startMs, { kind: 'shiftStart', agent });
    for (const b of shift.breaks) {
      schedule(dayStart + b.startMs, { kind: 'breakStart', agent, break: b });
      schedule(dayStart + b.endMs, { kind: 'breakEnd', agent });
    }
    schedule(dayStart + shift.endMs, { kind: 'shiftEnd', agent });
  }
  await settle();
  for (const script of workload.customers) {
    const contact: Contact = {
      script,
      type: script.type,
      firstMessageAt: dayStart + script.arrivalMs,
      questions: [],
      replies: 0,
      sentMessages: 0,
      silent: false,
      answeredLate: false,
      conversationIds: [],
      ...(script.priority === undefined ? {} : { priority: script.priority }),
    };
    contacts.push(contact);
    schedule(contact.firstMessageAt, { kind: 'message', contact, closing: false });
  }
  schedule(dayStart + options.sweepSeconds * 1000, { kind: 'sweep' });
  schedule(dayStart + options.idlePollSeconds * 1000, { kind: 'poll' });
  schedule(dayStart + (options.sampleSeconds * 1000) / 2, { kind: 'sample' });

  const guard = async (what: string, fn: () => Promise<void>) => {
    const outer = phase;
    phase = what;
    try {
      await fn();
    } catch (error) {
      if (isTideError(error)) {
        counters.staleActions += 1;
        note('staleAction', { what, code: error.code, message: error.message });
      } else domainError(what, error);
    } finally {
      phase = outer;
    }
  };

  // ---- customers ----------------------------------------------------------------------------
  /** The customer writes `text` (on their channel, with their business priority). */
  const write = async (contact: Contact, text: string) => {
    const s = contact.script;
    contact.sentMessages += 1;
    const received = await receiveMessage(deps, {
      channel: 'generic',
      externalId: `${s.id}-${contact.sentMessages}`,
      from: s.phone,
      text,
      queue: 'default',
      ...(s.priority === undefined ? {} : { priority: s.priority }),
    });
    if (received.conversationId !== contact.conversationId) {
      contact.conversationId = received.conversationId;
      contact.conversationIds.push(received.conversationId);
      byConversation.set(received.conversationId, contact);
    }
    return received;
  };

  const customerMessage = async (contact: Contact, closing: boolean) => {
    if (contact.silent) return;
    const s = contact.script;
    const question = contact.questions.length + 1;
    const text = closing ? CLOSING_ANSWER : question === 1 ? `Hi, I need help with order ${s.id}` : `Follow-up question ${question} about my order`;
    const received = await write(contact, text);
    if (closing) {
      contact.closingAnswerAt = now();
      contact.silent = true;
      const after = await getConversation(deps, received.conversationId);
      if (after?.state === 'closed' && !closedBy.has(received.conversationId)) closedBy.set(received.conversationId, 'classifier');
      return;
    }
    contact.questions.push({ at: now() });
    // Patience on every question: not answered in time, the customer gives up.
    const index = question - 1;
    schedule(now() + s.patienceMs[Math.min(index, s.patienceMs.length - 1)]!, { kind: 'patience', contact, question: index });
  };

  /** The customer's patience for a question ran out: unless it was answered, they give up (silently, or saying so). */
  const onPatience = async (contact: Contact, question: number) => {
    if (contact.silent || contact.questions[question]?.answeredAt !== undefined) return;
    contact.abandonedAt = now();
    contact.silent = true;
    if (contact.script.leavesSilently) return;
    contact.saidLeavingAt = now();
    await write(contact, LEAVING_MESSAGE);
  };

  /** What the customer does after an agent's reply. */
  const customerReads = (contact: Contact, closingQuestion: boolean) => {
    if (contact.silent) return;
    const s = contact.script;
    let delay = s.responseDelaysMs[Math.min(contact.replies - 1, s.responseDelaysMs.length - 1)]!;
    // Co-production: an engaged customer kept waiting answers slower in turn.
    if (contact.answeredLate) {
      contact.answeredLate = false;
      delay = Math.round(delay * model.coProduction.factor);
      modelTally.slowedAnswers += 1;
    }
    if (closingQuestion) {
      if (s.answersClosingQuestion) schedule(now() + delay, { kind: 'message', contact, closing: true });
      else contact.silent = true;
    } else if (contact.questions.length < s.messages) {
      schedule(now() + delay, { kind: 'message', contact, closing: false });
    } else contact.silent = true; // vanished mid-conversation
  };

  // ---- agents -------------------------------------------------------------------------------
  /**
   * The agent's list as the tables hold it: the conversations the agent item holds, in Tide's
   * rank order (what the pushed `worklist` frame shows; `sync` reads the same). Two reads.
   */
  const look = async (agent: SimAgent, viaPoll: boolean) => {
    const id = agent.shift.id;
    counters.looks += 1;
    agent.dirty = false;
    const stored = await getAgent(deps, id);
    const holds = stored?.holds ?? {};
    const held = await getConversations(deps, Object.keys(holds));
    const work = held.filter((c) => holdingOf(c, id)).sort(byRank);
    for (const c of work) if (c.state === 'inactive') everInactiveUnder.add(`${id}|${c.conversationId}`);
    const activeIds = work.filter((c) => c.state === 'active').map((c) => c.conversationId);
    if (stored) {
      checkLoad(id, stored.active, stored.preferredConcurrency, stored.maxLoad, activeIds, 'getAgent');
      const disagreeing = Object.keys(holds).filter((cid) => holdingOf(held.find((c) => c.conversationId === cid), id, holdsTellWaiting(config)) !== holds[cid]);
      if (stored.active !== activeIds.length || disagreeing.length > 0) {
        capacity.counterDrift += 1;
        note('counterDrift', { agentId: id, storedActive: stored.active, listedActive: activeIds.length, holdsDisagreeing: disagreeing });
      }
    }
    // After the follow-ups have run, the agent's screen (the latest frame) shows what the tables hold.
    const frame = pusher.latestWorklist(id);
    const shown = (frame?.items ?? []).map((i) => `${i.conversationId}:${i.state}:${i.waitingOn}`).join(' ');
    const stands = work.map((c) => `${c.conversationId}:${c.state}:${c.waitingOn}`).join(' ');
    if (shown !== stands) {
      counters.frameMismatches += 1;
      note('frameMismatch', { agentId: id, frameSeq: frame?.seq, frame: shown, tables: stands });
    }
    for (const c of work) {
      if (!c.stale) continue;
      counters.staleItemsSeen += 1;
      if (c.rank.startsWith('1:')) {
        counters.staleItemsInBreachTier += 1;
        note('staleButBreachTier', { agentId: id, conversationId: c.conversationId, rank: c.rank, waitingSince: c.waitingSince, slaBreached: c.slaBreached, stale: c.stale });
      }
    }
    const item = work.find((c) => c.state === 'active' && c.waitingOn === 'agent' && !c.followUpAt);
    if (!item) return;
    if (item.stale) counters.stalePicks += 1;
    if (viaPoll) {
      counters.missedPushes += 1;
      note('missedPush', { agentId: id, conversationId: item.conversationId, rank: item.rank, updatedAt: item.updatedAt });
    }
    startTask(agent, item, activeIds.length);
  };

  /**
   * The agent starts on `item` with `active` active conversations: closing one the customer ended
   * (the answer to the closing question, or a "never mind") takes 5 s; a reply takes its drawn
   * compose time, slowed by the agent's other active conversations, plus the switch when the
   * agent's last task was on another conversation (sim/model.ts).
   */
  const startTask = (agent: SimAgent, item: Conversation, active: number) => {
    const contact = byConversation.get(item.conversationId);
    if (!contact) note('unknownConversation', { conversationId: item.conversationId });
    const last = item.lastMessage;
    const ended = last.direction === 'in' && (last.text === CLOSING_ANSWER || last.text === LEAVING_MESSAGE);
    let durationMs = closeTaskMs;
    if (!ended) {
      const base = contact?.script.composeMs[Math.min(contact.replies, contact.script.composeMs.length - 1)] ?? 60_000;
      durationMs = composeWithSlowdown(base, active, model.slowdown);
      modelTally.slowdownMs += durationMs - base;
      if (agent.lastConversationId !== undefined && agent.lastConversationId !== item.conversationId) {
        const switchMs = Math.round(model.switchSeconds * 1000);
        durationMs += switchMs;
        modelTally.switches += 1;
        modelTally.switchMs += switchMs;
      }
    }
    agent.lastConversationId = item.conversationId;
    agent.task = { kind: ended ? 'close' : 'reply', conversationId: item.conversationId, durationMs };
    schedule(now() + durationMs, { kind: 'agentDone', agent });
  };

  const finishTask = async (agent: SimAgent) => {
    const task = agent.task!;
    const id = agent.shift.id;
    const contact = byConversation.get(task.conversationId);
    if (task.kind === 'close') {
      counters.closeTaskMs += task.durationMs;
      await guard('close', async () => {
        await closeConversation(deps, id, task.conversationId);
        closedBy.set(task.conversationId, 'agent');
      });
    } else {
      counters.composeMs += task.durationMs;
      const closingQuestion = contact !== undefined && contact.questions.length >= contact.script.exchanges;
      const text = closingQuestion ? `Here is the answer. ${CLOSING_QUESTION}` : `Here is the answer to question ${contact?.questions.length ?? '?'}.`;
      await guard('reply', async () => {
        await sendReply(deps, { agentId: id, conversationId: task.conversationId, text });
        counters.replies += 1;
        repliedConversations.add(task.conversationId);
        if (!contact) return;
        const waiting = contact.questions.find((q) => q.answeredAt === undefined);
        if (contact.type === 'engaged' && waiting && now() - waiting.at > model.coProduction.lateAfterSeconds * 1000) contact.answeredLate = true;
        contact.replies += 1;
        if (contact.firstAgentAt === undefined) contact.firstAgentAt = now();
        for (const q of contact.questions) q.answeredAt ??= now();
        if (contact.abandonedAt !== undefined) counters.wastedReplies += 1;
        if (closingQuestion) contact.closingAskedAt ??= now();
        customerReads(contact, closingQuestion);
      });
    }
    agent.task = undefined;
    if (agent.ending) await goOffline(agent);
    else if (agent.breakDue) await goAway(agent);
    else agent.dirty = true;
  };

  /** A break: the agent sets `away` (keeps their conversations, takes no queue work) and stops looking. */
  const goAway = async (agent: SimAgent) => {
    agent.breakDue = false;
    agent.onBreak = true;
    agent.breakStartedAt = now();
    await setAgentStatus(deps, agent.shift.id, 'away');
  };

  const backFromBreak = async (agent: SimAgent) => {
    agent.breakDue = false;
    if (!agent.onBreak) return;
    agent.onBreak = false;
    modelTally.breaks += 1;
    modelTally.breakMs += now() - (agent.breakStartedAt ?? now());
    await setAgentStatus(deps, agent.shift.id, 'online');
    agent.dirty = true;
  };

  /** Opens a new connection for the agent's client (`sim-<agentId>-<n>`); the old one, if any, is closed after. */
  const connect = async (agent: SimAgent) => {
    const id = agent.shift.id;
    const previous = agent.connectionId;
    agent.connections += 1;
    agent.connectionId = `sim-${id}-${agent.connections}`;
    pusher.connect(agent.connectionId, id);
    await registerConnection(deps, { connectionId: agent.connectionId, agentId: id, role: 'agent' });
    if (previous) await connectionGone(deps, previous, id);
    schedule(now() + reconnectEveryMs, { kind: 'reconnect', agent });
  };

  const goOnline = async (agent: SimAgent) => {
    await connect(agent);
    agent.onShift = true;
    agent.onlineAt = now();
    await setAgentStatus(deps, agent.shift.id, 'online');
    agent.dirty = true;
  };

  const goOffline = async (agent: SimAgent) => {
    agent.onShift = false;
    agent.ending = false;
    agent.onBreak = false;
    agent.breakDue = false;
    counters.onShiftMs += now() - (agent.onlineAt ?? now());
    await setAgentStatus(deps, agent.shift.id, 'offline');
    // The agent closes the client at the end of the shift.
    if (agent.connectionId) await connectionGone(deps, agent.connectionId, agent.shift.id);
    agent.connectionId = undefined;
  };

  // ---- the floor, sampled ------------------------------------------------------------------
  /**
   * What the queue and the agents look like right now (stored state, read consistently): is an
   * idle agent idle because its slots are full of conversations waiting on customers, or with
   * free capacity while work is queued (which would be a lost wake-up)?
   */
  const sample = async () => {
    const queued = (await db.send(
      new QueryCommand({
        TableName: deps.tables.conversations,
        IndexName: 'byQueue',
        KeyConditionExpression: 'queuedIn = :q',
        ExpressionAttributeValues: { ':q': 'default' },
        Select: 'COUNT',
      }),
    )) as { Count?: number };
    const queueLength = queued.Count ?? 0;
    const onShift = (await getAgents(deps, [...agents.keys()])).filter((a) => a.status !== 'offline');
    onShift.sort((a, b) => (a.agentId < b.agentId ? -1 : 1));
    floor.onShift += onShift.length;
    const online = onShift.filter((a) => a.status === 'online');
    floor.away += onShift.length - online.length;
    let composing = 0;
    let slotsFull = 0;
    let withCapacity = 0;
    let active = 0;
    let preferred = 0;
    for (const a of online) {
      const simAgent = agents.get(a.agentId);
      active += a.active;
      preferred += a.preferredConcurrency;
      if (simAgent?.task) {
        composing += 1;
        floor.composing += 1;
      } else if (queueLength === 0) floor.idleQueueEmpty += 1;
      // Every slot full as Tide's routing counts them (effort-weighted load, ramp-up limit).
      else if (!canTakeQueueWork(a)) {
        slotsFull += 1;
        floor.idleSlotsFull += 1;
      } else {
        withCapacity += 1;
        floor.idleWithCapacity += 1;
        note('idleWithCapacityWhileQueued', { agentId: a.agentId, active: a.active, queueLength });
      }
    }
    floor.samples += 1;
    const waitingFirst = contacts.filter((c) => c.firstAgentAt === undefined && !c.silent && c.firstMessageAt <= now()).length;
    timeline.push({ minute: Math.round((now() - dayStart) / 60_000), queueLength, waitingForFirstResponse: waitingFirst, agentsOnline: online.length, composing, idleSlotsFull: slotsFull, idleWithCapacity: withCapacity, active, preferred });
  };

  // ---- the loop -----------------------------------------------------------------------------
  let sweeps = 0;
  const checkStreams = async () => {
    const outer = phase;
    phase = 'followUps';
    await followUps.readAll(deps, onFollowUpError).catch((error: unknown) => domainError('follow-ups', error));
    phase = outer;
  };
  const handle = async (event: SimEvent) => {
    switch (event.kind) {
      case 'message':
        return guard('receiveMessage', () => customerMessage(event.contact, event.closing));
      case 'patience':
        return guard('receiveMessage', () => onPatience(event.contact, event.question));
      case 'breakStart':
        if (!event.agent.onShift || event.agent.ending) return;
        if (event.agent.task) event.agent.breakDue = true;
        else await guard('away', () => goAway(event.agent));
        return;
      case 'breakEnd':
        return guard('online', () => backFromBreak(event.agent));
      case 'shiftStart':
        return guard('online', () => goOnline(event.agent));
      case 'shiftEnd':
        if (event.agent.task) event.agent.ending = true;
        else await guard('offline', () => goOffline(event.agent));
        return;
      case 'reconnect':
        if (event.agent.connectionId) await guard('reconnect', () => connect(event.agent));
        return;
      case 'agentDone':
        return guard('agentDone', () => finishTask(event.agent));
      case 'sweep': {
        // Every 15 minutes, every stream is read whether or not a write was seen: a check of the
        // simulator's bookkeeping (SimFollowUps). Any record it finds fails the run.
        if (++sweeps % 15 === 0) await checkStreams();
        await guard('sweep', async () => {
          const result = await sweep(deps);
          if (result.assigned > 0) {
            counters.sweepAssigned += result.assigned;
            note('sweepAssigned', { assigned: result.assigned });
          }
          if (result.repairedAgents > 0) {
            counters.repairedAgents += result.repairedAgents;
            note('repairedAgents', { repaired: result.repairedAgents });
          }
          if (result.presenceChecks > 0) {
            counters.presenceChecks += result.presenceChecks;
            note('presenceChecks', { checks: result.presenceChecks });
          }
          if (result.failedQueues.length > 0) domainError('sweep', new Error(`routing failed for ${result.failedQueues.join(', ')}`));
        });
        if (now() + options.sweepSeconds * 1000 < dayEnd) schedule(now() + options.sweepSeconds * 1000, { kind: 'sweep' });
        return;
      }
      case 'sample': {
        await guard('sample', sample);
        if (now() + options.sampleSeconds * 1000 < dayEnd) schedule(now() + options.sampleSeconds * 1000, { kind: 'sample' });
        return;
      }
      case 'poll': {
        for (const agent of agents.values()) {
          if (agent.onShift && !agent.task && !agent.ending && !agent.onBreak && !agent.dirty) await guard('poll', () => look(agent, true));
        }
        if (now() + options.idlePollSeconds * 1000 < dayEnd) schedule(now() + options.idlePollSeconds * 1000, { kind: 'poll' });
        return;
      }
    }
  };

  let lastProgress = dayStart;
  const allOff = () => [...agents.values()].every((a) => !a.onShift);
  try {
    for (;;) {
      const next = Math.min(events.peek()?.at ?? Infinity, timers.nextAt() ?? Infinity);
      if (next === Infinity || (next > dayEnd && allOff())) break;
      clock.set(Math.max(next, now()));
      // Tide's timers first (what the system does on its own), then what people do at this
      // instant; each with its follow-ups before the next.
      for (let round = 0; round < 20; round++) {
        const due = timers.takeDue();
        if (due.length === 0) break;
        for (const timer of due) {
          await guard('onTimer', async () => {
            const performed = await onTimer(deps, timer.payload);
            for (const e of performed) {
              timerEvents[e] = (timerEvents[e] ?? 0) + 1;
              if (e === 'autoClose' && timer.payload.kind === 'conversation') closedBy.set(timer.payload.conversationId, 'autoClose');
              if (e === 'offline' && timer.payload.kind === 'presence' && agents.get(timer.payload.agentId)?.onShift) {
                counters.droppedAgents += 1;
                note('agentDropped', { agentId: timer.payload.agentId });
              }
            }
          });
          await settle();
        }
      }
      while (events.size && events.peek()!.at <= now()) {
        await handle(events.pop()!.event);
        await settle();
      }
      // Free agents who were told something changed look at their list (in a fixed order).
      for (const agent of agents.values()) {
        if (agent.onShift && !agent.task && !agent.ending && !agent.onBreak && agent.dirty) await guard('look', () => look(agent, false));
      }
      if (options.progress && now() - lastProgress >= 3600_000) {
        lastProgress = now();
        options.progress(`  ${policy.key}: ${at(now()).slice(0, 5)} into the day, ${((Date.now() - started) / 1000).toFixed(0)} s, ${dbCalls} DynamoDB calls, ${followUps.stats.streamCalls} stream calls`);
      }
    }
    await checkStreams();
  } finally {
    followUps.close();
  }
  const endedAt = now();

  // ---- what the tables say at the end -----------------------------------------------------
  const finalStates: Record<string, number> = {};
  let openWaitingOnAgent = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = (await db.send(new ScanCommand({ TableName: deps.tables.conversations, ExclusiveStartKey: start }))) as {
      Items?: Conversation[];
      LastEvaluatedKey?: Record<string, unknown>;
    };
    for (const c of page.Items ?? []) {
      finalStates[c.state] = (finalStates[c.state] ?? 0) + 1;
      if (c.state !== 'closed' && c.waitingOn === 'agent' && !c.followUpAt) openWaitingOnAgent += 1;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  db.destroy();
  if (options.dropTables) await dropTables(options.endpoint, Object.values(tables));

  const logTally = Object.fromEntries([...domainLog.byMessage].map(([m, v]) => [m, { level: v.level, count: v.count }]));
  const logExamples = [...domainLog.byMessage]
    .filter(([, v]) => v.level !== 'INFO' && v.level !== 'DEBUG')
    // The logger stamps the wall clock: left out, so that a seed's runs compare equal.
    .map(([m, v]) => ({ message: m, example: Object.fromEntries(Object.entries(v.example).filter(([k]) => k !== 'timestamp')) }));
  resetDomainLog();

  return computeMetrics({
    policy,
    workload,
    contacts,
    dayStart,
    dayEnd,
    endedAt,
    closedBy,
    repliedConversations,
    timerEvents,
    capacity,
    counters,
    model: { ...modelTally, timerLateMsMean: timers.created ? timers.lateMsTotal / timers.created : 0 },
    finalStates,
    openWaitingOnAgent,
    // Measured against the queue SLA Tide ships (120 s) whatever the policy configures, so an
    // experiment that moves Tide's own SLA is still judged on the same target.
    slaSeconds: measuredSlaSeconds,
    evidence,
    domainLog: { tally: logTally, examples: logExamples.slice(0, 5) },
    timersCreated: timers.created,
    pushes: pusher.frames,
    frames: pusher.byType,
    followUps: followUps.stats,
    deliveriesQueued: deliveries.jobs,
    dbCalls,
    callsBy,
    timeline,
    floor,
    wallMs: Date.now() - started,
  });
}

/** Deletes a run's tables (their names carry the run's own prefix). */
async function dropTables(endpoint: string, names: readonly string[]): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: localRegion, credentials: localCredentials });
  try {
    for (const TableName of names) await client.send(new DeleteTableCommand({ TableName }));
  } finally {
    client.destroy();
  }
}
