/**
 * Agent consoles for the benchmark: real WebSocket clients that timestamp every frame on arrival.
 * Every frame an agent receives is one `PostToConnection` by Tide (one API Gateway message), and
 * every frame it sends is one more message (and one `agent-action` invocation).
 */
import WebSocket from 'ws';
import { sign } from '../../shared/channels/generic/signature.js';

export interface Frame {
  type: string;
  requestId?: string;
  [key: string]: unknown;
}

interface WorklistItemLike {
  conversationId: string;
  state: string;
  waitingOn: string;
  slaBreached?: boolean;
}

export interface WorklistLike {
  type: 'worklist';
  seq: number;
  items: WorklistItemLike[];
}

/**
 * What all agents have seen: when each inbound message was pushed (`message` frames), when each
 * conversation first appeared in a work list and to whom, and the latest list per agent.
 */
export class FrameHub {
  readonly messageAt = new Map<string, number>();
  readonly firstListedAt = new Map<string, { agentId: string; at: number }>();
  readonly latest = new Map<string, WorklistLike>();
  framesReceived = 0;
  framesSent = 0;
  readonly byType: Record<string, number> = {};
  private waiters = new Set<() => boolean>();
  /** Called for every frame, after the hub has recorded it and before acks resolve their requests. */
  readonly listeners: Array<(agentId: string, frame: Frame, at: number) => void> = [];

  onFrame(agentId: string, frame: Frame, at: number) {
    this.framesReceived++;
    this.byType[frame.type] = (this.byType[frame.type] ?? 0) + 1;
    if (frame.type === 'message') {
      const id = (frame.message as { id?: string } | undefined)?.id;
      if (id && !this.messageAt.has(id)) this.messageAt.set(id, at);
    } else if (frame.type === 'worklist') {
      const list = frame as unknown as WorklistLike;
      const current = this.latest.get(agentId);
      if (!current || list.seq > current.seq) this.latest.set(agentId, list);
      for (const item of list.items) {
        if (!this.firstListedAt.has(item.conversationId)) this.firstListedAt.set(item.conversationId, { agentId, at });
      }
    }
    for (const listener of this.listeners) listener(agentId, frame, at);
    for (const w of this.waiters) if (w()) this.waiters.delete(w);
  }

  /** Resolves true once `test` holds (checked after every frame), false after the timeout. */
  until(test: () => boolean, timeoutMs: number): Promise<boolean> {
    if (test()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(false);
      }, timeoutMs);
      const check = () => {
        if (!test()) return false;
        clearTimeout(timer);
        resolve(true);
        return true;
      };
      this.waiters.add(check);
    });
  }

  /** When the `message` frame for an inbound message id arrived, or undefined after the timeout. */
  async messagePushed(messageId: string, timeoutMs: number): Promise<number | undefined> {
    await this.until(() => this.messageAt.has(messageId), timeoutMs);
    return this.messageAt.get(messageId);
  }

  async listed(conversationId: string, timeoutMs: number): Promise<{ agentId: string; at: number } | undefined> {
    await this.until(() => this.firstListedAt.has(conversationId), timeoutMs);
    return this.firstListedAt.get(conversationId);
  }

  /** Whether the agent's freshest list holds the conversation. */
  holds(agentId: string, conversationId: string): boolean {
    return this.latest.get(agentId)?.items.some((i) => i.conversationId === conversationId) ?? false;
  }
}

export class BenchAgent {
  private nextId = 1;
  private pending = new Map<string, (f: Frame) => void>();

  private constructor(
    readonly agentId: string,
    private readonly socket: WebSocket,
    private readonly hub: FrameHub,
  ) {
    socket.on('message', (data) => {
      const at = performance.now();
      const frame = JSON.parse(data.toString()) as Frame;
      hub.onFrame(agentId, frame, at);
      if ((frame.type === 'ack' || frame.type === 'error') && frame.requestId) {
        this.pending.get(frame.requestId)?.(frame);
        this.pending.delete(frame.requestId);
      }
    });
  }

  static async connect(httpUrl: string, wsUrl: string, agentId: string, hub: FrameHub): Promise<BenchAgent> {
    const res = await fetch(`${httpUrl}/dev/token`, { method: 'POST', body: JSON.stringify({ agentId, role: 'agent' }) });
    if (res.status !== 200) throw new Error(`no token for ${agentId}: ${res.status}`);
    const { token } = (await res.json()) as { token: string };
    const socket = new WebSocket(`${wsUrl}/?token=${encodeURIComponent(token)}`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, r) => reject(new Error(`handshake refused: ${r.statusCode}`)));
    });
    return new BenchAgent(agentId, socket, hub);
  }

  /** Sends an action; resolves with its ack or error frame (rejects after the timeout). */
  request(action: Record<string, unknown>, timeoutMs = 15_000): Promise<Frame> {
    const requestId = `${this.agentId}-r${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`${this.agentId}: no reply to ${String(action.action)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(requestId, (f) => (clearTimeout(timer), resolve(f)));
      this.hub.framesSent++;
      this.socket.send(JSON.stringify({ ...action, requestId }));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

export interface Posted {
  status: number;
  conversationId?: string;
  messageId?: string;
  /** performance.now() when the POST started and when its response arrived. */
  startedAt: number;
  answeredAt: number;
  error?: string;
}

/**
 * `POST /v1/messages` signed as the generic channel does. `startedAt` is when the request counts
 * from (the scheduled send time in an open loop); a request still unanswered after `timeoutMs`
 * comes back with status 0 and error `TimeoutError`.
 */
export async function postInbound(
  httpUrl: string,
  secret: string,
  body: Record<string, unknown>,
  startedAt = performance.now(),
  timeoutMs = 30_000,
): Promise<Posted> {
  const raw = JSON.stringify(body);
  try {
    const res = await fetch(`${httpUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tide-signature': sign(secret, raw) },
      body: raw,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const parsed = (text ? JSON.parse(text) : {}) as { conversationId?: string; messageId?: string };
    return { status: res.status, conversationId: parsed.conversationId, messageId: parsed.messageId, startedAt, answeredAt: performance.now() };
  } catch (error) {
    return { status: 0, startedAt, answeredAt: performance.now(), error: (error as Error).name };
  }
}
