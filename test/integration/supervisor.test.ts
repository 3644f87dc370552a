import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { getAgent } from '../../shared/agent/agent-store.js';
import { connectAgent } from '../../shared/agent/connect.js';
import { getConnection, type Role } from '../../shared/agent/connections.js';
import { performAgentAction } from '../../shared/agent/perform-action.js';
import { connectionGone } from '../../shared/agent/presence.js';
import type { TideConfigInput } from '../../shared/config/schema.js';
import { closeConversation, reassignConversation, transferConversation } from '../../shared/conversation/commands.js';
import { getConversation } from '../../shared/conversation/conversation-store.js';
import type { WorklistFrame } from '../../shared/push/worklist.js';
import type { OverviewFrame } from '../../shared/supervision/overview.js';
import { readRegistry, registryId } from '../../shared/supervision/registry.js';
import { createTestDeps, type TestDeps } from '../support/domain-deps.js';
import { answer, indexesCaughtUp, online, say } from '../support/scenario.js';

/**
 * Supervisors (DESIGN §4b) through the domain functions on DynamoDB Local: the overview frames
 * (what they count, how changes are coalesced, what they cost when nobody watches), the
 * supervisors' actions and the roles that may use them, transfer notes and `ping`. Overview jobs
 * run as the queue's consumer would, after their delays in real time (VirtualOverviewJobs).
 */
const config: TideConfigInput = {
  queues: { default: { slaSeconds: 120 }, billing: { slaSeconds: 60 } },
  agents: [
    { id: 'ann', name: 'Ann', queues: ['default'], preferredConcurrency: 2, maxLoad: 3 },
    { id: 'ben', name: 'Ben', queues: ['default', 'billing'], preferredConcurrency: 2, maxLoad: 3 },
    { id: 'cat', name: 'Cat', queues: ['billing'], preferredConcurrency: 1, maxLoad: 1 },
  ],
  channels: { generic: { secret: 's' } },
  // The second look comes once the index has caught up (the index-lag run lags up to 1 s).
  routing: { recheckAfterSeconds: 1 },
};

const act = (deps: TestDeps, sender: { connectionId: string; agentId: string; role: Role }, frame: Record<string, unknown>) =>
  performAgentAction(deps, sender, JSON.stringify(frame)) as Promise<Record<string, unknown>>;

/** A supervisor (no agent profile unless the id is an agent's) connects as `$connect` does. */
const supervise = async (deps: TestDeps, connectionId = 'sup-1', agentId = 'sue', role: Role = 'supervisor') => {
  await connectAgent(deps, connectionId, { agentId, role });
  return { connectionId, agentId, role };
};
const asAgent = (agentId: string) => ({ connectionId: `conn-${agentId}`, agentId, role: 'agent' as const });

const overviews = (deps: TestDeps, connectionId = 'sup-1') => deps.pusher.framesFor(connectionId, 'overview') as unknown as OverviewFrame[];
/** The overview a client keeps: the one with the highest seq. */
const latest = (deps: TestDeps, connectionId = 'sup-1') => [...overviews(deps, connectionId)].sort((a, b) => b.seq - a.seq)[0];
const latestWorklist = (deps: TestDeps, agentId: string) => deps.pusher.latestWorklist(`conn-${agentId}`) as unknown as WorklistFrame | undefined;
const queueOf = (frame: OverviewFrame | undefined, queue: string) => frame?.queues.find((q) => q.queue === queue);

/** A value of a command's input, whether the document client has marshalled it yet or not. */
const plain = (value: unknown) => (typeof value === 'object' && value !== null && 'S' in value ? (value as { S: string }).S : value);

/**
 * Counts the DynamoDB calls of a client from now on: all, by table, on the supervisors' registry
 * item, and the changes' requests for an overview among those.
 */
function countCalls(deps: TestDeps) {
  const counts = { all: 0, registry: 0, asks: 0, byTable: {} as Record<string, number>, scans: 0 };
  deps.db.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string; Key?: { connectionId?: unknown }; UpdateExpression?: string };
      counts.all++;
      if (input.TableName) counts.byTable[input.TableName] = (counts.byTable[input.TableName] ?? 0) + 1;
      if (plain(input.Key?.connectionId) === registryId) counts.registry++;
      if (input.UpdateExpression?.startsWith('SET overviewDueMs = :due REMOVE')) counts.asks++;
      if (context.commandName === 'ScanCommand') counts.scans++;
      return next(args);
    },
    { step: 'initialize', name: `countCalls${Math.random()}` },
  );
  return counts;
}

describe('overview frames', () => {
  it('count queued work, SLA breaches (queued and held), online agents and each agent’s load', async () => {
    const deps = await createTestDeps(config);
    const sue = await supervise(deps);
    const start = deps.clock.now().toISOString();
    const first = await say(deps, '+1', 'my order is late');
    await say(deps, '+2', 'where is my parcel');
    deps.clock.advance(10);
    await say(deps, '+3', 'refund please');
    await say(deps, '+4', 'my invoice is wrong', { queue: 'billing' });
    await online(deps, 'ann');
    await indexesCaughtUp();
    await deps.settle();
    // Ann takes two; one waits in default, the invoice waits in billing (nobody online there).
    const held = Object.keys((await getAgent(deps, 'ann'))!.holds);
    expect(held).toHaveLength(2);
    await closeConversation(deps, 'ann', held[0]!);
    await indexesCaughtUp();
    await deps.settle();
    const holding = Object.keys((await getAgent(deps, 'ann'))!.holds);
    expect(holding).toHaveLength(2);
    await answer(deps, 'ann', holding.find((id) => id !== first.conversationId) ?? holding[0]!, 'Let me look.');
    // 135 s after the first messages: every SLA still running is breached (billing's after 60 s).
    deps.clock.advance(125);
    await deps.fireDue();
    await deps.overviews.idle();

    const frame = latest(deps)!;
    expect(frame).toEqual({
      type: 'overview',
      seq: expect.any(Number),
      queues: [
        { queue: 'default', queued: 0, oldestQueuedAt: null, slaBreached: 1, agentsOnline: 1 },
        { queue: 'billing', queued: 1, oldestQueuedAt: expect.any(String), slaBreached: 1, agentsOnline: 0 },
      ],
      agents: [
        { id: 'ann', name: 'Ann', status: 'online', active: 2, inactive: 0, preferredConcurrency: 2, maxLoad: 3 },
        { id: 'ben', name: 'Ben', status: 'offline', active: 0, inactive: 0, preferredConcurrency: 2, maxLoad: 3 },
        { id: 'cat', name: 'Cat', status: 'offline', active: 0, inactive: 0, preferredConcurrency: 1, maxLoad: 1 },
      ],
    });
    expect(Date.parse(queueOf(frame, 'billing')!.oldestQueuedAt!)).toBeGreaterThan(Date.parse(start));
    // Every overview took its own number: a client keeps the highest.
    const seqs = overviews(deps).map((f) => f.seq);
    expect(new Set(seqs).size).toBe(seqs.length);

    // A supervisor's sync: an overview at once (before the ack), the same as the last one pushed.
    const before = overviews(deps).length;
    expect(await act(deps, sue, { action: 'sync', requestId: 's1' })).toMatchObject({ type: 'ack', action: 'sync', requestId: 's1', now: deps.clock.now().toISOString() });
    expect(overviews(deps)).toHaveLength(before + 1);
    expect(latest(deps)).toEqual({ ...frame, seq: latest(deps)!.seq });
    expect(latest(deps)!.seq).toBeGreaterThan(frame.seq);
  });

  it('a supervisor who is also an agent gets both its overview and its work list on sync', async () => {
    const deps = await createTestDeps(config);
    await say(deps, '+1', 'hello');
    const ben = await supervise(deps, 'conn-ben', 'ben', 'supervisor');
    await act(deps, ben, { action: 'setStatus', status: 'online' });
    await indexesCaughtUp();
    await deps.settle();
    await deps.overviews.idle();
    deps.pusher.frames.length = 0;
    await act(deps, ben, { action: 'sync' });
    expect(deps.pusher.framesFor('conn-ben').map((f) => f.type)).toEqual(['overview', 'worklist']);
    expect(latestWorklist(deps, 'ben')!.items).toHaveLength(1);
    expect(latest(deps, 'conn-ben')!.agents.find((a) => a.id === 'ben')).toMatchObject({ status: 'online', active: 1 });
  });

  it('coalesce: 50 changes make about one overview a second, and the last one is exact', async () => {
    const deps = await createTestDeps(config);
    await supervise(deps);
    await deps.overviews.idle(); // the new watcher's own overview, and its second look
    const pushedBefore = overviews(deps).length;
    const jobsBefore = deps.overviews.runs;
    const calls = countCalls(deps);
    const started = Date.now();
    // One stream batch per message: each asks for an overview.
    for (let i = 0; i < 50; i++) await say(deps, `+2${i}`, `question ${i}`);
    const seconds = (Date.now() - started) / 1000;
    await deps.overviews.idle();
    const pushed = overviews(deps).length - pushedBefore;
    expect(pushed).toBeGreaterThanOrEqual(1);
    // One per second of changes (each waits a second for more), and the second look.
    expect(pushed).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
    // A second look whose mark a later change took over does nothing.
    expect(deps.overviews.runs - jobsBefore).toBeGreaterThanOrEqual(pushed);
    // Asking costs a few writes a second (more near a job's due time), not one per change.
    expect(calls.asks).toBeGreaterThanOrEqual(pushed - 1);
    expect(calls.asks).toBeLessThanOrEqual(4 * Math.ceil(seconds) + 2);
    expect(calls.asks).toBeLessThan(50);
    expect(queueOf(latest(deps), 'default')).toMatchObject({ queued: 50, slaBreached: 0, agentsOnline: 0 });
  });

  it('nobody watching: no overview job, no overview read, and about one DynamoDB call a second however many changes', async () => {
    const deps = await createTestDeps(config);
    await online(deps, 'ann', 'ben');
    // A supervisor came and went: the registry is there, with nobody in it.
    await supervise(deps);
    await connectionGone(deps, 'sup-1');
    await deps.overviews.idle();
    expect((await readRegistry(deps))!.watchers).toEqual({});
    const jobsBefore = deps.overviews.enqueued.length;
    const calls = countCalls(deps);
    const started = Date.now();
    for (let i = 0; i < 12; i++) {
      const { conversationId } = await say(deps, `+3${i}`, 'hi');
      const c = (await getConversation(deps, conversationId))!;
      if (c.assignedTo) {
        await closeConversation(deps, c.assignedTo, conversationId);
        await deps.settle();
      }
    }
    const seconds = (Date.now() - started) / 1000;
    await deps.overviews.idle();
    expect(deps.overviews.enqueued).toHaveLength(jobsBefore);
    expect(calls.scans).toBe(0);
    // The only calls for supervisors: a refused write that is remembered for a second.
    expect(calls.registry).toBeGreaterThanOrEqual(1);
    expect(calls.registry).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    expect(calls.byTable[deps.tables.connections] ?? 0).toBe(calls.registry);
  }, 60_000);

  it('the trailing edge: a change made while a job is reading shows in a later overview', async () => {
    const deps = await createTestDeps(config);
    await supervise(deps);
    await deps.overviews.idle();
    let changedDuringRead: number | undefined;
    deps.db.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        const input = args.input as { IndexName?: string; ProjectionExpression?: string; ExpressionAttributeValues?: Record<string, unknown> };
        // An overview job has taken its seq and read the default queue: a customer writes now.
        const overviewRead = input.IndexName === 'byQueue' && input.ProjectionExpression?.includes('waitingSince');
        if (changedDuringRead === undefined && overviewRead && plain(input.ExpressionAttributeValues?.[':q']) === 'default') {
          changedDuringRead = (await readRegistry(deps))!.overviewSeq!;
          await say(deps, '+late', 'are you there?');
        }
        return out;
      },
      { step: 'initialize', name: 'trailingEdge' },
    );
    await say(deps, '+first', 'hello');
    await deps.overviews.idle();
    expect(changedDuringRead).toBeDefined();
    const read = overviews(deps).find((f) => f.seq === changedDuringRead)!;
    expect(queueOf(read, 'default')!.queued).toBeLessThanOrEqual(1);
    expect(queueOf(latest(deps), 'default')!.queued).toBe(2);
  });

  it('a supervisor connection gone (410) leaves the watchers and is posted no more', async () => {
    const deps = await createTestDeps(config);
    await supervise(deps, 'sup-1');
    await supervise(deps, 'sup-2', 'sam', 'admin');
    await deps.overviews.idle();
    expect(overviews(deps, 'sup-2').length).toBeGreaterThan(0);
    deps.pusher.gone.add('sup-2');
    await say(deps, '+5', 'hi');
    await deps.overviews.idle();
    expect(Object.keys((await readRegistry(deps))!.watchers!)).toEqual(['sup-1']);
    expect(await getConnection(deps, 'sup-2')).toBeUndefined();
    const count = overviews(deps, 'sup-1').length;
    await say(deps, '+6', 'hi');
    await deps.overviews.idle();
    expect(overviews(deps, 'sup-1').length).toBeGreaterThan(count);
    expect(queueOf(latest(deps, 'sup-1'), 'default')!.queued).toBe(2);
  });
});

describe('supervisors’ actions and roles', () => {
  it('agents get forbidden for supervisors’ actions, and nothing changes', async () => {
    const deps = await createTestDeps(config);
    await online(deps, 'ann', 'ben');
    const { conversationId } = await say(deps, '+1', 'hi');
    const holder = (await getConversation(deps, conversationId))!.assignedTo!;
    const other = holder === 'ann' ? 'ben' : 'ann';
    const refused = [
      await act(deps, asAgent(other), { action: 'setAgentStatus', requestId: 'x1', agentId: holder, status: 'offline' }),
      await act(deps, asAgent(other), { action: 'reassign', requestId: 'x2', conversationId, agentId: other }),
      await act(deps, asAgent(other), { action: 'reassign', requestId: 'x3', conversationId, queue: 'billing' }),
    ];
    for (const answer of refused) expect(answer).toMatchObject({ type: 'error', code: 'forbidden' });
    expect((await getAgent(deps, holder))!.status).toBe('online');
    expect((await getConversation(deps, conversationId))!).toMatchObject({ assignedTo: holder, queue: 'default' });
  });

  it('a supervisor without an agent profile holds nothing: agent-only actions are forbidden', async () => {
    const deps = await createTestDeps(config);
    await online(deps, 'ann');
    const { conversationId } = await say(deps, '+1', 'hi');
    const sue = await supervise(deps);
    for (const frame of [
      { action: 'setStatus', status: 'online' },
      { action: 'send', conversationId, text: 'hello' },
      { action: 'close', conversationId },
      { action: 'followUp', conversationId, at: new Date(deps.clock.now().getTime() + 3_600_000).toISOString() },
      { action: 'transfer', conversationId, queue: 'billing' },
      { action: 'setPriority', conversationId, priority: 5 },
    ]) {
      expect(await act(deps, sue, { ...frame, requestId: frame.action }), frame.action).toMatchObject({ type: 'error', code: 'forbidden', requestId: frame.action });
    }
    expect(await getAgent(deps, 'sue')).toBeUndefined();
    expect((await getConversation(deps, conversationId))!).toMatchObject({ state: 'active', assignedTo: 'ann' });
  });

  it('unknown agents and queues (even __proto__) are not_found; bad targets are invalid_request', async () => {
    const deps = await createTestDeps(config);
    await online(deps, 'ann');
    const { conversationId } = await say(deps, '+1', 'hi');
    const sue = await supervise(deps, 'sup-1', 'sue', 'admin');
    for (const name of ['nobody', '__proto__', 'constructor']) {
      expect(await act(deps, sue, { action: 'setAgentStatus', agentId: name, status: 'offline', requestId: 'a' })).toMatchObject({ code: 'not_found' });
      expect(await act(deps, sue, { action: 'reassign', conversationId, agentId: name, requestId: 'b' })).toMatchObject({ code: 'not_found' });
      expect(await act(deps, sue, { action: 'reassign', conversationId, queue: name, requestId: 'c' })).toMatchObject({ code: 'not_found' });
    }
    expect(await act(deps, sue, { action: 'reassign', conversationId: 'c_missing', queue: 'billing', requestId: 'd' })).toMatchObject({ code: 'not_found' });
    for (const frame of [
      { action: 'reassign', conversationId },
      { action: 'reassign', conversationId, queue: 'billing', agentId: 'ben' },
      { action: 'reassign', conversationId, queue: 'billing', note: '   ' },
      { action: 'reassign', conversationId, queue: 'billing', note: 'x'.repeat(1001) },
      { action: 'setAgentStatus', agentId: 'ann', status: 'busy' },
      { action: 'setAgentStatus', status: 'online' },
    ]) {
      expect(await act(deps, sue, { ...frame, requestId: 'bad' }), JSON.stringify(frame)).toMatchObject({ type: 'error', code: 'invalid_request' });
    }
    expect((await getConversation(deps, conversationId))!).toMatchObject({ state: 'active', assignedTo: 'ann', queue: 'default' });
    await closeConversation(deps, 'ann', conversationId);
    expect(await act(deps, sue, { action: 'reassign', conversationId, queue: 'billing', requestId: 'e' })).toMatchObject({ code: 'invalid_state' });
  });

  it('reassign between agents: priority, SLA and note kept, both lists pushed, never on two agents', async () => {
    const deps = await createTestDeps(config);
    await online(deps, 'ann', 'ben');
    const { conversationId } = await say(deps, '+1', 'my parcel never came');
    const sue = await supervise(deps);
    const c = (await getConversation(deps, conversationId))!;
    let from = c.assignedTo!;
    /**
     * Per agent, in order: its worklistSeq just after it lost the conversation, and just before it
     * was given it again. A frame numbered in between was taken while the other agent held it.
     */
    const moves: Array<{ agentId: string; lost?: number; regained?: number }> = [];
    const handOver = async (to: string, reassign: () => Promise<unknown>) => {
      moves.push({ agentId: to, regained: (await getAgent(deps, to))!.worklistSeq });
      const giver = from;
      await reassign();
      moves.push({ agentId: giver, lost: (await getAgent(deps, giver))!.worklistSeq });
    };
    for (let round = 0; round < 6; round++) {
      const to = from === 'ann' ? 'ben' : 'ann';
      await Promise.all([handOver(to, () => reassignConversation(deps, 'sue', conversationId, { agentId: to })), say(deps, `+9${round}`, 'another customer'), deps.settle()]);
      from = to;
    }
    // Through the protocol: the ack comes after both lists were pushed.
    const to = from === 'ann' ? 'ben' : 'ann';
    let ack: Record<string, unknown> = {};
    await handOver(to, async () => (ack = await act(deps, sue, { action: 'reassign', requestId: 'r1', conversationId, agentId: to, note: 'VIP: refund approved' })));
    expect(ack).toMatchObject({ type: 'ack', action: 'reassign', conversationId, requestId: 'r1', now: expect.any(String) });
    expect(latestWorklist(deps, from)!.items.map((i) => i.conversationId)).not.toContain(conversationId);
    const received = latestWorklist(deps, to)!.items.find((i) => i.conversationId === conversationId)!;
    expect(received).toMatchObject({
      state: 'active',
      priority: c.priority,
      slaDueAt: c.slaDueAt,
      transferNote: { text: 'VIP: refund approved', from: 'sue', at: deps.clock.now().toISOString() },
    });
    await deps.settle();
    let checked = 0;
    for (const [i, move] of moves.entries()) {
      if (move.lost === undefined) continue;
      const back = moves.slice(i + 1).find((m) => m.agentId === move.agentId && m.regained !== undefined)?.regained ?? Infinity;
      for (const frame of deps.pusher.framesFor(`conn-${move.agentId}`, 'worklist') as unknown as WorklistFrame[]) {
        if (frame.seq <= move.lost || frame.seq > back) continue;
        checked++;
        expect(frame.items.map((i) => i.conversationId), `${move.agentId} seq ${frame.seq}`).not.toContain(conversationId);
      }
    }
    expect(checked).toBeGreaterThan(3);
    const after = (await getConversation(deps, conversationId))!;
    expect(after).toMatchObject({ assignedTo: to, priority: c.priority, slaDueAt: c.slaDueAt });
    expect(Object.keys((await getAgent(deps, from))!.holds)).not.toContain(conversationId);
    // A retry of the same request is answered as the first time and not done again.
    expect(await act(deps, sue, { action: 'reassign', requestId: 'r1', conversationId, agentId: to, note: 'VIP: refund approved' })).toMatchObject({ type: 'ack', conversationId });
  });

  it('reassign takes queued work to an agent, or held work back to a queue', async () => {
    const deps = await createTestDeps(config);
    const { conversationId } = await say(deps, '+1', 'anyone?');
    await online(deps, 'cat'); // billing only: the default queue waits
    const sue = await supervise(deps);
    expect(await act(deps, sue, { action: 'reassign', conversationId, agentId: 'cat' })).toMatchObject({ type: 'ack' });
    expect((await getConversation(deps, conversationId))!).toMatchObject({ state: 'active', assignedTo: 'cat' });
    expect(await act(deps, sue, { action: 'reassign', conversationId, agentId: 'cat' })).toMatchObject({ code: 'invalid_state' });
    await deps.settle();
    expect(latestWorklist(deps, 'cat')!.items.map((i) => i.conversationId)).toEqual([conversationId]);
    // Cat is full (maxLoad 1): another queued conversation cannot go to her.
    const second = await say(deps, '+2', 'me too');
    expect(await act(deps, sue, { action: 'reassign', conversationId: second.conversationId, agentId: 'cat' })).toMatchObject({ code: 'invalid_state' });
    expect(await act(deps, sue, { action: 'reassign', conversationId, queue: 'billing', note: 'billing question' })).toMatchObject({ type: 'ack' });
    await indexesCaughtUp();
    await deps.settle();
    // Back in a queue, it is routed again (to cat, who serves billing), the note kept for her.
    const back = (await getConversation(deps, conversationId))!;
    expect(back).toMatchObject({ queue: 'billing', assignedTo: 'cat', transferNote: { text: 'billing question', from: 'sue' } });
  });

  it('setAgentStatus offline hands work back as presence does; the agent sees it', async () => {
    const deps = await createTestDeps(config);
    await online(deps, 'ann');
    const waiting = await say(deps, '+1', 'help');
    const answered = await say(deps, '+2', 'help too');
    await answer(deps, 'ann', answered.conversationId, 'Done, anything else?');
    const sue = await supervise(deps);
    const ack = await act(deps, sue, { action: 'setAgentStatus', requestId: 'off', agentId: 'ann', status: 'offline' });
    expect(ack).toEqual({ type: 'ack', requestId: 'off', action: 'setAgentStatus', agentId: 'ann', status: 'offline', now: deps.clock.now().toISOString() });
    expect((await getConversation(deps, waiting.conversationId))!).toMatchObject({ state: 'queued', preferredAgentId: 'ann' });
    expect((await getConversation(deps, answered.conversationId))!).toMatchObject({ state: 'inactive', assignedTo: 'ann' });
    await deps.settle();
    expect(latestWorklist(deps, 'ann')!.agent.status).toBe('offline');
    expect(latestWorklist(deps, 'ann')!.items.map((i) => i.conversationId)).toEqual([answered.conversationId]);
    await deps.overviews.idle();
    // Online agents first (nobody is now), then by name.
    expect(latest(deps)!.agents.map((a) => a.id)).toEqual(['ann', 'ben', 'cat']);
    expect(latest(deps)!.agents[0]).toMatchObject({ status: 'offline', active: 0, inactive: 1 });
    expect(queueOf(latest(deps), 'default')).toMatchObject({ queued: 1, agentsOnline: 0 });
    // The same request again: its first answer, with the time of now.
    deps.clock.advance(5);
    expect(await act(deps, sue, { action: 'setAgentStatus', requestId: 'off', agentId: 'ann', status: 'offline' })).toMatchObject({ agentId: 'ann', status: 'offline' });
    expect(await act(deps, sue, { action: 'setAgentStatus', requestId: 'on', agentId: 'ann', status: 'online' })).toMatchObject({ type: 'ack', status: 'online' });
  });
});

describe('transfer notes and ping', () => {
  it('the receiver sees the note; the next transfer replaces it; close clears it', async () => {
    const deps = await createTestDeps(config);
    await online(deps, 'ann');
    const { conversationId } = await say(deps, '+1', 'refund for order 42');
    await online(deps, 'ben');
    const ack = await act(deps, asAgent('ann'), { action: 'transfer', requestId: 't1', conversationId, agentId: 'ben', note: 'Refund approved, just confirm 🙂' });
    expect(ack).toMatchObject({ type: 'ack', action: 'transfer', conversationId, now: deps.clock.now().toISOString() });
    await deps.settle();
    expect(latestWorklist(deps, 'ben')!.items[0]!.transferNote).toEqual({ text: 'Refund approved, just confirm 🙂', from: 'ann', at: deps.clock.now().toISOString() });
    // Notes are 1–1,000 characters, not only whitespace: refused ones change nothing.
    for (const note of ['', ' \n ', 'x'.repeat(1001)]) {
      expect(await act(deps, asAgent('ben'), { action: 'transfer', requestId: 'bad', conversationId, agentId: 'ann', note })).toMatchObject({ code: 'invalid_request' });
    }
    expect(await act(deps, asAgent('ben'), { action: 'transfer', requestId: 'ok', conversationId, agentId: 'ann', note: '🙂'.repeat(1000) })).toMatchObject({ type: 'ack' });
    await deps.settle();
    expect(latestWorklist(deps, 'ann')!.items[0]!.transferNote).toMatchObject({ text: '🙂'.repeat(1000), from: 'ben' });
    await transferConversation(deps, 'ann', conversationId, { agentId: 'ben' });
    await deps.settle();
    expect(latestWorklist(deps, 'ben')!.items[0]!.transferNote).toBeNull();
    await transferConversation(deps, 'ben', conversationId, { agentId: 'ann' }, { note: 'yours again' });
    await closeConversation(deps, 'ann', conversationId);
    expect((await getConversation(deps, conversationId))!.transferNote).toBeUndefined();
  });

  it('ping: an ack with the server time, and no DynamoDB call', async () => {
    const deps = await createTestDeps(config);
    await deps.connect('ann');
    const calls = countCalls(deps);
    deps.clock.advance(42);
    const pong = await act(deps, asAgent('ann'), { action: 'ping', requestId: 'p1' });
    expect(pong).toEqual({ type: 'ack', action: 'ping', requestId: 'p1', now: deps.clock.now().toISOString() });
    expect(await act(deps, { connectionId: 'conn-ann', agentId: 'ann', role: 'agent' }, { action: 'ping' })).toMatchObject({ type: 'ack', action: 'ping' });
    expect(calls.all).toBe(0);
    expect(deps.pusher.frames).toEqual([]);
    // Nothing was recorded either (a ping is not remembered).
    const requests = await deps.db.send(new ScanCommand({ TableName: deps.tables.requests }));
    expect(requests.Items).toEqual([]);
  });
});
