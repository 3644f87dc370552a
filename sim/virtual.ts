import type { Clock } from '../shared/clock.js';
import type { Pusher } from '../shared/push/pusher.js';
import type { TimerPayload, TimerScheduler } from '../shared/timers/timer-scheduler.js';
import { mulberry32 } from './prng.js';

/**
 * The simulator's stand-ins for the outside world: a clock that jumps from event to event, a
 * scheduler that records Tide's timers and hands them back when virtual time reaches them, and
 * a pusher that delivers work-list frames to the simulated agents instead of WebSockets.
 */

/** A binary min-heap. */
export class Heap<T> {
  private items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size() {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

export class VirtualClock implements Clock {
  constructor(private current: number) {}
  now = () => new Date(this.current);
  /** The current virtual time, epoch milliseconds. */
  get epochMs() {
    return this.current;
  }
  /** Moves time forward (never back). */
  set(ms: number): void {
    if (ms < this.current) throw new Error(`the virtual clock cannot go back (${new Date(ms).toISOString()} < ${new Date(this.current).toISOString()})`);
    this.current = ms;
  }
}

interface Scheduled {
  name: string;
  at: number;
  payload: TimerPayload;
  seq: number;
}

/**
 * Tide's timers on virtual time. Like EventBridge Scheduler with `ActionAfterCompletion: DELETE`:
 * a name is created once (creating it again is a no-op, as a ConflictException is for Tide), and
 * fires once. A deadline already past fires at the next step, as the real scheduler's
 * "now + 1 s" would. Each fire is `lateMs()` after its deadline: the real Scheduler fires a
 * one-off schedule up to a minute late (the simulator draws 0–60 s, sim/model.ts); without
 * `lateMs`, exactly on time.
 */
export class VirtualScheduler implements TimerScheduler {
  private readonly heap = new Heap<Scheduled>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private readonly names = new Set<string>();
  private seq = 0;
  created = 0;
  /** Total lateness of the schedules created (ms), to report the mean. */
  lateMsTotal = 0;
  constructor(
    private readonly clock: VirtualClock,
    private readonly lateMs: () => number = () => 0,
  ) {}
  async schedule(name: string, at: Date, payload: TimerPayload): Promise<void> {
    if (this.names.has(name)) return;
    this.names.add(name);
    this.created += 1;
    const late = Math.round(this.lateMs());
    this.lateMsTotal += late;
    this.heap.push({ name, at: Math.max(at.getTime(), this.clock.epochMs) + late, payload, seq: this.seq++ });
  }
  /** When the next schedule fires, if any. */
  nextAt(): number | undefined {
    return this.heap.peek()?.at;
  }
  /** Removes and returns the schedules due at the current virtual time, earliest first. */
  takeDue(): Scheduled[] {
    const due: Scheduled[] = [];
    while (this.heap.size && this.heap.peek()!.at <= this.clock.epochMs) due.push(this.heap.pop()!);
    return due;
  }
  get pending() {
    return this.heap.size;
  }
}

export interface WorklistFrameSeen {
  type: 'worklist';
  seq: number;
  /** `active` counts the frame's active items (shared/push/worklist.ts), not the stored counter. */
  agent: { id: string; status: string; active: number; preferredConcurrency: number; maxLoad: number };
  items: Array<{ conversationId: string; state: 'active' | 'inactive'; waitingOn: 'agent' | 'customer' }>;
}

/**
 * Delivers frames to the simulated agents' "screens": the simulator tells it which agent opened
 * each connection (`connect`), and every frame Tide pushes there is handed to `onFrame`. It keeps
 * each agent's latest work list (the highest `seq`), as a client does.
 */
export class SimPusher implements Pusher {
  frames = 0;
  readonly byType: Record<string, number> = {};
  private readonly owners = new Map<string, string>();
  private readonly latest = new Map<string, WorklistFrameSeen>();
  constructor(private readonly onFrame: (agentId: string, frame: Record<string, unknown>) => void) {}
  connect(connectionId: string, agentId: string): void {
    this.owners.set(connectionId, agentId);
  }
  async post(connectionId: string, frame: object): Promise<'sent'> {
    const f = frame as Record<string, unknown>;
    this.frames += 1;
    const type = String(f.type);
    this.byType[type] = (this.byType[type] ?? 0) + 1;
    const agentId = this.owners.get(connectionId) ?? connectionId;
    if (type === 'worklist') {
      const seen = this.latest.get(agentId);
      if (!seen || seen.seq < (f.seq as number)) this.latest.set(agentId, f as unknown as WorklistFrameSeen);
    }
    this.onFrame(agentId, f);
    return 'sent';
  }
  /** The agent's work list as its screen shows it: the frame with the highest `seq`. */
  latestWorklist(agentId: string): WorklistFrameSeen | undefined {
    return this.latest.get(agentId);
  }
}

/**
 * Replaces `Math.random` with a seeded generator (mulberry32) until the returned function is
 * called. Tide breaks routing ties at random (shared/routing/choose-agent.ts); seeded, a seed's
 * run makes the same choices every time.
 */
export function seedMathRandom(seed: number): () => void {
  const original = Math.random;
  Math.random = mulberry32(seed);
  return () => {
    Math.random = original;
  };
}
