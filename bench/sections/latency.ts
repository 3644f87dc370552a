/**
 * Section 1: ingest → push latency and sustained throughput, against `npm start`'s stack run as
 * its own process so that its CPU and memory (and DynamoDB Local's) are measured apart from this
 * load generator.
 */
import { BenchAgent, FrameHub, postInbound, type Posted } from '../lib/agents.js';
import { rssMb, UsageWindow, type ProcessUsage } from '../lib/proc.js';
import { startStackProcess } from '../lib/stack-process.js';
import { num, percentile, rng, round, shuffle, sleep, summarize, table, type Summary } from '../lib/util.js';

export interface LatencyOptions {
  seed: number;
  quick: boolean;
  messages?: number;
  projectRoot: string;
  log: (line: string) => void;
}

export interface ThroughputStep {
  offeredPerSecond: number;
  seconds: number;
  sent: number;
  accepted: number;
  errors: number;
  achievedPerSecond?: number;
  latencyMs: Summary;
  usage: Record<string, ProcessUsage>;
}

export interface LatencyResult {
  setup: Record<string, unknown>;
  startupMs: number;
  idleRssMb: { stack?: number; dynamodbLocal?: number };
  firstAssignmentMs: Summary;
  firstAssignmentMissing: number;
  ingestToPushMs: Summary;
  ingestHttpMs: Summary;
  ingestMissing: number;
  closedLoopUsage: Record<string, ProcessUsage>;
  throughput: ThroughputStep[];
  sustainedPerSecond?: number;
}

const secret = 'bench-secret';
const questions = [
  'Where is my order? It was due yesterday',
  'Can I change the delivery address please',
  'The app shows an error when I pay',
  'I was charged twice for the same thing',
  'How do I return the blue jacket',
  'My code for the discount does not work',
];

export async function runLatency(options: LatencyOptions): Promise<LatencyResult> {
  const { quick, log } = options;
  const random = rng(options.seed);
  const agentCount = quick ? 6 : 20;
  const preferredConcurrency = 5;
  const maxLoad = 8;
  const closedLoopMessages = options.messages ?? (quick ? 60 : 300);
  const rates = quick ? [20, 60] : [20, 40, 80, 160];
  const stepSeconds = quick ? 2 : 5;
  const agentIds = Array.from({ length: agentCount }, (_, i) => `bench-${String(i + 1).padStart(2, '0')}`);

  const stack = await startStackProcess({
    projectRoot: options.projectRoot,
    // Long SLA and inactivity so that no timer fires inside the measurement.
    config: {
      queues: { default: { slaSeconds: 3600, inactiveAfterSeconds: 3600 } },
      agents: agentIds.map((id) => ({ id, queues: ['default'], preferredConcurrency, maxLoad })),
      channels: { generic: { secret } },
    },
  });
  const { httpUrl, wsUrl } = stack;
  const hub = new FrameHub();
  const agents = new Map<string, BenchAgent>();
  try {
    const startupMs = stack.startupMs;
    const stackPid = stack.pid;
    const javaPid = stack.javaPid;
    const pids = { stack: stackPid, dynamodbLocal: javaPid };
    log(`  stack up in ${Math.round(startupMs)} ms (pid ${stackPid}, DynamoDB Local pid ${javaPid ?? '?'})`);

    for (const id of agentIds) {
      const agent = await BenchAgent.connect(httpUrl, wsUrl, id, hub);
      agents.set(id, agent);
      const ack = await agent.request({ action: 'setStatus', status: 'online' });
      if (ack.type !== 'ack') throw new Error(`setStatus refused for ${id}: ${JSON.stringify(ack)}`);
    }
    await sleep(500);
    const idleRssMb = { stack: rssMb(stackPid), dynamodbLocal: javaPid ? rssMb(javaPid) : undefined };

    // First assignment: new conversations, one at a time, until every agent is at preferred concurrency.
    const conversations: Array<{ conversationId: string; from: string }> = [];
    const firstAssignment: number[] = [];
    let firstAssignmentMissing = 0;
    let externalId = 0;
    const total = agentCount * preferredConcurrency;
    for (let i = 0; i < total; i++) {
      const from = `+1555${String(options.seed).padStart(3, '0')}${String(i).padStart(4, '0')}`;
      const text = questions[Math.floor(random() * questions.length)]!;
      const posted = await postInbound(httpUrl, secret, { externalId: `s1-${++externalId}`, from, text, name: `Customer ${i}` });
      if (posted.status !== 202 || !posted.conversationId) throw new Error(`inbound refused: ${posted.status} ${posted.error ?? ''}`);
      const listed = await hub.listed(posted.conversationId, 10_000);
      if (listed) firstAssignment.push(listed.at - posted.startedAt);
      else firstAssignmentMissing++;
      conversations.push({ conversationId: posted.conversationId, from });
    }
    log(`  ${conversations.length} conversations assigned (first assignment p50 ${num(percentile(firstAssignment, 50))} ms)`);

    // Closed loop: one message at a time to an assigned conversation; time to the `message` push.
    const ingest: number[] = [];
    const ingestHttp: number[] = [];
    let ingestMissing = 0;
    const closedLoop = new UsageWindow(pids);
    for (let i = 0; i < closedLoopMessages; i++) {
      const c = conversations[Math.floor(random() * conversations.length)]!;
      const posted = await postInbound(httpUrl, secret, {
        externalId: `s1-${++externalId}`,
        from: c.from,
        text: `${questions[i % questions.length]} (${i})`,
      });
      if (posted.status !== 202 || !posted.messageId) {
        ingestMissing++;
        continue;
      }
      ingestHttp.push(posted.answeredAt - posted.startedAt);
      const at = await hub.messagePushed(posted.messageId, 10_000);
      if (at === undefined) ingestMissing++;
      else ingest.push(at - posted.startedAt);
    }
    const closedLoopUsage = closedLoop.stop();
    log(`  closed loop: ${ingest.length} messages, p50 ${num(percentile(ingest, 50))} ms`);

    // Open loop at increasing rates; latency counts from the scheduled send time.
    const order = shuffle(conversations, random);
    let cursor = 0;
    const throughput: ThroughputStep[] = [];
    for (const rate of rates) {
      await sleep(2_000);
      const count = rate * stepSeconds;
      const latencies: number[] = [];
      let accepted = 0;
      let errors = 0;
      let lastDone = 0;
      const window = new UsageWindow(pids);
      const start = performance.now() + 20;
      const inflight: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        const due = start + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        const c = order[cursor++ % order.length]!;
        const body = { externalId: `s1-${++externalId}`, from: c.from, text: `${questions[i % questions.length]} (r${rate}-${i})` };
        inflight.push(
          postInbound(httpUrl, secret, body, due).then(async (posted: Posted) => {
            if (posted.status !== 202 || !posted.messageId) {
              errors++;
              lastDone = Math.max(lastDone, posted.answeredAt);
              return;
            }
            accepted++;
            const at = await hub.messagePushed(posted.messageId, 15_000);
            if (at === undefined) errors++;
            else latencies.push(at - due);
            lastDone = Math.max(lastDone, at ?? posted.answeredAt);
          }),
        );
      }
      await Promise.all(inflight);
      const usage = window.stop();
      const step: ThroughputStep = {
        offeredPerSecond: rate,
        seconds: stepSeconds,
        sent: count,
        accepted,
        errors,
        achievedPerSecond: round(lastDone > start ? (accepted / (lastDone - start)) * 1000 : undefined),
        latencyMs: summarize(latencies),
        usage,
      };
      throughput.push(step);
      log(`  ${rate} msg/s: achieved ${num(step.achievedPerSecond)} msg/s, p95 ${num(step.latencyMs.p95)} ms, ${errors} errors`);
      if ((step.latencyMs.p95 ?? Infinity) > 5_000 || errors > count * 0.2) break;
    }
    const sustained = throughput.filter((s) => s.errors === 0 && (s.latencyMs.p95 ?? Infinity) < 1_000).map((s) => s.offeredPerSecond);

    return {
      setup: {
        agents: agentCount,
        preferredConcurrency,
        maxLoad,
        assignedConversations: conversations.length,
        closedLoopMessages,
        rates,
        stepSeconds,
        sweepIntervalSeconds: 30,
      },
      startupMs: Math.round(startupMs),
      idleRssMb,
      firstAssignmentMs: summarize(firstAssignment),
      firstAssignmentMissing,
      ingestToPushMs: summarize(ingest),
      ingestHttpMs: summarize(ingestHttp),
      ingestMissing,
      closedLoopUsage,
      throughput,
      sustainedPerSecond: sustained.length ? Math.max(...sustained) : undefined,
    };
  } finally {
    await Promise.all([...agents.values()].map((a) => a.close()));
    await stack.stop();
  }
}

const cpu = (u: ProcessUsage | undefined) => (u?.cpuPercent === undefined ? '-' : `${num(u.cpuPercent, 0)}%`);
const mb = (v: number | undefined) => num(v, 0);

export function printLatency(r: LatencyResult): string {
  const s = r.setup;
  const rows = (label: string, x: Summary, missing = 0) => [
    label,
    String(x.n),
    num(x.p50),
    num(x.p95),
    num(x.p99),
    num(x.max),
    String(missing),
  ];
  const latency = table(
    `1a. Ingest → push latency (${s.agents} agents online, preferredConcurrency ${s.preferredConcurrency}, maxLoad ${s.maxLoad}; ms)`,
    ['measure', 'n', 'p50', 'p95', 'p99', 'max', 'missing'],
    [
      rows('first assignment: POST → worklist push with it', r.firstAssignmentMs, r.firstAssignmentMissing),
      rows('assigned conversation: POST → message push', r.ingestToPushMs, r.ingestMissing),
      rows('assigned conversation: POST → HTTP 202', r.ingestHttpMs),
    ],
  );
  const u = r.closedLoopUsage;
  const resources = table(
    '1b. Resources (CPU % of one core; 2 cores = 200 %; RSS MB)',
    ['phase', 'stack CPU', 'stack RSS peak', 'DDB Local CPU', 'DDB Local RSS peak', 'load gen CPU'],
    [
      ['idle, after start-up', '-', mb(r.idleRssMb.stack), '-', mb(r.idleRssMb.dynamodbLocal), '-'],
      [`closed loop (${s.closedLoopMessages} msgs, 1 at a time)`, cpu(u.stack), mb(u.stack?.rssPeakMb), cpu(u.dynamodbLocal), mb(u.dynamodbLocal?.rssPeakMb), cpu(u.loadgen)],
      ...r.throughput.map((t) => [
        `open loop ${t.offeredPerSecond} msg/s`,
        cpu(t.usage.stack),
        mb(t.usage.stack?.rssPeakMb),
        cpu(t.usage.dynamodbLocal),
        mb(t.usage.dynamodbLocal?.rssPeakMb),
        cpu(t.usage.loadgen),
      ]),
    ],
  );
  const throughput = table(
    `1c. Sustained throughput (open loop, ${s.stepSeconds} s per rate, messages round-robin over ${s.assignedConversations} assigned conversations; latency = scheduled send → message push, ms)`,
    ['offered msg/s', 'sent', 'achieved msg/s', 'p50', 'p95', 'p99', 'errors'],
    r.throughput.map((t) => [
      String(t.offeredPerSecond),
      String(t.sent),
      num(t.achievedPerSecond),
      num(t.latencyMs.p50),
      num(t.latencyMs.p95),
      num(t.latencyMs.p99),
      String(t.errors),
    ]),
  );
  const sustained = `sustained (highest rate with p95 < 1 s and no errors): ${r.sustainedPerSecond ?? 'none'} msg/s; stack start-up ${r.startupMs} ms`;
  return [latency, resources, throughput, sustained].join('\n\n');
}
