import WebSocket from 'ws';
import type { WorklistFrame } from '../../shared/push/worklist.js';

type Frame = { type: string; requestId?: string | number; [key: string]: unknown };

/**
 * An agent console over a real WebSocket: keeps every frame, answers requests by `requestId`,
 * and keeps the work list with the highest `seq` as a client must.
 */
export class AgentClient {
  readonly frames: Frame[] = [];
  private waiters: Array<{ test: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  private nextId = 1;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => (w.test(frame) ? (w.resolve(frame), false) : true));
    });
  }

  static async token(httpUrl: string, agentId: string, role = 'agent'): Promise<string> {
    const res = await fetch(`${httpUrl}/dev/token`, { method: 'POST', body: JSON.stringify({ agentId, role }) });
    if (res.status !== 200) throw new Error(`no token for ${agentId}: ${res.status}`);
    return ((await res.json()) as { token: string }).token;
  }

  static async connect(stack: { httpUrl: string; wsUrl: string }, agentId: string, role = 'agent'): Promise<AgentClient> {
    const token = await AgentClient.token(stack.httpUrl, agentId, role);
    const socket = new WebSocket(`${stack.wsUrl}/?token=${encodeURIComponent(token)}`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
    });
    return new AgentClient(socket);
  }

  /** Sends an action and resolves with its ack or error frame. */
  async request(action: Record<string, unknown>, timeoutMs = 10_000): Promise<Frame> {
    const requestId = `r${this.nextId++}`;
    const reply = this.waitFor((f) => (f.type === 'ack' || f.type === 'error') && f.requestId === requestId, timeoutMs);
    this.socket.send(JSON.stringify({ ...action, requestId }));
    return reply;
  }

  sendRaw(data: string) {
    this.socket.send(data);
  }

  /** Resolves with the first frame, already received or coming, that passes the test. */
  waitFor(test: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const seen = this.frames.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs);
      this.waiters.push({ test, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  /** The work list with the highest seq received so far. */
  get worklist(): WorklistFrame | undefined {
    return (this.frames.filter((f) => f.type === 'worklist') as unknown as WorklistFrame[]).reduce<WorklistFrame | undefined>(
      (best, f) => (!best || f.seq > best.seq ? f : best),
      undefined,
    );
  }

  /** Waits until the latest work list passes the test (work lists arrive as changes happen). */
  async waitForWorklist(test: (w: WorklistFrame) => boolean, timeoutMs = 10_000): Promise<WorklistFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = this.worklist;
      if (current && test(current)) return current;
      if (Date.now() > deadline) throw new Error(`work list never matched; latest: ${JSON.stringify(current)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}
