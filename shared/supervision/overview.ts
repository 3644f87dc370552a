import { QueryCommand, ScanCommand, type QueryCommandOutput, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { Agent, AgentStatus } from '../agent/model.js';
import type { Conversation } from '../conversation/model.js';
import { maxFrameBytes } from '../push/worklist.js';
import type { Deps } from '../runtime/deps.js';
import { batchGet } from '../storage/batch-get.js';

/** One queue in the `overview` frame (DESIGN §4b). */
export interface QueueOverview {
  queue: string;
  /** Conversations waiting in the queue for an agent. */
  queued: number;
  /** When the customer of the longest-waiting queued conversation started waiting; null when none. */
  oldestQueuedAt: string | null;
  /** Conversations of the queue, queued or active with an agent, whose SLA is breached now. */
  slaBreached: number;
  /** Online agents who serve the queue. */
  agentsOnline: number;
  /** More than `queueReadLimit` are queued: `queued` counts that many (absent otherwise). */
  capped?: true;
}

export interface AgentOverview {
  id: string;
  name: string;
  status: AgentStatus;
  active: number;
  inactive: number;
  preferredConcurrency: number;
  maxLoad: number;
}

export interface OverviewFrame {
  type: 'overview';
  seq: number;
  queues: QueueOverview[];
  /** Online first, then away, then offline; by name within each. */
  agents: AgentOverview[];
  /** Agents left out (the last in that order) so that the frame fits API Gateway's 128 KB (absent when none). */
  omittedAgents?: number;
}

/**
 * Queued conversations read per queue for one overview. Counting a queue means reading it (a
 * DynamoDB count reads every item too), so a queue deeper than this costs no more than this.
 */
export const queueReadLimit = 1_000;

/** The attributes an overview needs from a conversation (smaller answers; the cost is the same). */
const shown = ['conversationId', 'queue', '#state', 'assignedTo', 'waitingOn', 'waitingSince', 'slaDueAt', 'slaBreached', 'updatedAt'];
const names = { '#state': 'state' };
type Seen = Pick<Conversation, 'conversationId' | 'queue' | 'state' | 'assignedTo' | 'waitingOn' | 'waitingSince' | 'slaDueAt' | 'slaBreached' | 'updatedAt'>;

/**
 * What supervisors see: every configured queue and every agent, read now. Each part is read
 * eventually consistent (the queue from its index, which lags): a change a read missed has its
 * own overview coming, and every overview asked for by changes gets a second look once the
 * index has caught up (./overview-requests.ts), so the last overview is exact.
 *
 * Cost: one Scan of the Agents table (small), one query per queue (at most `queueReadLimit`
 * items), and the conversations agents hold actively (at most the sum of their maximum loads).
 */
export async function readOverview(deps: Pick<Deps, 'db' | 'tables' | 'config' | 'clock'>): Promise<Omit<OverviewFrame, 'type' | 'seq'>> {
  const now = deps.clock.now().getTime();
  const queueNames = Object.keys(deps.config.queues);
  const [agents, queued] = await Promise.all([scanAgents(deps), Promise.all(queueNames.map((q) => readQueue(deps, q)))]);
  const activeIds = agents.flatMap((a) => Object.entries(a.holds ?? {}).flatMap(([id, how]) => (how !== 'inactive' ? [id] : [])));
  const held = (await batchGet<Seen>(deps.db, deps.tables.conversations, 'conversationId', activeIds, false)).filter(
    (c) => c.state === 'active' && c.assignedTo !== undefined,
  );
  const breached = (c: Seen) => c.waitingOn === 'agent' && (c.slaBreached === true || (typeof c.slaDueAt === 'string' && Date.parse(c.slaDueAt) <= now));

  const queues = queueNames.map((queue, i): QueueOverview => {
    const { items, capped } = queued[i]!;
    const waiting = items.filter((c) => c.state === 'queued');
    return {
      queue,
      ...standingOf(items),
      slaBreached: waiting.filter(breached).length + held.filter((c) => c.queue === queue && breached(c)).length,
      agentsOnline: agentsOnlineIn(agents, queue),
      ...(capped ? { capped: true as const } : {}),
    };
  });
  const order: Record<AgentStatus, number> = { online: 0, away: 1, offline: 2 };
  const shownAgents = agents
    .map((a): AgentOverview => {
      const holds = Object.values(a.holds ?? {});
      return {
        id: a.agentId,
        name: a.name,
        status: a.status,
        active: holds.filter((h) => h !== 'inactive').length,
        inactive: holds.filter((h) => h === 'inactive').length,
        preferredConcurrency: a.preferredConcurrency,
        maxLoad: a.maxLoad,
      };
    })
    .sort((a, b) => order[a.status] - order[b.status] || a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1));
  return { queues, agents: shownAgents };
}

/** The frame, with the last agents left out if it would not fit in one WebSocket message. */
export function overviewFrame(seq: number, overview: Omit<OverviewFrame, 'type' | 'seq'>): OverviewFrame {
  const frame: OverviewFrame = { type: 'overview', seq, ...overview };
  const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
  let size = bytes(frame);
  if (size <= maxFrameBytes) return frame;
  const budget = maxFrameBytes - 40; // `"omittedAgents":N`
  const agents = [...frame.agents];
  while (agents.length > 0 && size > budget) size -= bytes(agents.pop()) + 1;
  return { ...frame, agents, omittedAgents: frame.agents.length - agents.length };
}

async function scanAgents(deps: Pick<Deps, 'db' | 'tables'>): Promise<Agent[]> {
  const agents: Agent[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page: ScanCommandOutput = await deps.db.send(
      new ScanCommand({
        TableName: deps.tables.agents,
        ProjectionExpression: 'agentId, #name, #status, queues, holds, preferredConcurrency, maxLoad',
        ExpressionAttributeNames: { '#name': 'name', '#status': 'status' },
        ExclusiveStartKey: start,
      }),
    );
    agents.push(...((page.Items ?? []) as Agent[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return agents;
}

/** How many of a queue's index entries still wait (the index lags), and since when the oldest does. */
export function standingOf(items: readonly Seen[]): Pick<QueueOverview, 'queued' | 'oldestQueuedAt'> {
  const since = items.filter((c) => c.state === 'queued').map((c) => c.waitingSince ?? c.updatedAt).sort();
  return { queued: since.length, oldestQueuedAt: since[0] ?? null };
}

/** Online agents who serve `queue`. */
export const agentsOnlineIn = (agents: ReadonlyArray<Pick<Agent, 'status' | 'queues'>>, queue: string): number =>
  agents.filter((a) => a.status === 'online' && a.queues.includes(queue)).length;

/** A queue's index entries, at most `queueReadLimit` (`capped` when there are more). */
export async function readQueue(deps: Pick<Deps, 'db' | 'tables'>, queue: string): Promise<{ items: Seen[]; capped: boolean }> {
  const items: Seen[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page: QueryCommandOutput = await deps.db.send(
      new QueryCommand({
        TableName: deps.tables.conversations,
        IndexName: 'byQueue',
        KeyConditionExpression: 'queuedIn = :q',
        ExpressionAttributeValues: { ':q': queue },
        ProjectionExpression: shown.join(', '),
        ExpressionAttributeNames: names,
        // One more than the limit says whether there are more.
        Limit: queueReadLimit + 1 - items.length,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...((page.Items ?? []) as Seen[]));
    start = page.LastEvaluatedKey;
  } while (start && items.length <= queueReadLimit);
  return { items: items.slice(0, queueReadLimit), capped: items.length > queueReadLimit };
}
