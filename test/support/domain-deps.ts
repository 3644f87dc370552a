import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createTables } from '../../infra/local/dynamodb.js';
import { upsertAgentProfile } from '../../shared/agent/agent-store.js';
import { registerConnection } from '../../shared/agent/connections.js';
import type { Clock } from '../../shared/clock.js';
import { parseConfig, type TideConfigInput } from '../../shared/config/schema.js';
import type { Pusher } from '../../shared/push/pusher.js';
import type { Deps, HttpSend } from '../../shared/runtime/deps.js';
import { environment } from '../../shared/runtime/environment.js';
import { createDocumentClient } from '../../shared/storage/document-client.js';
import { tableNamesFromEnv } from '../../shared/storage/tables.js';
import { onTimer } from '../../shared/timers/on-timer.js';
import type { TimerPayload, TimerScheduler } from '../../shared/timers/timer-scheduler.js';

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current = new Date('2026-11-21T09:00:00.000Z')) {}
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
}

/**
 * Timers on the manual clock: records what Tide schedules; `fireDue` delivers every schedule
 * whose time has come to the real timer handler, as Scheduler would (and deletes it).
 */
export class VirtualScheduler implements TimerScheduler {
  readonly created: Array<{ name: string; at: Date; payload: TimerPayload }> = [];
  private pending = new Map<string, { at: Date; payload: TimerPayload }>();
  constructor(private readonly clock: ManualClock) {}
  async schedule(name: string, at: Date, payload: TimerPayload) {
    if (this.pending.has(name)) return;
    this.created.push({ name, at, payload });
    this.pending.set(name, { at, payload });
  }
  /** Fires due schedules (repeatedly, since fires arm new ones) and returns what they performed. */
  async fireDue(deps: Deps): Promise<string[]> {
    const performed: string[] = [];
    for (let round = 0; round < 10; round++) {
      const due = [...this.pending].filter(([, s]) => s.at.getTime() <= this.clock.now().getTime());
      if (due.length === 0) break;
      for (const [name, s] of due) {
        this.pending.delete(name);
        performed.push(...(await onTimer(deps, s.payload)));
      }
    }
    return performed;
  }
  get size() {
    return this.pending.size;
  }
}

export interface TestDeps extends Deps {
  clock: ManualClock;
  pusher: RecordingPusher;
  timers: VirtualScheduler;
  /** Connects an agent with a recording connection named `conn-<agentId>`. */
  connect(agentId: string): Promise<string>;
}

/** Domain dependencies on fresh tables in the run's DynamoDB Local, with a manual clock. */
export async function createTestDeps(input: TideConfigInput, http?: HttpSend): Promise<TestDeps> {
  const endpoint = inject('dynamodbEndpoint');
  const env = await createTables(endpoint, `t${randomBytes(4).toString('hex')}-`);
  const full = { ...env, [environment.dynamodbEndpoint]: endpoint, AWS_REGION: 'us-east-1' };
  const config = parseConfig(input);
  const clock = new ManualClock();
  const deps: TestDeps = {
    db: createDocumentClient(full),
    tables: tableNamesFromEnv(full),
    config,
    clock,
    pusher: new RecordingPusher(),
    http: http ?? (async () => ({ status: 200 })),
    timers: new VirtualScheduler(clock),
    // Domain tests configure literal channel secrets; the Secrets Manager path is tested against
    // its emulation (test/integration/secrets-emulator.test.ts) and end to end.
    secrets: { read: async () => { throw new Error('no Secrets Manager in domain tests'); } },
    connect: async (agentId) => {
      const connectionId = `conn-${agentId}`;
      await registerConnection(deps, { connectionId, agentId, role: 'agent' });
      return connectionId;
    },
  };
  for (const agent of config.agents) await upsertAgentProfile(deps, agent);
  return deps;
}
