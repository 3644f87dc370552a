/**
 * Section 2: what one inbound message costs, on a realistic exchange run in this process (so the
 * capacity meter of shared/storage/capacity-meter.ts sees every DynamoDB call the handlers make),
 * and the AWS bill that follows at list prices.
 */
import { freePort } from '../../infra/local/free-port.js';
import { BenchAgent, FrameHub, postInbound } from '../lib/agents.js';
import { startCountingReceiver } from '../lib/receiver.js';
import { num, pool, rng, round, sleep, table } from '../lib/util.js';

export interface CostOptions {
  seed: number;
  quick: boolean;
  log: (line: string) => void;
}

/** List prices (us-east-1), as of 2026-11 per ../shared/research/aws-facts.md; free tiers ignored. */
export const prices = {
  asOf: '2026-11 (../shared/research/aws-facts.md)',
  dynamodbWriteRequestUnit: 0.625 / 1e6,
  dynamodbReadRequestUnit: 0.125 / 1e6,
  schedulerInvocation: 1.0 / 1e6,
  webSocketMessage: 1.0 / 1e6,
  webSocketConnectionMinute: 0.25 / 1e6,
  httpApiRequest: 1.0 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaArmGbSecond: 0.0000133334,
};

/** Assumptions the bill needs that a local run cannot measure. */
export const assumptions = {
  lambdaMsPerInvocation: 50,
  lambdaMemoryGb: 0.5,
  /** An agent online 8 h (480 connection-minutes) answers 40 conversations of 10 inbound messages. */
  connectionMinutesPerInbound: 480 / 400,
};

export interface PerInbound {
  readUnits: number;
  writeUnits: number;
  dynamodbCalls: number;
  dynamodbFailedCalls: number;
  schedulerCreate: number;
  schedulerOtherCalls: number;
  schedulerFires: number;
  pushes: number;
  agentFrames: number;
  outboundCalls: number;
  lambdaInvocations: number;
}

export interface CostResult {
  setup: Record<string, unknown>;
  totals: Record<string, number>;
  perInbound: PerInbound;
  byOperation: Record<string, { callsPerInbound: number; readUnitsPerInbound: number; writeUnitsPerInbound: number; failures: number }>;
  byTarget: Record<string, { readUnitsPerInbound: number; writeUnitsPerInbound: number }>;
  /** By the Lambda handler that made the calls (the stream consumers and queue consumers included). */
  byHandler: Record<string, { callsPerInbound: number; readUnitsPerInbound: number; writeUnitsPerInbound: number; failures: number }>;
  pushesByType: Record<string, number>;
  bill: Array<{ item: string; quantityPerMillion: number; unitPrice: string; dollarsPerMillion: number }>;
  billTotal: number;
  prices: typeof prices;
  assumptions: typeof assumptions;
}

const substantive = [
  "Hi, my order hasn't arrived",
  'It was order 4411, placed last Monday',
  'The tracking page says it is stuck in Memphis',
  'Can you send it again or refund me?',
  'A refund to the card please',
  'How long does the refund take?',
  'And will I get an email about it?',
  'Perfect, and the old parcel if it shows up?',
];
const agentLines = [
  'Sorry about that! Can you give me the order number?',
  'Thanks, let me look it up.',
  'I see it, the carrier lost track of it. I can resend or refund.',
  'Sure, which would you prefer, refund to card or store credit?',
  'Done, the refund is on its way.',
  'Usually 3 to 5 business days.',
  'Yes, you will get a confirmation email today.',
  'Just refuse it at the door and it comes back to us.',
];

export async function runCost(options: CostOptions): Promise<CostResult> {
  const { quick, log } = options;
  const random = rng(options.seed + 2);
  // Handlers create their DynamoDB clients when their modules load, inside startLocalStack.
  process.env.TIDE_METER_CAPACITY = '1';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const { startLocalStack } = await import('../../infra/local/stack.js');
  const { parseConfig } = await import('../../shared/config/schema.js');
  const meter = await import('../../shared/storage/capacity-meter.js');

  const agentCount = 10;
  const preferredConcurrency = 5;
  const conversationCount = quick ? 20 : 150;
  const turns = 10;
  const agentIds = Array.from({ length: agentCount }, (_, i) => `cost-${String(i + 1).padStart(2, '0')}`);
  const receiver = await startCountingReceiver();
  const secret = 'bench-secret';
  const [httpPort, wsPort, schedulerPort] = [await freePort(), await freePort(), await freePort()];
  // The exchange runs 60 times faster than life: SLA 120 s → 2 s, inactivity 600 s → 10 s; agents
  // answer in 24-48 s (0.4-0.8 s here), customers in 48-96 s (0.8-1.6 s here). The sweep (once a
  // minute in AWS, a fixed cost independent of traffic) is kept out of the measurement.
  const stack = await startLocalStack({
    config: parseConfig({
      queues: { default: { slaSeconds: 2, inactiveAfterSeconds: 10, autoCloseAfterSeconds: 60 } },
      agents: agentIds.map((id) => ({ id, queues: ['default'], preferredConcurrency, maxLoad: 8 })),
      channels: { generic: { secret, outboundUrl: receiver.url } },
    }),
    httpPort,
    wsPort,
    schedulerPort,
    sweepIntervalSeconds: 3_600,
  });
  const schedulerStats = async () =>
    (await (await fetch(`http://127.0.0.1:${schedulerPort}/__tide/stats`)).json()) as {
      calls: Record<string, number>;
      fires: number;
      schedules: number;
    };
  const hub = new FrameHub();
  const agents = new Map<string, BenchAgent>();
  try {
    for (const id of agentIds) {
      const agent = await BenchAgent.connect(stack.httpUrl, stack.wsUrl, id, hub);
      agents.set(id, agent);
      await agent.request({ action: 'setStatus', status: 'online' });
    }
    await sleep(500);

    // Everything from here on is the exchange.
    const meterBefore = meter.snapshot();
    const schedBefore = await schedulerStats();
    const framesBefore = { received: hub.framesReceived, sent: hub.framesSent, byType: { ...hub.byType } };
    const started = performance.now();
    let inbound = 0;
    let inboundErrors = 0;
    let replies = 0;
    let replyErrors = 0;
    let closedByAnswer = 0;
    let closedByAgent = 0;
    let unassigned = 0;
    let breachesSeen = 0;

    const plans = Array.from({ length: conversationCount }, (_, k) => ({
      k,
      delays: Array.from({ length: turns }, () => ({ agent: 400 + random() * 400, customer: 800 + random() * 800 })),
    }));
    let externalId = 0;
    const concurrency = Math.min(conversationCount, agentCount * preferredConcurrency);
    await pool(plans, concurrency, async (plan, index) => {
      if (index < concurrency) await sleep(index * 100); // stagger the first wave
      const from = `+1666${String(options.seed).padStart(3, '0')}${String(plan.k).padStart(5, '0')}`;
      let conversationId: string | undefined;
      let agentId: string | undefined;
      for (let t = 0; t < turns; t++) {
        const text = t < 8 ? substantive[t]! : t === 8 ? 'thanks' : 'no thanks';
        const posted = await postInbound(stack.httpUrl, secret, { externalId: `s2-${++externalId}`, from, text, name: `Customer ${plan.k}` });
        if (posted.status !== 202 || !posted.messageId) {
          inboundErrors++;
          return;
        }
        inbound++;
        if (t === 0) {
          conversationId = posted.conversationId!;
          const listed = await hub.listed(conversationId, 15_000);
          if (!listed) {
            unassigned++;
            return;
          }
          agentId = listed.agentId;
        } else {
          await hub.messagePushed(posted.messageId, t >= 8 ? 1_000 : 5_000);
        }
        if (t === turns - 1) break;
        await sleep(plan.delays[t]!.agent);
        const agent = agents.get(agentId!)!;
        const line = t === 8 ? 'Anything else I can help you with?' : agentLines[t]!;
        const ack = await agent.request({ action: 'send', conversationId, text: line }).catch(() => undefined);
        if (ack?.type === 'ack') replies++;
        else replyErrors++;
        await sleep(plan.delays[t]!.customer);
      }
      // "no thanks" to the closing question closes the conversation; if the rules did not, the agent does.
      const closed = await hub.until(() => !hub.holds(agentId!, conversationId!), 3_000);
      if (closed) closedByAnswer++;
      else {
        const ack = await agents.get(agentId!)!.request({ action: 'close', conversationId }).catch(() => undefined);
        if (ack?.type === 'ack') closedByAgent++;
      }
      if ([...hub.latest.values()].some((l) => l.items.some((i) => i.conversationId === conversationId && i.slaBreached))) breachesSeen++;
    });
    const exchangeSeconds = (performance.now() - started) / 1000;
    log(`  ${conversationCount} conversations, ${inbound} inbound, ${replies} replies in ${Math.round(exchangeSeconds)} s; draining timers`);

    // Timers left armed (stale SLA and inactivity schedules) still fire and cost an invocation each:
    // wait for the ones due soon; the ones due later are counted as future fires.
    let last = await schedulerStats();
    let quiet = 0;
    for (let waited = 0; waited < (quick ? 5 : 20) && quiet < 2 && (last.schedules > 0 || receiver.delivered() < replies); waited++) {
      await sleep(1_000);
      const s = await schedulerStats();
      quiet = s.schedules === last.schedules && s.fires === last.fires && receiver.delivered() >= replies ? quiet + 1 : 0;
      if (process.env.BENCH_DEBUG) log(`    drain: ${s.schedules} schedules, fires ${s.fires}, delivered ${receiver.delivered()}`);
      last = s;
    }
    const schedAfter = await schedulerStats();
    const used = meter.difference(meter.snapshot(), meterBefore);
    const calls = (op: string) => (schedAfter.calls[op] ?? 0) - (schedBefore.calls[op] ?? 0);
    const schedulerCalls = Object.keys(schedAfter.calls).reduce((sum, op) => sum + calls(op), 0);
    const pendingSchedules = schedAfter.schedules - schedBefore.schedules;
    const fires = schedAfter.fires - schedBefore.fires + pendingSchedules;
    const pushes = hub.framesReceived - framesBefore.received;
    const agentFrames = hub.framesSent - framesBefore.sent;
    const posts = inbound + inboundErrors;
    const lambdaInvocations = posts + agentFrames + fires;
    const per = (n: number) => (inbound ? n / inbound : 0);
    const perInbound: PerInbound = {
      readUnits: per(used.readUnits),
      writeUnits: per(used.writeUnits),
      dynamodbCalls: per(used.calls),
      dynamodbFailedCalls: per(used.failures),
      schedulerCreate: per(calls('CreateSchedule')),
      schedulerOtherCalls: per(schedulerCalls - calls('CreateSchedule')),
      schedulerFires: per(fires),
      pushes: per(pushes),
      agentFrames: per(agentFrames),
      outboundCalls: per(receiver.requests()),
      lambdaInvocations: per(lambdaInvocations),
    };
    const byOperation = Object.fromEntries(
      Object.entries(used.byCommand).map(([op, t]) => [
        op,
        { callsPerInbound: per(t.calls), readUnitsPerInbound: per(t.readUnits), writeUnitsPerInbound: per(t.writeUnits), failures: t.failures },
      ]),
    );
    const byTarget = Object.fromEntries(
      Object.entries(used.byTarget).map(([target, t]) => [
        target.replace(/^tide-[0-9a-f]{8}-/, ''),
        { readUnitsPerInbound: per(t.readUnits), writeUnitsPerInbound: per(t.writeUnits) },
      ]),
    );
    const byHandler = Object.fromEntries(
      Object.entries(used.byHandler ?? {}).map(([handler, t]) => [
        handler,
        { callsPerInbound: per(t.calls), readUnitsPerInbound: per(t.readUnits), writeUnitsPerInbound: per(t.writeUnits), failures: t.failures },
      ]),
    );
    const pushesByType = Object.fromEntries(
      Object.entries(hub.byType).map(([type, n]) => [type, per(n - (framesBefore.byType[type] ?? 0))]),
    );

    const M = 1e6;
    const lambdaGbSeconds = (assumptions.lambdaMsPerInvocation / 1000) * assumptions.lambdaMemoryGb;
    const bill = [
      { item: 'DynamoDB write request units', q: perInbound.writeUnits * M, unit: prices.dynamodbWriteRequestUnit, label: '$0.625 / M WRU' },
      { item: 'DynamoDB read request units', q: perInbound.readUnits * M, unit: prices.dynamodbReadRequestUnit, label: '$0.125 / M RRU' },
      { item: 'EventBridge Scheduler invocations', q: perInbound.schedulerFires * M, unit: prices.schedulerInvocation, label: '$1.00 / M (API calls free)' },
      { item: 'API GW WebSocket messages (push + agent frames)', q: (perInbound.pushes + perInbound.agentFrames) * M, unit: prices.webSocketMessage, label: '$1.00 / M' },
      { item: `API GW WebSocket connection-minutes (assumed ${round(assumptions.connectionMinutesPerInbound, 2)}/msg)`, q: assumptions.connectionMinutesPerInbound * M, unit: prices.webSocketConnectionMinute, label: '$0.25 / M min' },
      { item: 'API GW HTTP API requests (1 per inbound)', q: M, unit: prices.httpApiRequest, label: '$1.00 / M' },
      { item: 'Lambda requests', q: perInbound.lambdaInvocations * M, unit: prices.lambdaRequest, label: '$0.20 / M' },
      { item: `Lambda arm64 compute (assumed ${assumptions.lambdaMsPerInvocation} ms × ${assumptions.lambdaMemoryGb * 1024} MB)`, q: perInbound.lambdaInvocations * M * lambdaGbSeconds, unit: prices.lambdaArmGbSecond, label: '$0.0000133334 / GB-s' },
    ].map((b) => ({ item: b.item, quantityPerMillion: b.q, unitPrice: b.label, dollarsPerMillion: b.q * b.unit }));

    return {
      setup: {
        agents: agentCount,
        preferredConcurrency,
        conversations: conversationCount,
        inboundPerConversation: turns,
        timeScale: '60x (SLA 2 s, inactivity 10 s, agent replies 0.4-0.8 s, customer replies 0.8-1.6 s)',
        exchangeSeconds: round(exchangeSeconds),
        pendingSchedulesCountedAsFires: 'schedules still armed at the end will fire later (stale) and are counted as invocations',
        excluded: 'agent connect/setStatus before the exchange; the once-a-minute sweep',
      },
      totals: {
        inbound,
        inboundErrors,
        replies,
        replyErrors,
        closedByAnswer,
        closedByAgent,
        unassigned,
        conversationsShowingSlaBreach: breachesSeen,
        readUnits: used.readUnits,
        writeUnits: used.writeUnits,
        dynamodbCalls: used.calls,
        dynamodbFailedCalls: used.failures,
        schedulerCalls,
        schedulerFires: fires,
        schedulerStillPending: pendingSchedules,
        pushes,
        agentFrames,
        outboundRequests: receiver.requests(),
        outboundDelivered: receiver.delivered(),
        lambdaInvocations,
      },
      perInbound,
      byOperation,
      byTarget,
      byHandler,
      pushesByType,
      bill,
      billTotal: bill.reduce((s, b) => s + b.dollarsPerMillion, 0),
      prices,
      assumptions,
    };
  } finally {
    await Promise.all([...agents.values()].map((a) => a.close()));
    await sleep(1_000); // let $disconnect handlers finish before the emulators close
    await stack.stop();
    await receiver.close();
  }
}

export function printCost(r: CostResult): string {
  const p = r.perInbound;
  const t = r.totals;
  const s = r.setup;
  const counts = table(
    `2a. Cost per inbound message (${s.conversations} conversations × ${s.inboundPerConversation} customer messages, agent replying, time ×60; ${t.inbound} inbound, ${t.replies} replies)`,
    ['per inbound message', 'value', 'total'],
    [
      ['DynamoDB write request units (WRU)', num(p.writeUnits, 2), num(r.totals.writeUnits, 0)],
      ['DynamoDB read request units (RRU)', num(p.readUnits, 2), num(r.totals.readUnits, 0)],
      ['DynamoDB calls (of which failed: charged, not metered)', `${num(p.dynamodbCalls, 2)} (${num(p.dynamodbFailedCalls, 2)})`, String(t.dynamodbCalls)],
      ['Scheduler CreateSchedule calls', num(p.schedulerCreate, 2), '-'],
      ['Scheduler other API calls', num(p.schedulerOtherCalls, 2), '-'],
      [`Scheduler invocations (fires; ${t.schedulerStillPending} still pending counted)`, num(p.schedulerFires, 2), String(t.schedulerFires)],
      ['WebSocket pushes (PostToConnection)', num(p.pushes, 2), String(t.pushes)],
      ['  of which ' + Object.entries(r.pushesByType).map(([k, v]) => `${k} ${num(v, 2)}`).join(', '), '', ''],
      ['WebSocket frames from agents (send/close)', num(p.agentFrames, 2), String(t.agentFrames)],
      ['Outbound channel calls', num(p.outboundCalls, 2), String(t.outboundRequests)],
      ['Lambda invocations (inbound + agent-action + timer; stream and queue consumers not counted)', num(p.lambdaInvocations, 2), String(t.lambdaInvocations)],
    ],
    ['l', 'r', 'r'],
  );
  const ops = table(
    '2b. DynamoDB by operation, per inbound message',
    ['operation', 'calls', 'RRU', 'WRU', 'failed (total)'],
    Object.entries(r.byOperation)
      .sort((a, b) => b[1].callsPerInbound - a[1].callsPerInbound)
      .map(([op, o]) => [op, num(o.callsPerInbound, 2), num(o.readUnitsPerInbound, 2), num(o.writeUnitsPerInbound, 2), String(o.failures)]),
  );
  const targets = table(
    '2c. DynamoDB units by table and index, per inbound message (index writes: ProjectionType ALL copies the item; a rank change is a delete + put)',
    ['table / index', 'RRU', 'WRU'],
    Object.entries(r.byTarget)
      .sort((a, b) => b[1].writeUnitsPerInbound + b[1].readUnitsPerInbound - a[1].writeUnitsPerInbound - a[1].readUnitsPerInbound)
      .map(([target, t]) => [target, num(t.readUnitsPerInbound, 2), num(t.writeUnitsPerInbound, 2)]),
  );
  const handlers = table(
    '2d. DynamoDB by Lambda handler, per inbound message (stream and queue consumers run in the stack as in AWS)',
    ['handler', 'calls', 'RRU', 'WRU', 'failed (total)'],
    Object.entries(r.byHandler)
      .sort((a, b) => b[1].callsPerInbound - a[1].callsPerInbound)
      .map(([h, o]) => [h, num(o.callsPerInbound, 2), num(o.readUnitsPerInbound, 2), num(o.writeUnitsPerInbound, 2), String(o.failures)]),
  );
  const bill = table(
    `2e. AWS bill per million inbound messages (us-east-1 list prices as of ${r.prices.asOf}; free tiers ignored)`,
    ['item', 'quantity per M msgs', 'price', '$ per M msgs'],
    [
      ...r.bill.map((b) => [b.item, num(b.quantityPerMillion, 0), b.unitPrice, num(b.dollarsPerMillion, 2)]),
      ['total', '', '', num(r.billTotal, 2)],
    ],
    ['l', 'r', 'l', 'r'],
  );
  const notes = [
    `closed by the "no thanks" answer: ${t.closedByAnswer}, by the agent: ${t.closedByAgent}; unassigned: ${t.unassigned}; inbound errors: ${t.inboundErrors}; reply errors: ${t.replyErrors}; outbound delivered ${t.outboundDelivered}/${t.replies}; conversations seen with an SLA breach: ${t.conversationsShowingSlaBreach}`,
  ].join('\n');
  return [counts, ops, targets, handlers, bill, notes].join('\n\n');
}
