/**
 * Which of the agent's open tabs plays the alert sound and shows the desktop notification, so
 * that three tabs do not beep three times (research/console.md §4, rec. 8). Tabs that enabled
 * alerts talk over a BroadcastChannel: each says "here" every heartbeat, and the oldest tab
 * heard from recently leads. A tab that just joined stays quiet until it has had the time to hear
 * the others; a tab that vanishes without saying goodbye (a crash, a killed process) loses the
 * lead after `timeoutMs`.
 */
export interface BroadcastPort {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

export interface LeaderClock {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

interface Peer {
  since: number;
  seenAt: number;
}

type LeaderMessage = { type: 'hello' | 'here' | 'bye'; id: string; since: number };

function isLeaderMessage(data: unknown): data is LeaderMessage {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as Record<string, unknown>;
  return (m.type === 'hello' || m.type === 'here' || m.type === 'bye') && typeof m.id === 'string' && typeof m.since === 'number';
}

export class AlertLeader {
  readonly id: string;
  private readonly peers = new Map<string, Peer>();
  private since = 0;
  private timer: unknown;
  private readonly heartbeatMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly port: BroadcastPort,
    private readonly clock: LeaderClock,
    options: { id: string; heartbeatMs?: number; timeoutMs?: number },
  ) {
    this.id = options.id;
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 3500;
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.since = this.clock.now();
    this.port.onmessage = (event) => this.receive(event.data);
    this.say('hello');
    this.timer = this.clock.setInterval(() => this.say('here'), this.heartbeatMs);
  }

  stop(): void {
    if (this.timer === undefined) return;
    this.clock.clearInterval(this.timer);
    this.timer = undefined;
    this.say('bye');
    this.port.onmessage = null;
    this.peers.clear();
  }

  /** True in exactly one of the tabs that are alive and settled (give or take a heartbeat at a hand-over). */
  isLeader(): boolean {
    if (this.timer === undefined) return false;
    const now = this.clock.now();
    // Not before this tab has heard everyone's heartbeat: otherwise a new tab beeps along.
    if (now - this.since < this.heartbeatMs * 1.5) return false;
    for (const [id, peer] of this.peers) {
      if (now - peer.seenAt > this.timeoutMs) {
        this.peers.delete(id);
        continue;
      }
      if (peer.since < this.since || (peer.since === this.since && id < this.id)) return false;
    }
    return true;
  }

  private receive(data: unknown): void {
    if (!isLeaderMessage(data) || data.id === this.id) return;
    if (data.type === 'bye') {
      this.peers.delete(data.id);
      return;
    }
    this.peers.set(data.id, { since: data.since, seenAt: this.clock.now() });
    // A newcomer learns about this tab at once rather than at the next heartbeat.
    if (data.type === 'hello') this.say('here');
  }

  private say(type: LeaderMessage['type']): void {
    try {
      this.port.postMessage({ type, id: this.id, since: this.since } satisfies LeaderMessage);
    } catch {
      // A closed channel (the page is going away): nothing to tell.
    }
  }
}
