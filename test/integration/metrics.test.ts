import { describe, expect, it } from 'vitest';
import { performAgentAction } from '../../shared/agent/perform-action.js';
import { receiveMessage } from '../../shared/conversation/receive-message.js';
import { sweep } from '../../shared/routing/sweep.js';
import { MemoryMetrics, tideMetrics } from '../../shared/runtime/metrics.js';
import type { HttpSend } from '../../shared/runtime/deps.js';
import { createTestDeps, type TestDeps } from '../support/domain-deps.js';
import { conversation, indexesCaughtUp, online, say } from '../support/scenario.js';

/**
 * The domain records each fact where it happens (shared/runtime/metrics.ts): these run the real
 * commands against DynamoDB Local with the in-memory recorder the local stack uses.
 */
const observedDeps = async (http?: HttpSend) => {
  const deps = await createTestDeps(
    { agents: [{ id: 'ann', preferredConcurrency: 1, maxLoad: 1 }], channels: { generic: { secret: 's', outboundUrl: 'http://127.0.0.1:9/out' } } },
    http,
  );
  const metrics = new MemoryMetrics();
  deps.metrics = metrics;
  return { deps, metrics };
};

/** Moves the manual clock to `seconds` after `iso`. */
const advanceTo = (deps: TestDeps, iso: string, seconds: number) => deps.clock.advance((Date.parse(iso) - deps.clock.now().getTime()) / 1000 + seconds);

describe('metrics the domain records', () => {
  it('inbound messages (not duplicates), routing latency, timer fires and lateness, SLA breaches, and how the queue stands', async () => {
    const { deps, metrics } = await observedDeps();
    const first = { channel: 'generic' as const, externalId: 'm-1', from: '+1', text: 'Where is my order?', queue: 'default' };
    const { conversationId } = await receiveMessage(deps, first);
    expect((await receiveMessage(deps, first)).duplicate).toBe(true);
    expect(metrics.total(tideMetrics.inboundMessages, { Channel: 'generic' })).toBe(1);

    // Waits 30 s for an agent: the routing latency is that wait.
    deps.clock.advance(30);
    await online(deps, 'ann');
    expect((await conversation(deps, conversationId)).assignedTo).toBe('ann');
    expect(metrics.samples(tideMetrics.routingLatency, { Queue: 'default' })).toBe(1);
    expect(metrics.total(tideMetrics.routingLatency, { Queue: 'default' })).toBe(30_000);

    // Unanswered: the near-breach timer does its work 10 s after its deadline, the breach 5 s after its own.
    const { slaWarnAt, slaDueAt } = await conversation(deps, conversationId);
    advanceTo(deps, slaWarnAt!, 10);
    expect(await deps.fireDue()).toEqual(['slaWarning']);
    advanceTo(deps, slaDueAt!, 5);
    expect(await deps.fireDue()).toEqual(['slaBreach']);
    expect(metrics.total(tideMetrics.slaBreaches, { Queue: 'default' })).toBe(1);
    expect(metrics.total(tideMetrics.timerFires, { Kind: 'conversation' })).toBe(2);
    expect(metrics.snapshot().find((s) => s.name === tideMetrics.timerLateness.name)).toMatchObject({ samples: 2, sum: 15_000, max: 10_000 });

    // Ann is full (maxLoad 1): a second customer waits, and the sweep says so.
    await say(deps, '+2', 'Hello?');
    deps.clock.advance(45);
    await indexesCaughtUp();
    await sweep(deps);
    const standing = (name: string) => metrics.snapshot().find((s) => s.name === name && s.dimensions.Queue === 'default')?.sum;
    expect(standing(tideMetrics.queueDepth.name)).toBe(1);
    expect(standing(tideMetrics.oldestWait.name)).toBe(45);
    expect(standing(tideMetrics.onlineAgents.name)).toBe(1);
    expect(standing(tideMetrics.agentsWithRoom.name)).toBe(0);
    expect(metrics.total(tideMetrics.inboundMessages)).toBe(2);
  });

  it('delivery outcomes by channel, outcome and provider code', async () => {
    const answers = [503, 200, 400];
    const { deps, metrics } = await observedDeps(async () => ({ status: answers.shift()! }));
    await online(deps, 'ann');
    const { conversationId } = await say(deps, '+1', 'Hi');
    const send = async (text: string) =>
      expect(await performAgentAction(deps, { connectionId: 'conn-ann' }, JSON.stringify({ action: 'send', requestId: text, conversationId, text }))).toMatchObject({ type: 'ack' });
    await send('One moment');
    await deps.settle(); // first attempt: 503, retried
    deps.clock.advance(2);
    await deps.deliverDue(); // the retry: 200
    await send('Done');
    await deps.settle(); // 400: refused for good
    const outcome = (Outcome: string, Code: string) => metrics.total(tideMetrics.deliveryOutcomes, { Channel: 'generic', Outcome, Code });
    expect([outcome('retry', 'http_503'), outcome('delivered', 'ok'), outcome('failed', 'http_400')]).toEqual([1, 1, 1]);
    expect(metrics.total(tideMetrics.deliveryOutcomes)).toBe(3);
  });

  it('push failures: a post the management API refuses (not a gone connection)', async () => {
    const { deps, metrics } = await observedDeps();
    await online(deps, 'ann');
    const post = deps.pusher.post.bind(deps.pusher);
    deps.pusher.post = async (connectionId, frame) => {
      if ((frame as { type?: string }).type === 'worklist') throw Object.assign(new Error('throttled'), { name: 'LimitExceededException' });
      return post(connectionId, frame);
    };
    await say(deps, '+1', 'Hi');
    expect(metrics.total(tideMetrics.pushFailures)).toBeGreaterThanOrEqual(1);
    deps.pusher.post = post;
  });
});
