/**
 * The console's typed WebSocket client (DESIGN §4, §4b; research/console.md §4). Browser-first and
 * framework-free: no Node or AWS imports at run time, so it bundles for the browser with esbuild
 * and runs under Node with `ws` injected.
 *
 * What it takes care of, so the UI does not have to:
 * - one connection at a time that is `live` (open and answered `sync` with a snapshot), replaced
 *   before API Gateway's 2-hour limit by opening the next one first (make before break);
 * - reconnecting with full-jitter backoff, a fresh token for every attempt, and at once when the
 *   browser comes back online or the tab becomes visible;
 * - pings under the 10-minute idle timeout, and no answer within `pongTimeoutMs` = a dead socket;
 * - the work list and overview with the highest `seq` (older pushes dropped);
 * - every action gets a unique `requestId` and is answered by its ack or error; nothing is ever
 *   buffered for a socket that is not live.
 */
import { backoffDelayMs, stableAfterMs } from './backoff.js';
import { ConnectionLostError, NotConnectedError, TideRequestError } from './errors.js';
import {
  parseFrame,
  type AckFrame,
  type AgentStatus,
  type DeliveryFrame,
  type ErrorFrame,
  type MessageFrame,
  type OverviewFrame,
  type ServerFrame,
  type WorklistFrame,
} from './frames.js';

export { backoffDelayMs } from './backoff.js';
export { ConnectionLostError, NotConnectedError, TideRequestError } from './errors.js';
export type * from './frames.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface TideClientOptions {
  /** WebSocket base URL, e.g. ws://127.0.0.1:3001 (the token goes in ?token=). */
  url: string;
  /** Called before EVERY connection attempt: a fresh token each time (never replay an old one). */
  token: () => Promise<string>;
  /** Defaults to globalThis.WebSocket; tests inject `ws`'s WebSocket. */
  WebSocket?: unknown;
  /** Where `online` and `visibilitychange` come from; defaults to globalThis.window / document if present. */
  events?: { window?: EventTarget; document?: EventTarget & { visibilityState?: string } };
  /** Default 4.5 min (API Gateway's idle timeout is 10 min). */
  pingIntervalMs?: number;
  /** Default 10 s; no answer to a ping = a dead socket, reconnect. */
  pongTimeoutMs?: number;
  /** Default 110 min (API Gateway's maximum is 2 h): make before break. */
  replaceAfterMs?: number;
  /** Default 15 s; also the limit for one connection attempt (token, handshake and `sync`). */
  requestTimeoutMs?: number;
  /** Jitter source (tests). */
  random?: () => number;
}

/** What the client needs of a WebSocket: the browser's and `ws`'s both have it. */
interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
  removeEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
}
type SocketConstructor = new (url: string) => SocketLike;
const OPEN = 1;

type Timer = ReturnType<typeof setTimeout>;

/** One socket and what is known about it. */
interface Link {
  socket?: SocketLike;
  /** When the last frame arrived (or the socket opened): a socket silent for too long is stale. */
  lastFrameAt: number;
  liveAt?: number;
  /** A worklist or overview frame arrived on it: it answered `sync`. */
  snapshot: boolean;
  /** Replaced: takes no new requests and closes once its open requests are answered. */
  draining: boolean;
  dead: boolean;
  pingInFlight?: { deadline: number };
  timers: Set<Timer>;
  detach(): void;
}

interface Pending {
  link: Link;
  sentAt: number;
  timer: Timer;
  resolve(ack: AckFrame): void;
  reject(error: Error): void;
}

type Events = {
  state: ConnectionState;
  worklist: WorklistFrame;
  overview: OverviewFrame;
  message: MessageFrame;
  delivery: DeliveryFrame;
};

type Target = { queue: string } | { agentId: string };

const minute = 60_000;
/** How many message and delivery frames are remembered to drop the copies both sockets get while they overlap. */
const rememberedPushes = 500;

export class TideClient {
  private readonly options: Required<Omit<TideClientOptions, 'events' | 'WebSocket'>>;
  private readonly Socket: SocketConstructor;
  private readonly window?: EventTarget;
  private readonly document?: EventTarget & { visibilityState?: string };
  private readonly listeners = new Map<keyof Events, Set<(value: never) => void>>();
  private readonly pending = new Map<string, Pending>();
  /** Random per client, so that request ids never repeat across connections or page loads. */
  private readonly clientId = randomHex(8);
  private nextRequest = 1;

  private running = false;
  private current?: Link;
  private candidate?: Link;
  private readonly draining = new Set<Link>();
  /** Failed attempts in a row (a connection that died before 5 s of uptime counts as one). */
  private failures = 0;
  private retryTimer?: Timer;
  private seenPushes: string[] = [];
  private seenPushSet = new Set<string>();

  private _state: ConnectionState = 'closed';
  private _worklist?: WorklistFrame;
  private _overview?: OverviewFrame;
  private _clockOffsetMs = 0;

  constructor(options: TideClientOptions) {
    this.options = {
      url: options.url,
      token: options.token,
      pingIntervalMs: options.pingIntervalMs ?? 4.5 * minute,
      pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
      replaceAfterMs: options.replaceAfterMs ?? 110 * minute,
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      random: options.random ?? Math.random,
    };
    const Socket = options.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket;
    if (typeof Socket !== 'function') throw new Error('TideClient: no WebSocket implementation (pass options.WebSocket)');
    this.Socket = Socket as SocketConstructor;
    const g = globalThis as { window?: EventTarget; document?: EventTarget & { visibilityState?: string } };
    this.window = options.events?.window ?? g.window;
    this.document = options.events?.document ?? g.document;
  }

  get state(): ConnectionState {
    return this._state;
  }
  get worklist(): WorklistFrame | undefined {
    return this._worklist;
  }
  get overview(): OverviewFrame | undefined {
    return this._overview;
  }
  /** Server clock minus local clock, in ms, when known (from acks carrying `now`), else 0. */
  get clockOffsetMs(): number {
    return this._clockOffsetMs;
  }

  on<E extends keyof Events>(event: E, fn: (value: Events[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (value: never) => void);
    return () => void set.delete(fn as (value: never) => void);
  }

  /** Connects, and keeps reconnecting until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.window?.addEventListener('online', this.onOnline);
    this.document?.addEventListener('visibilitychange', this.onVisibility);
    this.setState('connecting');
    this.connect();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.window?.removeEventListener('online', this.onOnline);
    this.document?.removeEventListener('visibilitychange', this.onVisibility);
    this.clearRetry();
    const links = [this.current, this.candidate, ...this.draining].filter((l): l is Link => l !== undefined);
    this.current = this.candidate = undefined;
    this.draining.clear();
    for (const link of links) this.bury(link);
    this.setState('closed');
  }

  /**
   * Sends an action with a unique `requestId` (or the one it carries: repeating an action with
   * the same `requestId` and fields is answered with the first answer, never done twice) and
   * resolves with the ack. Rejects with TideRequestError (the error frame's `code`, or `timeout`),
   * NotConnectedError when not live (nothing sent), ConnectionLostError when the socket died first.
   */
  request(action: object): Promise<AckFrame> {
    const link = this.current;
    if (this._state !== 'live' || !link || link.socket?.readyState !== OPEN) return Promise.reject(new NotConnectedError());
    return this.sendOn(link, action as Record<string, unknown>, this.options.requestTimeoutMs).catch((error: unknown) => {
      // A request that got no answer is the first sign of a half-open socket.
      if (error instanceof TideRequestError && error.code === 'timeout') this.check();
      throw error;
    });
  }

  setStatus(status: AgentStatus): Promise<AckFrame> {
    return this.request({ action: 'setStatus', status });
  }
  send(conversationId: string, text: string, options: { closing?: boolean } = {}): Promise<AckFrame> {
    return this.request({ action: 'send', conversationId, text, ...(options.closing !== undefined ? { closing: options.closing } : {}) });
  }
  close(conversationId: string): Promise<AckFrame> {
    return this.request({ action: 'close', conversationId });
  }
  followUp(conversationId: string, at: Date | string): Promise<AckFrame> {
    return this.request({ action: 'followUp', conversationId, at: typeof at === 'string' ? at : at.toISOString() });
  }
  transfer(conversationId: string, to: Target, note?: string): Promise<AckFrame> {
    return this.request({ action: 'transfer', conversationId, ...targetOf(to), ...(note !== undefined ? { note } : {}) });
  }
  setPriority(conversationId: string, priority: number): Promise<AckFrame> {
    return this.request({ action: 'setPriority', conversationId, priority });
  }
  sync(): Promise<AckFrame> {
    return this.request({ action: 'sync' });
  }
  setAgentStatus(agentId: string, status: AgentStatus): Promise<AckFrame> {
    return this.request({ action: 'setAgentStatus', agentId, status });
  }
  reassign(conversationId: string, to: Target, note?: string): Promise<AckFrame> {
    return this.request({ action: 'reassign', conversationId, ...targetOf(to), ...(note !== undefined ? { note } : {}) });
  }

  // ── connecting ────────────────────────────────────────────────────────────────────────────

  /** Opens a candidate connection; it replaces the current one (if any) once it has answered `sync`. */
  private connect(): void {
    if (!this.running || this.candidate) return;
    this.clearRetry();
    const link = this.newLink();
    this.candidate = link;
    // One limit for the whole attempt: a token provider or a handshake that hangs is a failure too.
    this.linkTimer(link, this.options.requestTimeoutMs, () => this.fail(link));
    void this.open(link);
  }

  private async open(link: Link): Promise<void> {
    let token: string;
    try {
      token = await this.options.token();
    } catch {
      return this.fail(link);
    }
    if (link.dead) return;
    let socket: SocketLike;
    try {
      const url = new URL(this.options.url);
      url.searchParams.set('token', token);
      socket = new this.Socket(url.toString());
    } catch {
      return this.fail(link);
    }
    link.socket = socket;
    const onOpen = () => {
      link.lastFrameAt = Date.now();
      this.sendOn(link, { action: 'sync' }, this.options.requestTimeoutMs).then(
        () => {
          // The snapshot comes before the ack; if it was lost, the attempt has failed.
          if (!link.snapshot) this.linkTimer(link, this.options.pongTimeoutMs, () => link.snapshot || this.fail(link));
        },
        () => this.fail(link),
      );
    };
    const onMessage = (event: { data?: unknown }) => this.onFrame(link, parseFrame(event.data));
    const onClose = () => this.fail(link);
    socket.addEventListener('open', onOpen);
    socket.addEventListener('message', onMessage);
    socket.addEventListener('close', onClose);
    socket.addEventListener('error', onClose);
    // `ws` throws on an 'error' event nobody listens to, which closing a connecting socket emits.
    socket.addEventListener('error', noop);
    link.detach = () => {
      socket.removeEventListener('open', onOpen);
      socket.removeEventListener('message', onMessage);
      socket.removeEventListener('close', onClose);
      socket.removeEventListener('error', onClose);
    };
  }

  private onFrame(link: Link, frame: ServerFrame | undefined): void {
    if (link.dead) return;
    link.lastFrameAt = Date.now();
    if (!frame) return;
    switch (frame.type) {
      case 'ack':
      case 'error':
        return this.settle(frame);
      case 'worklist':
        if (!this._worklist || frame.seq > this._worklist.seq) {
          this._worklist = frame;
          this.emit('worklist', frame);
        }
        return this.snapshotArrived(link);
      case 'overview':
        if (!this._overview || frame.seq > this._overview.seq) {
          this._overview = frame;
          this.emit('overview', frame);
        }
        return this.snapshotArrived(link);
      case 'message':
        if (this.firstTime(`m ${frame.conversationId} ${frame.message?.id}`)) this.emit('message', frame);
        return;
      case 'delivery':
        if (this.firstTime(`d ${frame.messageId} ${frame.status}`)) this.emit('delivery', frame);
        return;
    }
  }

  private snapshotArrived(link: Link): void {
    if (link.snapshot) return;
    link.snapshot = true;
    if (link === this.candidate) this.promote(link);
  }

  /** The candidate answered `sync`: it becomes the live connection, and the old one drains. */
  private promote(link: Link): void {
    for (const timer of link.timers) clearTimeout(timer);
    link.timers.clear();
    this.candidate = undefined;
    const old = this.current;
    this.current = link;
    link.liveAt = Date.now();
    if (old) this.drain(old);
    this.linkTimer(link, stableAfterMs, () => (this.failures = 0));
    this.schedulePing(link);
    this.linkTimer(link, this.options.replaceAfterMs, () => this.connect());
    this.setState('live');
  }

  private drain(link: Link): void {
    for (const timer of link.timers) clearTimeout(timer);
    link.timers.clear();
    link.draining = true;
    this.draining.add(link);
    this.linkTimer(link, this.options.requestTimeoutMs, () => this.bury(link));
    this.closeDrainedIfIdle(link);
  }

  private closeDrainedIfIdle(link: Link): void {
    if (!link.draining || link.dead) return;
    for (const p of this.pending.values()) if (p.link === link) return;
    this.bury(link);
  }

  /** A link failed or was closed by the other side: forget it, and reconnect if it mattered. */
  private fail(link: Link): void {
    if (link.dead) return;
    const wasCurrent = link === this.current;
    const wasCandidate = link === this.candidate;
    const livedLongEnough = link.liveAt !== undefined && Date.now() - link.liveAt >= stableAfterMs;
    this.bury(link);
    if (!this.running) return;
    if (wasCurrent) {
      this.current = undefined;
      if (!livedLongEnough) this.failures++;
      if (this.candidate) this.setState('reconnecting');
      else this.scheduleReconnect();
    } else if (wasCandidate) {
      this.candidate = undefined;
      this.failures++;
      // A failed replacement leaves the current connection live; the next try waits its turn.
      if (this.current) this.retryTimer = setTimeout(() => this.connect(), backoffDelayMs(this.failures, this.options.random));
      else this.scheduleReconnect();
    }
  }

  /** Closes a link for good and rejects what was waiting on it. */
  private bury(link: Link): void {
    if (link.dead) return;
    link.dead = true;
    link.detach();
    for (const timer of link.timers) clearTimeout(timer);
    link.timers.clear();
    this.draining.delete(link);
    try {
      link.socket?.close(1000);
    } catch {
      // already closing
    }
    for (const [requestId, p] of this.pending) {
      if (p.link !== link) continue;
      this.pending.delete(requestId);
      clearTimeout(p.timer);
      p.reject(this.running ? new ConnectionLostError(requestId) : new NotConnectedError('stopped'));
    }
  }

  private scheduleReconnect(): void {
    this.setState('reconnecting');
    this.clearRetry();
    this.retryTimer = setTimeout(() => this.connect(), backoffDelayMs(this.failures, this.options.random));
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  // ── liveness ──────────────────────────────────────────────────────────────────────────────

  private schedulePing(link: Link): void {
    this.linkTimer(link, this.options.pingIntervalMs, () => {
      this.ping(link);
      this.schedulePing(link);
    });
  }

  /** Any answer to the ping's requestId (even an error frame) proves the socket alive. */
  private ping(link: Link): void {
    if (link.dead || link.pingInFlight) return;
    link.pingInFlight = { deadline: Date.now() + this.options.pongTimeoutMs };
    this.sendOn(link, { action: 'ping' }, this.options.pongTimeoutMs).then(
      () => (link.pingInFlight = undefined),
      (error: unknown) => {
        link.pingInFlight = undefined;
        if (error instanceof TideRequestError && error.code !== 'timeout') return;
        this.fail(link);
      },
    );
  }

  private readonly onOnline = () => this.check();
  private readonly onVisibility = () => {
    const visibility = this.document?.visibilityState;
    if (visibility === undefined || visibility === 'visible') this.check();
  };

  /**
   * Back online, or the tab visible again: a live socket gets a ping; a stale one (silent past a
   * ping and its answer, as after sleep, when timers did not run) or none is replaced now,
   * without waiting for the backoff.
   */
  private check(): void {
    if (!this.running) return;
    const link = this.current;
    if (link) {
      const now = Date.now();
      const stale =
        now - link.lastFrameAt > this.options.pingIntervalMs + this.options.pongTimeoutMs ||
        (link.pingInFlight !== undefined && now > link.pingInFlight.deadline) ||
        link.socket?.readyState !== OPEN;
      if (!stale) return this.ping(link);
      this.fail(link);
    }
    if (!this.current && !this.candidate) this.connect();
  }

  // ── requests ──────────────────────────────────────────────────────────────────────────────

  private sendOn(link: Link, action: Record<string, unknown>, timeoutMs: number): Promise<AckFrame> {
    const requestId = typeof action.requestId === 'string' ? action.requestId : `${this.clientId}-${this.nextRequest++}`;
    if (this.pending.has(requestId)) return Promise.reject(new TideRequestError('invalid_request', 'a request with this requestId is still waiting for its answer', requestId));
    const socket = link.socket;
    if (!socket || socket.readyState !== OPEN) return Promise.reject(new NotConnectedError());
    return new Promise<AckFrame>((resolve, reject) => {
      try {
        socket.send(JSON.stringify({ ...action, requestId }));
      } catch {
        return reject(new NotConnectedError());
      }
      const timer = setTimeout(() => {
        if (this.pending.get(requestId)?.link !== link) return;
        this.pending.delete(requestId);
        reject(new TideRequestError('timeout', `no answer within ${timeoutMs} ms`, requestId));
        this.closeDrainedIfIdle(link);
      }, timeoutMs);
      this.pending.set(requestId, { link, sentAt: Date.now(), timer, resolve, reject });
    });
  }

  private settle(frame: AckFrame | ErrorFrame): void {
    const requestId = frame.requestId;
    if (requestId === undefined) return;
    const p = this.pending.get(requestId);
    if (!p) return;
    this.pending.delete(requestId);
    clearTimeout(p.timer);
    if (frame.type === 'ack') {
      const now = typeof frame.now === 'string' ? Date.parse(frame.now) : NaN;
      // The server read its clock somewhere between sending and receiving: take the midpoint.
      if (Number.isFinite(now)) this._clockOffsetMs = Math.round(now - (p.sentAt + Date.now()) / 2);
      p.resolve(frame);
    } else {
      p.reject(new TideRequestError(frame.code, frame.message, requestId));
    }
    this.closeDrainedIfIdle(p.link);
  }

  // ── small parts ───────────────────────────────────────────────────────────────────────────

  private newLink(): Link {
    return { lastFrameAt: Date.now(), snapshot: false, draining: false, dead: false, timers: new Set(), detach: noop };
  }

  private linkTimer(link: Link, ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      link.timers.delete(timer);
      if (!link.dead) fn();
    }, ms);
    link.timers.add(timer);
  }

  /** Both sockets get every push while they overlap: a message or delivery frame is passed on once. */
  private firstTime(key: string): boolean {
    if (this.seenPushSet.has(key)) return false;
    this.seenPushSet.add(key);
    this.seenPushes.push(key);
    if (this.seenPushes.length > rememberedPushes) this.seenPushSet.delete(this.seenPushes.shift()!);
    return true;
  }

  private setState(state: ConnectionState): void {
    if (this._state === state) return;
    this._state = state;
    this.emit('state', state);
  }

  private emit<E extends keyof Events>(event: E, value: Events[E]): void {
    for (const fn of [...(this.listeners.get(event) ?? [])]) {
      try {
        (fn as (v: Events[E]) => void)(value);
      } catch (error) {
        // A failing listener must not break the connection; report it where errors go.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}

const noop = () => {};

const targetOf = (to: Target) => ('queue' in to ? { queue: to.queue } : { agentId: to.agentId });

function randomHex(bytes: number): string {
  const values = new Uint8Array(bytes);
  const crypto = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (crypto?.getRandomValues) crypto.getRandomValues(values);
  else for (let i = 0; i < bytes; i++) values[i] = Math.floor(Math.random() * 256);
  return Array.from(values, (b) => b.toString(16).padStart(2, '0')).join('');
}
