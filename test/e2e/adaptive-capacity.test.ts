import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/free-port.js';
import { atExpression } from '../../shared/timers/timer-scheduler.js';
import { AgentClient } from '../support/agent-client.js';
import { postMessage } from '../support/channel.js';
import { startStack, type RunningStack } from '../support/local-stack-process.js';

/**
 * Issue 3 on the local stack with timers of a few seconds, the timers going through the real
 * Scheduler SDK client to the Scheduler emulation and back to the `timer-fired` handler.
 */
let stack: RunningStack;
let schedulerUrl: string;
const agents: Record<string, AgentClient> = {};
let n = 0;
const say = async (from: string, text = 'hello') => {
  const res = await postMessage(stack.httpUrl, { externalId: `ac-${++n}`, from, text });
  expect(res.status).toBe(202);
  return res.body.conversationId!;
};
const item = (agent: AgentClient, id: string) => agent.worklist?.items.find((i) => i.conversationId === id);
const stats = async () => (await (await fetch(`${schedulerUrl}/__tide/stats`)).json()) as { calls: Record<string, number>; fires: number };

beforeAll(async () => {
  const schedulerPort = await freePort();
  schedulerUrl = `http://127.0.0.1:${schedulerPort}`;
  stack = await startStack(
    {
      queues: {
        // Auto-close is long here so that a slow (loaded) machine cannot close conversations under
        // the other tests; the auto-close test has its own queue.
        default: { slaSeconds: 3, inactiveAfterSeconds: 2, autoCloseAfterSeconds: 120 },
        brief: { slaSeconds: 60, inactiveAfterSeconds: 1, autoCloseAfterSeconds: 3 },
        calm: { slaSeconds: 600, inactiveAfterSeconds: 600 },
        metered: {},
      },
      routing: { presenceGraceSeconds: 1, offlineReactivationWaitSeconds: 2 },
      agents: [
        { id: 'ann', queues: ['default'], preferredConcurrency: 1, maxLoad: 2 },
        { id: 'cal', queues: ['calm'], preferredConcurrency: 1, maxLoad: 1 },
        { id: 'mia', queues: ['metered'], preferredConcurrency: 1, maxLoad: 1 },
        { id: 'bea', queues: ['brief'], preferredConcurrency: 1, maxLoad: 1 },
      ],
      channels: { generic: { secret: 'test-secret' } },
    },
    { SCHEDULER_PORT: String(schedulerPort) },
  );
  for (const id of ['ann', 'cal', 'mia', 'bea']) {
    agents[id] = await AgentClient.connect(stack, id);
    await agents[id]!.request({ action: 'setStatus', status: 'online' });
  }
});
afterAll(async () => {
  await Promise.all(Object.values(agents).map((a) => a.close()));
  expect(await stack.stop()).toBe(0);
});

describe('adaptive capacity on the local stack', () => {
  it('inactive frees a slot that a queued conversation takes; the customer comes back to the same agent above preferred, never above max', async () => {
    const ann = agents.ann!;
    const c1 = await say('+15553001');
    await ann.waitForWorklist((w) => item(ann, c1)?.state === 'active');
    await ann.request({ action: 'send', conversationId: c1, text: 'Does that help?' });
    const c2 = await say('+15553002');
    // ann is at preferred (1): c2 waits until c1 goes inactive, ~2 s after the reply.
    expect(item(ann, c2)).toBeUndefined();
    await ann.waitForWorklist((w) => item(ann, c1)?.state === 'inactive' && item(ann, c2)?.state === 'active', 5_000);
    expect(ann.worklist!.agent.active).toBe(1);
    // The same again: c2 goes inactive and c3 takes the slot.
    await ann.request({ action: 'send', conversationId: c2, text: 'Better now?' });
    const c3 = await say('+15553003');
    await ann.waitForWorklist((w) => item(ann, c2)?.state === 'inactive' && item(ann, c3)?.state === 'active', 5_000);
    // The customer of c1 writes again: back to ann, now above preferred (2 > 1) and at max (2).
    await say('+15553001', 'No, it still fails');
    await ann.waitForWorklist((w) => item(ann, c1)?.state === 'active' && w.agent.active === 2, 5_000);
    expect(item(ann, c1)).toMatchObject({ waitingOn: 'agent', lastMessage: { text: 'No, it still fails' } });
    // The customer of c2 writes too: ann is at max, so c2 leaves her list for the queue.
    await say('+15553002', 'Same problem here');
    await ann.waitForWorklist((w) => item(ann, c2) === undefined, 5_000);
    expect(ann.worklist!.agent.active).toBe(2);
  });

  it('an SLA breach is pushed and ranks the conversation first', async () => {
    const ann = agents.ann!;
    const breached = await ann.waitForWorklist((w) => w.items.some((i) => i.slaBreached), 6_000);
    expect(breached.items[0]!.slaBreached).toBe(true);
    expect(Date.parse(breached.items[0]!.slaDueAt!)).toBeLessThanOrEqual(Date.now());
  });

  it('a follow-up hides the conversation and brings it back first, on time', async () => {
    const ann = agents.ann!;
    const target = ann.worklist!.items.find((i) => i.state === 'active')!.conversationId;
    const at = new Date(Date.now() + 2_000).toISOString();
    expect(await ann.request({ action: 'followUp', conversationId: target, at })).toMatchObject({ type: 'ack' });
    const hidden = await ann.waitForWorklist((w) => item(ann, target)?.followUpAt === at);
    expect(item(ann, target)).toMatchObject({ state: 'inactive', waitingOn: 'agent' });
    expect(hidden.items.at(-1)!.conversationId).toBe(target);
    const back = await ann.waitForWorklist((w) => w.items[0]?.conversationId === target && w.items[0].state === 'active', 5_000);
    // On time, as the timer handler saw it: the return restarts the SLA clock (3 s in `default`),
    // so its `slaDueAt` tells when the fire was handled. Never before `at`; late by at most the
    // local schedule's whole second plus the emulator's 200 ms tick, with margin for a loaded
    // machine. (Measured when the frame arrives, the bound would also have to cover the push
    // path, which load stretches: the stream poll, the push, this client's 25 ms poll.)
    const returnedAt = Date.parse(back.items[0]!.slaDueAt!) - 3_000;
    expect(returnedAt).toBeGreaterThanOrEqual(Date.parse(at));
    expect(returnedAt - Date.parse(at)).toBeLessThan(2_000);
    expect(back.items[0]).toMatchObject({ waitingOn: 'agent', followUpAt: null });
  });

  it('auto-closes an inactive conversation whose customer stays silent', async () => {
    const bea = agents.bea!;
    const from = '+15553009';
    const first = await postMessage(stack.httpUrl, { externalId: `ac-${++n}`, from, text: 'hello', queue: 'brief' });
    const c = first.body.conversationId!;
    await bea.waitForWorklist(() => item(bea, c) !== undefined);
    await bea.request({ action: 'send', conversationId: c, text: 'Done?' });
    await bea.waitForWorklist(() => item(bea, c)?.state === 'inactive', 8_000);
    await bea.waitForWorklist(() => item(bea, c) === undefined, 10_000);
    // Closed: the customer's next message opens a new conversation.
    const again = await postMessage(stack.httpUrl, { externalId: `ac-${++n}`, from, text: 'hello again', queue: 'brief' });
    expect(again.body.conversationId).not.toBe(c);
  });

  it('a stale or duplicated timer fire changes nothing', async () => {
    const cal = agents.cal!;
    const calm = await postMessage(stack.httpUrl, { externalId: `ac-${++n}`, from: '+15553101', text: 'calm', queue: 'calm' });
    const id = calm.body.conversationId!;
    await cal.waitForWorklist(() => item(cal, id)?.state === 'active');
    await cal.request({ action: 'sync' });
    const before = await cal.waitForWorklist((w) => w.seq > 0 && item(cal, id) !== undefined);
    const client = new SchedulerClient({ endpoint: schedulerUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const fire = (name: string, gen: number) =>
      client.send(new CreateScheduleCommand({
        Name: name, GroupName: 'tide-timers', ScheduleExpression: atExpression(new Date()), FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: { Arn: 'arn:aws:lambda:us-east-1:000000000000:function:tide-timer-fired', RoleArn: 'arn:aws:iam::000000000000:role/tide-scheduler', Input: JSON.stringify({ kind: 'conversation', conversationId: id, gen }) },
      }));
    const firesBefore = (await stats()).fires;
    await Promise.all([fire('stale-0', 0), fire('dup-1a', 1), fire('dup-1b', 1)]);
    await expect.poll(async () => (await stats()).fires - firesBefore, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    await cal.request({ action: 'sync' });
    const after = await cal.waitForWorklist((w) => w.seq > before.seq);
    expect(item(cal, id)).toEqual(before.items.find((i) => i.conversationId === id));
    expect(after.agent.active).toBe(before.agent.active);
    client.destroy();
  });

  it('an agent whose connections are all gone goes offline after the grace period', async () => {
    const cal = agents.cal!;
    await cal.close();
    const other = await AgentClient.connect(stack, 'ann');
    // cal's active conversation waits on cal: it goes back to the calm queue once cal is offline.
    // Grace 1 s, plus up to 1 s for the timer to fire, plus headroom for a loaded machine.
    await new Promise((r) => setTimeout(r, 4_000));
    const again = await AgentClient.connect(stack, 'cal');
    await again.request({ action: 'sync' });
    const list = await again.waitForWorklist(() => true);
    expect(list.agent.status).toBe('offline');
    expect(list.items.filter((i) => i.state === 'active')).toEqual([]);
    await again.close();
    await other.close();
  });

  it('measures scheduler calls per inbound message in a 10-turn exchange (default timers)', async () => {
    const mia = agents.mia!;
    const before = await stats();
    for (let turn = 0; turn < 10; turn++) {
      const res = await postMessage(stack.httpUrl, { externalId: `ac-${++n}`, from: '+15553200', text: `question ${turn}`, queue: 'metered' });
      const id = res.body.conversationId!;
      await mia.waitForWorklist(() => item(mia, id)?.lastMessage.text === `question ${turn}`, 10_000);
      await mia.request({ action: 'send', conversationId: id, text: `answer ${turn}` });
    }
    const after = await stats();
    const created = (after.calls.CreateSchedule ?? 0) - (before.calls.CreateSchedule ?? 0);
    const all = Object.values(after.calls).reduce((a, b) => a + b, 0) - Object.values(before.calls).reduce((a, b) => a + b, 0);
    console.log(`scheduler e2e: ${created} CreateSchedule, ${all} Scheduler API calls for 10 inbound messages (fast exchange)`);
    expect(created).toBeLessThanOrEqual(10);
  });

  it('a customer\'s "nope" to the agent\'s "anything else?" closes the conversation', async () => {
    const mia = agents.mia!;
    const id = mia.worklist!.items[0]!.conversationId;
    await mia.request({ action: 'send', conversationId: id, text: 'Glad it works. Anything else I can help with?' });
    const notClosing = await postMessage(stack.httpUrl, { externalId: `ac-${++n}`, from: '+15553200', text: "No, it still doesn't work", queue: 'metered' });
    expect(notClosing.body.conversationId).toBe(id);
    await mia.waitForWorklist(() => item(mia, id)?.waitingOn === 'agent');
    await mia.request({ action: 'send', conversationId: id, text: 'Try again now. Anything else?' });
    await postMessage(stack.httpUrl, { externalId: `ac-${++n}`, from: '+15553200', text: 'Nope!', queue: 'metered' });
    await mia.waitForWorklist(() => item(mia, id) === undefined);
  });
});
