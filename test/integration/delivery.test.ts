import { describe, expect, it } from 'vitest';
import { performAgentAction } from '../../shared/agent/perform-action.js';
import { moveStatus } from '../../shared/delivery/deliver.js';
import { getMessage } from '../../shared/conversation/message-store.js';
import type { HttpSend } from '../../shared/runtime/deps.js';
import { createTestDeps, type TestDeps } from '../support/domain-deps.js';
import { online, say } from '../support/scenario.js';

/**
 * Delivery status (DESIGN §4): every outbound message is stored before it is sent, with a status
 * that only moves forward, pushed to the agent; transient failures are retried with backoff for
 * 24 hours, permanent refusals fail at once; and none of it is on the agent's path.
 */
const setup = async (http: HttpSend) => {
  const deps = await createTestDeps({ agents: [{ id: 'ann' }], channels: { generic: { secret: 's', outboundUrl: 'http://127.0.0.1:9/out' } } }, http);
  await online(deps, 'ann');
  const { conversationId } = await say(deps, '+1', 'Where is my order?');
  const send = async (text: string) => {
    const ack = (await performAgentAction(deps, { connectionId: 'conn-ann' }, JSON.stringify({ action: 'send', requestId: text, conversationId, text }))) as Record<string, unknown>;
    expect(ack).toMatchObject({ type: 'ack' });
    return ack.messageId as string;
  };
  return { deps, conversationId, send };
};

const deliveryFrames = (deps: TestDeps) => deps.pusher.framesFor('conn-ann', 'delivery');

describe('delivery', () => {
  it('is off the agent\'s path: a channel that never answers does not hold up the ack', async () => {
    // A channel that never answers: the request times out (as fetch's AbortSignal would).
    const timeouts: Array<number | undefined> = [];
    const hanging: HttpSend = (_url, init) =>
      new Promise((_, reject) => {
        timeouts.push(init.timeoutMs);
        setTimeout(() => reject(Object.assign(new Error('aborted'), { name: 'TimeoutError' })), 50);
      });
    const { deps, send } = await setup(hanging);
    const messageId = await send('It ships today');
    // Acknowledged and stored as pending before any delivery was tried.
    expect(await getMessage(deps, messageId)).toMatchObject({ status: 'pending', direction: 'out' });
    expect(timeouts).toEqual([]);
    await deps.settle();
    // The first attempt, from the change stream, is bounded short; the retry waits in the queue.
    expect(timeouts).toEqual([1500]);
    expect(deps.deliveries.jobs.map((j) => [j.messageId, j.attempt])).toEqual([[messageId, 2]]);
    // And the agent's other actions go on while the channel hangs.
    expect(await performAgentAction(deps, { connectionId: 'conn-ann' }, JSON.stringify({ action: 'sync', requestId: 's' }))).toMatchObject({ type: 'ack' });
  });

  it('a 2xx makes the message delivered, and the agent is told', async () => {
    const posted: string[] = [];
    const { deps, conversationId, send } = await setup(async (_url, init) => {
      posted.push(JSON.parse(init.body).messageId);
      return { status: 200 };
    });
    const messageId = await send('Done');
    await deps.deliverDue();
    expect(posted).toEqual([messageId]);
    expect(await getMessage(deps, messageId)).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(deliveryFrames(deps)).toEqual([{ type: 'delivery', conversationId, messageId, status: 'delivered' }]);
  });

  it('transient failures are retried with a growing delay until the channel takes it', async () => {
    const answers = [503, 500, 429, 200];
    const { deps, send } = await setup(async () => ({ status: answers.shift()! }));
    const messageId = await send('Try again');
    expect(await deps.deliverDue()).toEqual([]); // the first attempt (503) ran from the stream; its retry waits
    const delays: number[] = [];
    for (let round = 0; round < 3; round++) {
      const job = deps.deliveries.jobs[0]!;
      delays.push((job.dueAt - deps.clock.now().getTime()) / 1000);
      deps.clock.advance(delays.at(-1)! - 0.5);
      expect(await deps.deliverDue()).toEqual([]); // not yet due
      deps.clock.advance(0.5);
      await deps.deliverDue();
    }
    expect(delays).toEqual([2, 4, 8]);
    expect(await getMessage(deps, messageId)).toMatchObject({ status: 'delivered', attempts: 4 });
  });

  it('a refused connection or timeout is transient too', async () => {
    let calls = 0;
    const { deps, send } = await setup(async () => {
      if (calls++ === 0) throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'TypeError' });
      return { status: 204 };
    });
    const messageId = await send('Hello?');
    await deps.deliverDue();
    expect((await getMessage(deps, messageId))!.status).toBe('pending');
    deps.clock.advance(2);
    expect(await deps.deliverDue()).toEqual(['delivered']);
    expect((await getMessage(deps, messageId))!.status).toBe('delivered');
  });

  it('a permanent refusal fails at once with the provider\'s code, pushed with the error', async () => {
    const { deps, conversationId, send } = await setup(async () => ({ status: 400 }));
    const messageId = await send('Unwanted');
    await deps.deliverDue();
    expect(await getMessage(deps, messageId)).toMatchObject({ status: 'failed', error: { code: 'http_400' } });
    expect(deliveryFrames(deps)).toEqual([
      { type: 'delivery', conversationId, messageId, status: 'failed', error: { code: 'http_400', message: expect.any(String) } },
    ]);
    expect(deps.deliveries.jobs).toEqual([]);
  });

  it('gives up after 24 hours of transient failures', async () => {
    const { deps, send } = await setup(async () => ({ status: 502 }));
    const messageId = await send('Anyone?');
    // Retries keep coming back (every 5 minutes at most); let six hours pass between them.
    for (let step = 0; step < 6; step++) {
      await deps.deliverDue();
      if ((await getMessage(deps, messageId))!.status === 'failed') break;
      expect((await getMessage(deps, messageId))!.status).toBe('pending');
      deps.clock.advance(6 * 3600);
    }
    expect(await getMessage(deps, messageId)).toMatchObject({ status: 'failed', error: { code: 'gave_up' } });
    const age = deps.clock.now().getTime() - Date.parse((await getMessage(deps, messageId))!.sentAt);
    expect(age).toBeGreaterThanOrEqual(24 * 3600 * 1000);
  });

  it('a duplicate job is harmless: the receiver can dedupe by messageId, and statuses never move backwards', async () => {
    const posted: string[] = [];
    const { deps, send } = await setup(async (_url, init) => {
      posted.push(JSON.parse(init.body).messageId);
      return { status: 200 };
    });
    const messageId = await send('Once');
    await deps.deliverDue();
    await deps.deliveries.enqueue([{ messageId, attempt: 1 }]); // the stream handed it over again, later
    await deps.deliverDue();
    // Delivery is at least once; an old job without the message reads it and skips one not pending.
    expect(posted).toEqual([messageId]);
    // A late "sent" report after "delivered" is ignored; "read" moves it on; "failed" cannot follow "delivered".
    expect(await moveStatus(deps, { messageId }, 'sent')).toBe(false);
    expect(await moveStatus(deps, { messageId }, 'failed')).toBe(false);
    expect(await moveStatus(deps, { messageId }, 'read')).toBe(true);
    expect(await moveStatus(deps, { messageId }, 'delivered')).toBe(false);
    expect((await getMessage(deps, messageId))!.status).toBe('read');
  });
  it('a first attempt that fails on our side goes to the queue without failing the batch (which would send the batch\'s other messages again)', async () => {
    const posted: string[] = [];
    const { deps, send } = await setup(async (_url, init) => {
      posted.push(JSON.parse(init.body).messageId);
      return { status: 200 };
    });
    const first = await send('One');
    const second = await send('Two');
    // The first status write after a successful send is throttled (an injected fault).
    const db = deps.db as unknown as { send: (command: { input?: { TableName?: string; Key?: Record<string, unknown> } }) => Promise<unknown> };
    const realSend = db.send.bind(db);
    let faults = 0;
    db.send = async (command) => {
      if (command.input?.TableName === deps.tables.messages && command.input.Key?.messageId === first && command.constructor.name === 'UpdateCommand' && faults++ === 0) {
        throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
      }
      return realSend(command);
    };
    await deps.settle(); // does not throw: the stream batch is done
    expect(posted.sort()).toEqual([first, second].sort());
    expect(deps.deliveries.jobs.map((j) => [j.messageId, j.attempt])).toEqual([[first, 2]]);
    expect(await getMessage(deps, second)).toMatchObject({ status: 'delivered' });
    // The retry sends the first again (at least once: its status was never written), never the second.
    deps.clock.advance(2);
    await deps.deliverDue();
    expect(posted.filter((id) => id === second)).toHaveLength(1);
    expect(await getMessage(deps, first)).toMatchObject({ status: 'delivered', attempts: 2 });
  });
});
