/**
 * Section 5: a busy hour. 20 agents serve an open-loop stream of customers, half new, half
 * following up in conversations the agent already answered; agents answer 200 ms after the work
 * reaches them and close their oldest answered conversations while they hold more than 3. Each
 * offered rate runs on a fresh stack (`npm start` as a child process, with capacity metering), so
 * that a backlog left by one rate does not weigh on the next and `/dev/stats` and CPU are the
 * step's alone. Invariants of the work lists are checked on every frame; a broken one fails the
 * run (`failed` in the result). See bench/README.md.
 */
import { loadavg } from 'node:os';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localCredentials, localRegion } from '../../infra/local/dynamodb.js';
import { difference, type CapacitySnapshot, type CommandTally } from '../../shared/storage/capacity-meter.js';
import { BenchAgent, FrameHub, postInbound, type Frame, type Posted, type WorklistLike } from '../lib/agents.js';
import { machineBusySeconds, treeCpuByPid, treeCpuDelta } from '../lib/proc.js';
import { startCountingReceiver, type CountingReceiver } from '../lib/receiver.js';
import { startStackProcess, type StackProcess } from '../lib/stack-process.js';
import { num, percentile, pool, rng, round, sleep, summarize, table, type Summary } from '../lib/util.js';

export interface BusyHourOptions {
  seed: number;
  quick: boolean;
  projectRoot: string;
  log: (line: string) => void;
  /** Offered rates, msg/s (default 20, 50, 100; quick 20, 50). */
  rates?: number[];
  /** Seconds of arrivals per rate (default 20; quick 6). */
  seconds?: number;
  /** `TIDE_FAULTS` for the stack (infra/local/fault-injection.ts): the busy hour on a bad day. */
  faults?: string;
}

const secret = 'bench-secret';
const agentCount = 20;
const preferredConcurrency = 5;
const maxLoad = 6;
/** Agents answer this long after the work reaches them. */
const replyDelayMs = 200;
/** Agents close their oldest answered conversations while they hold more than this many. */
const closeAbove = 3;
const postTimeoutMs = 10_000;
const actionTimeoutMs = 10_000;
/** After the last arrival, the step waits this long at most for pushes, assignments and actions (quick: half). */
const drainMaxMs = 10_000;
/** Before each measured step: this rate for this long, then every conversation closed (JIT and caches warm). */
const warmUp = { rate: 20, seconds: 2 };
/** Then the stack's idle CPU is measured over this long (quick: half). */
const idleMs = 2_000;
/** A follow-up whose `message` frame has not come this long after its scheduled time: "push never came". */
const pushTimeoutMs = 10_000;

const questions = [
  'Where is my order? It was due yesterday',
  'Can I change the delivery address please',
  'The app shows an error when I pay',
  'I was charged twice for the same thing',
  'How do I return the blue jacket',
  'My code for the discount does not work',
];
const answers = [
  'Let me check that for you.',
  'I have changed it, you should see it now.',
  'Sorry about that, I am looking into it.',
  'I have refunded the second charge.',
];

type Phase = 'new' | 'replying' | 'answered' | 'follow-up' | 'closing' | 'closed' | 'unanswered' | 'failed';

interface Conv {
  id: string;
  customer: string;
  phase: Phase;
  agentId?: string;
  listedAt?: number;
  answeredAt?: number;
}

interface Msg {
  kind: 'new' | 'follow-up';
  due: number;
  sentAt?: number;
  expectedConversationId?: string;
  posted?: Posted;
  accepted: boolean;
}

/** Counters of one stretch of the workload (the warm-up, or a measured step). */
class Tally {
  readonly messages: Msg[] = [];
  substitutedFollowUps = 0;
  followUpsMisrouted = 0;
  messageOnOtherAgent = 0;
  replies = 0;
  closes = 0;
  actionErrors: Record<string, number> = {};
  actionTimeouts = 0;
  actionErrorExamples: string[] = [];
  unansweredAtEnd = 0;
}

interface DevStats {
  dynamodb: CapacitySnapshot;
  sqs: Record<string, number>;
  scheduler: Record<string, number>;
  fires: number;
  /** The stream pollers (consumer:table): GetRecords calls and handler batches. */
  streams?: Record<string, { polls: number; batches: number }>;
  /** Faults injected so far, by kind (only with TIDE_FAULTS). */
  faults?: Record<string, number>;
}

export interface Violation {
  invariant: string;
  detail: string;
}

export interface InvariantCounts {
  /** Work-list frames checked for active items ≤ preferredConcurrency. */
  framesChecked: number;
  maxActiveSeen: number;
  overActive: number;
  /** Close acks received, each one a conversation that no later-issued frame may show. */
  closeAcks: number;
  /** (frame, closed conversation of that agent) pairs checked. */
  closedPairsChecked: number;
  closedShownAgain: number;
  /** Conversations on the agents' latest lists at the end, and how many were on two at once. */
  listedAtEnd: number;
  onTwoListsAtEnd: number;
  /** Accepted messages checked for a push (follow-ups: `message` frame; new: work list, or still queued). */
  acceptedChecked: number;
  neverPushed: number;
  /** Unassigned at the end of the step, confirmed `queued` in DynamoDB. */
  confirmedQueued: number;
  /** Conversations that appeared on more than one agent's list during the step (no transfer in this workload). */
  listedByTwoAgentsEver: number;
}

export interface BusyHourStep {
  offeredPerSecond: number;
  seconds: number;
  setup: { startupMs: number; connectMs: number; drainMs: number; warmUpMessages: number; warmUpResetMs: number; resetComplete: boolean; loadAverageBefore: number; loadAverageAfter: number };
  sent: number;
  accepted: number;
  /** Accepted + POSTs timed out on the client (still processed by the stack): the divisor of every per-message figure. */
  inbound: number;
  newCustomers: number;
  followUps: number;
  substitutedFollowUps: number;
  /** Accepted messages over the time from the first scheduled send to the last push or assignment. */
  achievedPerSecond?: number;
  windowSeconds: number;
  ingestToPushMs: Summary;
  followUpToPushMs: Summary;
  /** p50 of ingest → push for the messages due in each second of the step (null: none pushed). */
  ingestToPushP50BySecondMs: Array<number | null>;
  newToWorklistMs: Summary;
  waitingInQueue: number;
  postStatusMs: Summary;
  acceptedPostMs: Summary;
  generatorLagMs: Summary;
  errors: {
    total: number;
    non2xx: Record<string, number>;
    postTimeouts: number;
    postNetworkErrors: number;
    actionErrors: Record<string, number>;
    actionTimeouts: number;
    pushNeverCame: number;
    examples: string[];
  };
  anomalies: { followUpsMisrouted: number; messageOnOtherAgent: number; unansweredAtEnd: number };
  replies: number;
  closes: number;
  outboundDelivered: number;
  /** With `--faults`: what the bad day cost. `stored` must equal `accepted` (else a violation). */
  faults?: { plan: string; injected: Record<string, number>; accepted: number; stored: number; stuck: number; duplicatesDelivered: number };
  cpu: {
    /** The stack with nothing to do, just before the step: % of one core. */
    stackIdlePercentOfCore: number;
    /** Stack CPU less the idle rate over the window, per 1,000 accepted messages. */
    stackSecondsPer1000AboveIdle: number;
    stackSeconds: number;
    /** Of which the stack's Node process (one event loop: it saturates at about 100 %) and the DynamoDB Local JVM. */
    nodePercentOfCore: number;
    jvmPercentOfCore: number;
    stackSecondsPer1000: number;
    stackPercentOfCore: number;
    loadgenSeconds: number;
    loadgenSecondsPer1000: number;
    loadgenPercentOfCore: number;
    /** Other processes on the machine during the window, % of one core (anything above a few % makes the step noisy). */
    otherPercentOfCore?: number;
  };
  dynamodb: {
    calls: number;
    failures: number;
    readUnits: number;
    writeUnits: number;
    perInbound: { calls: number; failures: number; readUnits: number; writeUnits: number };
    byHandlerPerInbound: Record<string, { calls: number; failures: number; readUnits: number; writeUnits: number }>;
    /** `handler Operation` → the same figures: where each handler's calls go. */
    byHandlerOperationPerInbound: Record<string, { calls: number; failures: number; readUnits: number; writeUnits: number }>;
    byCommandPerInbound: Record<string, { calls: number; failures: number; readUnits: number; writeUnits: number }>;
  };
  sqsPerInbound: Record<string, number>;
  sqsCallsPerInbound: number;
  schedulerPerInbound: Record<string, number>;
  /** Stream reads per inbound message, by consumer and table: `polls` GetRecords, `batches` handler calls. */
  streamsPerInbound: Record<string, { polls: number; batches: number }>;
  schedulerCallsPerInbound: number;
  firesPerInbound: number;
  invariants: InvariantCounts;
  violations: Violation[];
  stackOutput?: string;
}

export interface Target {
  step: number;
  label: string;
  value?: number;
  limit: string;
  ok: boolean;
}

export interface BusyHourResult {
  setup: Record<string, unknown>;
  steps: BusyHourStep[];
  targets: Target[];
  violations: number;
  /** True when an invariant broke: the run must fail. */
  failed: boolean;
}

const isClosed = (c: Conv | undefined) => c?.phase === 'closing' || c?.phase === 'closed';

/** One stack, its 20 agents, and the workload's state machine on the benchmark's side. */
class BusyHour {
  readonly hub = new FrameHub();
  readonly agents = new Map<string, BenchAgent>();
  readonly convs = new Map<string, Conv>();
  /** Per agent, its answered conversations, oldest answer first (a Set keeps insertion order). */
  private readonly answeredBy = new Map<string, Set<Conv>>();
  /** Every answered conversation, for a uniform pick. */
  private readonly answeredPool: Conv[] = [];
  private readonly poolIndex = new Map<Conv, number>();
  mode: 'work' | 'reset' | 'stopped' = 'work';
  tally = new Tally();
  inflight = 0;
  private customers = 0;
  private externalIds = 0;
  // Invariants
  readonly inv: InvariantCounts = {
    framesChecked: 0,
    maxActiveSeen: 0,
    overActive: 0,
    closeAcks: 0,
    closedPairsChecked: 0,
    closedShownAgain: 0,
    listedAtEnd: 0,
    onTwoListsAtEnd: 0,
    acceptedChecked: 0,
    neverPushed: 0,
    confirmedQueued: 0,
    listedByTwoAgentsEver: 0,
  };
  readonly violations: Violation[] = [];
  private readonly maxSeq = new Map<string, number>();
  /** Per agent: closed conversation → the highest seq the agent had received when the close ack came. */
  private readonly closedAfterSeq = new Map<string, Map<string, number>>();
  private readonly closeAckAt = new Map<string, number>();
  /** Closed conversations shown again, to tell at the end whether a later frame dropped them. */
  readonly shownAgain: Array<{ agentId: string; conversationId: string; seq: number; ackedAfterSeq: number; msAfterAck: number }> = [];
  private readonly listedBy = new Map<string, string>();

  constructor(
    readonly stack: StackProcess,
    private readonly random: () => number,
    private readonly seed: number,
  ) {
    this.hub.listeners.push((agentId, frame, at) => this.onFrame(agentId, frame, at));
  }

  violation(invariant: string, detail: string) {
    this.violations.push({ invariant, detail });
  }

  // ---- frames --------------------------------------------------------------------------------

  private onFrame(agentId: string, frame: Frame, at: number) {
    if (frame.type === 'worklist') this.onWorklist(agentId, frame as unknown as WorklistLike & { agent?: { active?: number } }, at);
    else if (frame.type === 'message') this.onMessage(agentId, frame, at);
    else if (frame.type === 'ack' && frame.action === 'close' && typeof frame.conversationId === 'string') {
      // Recorded here, on arrival, not when the request's promise resumes: frames that arrived in
      // the same chunk right after the ack must already be checked against it.
      let closed = this.closedAfterSeq.get(agentId);
      if (!closed) this.closedAfterSeq.set(agentId, (closed = new Map()));
      closed.set(frame.conversationId, this.maxSeq.get(agentId) ?? -1);
      this.closeAckAt.set(frame.conversationId, at);
      this.inv.closeAcks++;
    }
  }

  private onWorklist(agentId: string, list: WorklistLike & { agent?: { active?: number } }, at: number) {
    this.inv.framesChecked++;
    const active = Math.max(list.items.filter((i) => i.state === 'active').length, list.agent?.active ?? 0);
    this.inv.maxActiveSeen = Math.max(this.inv.maxActiveSeen, active);
    if (active > preferredConcurrency) {
      this.inv.overActive++;
      this.violation('active ≤ preferredConcurrency', `${agentId} seq ${list.seq}: ${active} active items (preferredConcurrency ${preferredConcurrency})`);
    }
    const closed = this.closedAfterSeq.get(agentId);
    if (closed?.size) {
      this.inv.closedPairsChecked += closed.size;
      for (const item of list.items) {
        const ackedAfter = closed.get(item.conversationId);
        if (ackedAfter !== undefined && list.seq > ackedAfter) {
          this.inv.closedShownAgain++;
          this.shownAgain.push({ agentId, conversationId: item.conversationId, seq: list.seq, ackedAfterSeq: ackedAfter, msAfterAck: at - this.closeAckAt.get(item.conversationId)! });
        }
      }
    }
    this.maxSeq.set(agentId, Math.max(this.maxSeq.get(agentId) ?? -1, list.seq));
    for (const item of list.items) {
      const first = this.listedBy.get(item.conversationId);
      if (first === undefined) this.listedBy.set(item.conversationId, agentId);
      else if (first !== agentId && first !== '*') {
        this.inv.listedByTwoAgentsEver++;
        this.listedBy.set(item.conversationId, '*');
      }
    }

    // Behaviour follows the agent's freshest list only.
    if (this.hub.latest.get(agentId)?.seq !== list.seq) return;
    for (const item of list.items) {
      const conv = this.convs.get(item.conversationId);
      if (conv && conv.phase === 'new' && conv.agentId === undefined) this.assigned(conv, agentId, at);
    }
    if (this.mode === 'work') this.closeCheck(agentId);
    else if (this.mode === 'reset') this.resetAgent(agentId);
  }

  private onMessage(agentId: string, frame: Frame, at: number) {
    const conv = typeof frame.conversationId === 'string' ? this.convs.get(frame.conversationId) : undefined;
    if (!conv || conv.phase !== 'follow-up') return;
    if (conv.agentId !== agentId) {
      this.tally.messageOnOtherAgent++;
      conv.agentId = agentId;
    }
    this.scheduleReply(conv, at);
  }

  /** A new conversation reached its agent (the first work list that shows it). */
  private assigned(conv: Conv, agentId: string, at: number) {
    conv.agentId = agentId;
    conv.listedAt = at;
    if (this.mode === 'work') this.scheduleReply(conv, at);
    else if (this.mode === 'reset') this.close(conv);
  }

  // ---- agents' behaviour ------------------------------------------------------------------------

  private scheduleReply(conv: Conv, reachedAt: number) {
    conv.phase = 'replying';
    this.inflight++;
    setTimeout(() => void this.reply(conv).finally(() => this.inflight--), Math.max(0, reachedAt + replyDelayMs - performance.now()));
  }

  private async reply(conv: Conv) {
    if (this.mode === 'stopped') {
      conv.phase = 'unanswered';
      this.tally.unansweredAtEnd++;
      return;
    }
    if (this.mode === 'reset') return this.close(conv);
    const tally = this.tally;
    const agent = this.agents.get(conv.agentId!)!;
    const text = `${answers[Math.floor(this.random() * answers.length)]} (${conv.id.slice(-6)})`;
    const outcome = await this.act(agent, { action: 'send', conversationId: conv.id, text }, tally);
    if (outcome !== 'ack') {
      conv.phase = 'failed';
      return;
    }
    tally.replies++;
    conv.phase = 'answered';
    conv.answeredAt = performance.now();
    this.addAnswered(conv);
    if (this.mode === 'work') this.closeCheck(conv.agentId!);
    else if (this.mode === 'reset') this.close(conv);
  }

  /** While the agent holds more than 3 (its freshest list, less what it already closed), close its oldest answered. */
  private closeCheck(agentId: string) {
    const list = this.hub.latest.get(agentId);
    if (!list) return;
    let excess = list.items.filter((i) => !isClosed(this.convs.get(i.conversationId))).length - closeAbove;
    if (excess <= 0) return;
    for (const conv of [...(this.answeredBy.get(agentId) ?? [])]) {
      if (excess-- <= 0) break;
      this.close(conv);
    }
  }

  private close(conv: Conv) {
    if (isClosed(conv) || conv.phase === 'failed') return;
    this.removeAnswered(conv);
    conv.phase = 'closing';
    const tally = this.tally;
    this.inflight++;
    void this.act(this.agents.get(conv.agentId!)!, { action: 'close', conversationId: conv.id }, tally)
      .then((outcome) => {
        if (outcome === 'ack') {
          conv.phase = 'closed';
          tally.closes++;
        } else conv.phase = 'failed';
      })
      .finally(() => this.inflight--);
  }

  /** One agent action: its ack, or an error frame or no answer (counted). */
  private async act(agent: BenchAgent, action: Record<string, unknown>, tally: Tally): Promise<'ack' | 'error' | 'timeout'> {
    try {
      const answer = await agent.request(action, actionTimeoutMs);
      if (answer.type === 'ack') return 'ack';
      const code = `${String(action.action)}: ${String(answer.code ?? answer.type)}`;
      tally.actionErrors[code] = (tally.actionErrors[code] ?? 0) + 1;
      if (tally.actionErrorExamples.length < 5) tally.actionErrorExamples.push(`${agent.agentId} ${JSON.stringify(action).slice(0, 120)} → ${JSON.stringify(answer).slice(0, 200)}`);
      return 'error';
    } catch (error) {
      tally.actionTimeouts++;
      if (tally.actionErrorExamples.length < 5) tally.actionErrorExamples.push((error as Error).message);
      return 'timeout';
    }
  }

  private addAnswered(conv: Conv) {
    let set = this.answeredBy.get(conv.agentId!);
    if (!set) this.answeredBy.set(conv.agentId!, (set = new Set()));
    set.add(conv);
    this.poolIndex.set(conv, this.answeredPool.length);
    this.answeredPool.push(conv);
  }

  private removeAnswered(conv: Conv) {
    this.answeredBy.get(conv.agentId ?? '')?.delete(conv);
    const i = this.poolIndex.get(conv);
    if (i === undefined) return;
    const last = this.answeredPool.pop()!;
    if (last !== conv) {
      this.answeredPool[i] = last;
      this.poolIndex.set(last, i);
    }
    this.poolIndex.delete(conv);
  }

  /** A conversation whose last message is the agent's and that is still open, uniformly. */
  private pickAnswered(): Conv | undefined {
    if (this.answeredPool.length === 0) return undefined;
    const conv = this.answeredPool[Math.floor(this.random() * this.answeredPool.length)]!;
    this.removeAnswered(conv);
    return conv;
  }

  // ---- customers ------------------------------------------------------------------------------

  /** Open-loop arrivals: message i is due at start + i / rate, whatever became of the others. */
  async arrivals(rate: number, seconds: number, label: string): Promise<{ start: number; lastDue: number; posts: Promise<void>[] }> {
    const count = Math.round(rate * seconds);
    const start = performance.now() + 20;
    const posts: Promise<void>[] = [];
    let lastDue = start;
    for (let i = 0; i < count; i++) {
      const due = start + (i * 1000) / rate;
      lastDue = due;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      let conv: Conv | undefined;
      if (i % 2 === 1) {
        conv = this.pickAnswered();
        if (!conv) this.tally.substitutedFollowUps++;
      }
      posts.push(this.post(conv, due, label));
    }
    return { start, lastDue, posts };
  }

  private async post(followUpOf: Conv | undefined, due: number, label: string) {
    const tally = this.tally;
    const msg: Msg = { kind: followUpOf ? 'follow-up' : 'new', due, sentAt: performance.now(), expectedConversationId: followUpOf?.id, accepted: false };
    tally.messages.push(msg);
    if (followUpOf) followUpOf.phase = 'follow-up';
    const n = ++this.externalIds;
    const from = followUpOf?.customer ?? `+1888${String(this.seed % 1000).padStart(3, '0')}${String(++this.customers).padStart(6, '0')}`;
    const text = `${questions[Math.floor(this.random() * questions.length)]} (${label}-${n})`;
    const posted = await postInbound(this.stack.httpUrl, secret, { externalId: `bh-${label}-${n}`, from, text, name: `Customer ${from.slice(-6)}` }, due, postTimeoutMs);
    msg.posted = posted;
    const ok = posted.status >= 200 && posted.status < 300 && posted.conversationId && posted.messageId;
    if (!ok) {
      // Not stored (an error answer changes nothing): the conversation is still answered.
      if (followUpOf && posted.status !== 0 && followUpOf.phase === 'follow-up') {
        followUpOf.phase = 'answered';
        this.addAnswered(followUpOf);
      }
      return;
    }
    msg.accepted = true;
    if (!followUpOf) this.opened(posted.conversationId!, from);
    else if (posted.conversationId !== followUpOf.id) {
      tally.followUpsMisrouted++;
      followUpOf.phase = 'failed';
      this.opened(posted.conversationId!, from);
    }
  }

  /** A new conversation, known once its POST is answered (its first work list may have come first). */
  private opened(conversationId: string, customer: string) {
    if (this.convs.has(conversationId)) return;
    const conv: Conv = { id: conversationId, customer, phase: 'new' };
    this.convs.set(conversationId, conv);
    const listed = this.hub.firstListedAt.get(conversationId);
    if (listed && this.mode !== 'stopped') {
      this.assigned(conv, listed.agentId, listed.at);
      if (this.mode === 'work') this.closeCheck(listed.agentId);
    }
  }

  // ---- warm-up reset ----------------------------------------------------------------------------

  private resetAgent(agentId: string) {
    for (const item of this.hub.latest.get(agentId)?.items ?? []) {
      const conv = this.convs.get(item.conversationId);
      if (conv && conv.agentId === agentId && ['new', 'answered', 'follow-up', 'unanswered'].includes(conv.phase)) this.close(conv);
    }
  }

  /** Closes everything (the queued too, as it gets assigned), until no list holds anything. */
  async reset(posts: Promise<void>[], timeoutMs: number): Promise<boolean> {
    this.mode = 'reset';
    await Promise.all(posts);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      for (const id of this.agents.keys()) this.resetAgent(id);
      const open = [...this.convs.values()].filter((c) => !isClosed(c) && c.phase !== 'failed').length;
      const listed = [...this.hub.latest.values()].reduce((n, l) => n + l.items.filter((i) => !isClosed(this.convs.get(i.conversationId))).length, 0);
      if (open === 0 && listed === 0 && this.inflight === 0) return true;
      if (performance.now() > deadline) return false;
      await sleep(50);
    }
  }

  // ---- end-of-step checks -----------------------------------------------------------------------

  /** Closed conversations shown again by a frame issued (by seq) after the ack: violations, with what followed. */
  reportShownAgain() {
    for (const v of this.shownAgain) {
      const latest = this.hub.latest.get(v.agentId)!;
      const after = latest.seq > v.seq ? (latest.items.some((i) => i.conversationId === v.conversationId) ? `still on the latest list (seq ${latest.seq})` : `gone by seq ${latest.seq}`) : 'no later frame';
      this.violation(
        'closed conversation absent from later frames',
        `${v.agentId} seq ${v.seq} shows ${v.conversationId}, whose close was acked when seq ${v.ackedAfterSeq} was the highest received; the frame came ${Math.round(v.msAfterAck)} ms after the ack; ${after}`,
      );
    }
  }

  /** No conversation on two agents' latest lists at once. */
  checkLatestLists() {
    const seen = new Map<string, string>();
    for (const [agentId, list] of this.hub.latest) {
      for (const item of list.items) {
        this.inv.listedAtEnd++;
        const other = seen.get(item.conversationId);
        if (other) {
          this.inv.onTwoListsAtEnd++;
          this.violation('one agent per conversation', `${item.conversationId} is on ${other}'s list (seq ${this.hub.latest.get(other)!.seq}) and ${agentId}'s (seq ${list.seq})`);
        } else seen.set(item.conversationId, agentId);
      }
    }
  }
}

async function devStats(httpUrl: string): Promise<DevStats> {
  const res = await fetch(`${httpUrl}/dev/stats`);
  if (res.status !== 200) throw new Error(`GET /dev/stats answered ${res.status}`);
  return (await res.json()) as DevStats;
}

const minusCounts = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => v !== 0)) as Record<string, number>;

/** Reads conversations straight from DynamoDB Local (consistently), to tell queued from lost. */
const conversationStates = (dynamodbPort: number, ids: string[]) =>
  storedItems<{ state?: string; assignedTo?: string; queuedIn?: string }>(dynamodbPort, 'Conversations', 'conversationId', ids, 'conversationId, #s, assignedTo, queuedIn');

/** Items of one of the stack's tables (by its name's suffix), read straight from DynamoDB Local, consistently. */
async function storedItems<T>(dynamodbPort: number, table: string, key: string, ids: string[], projection?: string): Promise<Map<string, T>> {
  const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${dynamodbPort}`, region: localRegion, credentials: localCredentials });
  const db = DynamoDBDocumentClient.from(client);
  const out = new Map<string, T>();
  try {
    const { TableNames = [] } = await client.send(new ListTablesCommand({}));
    const tableName = TableNames.find((t) => t.endsWith(`-${table}`));
    if (!tableName) throw new Error(`no ${table} table among ${TableNames.join(', ')}`);
    for (let i = 0; i < ids.length; i += 100) {
      let keys: Record<string, unknown>[] = ids.slice(i, i + 100).map((id) => ({ [key]: id }));
      for (let attempt = 0; keys.length && attempt < 10; attempt++) {
        const r = await db.send(
          new BatchGetCommand({
            RequestItems: {
              [tableName]: { Keys: keys, ConsistentRead: true, ...(projection ? { ProjectionExpression: projection, ...(projection.includes('#s') ? { ExpressionAttributeNames: { '#s': 'state' } } : {}) } : { ProjectionExpression: key }) },
            },
          }),
        );
        for (const item of r.Responses?.[tableName] ?? []) out.set(item[key] as string, item as never);
        keys = (r.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
  } finally {
    db.destroy();
    client.destroy();
  }
  return out;
}

async function runStep(options: BusyHourOptions, rate: number, seconds: number, stepIndex: number): Promise<BusyHourStep> {
  const { log } = options;
  const random = rng(options.seed * 1000 + stepIndex + 5);
  const agentIds = Array.from({ length: agentCount }, (_, i) => `busy-${String(i + 1).padStart(2, '0')}`);
  const receiver: CountingReceiver = await startCountingReceiver();
  const stack = await startStackProcess({
    projectRoot: options.projectRoot,
    config: {
      // Long enough that no timer (SLA, near-breach, stale, inactivity, auto-close) fires in a step.
      queues: { default: { slaSeconds: 7200, inactiveAfterSeconds: 7200, autoCloseAfterSeconds: 86_400 } },
      agents: agentIds.map((id) => ({ id, queues: ['default'], preferredConcurrency, maxLoad })),
      channels: { generic: { secret, outboundUrl: receiver.url } },
    },
    env: { TIDE_METER_CAPACITY: '1', ...(options.faults ? { TIDE_FAULTS: options.faults } : {}) },
  });
  const run = new BusyHour(stack, random, options.seed);
  try {
    log(`  ${rate} msg/s: stack up in ${Math.round(stack.startupMs)} ms (pid ${stack.pid}, DynamoDB Local pid ${stack.javaPid ?? '?'})`);
    const connectStart = performance.now();
    await pool(agentIds, 5, async (id) => {
      const agent = await BenchAgent.connect(stack.httpUrl, stack.wsUrl, id, run.hub);
      run.agents.set(id, agent);
      let ack = await agent.request({ action: 'setStatus', status: 'online' });
      // On a bad day (--faults) a refusal is a fault's, tried again as a console would.
      for (let tries = 1; ack.type !== 'ack' && options.faults && tries < 10; tries++) ack = await agent.request({ action: 'setStatus', status: 'online' });
      if (ack.type !== 'ack') throw new Error(`setStatus refused for ${id}: ${JSON.stringify(ack)}`);
    });

    const connectMs = performance.now() - connectStart;
    // Warm-up: the same workload, briefly, then everything closed; none of it is counted.
    const warmTally = run.tally;
    const warm = await run.arrivals(warmUp.rate, warmUp.seconds, `w${rate}`);
    const resetStarted = performance.now();
    const resetComplete = await run.reset(warm.posts, 20_000);
    const warmUpResetMs = performance.now() - resetStarted;
    if (!resetComplete) log(`  ${rate} msg/s: the warm-up did not fully drain in 20 s (measuring anyway)`);
    await sleep(500);
    // The stack's CPU with nothing to do (stream and queue pollers, sweep timer): a fixed cost per second.
    const idleBefore = treeCpuByPid(stack.pid);
    const idleStart = performance.now();
    await sleep(options.quick ? idleMs / 2 : idleMs);
    const idlePercent = (treeCpuDelta(idleBefore, treeCpuByPid(stack.pid)) / ((performance.now() - idleStart) / 1000)) * 100;
    const loadBefore = loadavg()[0]!;

    // The measured step.
    const tally = (run.tally = new Tally());
    run.mode = 'work';
    const statsBefore = await devStats(stack.httpUrl);
    const cpuBefore = treeCpuByPid(stack.pid);
    const selfBefore = process.cpuUsage();
    const machineBefore = machineBusySeconds();
    const deliveredBefore = receiver.delivered();
    const requestsBefore = receiver.requests();
    const neverPushedBefore = run.inv.neverPushed;
    const t0 = performance.now();
    const { start, lastDue, posts } = await run.arrivals(rate, seconds, `s${rate}`);
    let allAnswered = false;
    void Promise.all(posts).then(() => (allAnswered = true));
    // Drain: until every accepted message reached its agent and every action was answered, or drainMaxMs.
    const settled = () => {
      if (!allAnswered || run.inflight > 0) return false;
      for (const m of tally.messages) {
        if (!m.accepted) continue;
        if (m.kind === 'follow-up' ? !run.hub.messageAt.has(m.posted!.messageId!) : !run.hub.firstListedAt.has(m.posted!.conversationId!)) return false;
      }
      return true;
    };
    while (!settled() && performance.now() < lastDue + (options.quick ? drainMaxMs / 2 : drainMaxMs)) await sleep(50);
    const drainEnd = performance.now();
    const drainMs = drainEnd - lastDue;
    run.mode = 'stopped';
    for (const deadline = performance.now() + actionTimeoutMs + 1_000; (run.inflight > 0 || !allAnswered) && performance.now() < deadline; ) await sleep(50);
    await sleep(1_000); // the stream consumers finish what the last actions started
    const statsAfter = await devStats(stack.httpUrl);
    const cpuAfter = treeCpuByPid(stack.pid);
    const self = process.cpuUsage(selfBefore);
    const machineAfter = machineBusySeconds();
    const windowSeconds = (performance.now() - t0) / 1000;
    const loadAfter = loadavg()[0]!;
    // A follow-up without its push by now is late or lost: wait for it until the stack has gone
    // quiet (no frame for 3 s, agents no longer acting), at most 30 s, so that "never pushed"
    // means lost, not slow. Late pushes still count as errors below (none within 10 s).
    const missingPush = () => tally.messages.filter((m) => m.accepted && m.kind === 'follow-up' && !run.hub.messageAt.has(m.posted!.messageId!));
    if (missingPush().length) {
      const deadline = performance.now() + 30_000;
      let frames = run.hub.framesReceived;
      let lastFrame = performance.now();
      while (missingPush().length && performance.now() < deadline && performance.now() - lastFrame < 3_000) {
        await sleep(200);
        if (run.hub.framesReceived !== frames) [frames, lastFrame] = [run.hub.framesReceived, performance.now()];
      }
    }

    // Figures.
    const accepted = tally.messages.filter((m) => m.accepted);
    const followUpLatency: number[] = [];
    const newLatency: number[] = [];
    /** ingest → push by the second of the step the message was due in: does a backlog build? */
    const bySecond: number[][] = Array.from({ length: Math.ceil(seconds) }, () => []);
    const inSecond = (m: Msg, latency: number) => bySecond[Math.min(bySecond.length - 1, Math.floor((m.due - start) / 1000))]!.push(latency);
    const waiting: string[] = [];
    let pushNeverCame = 0;
    const examples: string[] = [];
    let lastEvent = start;
    for (const m of accepted) {
      const { messageId, conversationId } = m.posted!;
      if (m.kind === 'follow-up') {
        const at = run.hub.messageAt.get(messageId!);
        if (at === undefined || at - m.due > pushTimeoutMs) {
          pushNeverCame++;
          if (examples.length < 5) examples.push(`follow-up ${messageId} in ${conversationId}: ${at === undefined ? 'no message frame' : `message frame after ${Math.round(at - m.due)} ms`}`);
        }
        if (at !== undefined) {
          followUpLatency.push(at - m.due);
          inSecond(m, at - m.due);
          lastEvent = Math.max(lastEvent, at);
        }
      } else {
        const listed = run.hub.firstListedAt.get(conversationId!);
        if (listed && listed.at <= drainEnd) {
          newLatency.push(listed.at - m.due);
          inSecond(m, listed.at - m.due);
          lastEvent = Math.max(lastEvent, listed.at);
        } else waiting.push(conversationId!);
      }
    }
    const answeredPosts = tally.messages.filter((m) => m.posted && m.posted.status !== 0);
    const non2xx: Record<string, number> = {};
    let postTimeouts = 0;
    let postNetworkErrors = 0;
    for (const m of tally.messages) {
      const p = m.posted!;
      if (p.status === 0) {
        if (p.error === 'TimeoutError') postTimeouts++;
        else postNetworkErrors++;
        if (examples.length < 5) examples.push(`POST: ${p.error}`);
      } else if (p.status < 200 || p.status >= 300) non2xx[String(p.status)] = (non2xx[String(p.status)] ?? 0) + 1;
    }
    const actionErrorCount = Object.values(tally.actionErrors).reduce((a, b) => a + b, 0);
    examples.push(...tally.actionErrorExamples);

    // Invariants at the end: lists, and every accepted message pushed (or its conversation queued).
    run.reportShownAgain();
    run.checkLatestLists();
    run.inv.acceptedChecked += accepted.length;
    const neverPushed = missingPush();
    if (neverPushed.length) {
      run.inv.neverPushed += neverPushed.length;
      run.violation(
        'every accepted message pushed',
        `${neverPushed.length} accepted follow-ups never reached their agent: ${neverPushed.slice(0, 3).map((m) => `${m.posted!.messageId} in ${m.posted!.conversationId}`).join(', ')}`,
      );
    }
    if (waiting.length) {
      const states = await conversationStates(stack.dynamodbPort, waiting);
      const lost: string[] = [];
      for (const id of waiting) {
        const s = states.get(id);
        if (s?.state === 'queued') run.inv.confirmedQueued++;
        else if (!run.hub.firstListedAt.has(id)) lost.push(`${id} (${s ? `${s.state}, assignedTo ${s.assignedTo ?? '-'}` : 'not found'})`);
      }
      if (lost.length) {
        // Assigned while the step stopped? Give its push a moment.
        await run.hub.until(() => lost.every((l) => run.hub.firstListedAt.has(l.split(' ')[0]!)), 3_000);
        const still = lost.filter((l) => !run.hub.firstListedAt.has(l.split(' ')[0]!));
        if (still.length) {
          run.inv.neverPushed += still.length;
          run.violation('every accepted message pushed', `${still.length} new conversations neither queued nor on any work list: ${still.slice(0, 3).join(', ')}`);
        }
      }
    }

    let faults: BusyHourStep['faults'];
    if (options.faults) {
      const ids = accepted.map((m) => m.posted!.messageId!).filter(Boolean);
      const stored = (await storedItems(stack.dynamodbPort, 'Messages', 'messageId', ids)).size;
      if (stored !== accepted.length) run.violation('every accepted message stored', `${accepted.length - stored} of ${accepted.length} accepted messages are not in the Messages table`);
      faults = {
        plan: options.faults,
        injected: minusCounts(statsAfter.faults ?? {}, statsBefore.faults ?? {}),
        accepted: accepted.length,
        stored,
        stuck: run.inv.neverPushed - neverPushedBefore,
        // The receiver answers 200 to everything: a second request for a messageId is a duplicate.
        duplicatesDelivered: receiver.requests() - requestsBefore - (receiver.delivered() - deliveredBefore),
      };
    }

    const n = accepted.length;
    // What the stack took in: accepted messages, and the POSTs this client gave up on after 10 s
    // (the gateway still runs them to the end, so they cost what accepted ones do).
    const inbound = n + postTimeouts;
    const per = (x: number) => (inbound ? x / inbound : 0);
    const ddb = difference(statsAfter.dynamodb, statsBefore.dynamodb);
    const perTally = (t: CommandTally) => ({ calls: per(t.calls), failures: per(t.failures), readUnits: per(t.readUnits), writeUnits: per(t.writeUnits) });
    const sqs = minusCounts(statsAfter.sqs, statsBefore.sqs);
    const scheduler = minusCounts(statsAfter.scheduler, statsBefore.scheduler);
    const stackSeconds = treeCpuDelta(cpuBefore, cpuAfter);
    const loadgenSeconds = (self.user + self.system) / 1e6;
    // Whatever else ran on the machine meanwhile (other tests, benchmarks): it took CPU from the stack.
    const otherSeconds = machineBefore !== undefined && machineAfter !== undefined ? Math.max(0, machineAfter - machineBefore - stackSeconds - loadgenSeconds) : undefined;
    const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    const errorsTotal = sum(non2xx) + postTimeouts + postNetworkErrors + actionErrorCount + tally.actionTimeouts + pushNeverCame;
    const step: BusyHourStep = {
      offeredPerSecond: rate,
      seconds,
      setup: {
        startupMs: Math.round(stack.startupMs),
        connectMs: Math.round(connectMs),
        drainMs: Math.round(drainMs),
        warmUpMessages: warmTally.messages.length,
        warmUpResetMs: Math.round(warmUpResetMs),
        resetComplete,
        loadAverageBefore: round(loadBefore, 2) ?? 0,
        loadAverageAfter: round(loadAfter, 2) ?? 0,
      },
      sent: tally.messages.length,
      accepted: n,
      inbound,
      newCustomers: accepted.filter((m) => m.kind === 'new').length,
      followUps: accepted.filter((m) => m.kind === 'follow-up').length,
      substitutedFollowUps: tally.substitutedFollowUps,
      achievedPerSecond: round(lastEvent > start ? (n / (lastEvent - start)) * 1000 : undefined),
      windowSeconds: round(windowSeconds) ?? 0,
      ingestToPushMs: summarize([...followUpLatency, ...newLatency]),
      followUpToPushMs: summarize(followUpLatency),
      ingestToPushP50BySecondMs: bySecond.map((l) => round(percentile(l, 50), 0) ?? null),
      newToWorklistMs: summarize(newLatency),
      waitingInQueue: waiting.length,
      postStatusMs: summarize(answeredPosts.map((m) => m.posted!.answeredAt - m.due)),
      acceptedPostMs: summarize(accepted.map((m) => m.posted!.answeredAt - m.due)),
      generatorLagMs: summarize(tally.messages.map((m) => m.sentAt! - m.due)),
      errors: {
        total: errorsTotal,
        non2xx,
        postTimeouts,
        postNetworkErrors,
        actionErrors: tally.actionErrors,
        actionTimeouts: tally.actionTimeouts,
        pushNeverCame,
        examples: examples.slice(0, 8),
      },
      anomalies: { followUpsMisrouted: tally.followUpsMisrouted, messageOnOtherAgent: tally.messageOnOtherAgent, unansweredAtEnd: tally.unansweredAtEnd },
      replies: tally.replies,
      closes: tally.closes,
      outboundDelivered: receiver.delivered() - deliveredBefore,
      faults,
      cpu: {
        stackIdlePercentOfCore: round(idlePercent, 0) ?? 0,
        stackSecondsPer1000AboveIdle: round(per(Math.max(0, stackSeconds - (idlePercent / 100) * windowSeconds)) * 1000, 2) ?? 0,
        stackSeconds: round(stackSeconds, 2) ?? 0,
        nodePercentOfCore: round((((cpuAfter.get(stack.pid) ?? 0) - (cpuBefore.get(stack.pid) ?? 0)) / windowSeconds) * 100, 0) ?? 0,
        jvmPercentOfCore: stack.javaPid ? (round((((cpuAfter.get(stack.javaPid) ?? 0) - (cpuBefore.get(stack.javaPid) ?? 0)) / windowSeconds) * 100, 0) ?? 0) : 0,
        stackSecondsPer1000: round(per(stackSeconds) * 1000, 2) ?? 0,
        stackPercentOfCore: round((stackSeconds / windowSeconds) * 100, 0) ?? 0,
        loadgenSeconds: round(loadgenSeconds, 2) ?? 0,
        loadgenSecondsPer1000: round(per(loadgenSeconds) * 1000, 2) ?? 0,
        loadgenPercentOfCore: round((loadgenSeconds / windowSeconds) * 100, 0) ?? 0,
        otherPercentOfCore: otherSeconds === undefined ? undefined : round((otherSeconds / windowSeconds) * 100, 0),
      },
      dynamodb: {
        calls: ddb.calls,
        failures: ddb.failures,
        readUnits: round(ddb.readUnits, 1) ?? 0,
        writeUnits: round(ddb.writeUnits, 1) ?? 0,
        perInbound: perTally(ddb),
        byHandlerPerInbound: Object.fromEntries(Object.entries(ddb.byHandler ?? {}).map(([h, t]) => [h, perTally(t)])),
        byCommandPerInbound: Object.fromEntries(Object.entries(ddb.byCommand).map(([c, t]) => [c, perTally(t)])),
        byHandlerOperationPerInbound: Object.fromEntries(Object.entries(ddb.byHandlerOperation ?? {}).map(([c, t]) => [c, perTally(t)])),
      },
      sqsPerInbound: Object.fromEntries(Object.entries(sqs).map(([k, v]) => [k, per(v)])),
      sqsCallsPerInbound: per(sum(sqs)),
      schedulerPerInbound: Object.fromEntries(Object.entries(scheduler).map(([k, v]) => [k, per(v)])),
      streamsPerInbound: Object.fromEntries(
        Object.entries(statsAfter.streams ?? {}).map(([k, v]) => [k, { polls: per(v.polls - (statsBefore.streams?.[k]?.polls ?? 0)), batches: per(v.batches - (statsBefore.streams?.[k]?.batches ?? 0)) }]),
      ),
      schedulerCallsPerInbound: per(sum(scheduler)),
      firesPerInbound: per(statsAfter.fires - statsBefore.fires),
      invariants: run.inv,
      violations: run.violations.slice(0, 50),
    };
    if (!stack.alive()) {
      step.violations.push({ invariant: 'the stack keeps running', detail: 'the stack process exited during the step' });
    }
    if (/Error|failed/.test(stack.output())) step.stackOutput = stack.output().slice(-4_000);
    log(
      `  ${rate} msg/s: ${n} accepted, ingest → push p50 ${num(step.ingestToPushMs.p50)} / p99 ${num(step.ingestToPushMs.p99)} ms, ` +
        `${waiting.length} waiting, ${errorsTotal} errors, ${run.violations.length} violations, stack CPU ${num(step.cpu.stackSecondsPer1000)} s / 1k msgs ` +
        `(connect ${Math.round(connectMs)} ms, warm-up reset ${Math.round(warmUpResetMs)} ms, drain ${Math.round(drainMs)} ms)`,
    );
    return step;
  } finally {
    run.mode = 'stopped';
    await Promise.all([...run.agents.values()].map((a) => a.close()));
    await stack.stop();
    await receiver.close();
  }
}

export async function runBusyHour(options: BusyHourOptions): Promise<BusyHourResult> {
  const rates = options.rates ?? (options.quick ? [20, 50] : [20, 50, 100]);
  const seconds = options.seconds ?? (options.quick ? 6 : 20);
  const steps: BusyHourStep[] = [];
  for (const [i, rate] of rates.entries()) steps.push(await runStep(options, rate, seconds, i));

  const targets: Target[] = [];
  const at = (r: number) => steps.find((s) => s.offeredPerSecond === r);
  const s50 = at(50);
  if (s50) {
    targets.push({ step: 50, label: 'errors', value: s50.errors.total, limit: '0', ok: s50.errors.total === 0 });
    targets.push({ step: 50, label: 'ingest → push p99 (ms)', value: s50.ingestToPushMs.p99, limit: '< 150', ok: (s50.ingestToPushMs.p99 ?? Infinity) < 150 });
    targets.push({ step: 50, label: 'stack CPU s per 1,000 msgs', value: s50.cpu.stackSecondsPer1000, limit: '≤ 20', ok: s50.cpu.stackSecondsPer1000 <= 20 });
  }
  const s100 = at(100);
  if (s100) {
    const timeouts = s100.errors.postTimeouts + s100.errors.actionTimeouts + s100.errors.pushNeverCame;
    targets.push({ step: 100, label: 'timeouts (POST, agent action, push)', value: timeouts, limit: '0', ok: timeouts === 0 });
    targets.push({ step: 100, label: 'accepted POST → status p99 (ms)', value: s100.acceptedPostMs.p99, limit: '< 1,000', ok: (s100.acceptedPostMs.p99 ?? Infinity) < 1_000 });
  }
  for (const s of steps) {
    const p = s.dynamodb.perInbound;
    targets.push({ step: s.offeredPerSecond, label: 'DynamoDB calls per inbound msg', value: round(p.calls, 2), limit: '≤ 8', ok: p.calls <= 8 });
    targets.push({ step: s.offeredPerSecond, label: 'WRU per inbound msg', value: round(p.writeUnits, 2), limit: '≤ 12', ok: p.writeUnits <= 12 });
    targets.push({ step: s.offeredPerSecond, label: 'RRU per inbound msg', value: round(p.readUnits, 2), limit: '≤ 6', ok: p.readUnits <= 6 });
  }
  const violations = steps.reduce((n, s) => n + s.violations.length, 0);
  return {
    setup: {
      agents: agentCount,
      preferredConcurrency,
      maxLoad,
      queue: 'default (SLA and inactivity 2 h: no timer fires in a step)',
      mix: 'every other message a follow-up in a uniformly picked answered, open conversation (a new customer when there is none)',
      replyDelayMs,
      closeWhileHoldingMoreThan: closeAbove,
      rates,
      secondsPerStep: seconds,
      drainMaxMs: options.quick ? drainMaxMs / 2 : drainMaxMs,
      warmUp: `${warmUp.rate} msg/s for ${warmUp.seconds} s, then everything closed; not counted`,
      timeouts: { postMs: postTimeoutMs, actionMs: actionTimeoutMs },
      stackPerStep: 'a fresh stack (npm start as a child process, TIDE_METER_CAPACITY=1) per step',
    },
    steps,
    targets,
    violations,
    failed: violations > 0,
  };
}

// ---- printing ----------------------------------------------------------------------------------

const ms = (s: Summary) => `${num(s.p50, 0)} / ${num(s.p95, 0)} / ${num(s.p99, 0)}`;
const fmtCounts = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k} ${v}`).join(', ') || '0';

export function printBusyHour(r: BusyHourResult): string {
  const s = r.setup as { rates: number[]; secondsPerStep: number };
  const latency = table(
    `5a. Busy hour: ${agentCount} agents (preferredConcurrency ${preferredConcurrency}, maxLoad ${maxLoad}), open loop, half new customers, half follow-ups; ` +
      `agents answer after ${replyDelayMs} ms and close their oldest answered while holding > ${closeAbove}; ${s.secondsPerStep} s per rate, a fresh stack each; ` +
      'latency from the scheduled send time, ms, p50 / p95 / p99',
    ['offered msg/s', 'sent', 'accepted', 'achieved msg/s', 'ingest → push', 'follow-up → message', 'new → worklist', 'waiting in queue', 'POST → status', 'accepted POST'],
    r.steps.map((t) => [
      String(t.offeredPerSecond),
      String(t.sent),
      String(t.accepted),
      num(t.achievedPerSecond),
      ms(t.ingestToPushMs),
      ms(t.followUpToPushMs),
      ms(t.newToWorklistMs),
      String(t.waitingInQueue),
      `${num(t.postStatusMs.p50, 0)} / ${num(t.postStatusMs.p99, 0)}`,
      `${num(t.acceptedPostMs.p50, 0)} / ${num(t.acceptedPostMs.p99, 0)}`,
    ]),
  );
  const errors = table(
    '5b. Errors and timeouts (POST timeout 10 s, agent action 10 s); "waiting in queue" above is not an error',
    ['offered msg/s', 'total', 'non-2xx', 'POST timeouts', 'POST network errors', 'action error frames', 'actions without ack', 'no push within 10 s', 'replies', 'closes', 'follow-ups sent as new (none answered)', 'generator lag p99 ms'],
    r.steps.map((t) => [
      String(t.offeredPerSecond),
      String(t.errors.total),
      fmtCounts(t.errors.non2xx),
      String(t.errors.postTimeouts),
      String(t.errors.postNetworkErrors),
      fmtCounts(t.errors.actionErrors),
      String(t.errors.actionTimeouts),
      String(t.errors.pushNeverCame),
      String(t.replies),
      String(t.closes),
      String(t.substitutedFollowUps),
      num(t.generatorLagMs.p99, 1),
    ]),
  );
  const resources = table(
    '5c. Resources and calls per inbound message (accepted + timed-out POSTs, which the stack still processed; stack = its Node process + the DynamoDB Local JVM; CPU % of one core, 2 cores = 200 %)',
    ['offered msg/s', 'stack CPU s / 1k msgs', '(above idle)', 'stack CPU %', '(idle)', 'Node / JVM %', 'load gen CPU s / 1k msgs', 'load gen CPU %', 'DDB calls', 'WRU', 'RRU', 'failed DDB calls', 'SQS calls', 'Scheduler calls', 'timer fires', 'other processes CPU %', 'load avg'],
    r.steps.map((t) => [
      String(t.offeredPerSecond),
      num(t.cpu.stackSecondsPer1000, 1),
      num(t.cpu.stackSecondsPer1000AboveIdle, 1),
      `${t.cpu.stackPercentOfCore}%`,
      `${t.cpu.stackIdlePercentOfCore}%`,
      `${t.cpu.nodePercentOfCore} / ${t.cpu.jvmPercentOfCore}`,
      num(t.cpu.loadgenSecondsPer1000, 1),
      `${t.cpu.loadgenPercentOfCore}%`,
      num(t.dynamodb.perInbound.calls, 2),
      num(t.dynamodb.perInbound.writeUnits, 2),
      num(t.dynamodb.perInbound.readUnits, 2),
      num(t.dynamodb.perInbound.failures, 3),
      num(t.sqsCallsPerInbound, 2),
      num(t.schedulerCallsPerInbound, 2),
      num(t.firesPerInbound, 2),
      t.cpu.otherPercentOfCore === undefined ? '-' : `${t.cpu.otherPercentOfCore}%`,
      `${num(t.setup.loadAverageBefore, 1)}→${num(t.setup.loadAverageAfter, 1)}`,
    ]),
  );
  const handlers = [...new Set(r.steps.flatMap((t) => Object.keys(t.dynamodb.byHandlerPerInbound)))].sort(
    (a, b) => (r.steps[0]?.dynamodb.byHandlerPerInbound[b]?.calls ?? 0) - (r.steps[0]?.dynamodb.byHandlerPerInbound[a]?.calls ?? 0),
  );
  const byHandler = table(
    '5d. DynamoDB per inbound message by handler: calls / WRU / RRU (failed calls)',
    ['handler', ...r.steps.map((t) => `${t.offeredPerSecond} msg/s`)],
    handlers.map((h) => [
      h,
      ...r.steps.map((t) => {
        const x = t.dynamodb.byHandlerPerInbound[h];
        return x ? `${num(x.calls, 2)} / ${num(x.writeUnits, 2)} / ${num(x.readUnits, 2)} (${num(x.failures, 3)})` : '-';
      }),
    ]),
  );
  const sqsOps = [
    ...[...new Set(r.steps.flatMap((t) => [...Object.keys(t.sqsPerInbound).map((k) => `SQS ${k}`), ...Object.keys(t.schedulerPerInbound).map((k) => `Scheduler ${k}`)]))].sort(),
    ...[...new Set(r.steps.flatMap((t) => Object.keys(t.streamsPerInbound ?? {})))].sort().flatMap((k) => [`Streams ${k}:polls`, `Streams ${k}:batches`]),
  ];
  const others = table(
    '5e. SQS, Scheduler and DynamoDB Streams calls per inbound message, by operation (stream polls are GetRecords calls; batches, handler calls)',
    ['operation', ...r.steps.map((t) => `${t.offeredPerSecond} msg/s`)],
    sqsOps.map((op) => [
      op,
      ...r.steps.map((t) => {
        const [service, name] = op.split(' ') as [string, string];
        if (service === 'Streams') {
          const [stream, what] = [name.slice(0, name.lastIndexOf(':')), name.slice(name.lastIndexOf(':') + 1)] as [string, 'polls' | 'batches'];
          return num(t.streamsPerInbound?.[stream]?.[what], 2);
        }
        const v = service === 'SQS' ? t.sqsPerInbound[name] : t.schedulerPerInbound[name];
        return num(v, 2);
      }),
    ]),
  );
  const inv = table(
    '5f. Invariants (checked on every frame and at the end of each step; a violation fails the run)',
    ['invariant', ...r.steps.map((t) => `${t.offeredPerSecond} msg/s`)],
    [
      ['work-list frames: active items ≤ 5 (checked / max seen / broken)', ...r.steps.map((t) => `${t.invariants.framesChecked} / ${t.invariants.maxActiveSeen} / ${t.invariants.overActive}`)],
      ['closed stays closed: close acks / (frame, closed) pairs checked / broken', ...r.steps.map((t) => `${t.invariants.closeAcks} / ${t.invariants.closedPairsChecked} / ${t.invariants.closedShownAgain}`)],
      ['end: listed conversations / on two agents', ...r.steps.map((t) => `${t.invariants.listedAtEnd} / ${t.invariants.onTwoListsAtEnd}`)],
      ['accepted messages checked / queued (confirmed in DynamoDB) / never pushed', ...r.steps.map((t) => `${t.invariants.acceptedChecked} / ${t.invariants.confirmedQueued} / ${t.invariants.neverPushed}`)],
      ['(observed) listed by two agents at some point', ...r.steps.map((t) => String(t.invariants.listedByTwoAgentsEver))],
      ['(observed) follow-up answered in another conversation', ...r.steps.map((t) => String(t.anomalies.followUpsMisrouted))],
      ['violations', ...r.steps.map((t) => String(t.violations.length))],
    ],
    ['l', ...r.steps.map(() => 'r' as const)],
  );
  const targets = table(
    '5g. Targets (printed, not asserted)',
    ['at msg/s', 'figure', 'value', 'target', ''],
    r.targets.map((t) => [String(t.step), t.label, num(t.value, t.value !== undefined && Number.isInteger(t.value) ? 0 : 2), t.limit, t.ok ? '✓' : '✗']),
    ['r', 'l', 'r', 'l', 'l'],
  );
  const faulted = r.steps.filter((t) => t.faults);
  const faultsTable = faulted.length
    ? '\n\n' +
      table(
        `5h. Faults (TIDE_FAULTS=${faulted[0]!.faults!.plan}): accepted must equal stored, stuck must be 0`,
        ['offered msg/s', 'faults injected', 'accepted', 'stored', 'conversations stuck', 'duplicates delivered'],
        faulted.map((t) => [
          String(t.offeredPerSecond),
          Object.entries(t.faults!.injected).map(([k, v]) => `${k} ${v}`).join(', ') || 'none',
          String(t.faults!.accepted), String(t.faults!.stored), String(t.faults!.stuck), String(t.faults!.duplicatesDelivered)]),
        ['r', 'l', 'r', 'r', 'r', 'r'],
      )
    : '';
  const timeline = r.steps
    .map((t) => `  ${String(t.offeredPerSecond).padStart(3)} msg/s: ${t.ingestToPushP50BySecondMs.map((v) => (v === null ? '-' : String(v))).join(' ')}`)
    .join('\n');
  const notRun = (r.setup.rates as number[]).includes(100) ? '' : '\n(100 msg/s not run with --quick: its targets are not shown)';
  const broken = r.steps.flatMap((t) => t.violations.map((v) => `  ${t.offeredPerSecond} msg/s: ${v.invariant}: ${v.detail}`));
  const violations = broken.length ? `\nINVARIANTS BROKEN (${r.violations}):\n${broken.slice(0, 20).join('\n')}` : '\nall invariants held';
  const errorExamples = r.steps.flatMap((t) => t.errors.examples.map((e) => `  ${t.offeredPerSecond} msg/s: ${e}`));
  const examples = errorExamples.length ? `\nerror examples:\n${errorExamples.slice(0, 10).join('\n')}` : '';
  return (
    [latency, `ingest → push p50 (ms) by the second of the step the message was due in (a growing row is a backlog):\n${timeline}`, errors, resources, byHandler, others, inv, targets].join('\n\n') +
    faultsTable +
    notRun +
    violations +
    examples
  );
}
