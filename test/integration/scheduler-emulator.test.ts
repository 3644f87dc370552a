/**
 * The local EventBridge Scheduler emulator driven by the real `@aws-sdk/client-scheduler` client:
 * control-plane calls, the SDK's error classes, and one-time schedules firing their target.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { startSchedulerEmulator, type RunningScheduler } from '../../infra/local/scheduler-emulator.js';

const HOST = '127.0.0.1';
const ROLE = 'arn:aws:iam::000000000000:role/tide-scheduler';
const fn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

interface Invocation {
  arn: string;
  input: unknown;
  at: number;
}

function clientFor(emulator: RunningScheduler): SchedulerClient {
  return new SchedulerClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC for an epoch-ms instant (seconds precision, like CDK's). */
function at(epochMs: number): string {
  return `at(${new Date(epochMs).toISOString().slice(0, 19)})`;
}

/** The next whole second that is at least `leadMs` away, so an `at()` is exactly representable. */
function wholeSecondAfter(leadMs: number): number {
  return Math.ceil((Date.now() + leadMs) / 1000) * 1000;
}

function schedule(name: string, overrides: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput {
  return {
    Name: name,
    ScheduleExpression: at(Date.now() + 3_600_000),
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: fn('timer'), RoleArn: ROLE, Input: JSON.stringify({ name }) },
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('scheduler emulator: control plane', () => {
  let emulator: RunningScheduler;
  let client: SchedulerClient;
  const invocations: Invocation[] = [];

  beforeAll(async () => {
    emulator = await startSchedulerEmulator({
      host: HOST,
      port: 0,
      invoke: async (arn, input) => void invocations.push({ arn, input, at: Date.now() }),
    });
    client = clientFor(emulator);
  });
  afterAll(async () => {
    client?.destroy();
    await emulator?.close();
  });

  it('creates a schedule and returns it from GetSchedule', async () => {
    const before = Date.now();
    const expression = at(wholeSecondAfter(3_600_000));
    const created = await client.send(new CreateScheduleCommand(schedule('get-me', { ScheduleExpression: expression })));
    expect(created.ScheduleArn).toBe('arn:aws:scheduler:us-east-1:000000000000:schedule/default/get-me');

    const got = await client.send(new GetScheduleCommand({ Name: 'get-me' }));
    expect(got).toMatchObject({
      Arn: created.ScheduleArn,
      Name: 'get-me',
      GroupName: 'default',
      ScheduleExpression: expression,
      State: 'ENABLED',
      ActionAfterCompletion: 'NONE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: fn('timer'), RoleArn: ROLE, Input: '{"name":"get-me"}' },
    });
    expect(got.CreationDate).toBeInstanceOf(Date);
    expect(got.CreationDate!.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect(got.CreationDate!.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(got.LastModificationDate).toEqual(got.CreationDate);
  });

  it('keys schedules by group and name', async () => {
    await client.send(new CreateScheduleCommand(schedule('grouped', { GroupName: 'tide-timers' })));
    const got = await client.send(new GetScheduleCommand({ Name: 'grouped', GroupName: 'tide-timers' }));
    expect(got.Arn).toBe('arn:aws:scheduler:us-east-1:000000000000:schedule/tide-timers/grouped');
    expect(await rejection(client.send(new GetScheduleCommand({ Name: 'grouped' })))).toBeInstanceOf(ResourceNotFoundException);
    // The same name in another group is a different schedule.
    await client.send(new CreateScheduleCommand(schedule('grouped')));
  });

  it('rejects a second CreateSchedule of the same name with ConflictException', async () => {
    await client.send(new CreateScheduleCommand(schedule('twice')));
    const error = await rejection(client.send(new CreateScheduleCommand(schedule('twice'))));
    expect(error).toBeInstanceOf(ConflictException);
    expect((error as ConflictException).$metadata.httpStatusCode).toBe(409);
    expect((error as ConflictException).message).toContain('twice');
  });

  it('answers ResourceNotFoundException for a missing schedule', async () => {
    for (const command of [
      new GetScheduleCommand({ Name: 'missing' }),
      new DeleteScheduleCommand({ Name: 'missing' }),
      new UpdateScheduleCommand(schedule('missing')),
    ]) {
      const error = await rejection(client.send(command as GetScheduleCommand));
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    }
  });

  it('rejects invalid names and groups with ValidationException', async () => {
    const stored = emulator.size();
    for (const input of [
      schedule('bad name!'),
      schedule('x'.repeat(65)),
      schedule('slash/inside'),
      schedule('ok-name', { GroupName: 'bad group' }),
    ]) {
      const error = await rejection(client.send(new CreateScheduleCommand(input)));
      expect(error).toBeInstanceOf(ValidationException);
      expect((error as ValidationException).$metadata.httpStatusCode).toBe(400);
    }
    expect(await rejection(client.send(new GetScheduleCommand({ Name: 'bad name!' })))).toBeInstanceOf(ValidationException);
    expect(emulator.size()).toBe(stored); // nothing above was stored
    expect(await rejection(client.send(new GetScheduleCommand({ Name: 'ok-name', GroupName: 'bad group' })))).toBeInstanceOf(
      ValidationException,
    );
  });

  it('rejects missing or malformed required fields with ValidationException', async () => {
    const base = schedule('invalid');
    const cases: CreateScheduleCommandInput[] = [
      { ...base, FlexibleTimeWindow: undefined as never },
      { ...base, FlexibleTimeWindow: { Mode: 'FLEXIBLE' } },
      { ...base, Target: { Arn: fn('timer') } as never },
      { ...base, Target: undefined as never },
      { ...base, ScheduleExpression: undefined as never },
      { ...base, ScheduleExpression: 'in(5 minutes)' },
      { ...base, ScheduleExpression: 'at(2030-02-30T00:00:00)' },
      { ...base, ScheduleExpressionTimezone: 'Mars/Olympus_Mons' },
      { ...base, State: 'PAUSED' as never },
    ];
    for (const input of cases) {
      expect(await rejection(client.send(new CreateScheduleCommand(input)))).toBeInstanceOf(ValidationException);
    }
    expect(await rejection(client.send(new GetScheduleCommand({ Name: 'invalid' })))).toBeInstanceOf(ResourceNotFoundException);
    // rate() and cron() are accepted (and stored, never fired).
    await client.send(new CreateScheduleCommand(schedule('recurring', { ScheduleExpression: 'rate(5 minutes)' })));
  });

  it('UpdateSchedule replaces the whole definition', async () => {
    await client.send(new CreateScheduleCommand(schedule('replace-me', { Description: 'first', ActionAfterCompletion: 'DELETE' })));
    const created = await client.send(new GetScheduleCommand({ Name: 'replace-me' }));
    await sleep(20);
    const later = at(wholeSecondAfter(7_200_000));
    const updated = await client.send(
      new UpdateScheduleCommand({
        Name: 'replace-me',
        ScheduleExpression: later,
        FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 5 },
        Target: { Arn: fn('other'), RoleArn: ROLE },
      }),
    );
    expect(updated.ScheduleArn).toBe(created.Arn);
    const got = await client.send(new GetScheduleCommand({ Name: 'replace-me' }));
    expect(got.ScheduleExpression).toBe(later);
    expect(got.FlexibleTimeWindow).toEqual({ Mode: 'FLEXIBLE', MaximumWindowInMinutes: 5 });
    expect(got.Target).toEqual({ Arn: fn('other'), RoleArn: ROLE });
    expect(got.Description).toBeUndefined();
    expect(got.ActionAfterCompletion).toBe('NONE');
    expect(got.CreationDate).toEqual(created.CreationDate);
    expect(got.LastModificationDate!.getTime()).toBeGreaterThan(created.LastModificationDate!.getTime());
  });

  it('lists schedules by group and name prefix, with pagination', async () => {
    for (const name of ['list-a', 'list-b', 'list-c']) {
      await client.send(new CreateScheduleCommand(schedule(name, { GroupName: 'listing' })));
    }
    const first = await client.send(new ListSchedulesCommand({ GroupName: 'listing', NamePrefix: 'list-', MaxResults: 2 }));
    expect(first.Schedules?.map((s) => s.Name)).toEqual(['list-a', 'list-b']);
    expect(first.Schedules?.[0]).toMatchObject({ GroupName: 'listing', State: 'ENABLED', Target: { Arn: fn('timer') } });
    expect(first.NextToken).toBeTruthy();
    const second = await client.send(new ListSchedulesCommand({ GroupName: 'listing', NextToken: first.NextToken }));
    expect(second.Schedules?.map((s) => s.Name)).toEqual(['list-c']);
    expect(second.NextToken).toBeUndefined();
  });

  it('never fired any of the far-future schedules above', () => {
    expect(invocations).toEqual([]);
    expect(emulator.fires()).toBe(0);
  });
});

describe('scheduler emulator: accounting', () => {
  it('counts calls by operation and reports them on /__tide/stats', async () => {
    const emulator = await startSchedulerEmulator({ host: HOST, port: 0, invoke: async () => {} });
    const client = clientFor(emulator);
    try {
      await client.send(new CreateScheduleCommand(schedule('one')));
      await client.send(new CreateScheduleCommand(schedule('two')));
      await rejection(client.send(new CreateScheduleCommand(schedule('two'))));
      await client.send(new UpdateScheduleCommand(schedule('one')));
      await client.send(new GetScheduleCommand({ Name: 'one' }));
      await client.send(new DeleteScheduleCommand({ Name: 'two' }));
      await rejection(client.send(new GetScheduleCommand({ Name: 'two' })));

      const calls = { CreateSchedule: 3, UpdateSchedule: 1, GetSchedule: 2, DeleteSchedule: 1 };
      expect(emulator.calls()).toEqual(calls);
      expect(emulator.size()).toBe(1);

      const response = await fetch(`${emulator.url}/__tide/stats`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ calls, fires: 0, schedules: 1 });
      expect(emulator.calls()).toEqual(calls); // the stats endpoint is not an operation
    } finally {
      client.destroy();
      await emulator.close();
    }
  });
});

describe.concurrent('scheduler emulator: firing', () => {
  let emulator: RunningScheduler;
  let client: SchedulerClient;
  const invocations: Invocation[] = [];
  const forTarget = (name: string) => invocations.filter((i) => i.arn === fn(name));

  beforeAll(async () => {
    emulator = await startSchedulerEmulator({
      host: HOST,
      port: 0,
      invoke: async (arn, input) => void invocations.push({ arn, input, at: Date.now() }),
    });
    client = clientFor(emulator);
  });
  afterAll(async () => {
    client?.destroy();
    await emulator?.close();
  });

  it('fires a future at() within a second of its time, once, and deletes it after completion', async ({ expect }) => {
    const due = wholeSecondAfter(1_000);
    const payload = { conversationId: 'c-1', gen: 3, kind: 'sla' };
    await client.send(
      new CreateScheduleCommand(
        schedule('due-soon', {
          ScheduleExpression: at(due),
          ActionAfterCompletion: 'DELETE',
          Target: { Arn: fn('due-soon'), RoleArn: ROLE, Input: JSON.stringify(payload) },
        }),
      ),
    );
    expect(forTarget('due-soon')).toEqual([]);

    const fired = await waitFor(() => forTarget('due-soon')[0], 'the fire', 4_000);
    expect(fired.input).toEqual(payload);
    expect(fired.at).toBeGreaterThanOrEqual(due);
    expect(fired.at).toBeLessThan(due + 1_000);

    expect(await rejection(client.send(new GetScheduleCommand({ Name: 'due-soon' })))).toBeInstanceOf(ResourceNotFoundException);
    await sleep(700); // several ticks
    expect(forTarget('due-soon')).toHaveLength(1);
  });

  it('fires an at() in another time zone at the matching instant', async ({ expect }) => {
    const due = wholeSecondAfter(1_000);
    const tokyoWallClock = at(due + 9 * 3_600_000); // Asia/Tokyo is UTC+9 all year
    await client.send(
      new CreateScheduleCommand(
        schedule('tokyo', {
          ScheduleExpression: tokyoWallClock,
          ScheduleExpressionTimezone: 'Asia/Tokyo',
          Target: { Arn: fn('tokyo'), RoleArn: ROLE },
        }),
      ),
    );
    const fired = await waitFor(() => forTarget('tokyo')[0], 'the Tokyo fire', 4_000);
    expect(fired.at).toBeGreaterThanOrEqual(due);
    expect(fired.at).toBeLessThan(due + 1_000);
    expect(fired.input).toEqual({}); // no Input → empty event
  });

  it('fires a past at() promptly and keeps it (never firing again) without ActionAfterCompletion', async ({ expect }) => {
    const created = Date.now();
    await client.send(
      new CreateScheduleCommand(
        schedule('overdue', {
          ScheduleExpression: at(Date.now() - 60_000),
          Target: { Arn: fn('overdue'), RoleArn: ROLE, Input: '{"late":true}' },
        }),
      ),
    );
    const fired = await waitFor(() => forTarget('overdue')[0], 'the overdue fire', 2_000);
    expect(fired.input).toEqual({ late: true });
    expect(fired.at - created).toBeLessThan(1_000);

    await sleep(700);
    expect(forTarget('overdue')).toHaveLength(1);
    const kept = await client.send(new GetScheduleCommand({ Name: 'overdue' }));
    expect(kept.Name).toBe('overdue');
  });

  it('never fires a schedule deleted before its time, nor a disabled one', async ({ expect }) => {
    const due = wholeSecondAfter(500);
    await client.send(new CreateScheduleCommand(schedule('deleted', { ScheduleExpression: at(due), Target: { Arn: fn('deleted'), RoleArn: ROLE } })));
    await client.send(
      new CreateScheduleCommand(
        schedule('disabled', { ScheduleExpression: at(due), State: 'DISABLED', Target: { Arn: fn('disabled'), RoleArn: ROLE } }),
      ),
    );
    await client.send(new DeleteScheduleCommand({ Name: 'deleted' }));
    await sleep(due - Date.now() + 800);
    expect(forTarget('deleted')).toEqual([]);
    expect(forTarget('disabled')).toEqual([]);
  });

  it('retries a failing target twice, about 1 s and 2 s apart, then drops the event', async ({ expect }) => {
    const attempts: number[] = [];
    const failing = await startSchedulerEmulator({
      host: HOST,
      port: 0,
      tickMs: 50,
      invoke: async () => {
        attempts.push(Date.now());
        throw new Error('function error');
      },
    });
    const failingClient = clientFor(failing);
    try {
      await failingClient.send(
        new CreateScheduleCommand(schedule('flaky', { ScheduleExpression: at(Date.now() - 1_000), ActionAfterCompletion: 'DELETE' })),
      );
      await waitFor(() => (attempts.length >= 3 ? true : undefined), 'three attempts', 5_000);
      const [first, second, third] = attempts as [number, number, number];
      expect(second - first).toBeGreaterThanOrEqual(900);
      expect(second - first).toBeLessThan(1_500);
      expect(third - second).toBeGreaterThanOrEqual(1_900);
      expect(third - second).toBeLessThan(2_500);
      await sleep(600);
      expect(attempts).toHaveLength(3);
      expect(failing.fires()).toBe(3);
      expect(failing.size()).toBe(0);
    } finally {
      failingClient.destroy();
      await failing.close();
    }
  });
});
