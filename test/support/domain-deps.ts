import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createTables } from '../../infra/local/dynamodb.js';
import { indexesSettled, indexLagFromEnv, installIndexLag, type IndexLagOptions } from '../../infra/local/index-lag.js';
import { upsertAgentProfile } from '../../shared/agent/agent-store.js';
import { registerConnection } from '../../shared/agent/connections.js';
import type { Clock } from '../../shared/clock.js';
import { parseConfig, type TideConfigInput } from '../../shared/config/schema.js';
import { deliverOutbound } from '../../shared/delivery/deliver.js';
import type { DeliveryJob, DeliveryQueue } from '../../shared/delivery/delivery-queue.js';
import type { FollowUp } from '../../shared/follow-ups/derive.js';
import { onChanges } from '../../shared/follow-ups/on-changes.js';
import { consumerKinds } from '../../shared/follow-ups/run.js';
import type { Pusher } from '../../shared/push/pusher.js';
import type { RoutingRecheck, RoutingRechecks } from '../../shared/routing/rechecks.js';
import { routeQueue } from '../../shared/routing/route-queue.js';
import type { Deps, HttpSend } from '../../shared/runtime/deps.js';
import { environment } from '../../shared/runtime/environment.js';
import type { OverviewJob, OverviewJobs } from '../../shared/supervision/overview-requests.js';
import { pushOverview } from '../../shared/supervision/push-overview.js';
import { createDocumentClient, decorateNewClients } from '../../shared/storage/document-client.js';
import { tableNamesFromEnv } from '../../shared/storage/tables.js';
import { onTimer } from '../../shared/timers/on-timer.js';
import type { TimerPayload, TimerScheduler } from '../../shared/timers/timer-scheduler.js';
import { StreamTap } from './stream-tap.js';

// TIDE_INDEX_LAG_MS="200-1000" runs these tests with GSI queries lagging as DynamoDB's do.
const lag = indexLagFromEnv(process.env.TIDE_INDEX_LAG_MS);
if (lag) decorateNewClients((client) => installIndexLag(client, lag));
export const indexLag = lag;

/**
 * A clock tests move by hand, starting at the next whole hour from now. Its tables have TTL off
 * (`createTestDeps`): DynamoDB Local deletes expired items by the wall clock, and rows whose
 * expiry this clock sets must not depend on how the two clocks happen to line up.
 */
export class ManualClock implements Clock {
  constructor(private current = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000)) {}
  now = () => new Date(this.current);
  advance(seconds: number) {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

/** Records every frame pushed, per connection; connections named in `gone` answer 410. */
export class RecordingPusher implements Pusher {
  readonly frames: Array<{ connectionId: string; frame: Record<string, unknown> }> = [];
  readonly gone = new Set<string>();
  async post(connectionId: string, frame: object) {
    if (this.gone.has(connectionId)) return 'gone' as const;
    this.frames.push({ connectionId, frame: frame as Record<string, unknown> });
    return 'sent' as const;
  }
  framesFor(connectionId: string, type?: string) {
    return this.frames.filter((f) => f.connectionId === connectionId && (!type || f.frame.type === type)).map((f) => f.frame);
  }
  /** The work list a client keeps: the one with the highest seq. */
  latestWorklist(connectionId: string) {
    return this.framesFor(connectionId, 'worklist').sort((a, b) => (b.seq as number) - (a.seq as number))[0] as
      | { seq: number; agent: { active: number; status: string }; items: Array<Record<string, unknown> & { conversationId: string; state: string }> }
      | undefined;
  }
}

/** Timers on the manual clock: records what Tide schedules, fires what is due (see TestDeps.fireDue). */
export class VirtualScheduler implements TimerScheduler {
  readonly created: Array<{ name: string; at: Date; payload: TimerPayload }> = [];
  readonly pending = new Map<string, { at: Date; payload: TimerPayload }>();
  /** Set to make CreateSchedule fail (a Scheduler outage). */
  failing = false;
  async schedule(name: string, at: Date, payload: TimerPayload) {
    if (this.failing) throw Object.assign(new Error('Scheduler is unavailable'), { name: 'ServiceUnavailable' });
    if (this.pending.has(name) || this.created.some((c) => c.name === name)) return;
    this.created.push({ name, at, payload });
    this.pending.set(name, { at, payload });
  }
  get size() {
    return this.pending.size;
  }
}

/** The delivery queue in memory, on the manual clock (the SQS path is tested end to end). */
export class VirtualDeliveryQueue implements DeliveryQueue {
  readonly jobs: Array<DeliveryJob & { dueAt: number }> = [];
  constructor(private readonly clock: ManualClock) {}
  async enqueue(jobs: readonly DeliveryJob[], delaySeconds = 0) {
    const dueAt = this.clock.now().getTime() + delaySeconds * 1000;
    this.jobs.push(...jobs.map((j) => ({ ...j, dueAt })));
  }
}

/** Routing rechecks, run by `settle` once the indexes have caught up (their lag is real time). */
export class VirtualRechecks implements RoutingRechecks {
  readonly queued: string[] = [];
  async enqueue(jobs: readonly RoutingRecheck[]) {
    this.queued.push(...jobs.map((j) => j.queue));
  }
}

/**
 * Supervisors' overview jobs, run as the queue's consumer would: each after its delay in real time
 * (coalescing is about wall-clock seconds), one batch per job. `idle()` waits until none is left.
 */
export class VirtualOverviewJobs implements OverviewJobs {
  readonly enqueued: Array<{ job: OverviewJob; delaySeconds: number }> = [];
  readonly failures: unknown[] = [];
  /** Jobs run so far. */
  runs = 0;
  private readonly pending = new Set<Promise<void>>();
  constructor(private readonly consume: (jobs: OverviewJob[]) => Promise<unknown>) {}
  async enqueue(jobs: readonly OverviewJob[], delaySeconds = 0) {
    for (const job of jobs) {
      this.enqueued.push({ job, delaySeconds });
      const run: Promise<void> = new Promise((resolve) => setTimeout(resolve, delaySeconds * 1000))
        .then(() => this.consume([job]))
        .then(
          () => void this.runs++,
          (error: unknown) => void this.failures.push(error),
        )
        .finally(() => this.pending.delete(run));
      this.pending.add(run);
    }
  }
  async idle() {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    if (this.failures.length) throw this.failures[0];
  }
}

export interface TestDeps extends Deps {
  clock: ManualClock;
  pusher: RecordingPusher;
  timers: VirtualScheduler;
  deliveries: VirtualDeliveryQueue;
  rechecks: VirtualRechecks;
  overviews: VirtualOverviewJobs;
  /** Connects an agent with a recording connection named `conn-<agentId>`. */
  connect(agentId: string, connectionId?: string): Promise<string>;
  /**
   * Runs every follow-up the changes so far call for (routing, pushes, timer schedules, handing
   * messages to delivery), as the stream consumers would, until nothing new changes.
   */
  settle(kinds?: ReadonlyArray<FollowUp['kind']>): Promise<void>;
  /** Settles, then fires every timer due on the manual clock, repeatedly; returns what they did. */
  fireDue(): Promise<string[]>;
  /** Settles, then runs every delivery job due on the manual clock, repeatedly. */
  deliverDue(): Promise<string[]>;
}

const allKinds: ReadonlyArray<FollowUp['kind']> = [...consumerKinds.work, ...consumerKinds.timers, ...consumerKinds.messages];


/** Domain dependencies on fresh tables in the run's DynamoDB Local, with a manual clock. */
export async function createTestDeps(input: TideConfigInput, http?: HttpSend, options: { indexLag?: IndexLagOptions } = {}): Promise<TestDeps> {
  const endpoint = inject('dynamodbEndpoint');
  // TTL off: connection and request-log rows expire by the manual clock here, never by the wall clock.
  const env = await createTables(endpoint, `t${randomBytes(4).toString('hex')}-`, { timeToLive: false });
  const full = { ...env, [environment.dynamodbEndpoint]: endpoint, AWS_REGION: 'us-east-1' };
  const config = parseConfig(input);
  const clock = new ManualClock();
  const tables = tableNamesFromEnv(full);
  // One tap per stream consumer, as deployed: a consumer whose follow-ups fail does not hold up the others.
  const consumers = [
    { kinds: consumerKinds.work as ReadonlyArray<FollowUp['kind']>, tap: await StreamTap.open(endpoint, [tables.conversations, tables.agents]) },
    { kinds: consumerKinds.timers, tap: await StreamTap.open(endpoint, [tables.conversations]) },
    { kinds: consumerKinds.messages, tap: await StreamTap.open(endpoint, [tables.messages]) },
  ];
  const deps: TestDeps = {
    db: createDocumentClient(full, options.indexLag ? (client) => installIndexLag(client, options.indexLag) : undefined),
    tables,
    config,
    clock,
    pusher: new RecordingPusher(),
    http: http ?? (async () => ({ status: 200 })),
    timers: new VirtualScheduler(),
    deliveries: new VirtualDeliveryQueue(clock),
    rechecks: new VirtualRechecks(),
    overviews: new VirtualOverviewJobs((jobs) => pushOverview(deps, jobs)),
    // Domain tests configure literal channel secrets; the Secrets Manager path is tested against
    // its emulation (test/integration/secrets-emulator.test.ts) and end to end.
    secrets: { read: async () => { throw new Error('no Secrets Manager in domain tests'); } },
    connect: async (agentId, connectionId = `conn-${agentId}`) => {
      await registerConnection(deps, { connectionId, agentId, role: 'agent' });
      return connectionId;
    },
    settle: async (kinds = allKinds) => {
      const failures: unknown[] = [];
      for (let round = 0; round < 100; round++) {
        let seen = 0;
        for (const consumer of consumers) {
          const records = await consumer.tap.read();
          seen += records.length;
          const mine = consumer.kinds.filter((k) => kinds.includes(k));
          if (records.length === 0 || mine.length === 0) continue;
          // A failed batch is not read again here (the stream would deliver it again): the
          // failure is reported once everything else has settled.
          await onChanges(deps, { Records: records }, mine).catch((error: unknown) => failures.push(error));
        }
        if (seen === 0 && deps.rechecks.queued.length > 0 && kinds.includes('route')) {
          // As the delayed second passes would: after the index has caught up.
          if (lag || options.indexLag) await indexesSettled();
          const queues = [...new Set(deps.rechecks.queued.splice(0))];
          await Promise.all(queues.map((q) => routeQueue(deps, q, { queueFirst: true })));
          continue;
        }
        if (seen === 0) {
          if (failures.length) throw failures[0];
          return;
        }
      }
      throw new Error('settle: changes kept coming after 100 rounds');
    },
    fireDue: async () => {
      const performed: string[] = [];
      for (let round = 0; round < 20; round++) {
        await deps.settle();
        const due = [...deps.timers.pending].filter(([, s]) => s.at.getTime() <= clock.now().getTime());
        if (due.length === 0) break;
        for (const [name, s] of due) {
          deps.timers.pending.delete(name);
          performed.push(...(await onTimer(deps, s.payload)));
        }
      }
      await deps.settle();
      return performed;
    },
    deliverDue: async () => {
      const outcomes: string[] = [];
      for (let round = 0; round < 20; round++) {
        await deps.settle();
        const due = deps.deliveries.jobs.filter((j) => j.dueAt <= clock.now().getTime());
        if (due.length === 0) break;
        for (const job of due) {
          deps.deliveries.jobs.splice(deps.deliveries.jobs.indexOf(job), 1);
          outcomes.push(await deliverOutbound(deps, job));
        }
      }
      await deps.settle();
      return outcomes;
    },
  };
  for (const agent of config.agents) await upsertAgentProfile(deps, agent);
  await deps.settle();
  return deps;
}
