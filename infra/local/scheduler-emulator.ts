/**
 * Local stand-in for Amazon EventBridge Scheduler, speaking the same REST-JSON wire protocol as
 * AWS so that the real `@aws-sdk/client-scheduler` client is the code under test, errors included.
 *
 * Wire contract (from the SDK's service model, client-scheduler 3.1169):
 * - CreateSchedule  POST   /schedules/{Name}   JSON body, 200 `{"ScheduleArn"}`
 * - UpdateSchedule  PUT    /schedules/{Name}   JSON body, 200 `{"ScheduleArn"}` (full replace)
 * - DeleteSchedule  DELETE /schedules/{Name}?groupName=&clientToken=   200 `{}`
 * - GetSchedule     GET    /schedules/{Name}?groupName=               200 with the schedule
 * - ListSchedules   GET    /schedules?ScheduleGroup=&NamePrefix=&State=&NextToken=&MaxResults=
 *   (note: the group filter is `ScheduleGroup` here, but `groupName` on Get/Delete, and
 *   `GroupName` in the Create/Update body).
 * - JSON member names are the PascalCase model names; timestamps are epoch seconds (numbers).
 * - Errors: status per the model (400 Validation, 404 ResourceNotFound, 409 Conflict) with the
 *   error name in `x-amzn-errortype` and `{"Message"}` in the body; the SDK picks the exception
 *   class from the header.
 *
 * Emulation choices (all documented where they are implemented):
 * - Any valid group name is accepted; groups need not be created first (AWS requires them to exist
 *   except `default`, which the CDK stack takes care of).
 * - Only `at(...)` schedules fire. `rate(...)` and `cron(...)` are accepted and stored (like AWS)
 *   but never fire here.
 * - `ScheduleExpressionTimezone` accepts any IANA zone the runtime knows (default UTC).
 * - `FlexibleTimeWindow` FLEXIBLE fires at the start of the window (AWS picks a random point).
 * - An `at()` time already in the past is accepted and fires at the next tick (AWS behaviour is
 *   unconfirmed; it may reject such a schedule).
 * - A Lambda target is invoked asynchronously in AWS, so once Scheduler has handed the event over,
 *   the invocation is "complete": ActionAfterCompletion=DELETE removes the schedule at dispatch, and
 *   retries of a failing function (Lambda's async retries: 2 more attempts ~1 s and ~2 s apart)
 *   continue even if the schedule is gone.
 * - SigV4 `Authorization` is accepted and ignored (only its region is read, for ARNs); ClientToken
 *   is ignored.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { listen, readBody, sendJson } from './http-gateway.js';

export interface ScheduleTargetInvoker {
  /** Invokes the schedule's target (a Lambda ARN) with the parsed `Target.Input` (JSON) as the event, like Scheduler's templated Lambda target (asynchronous invoke). */
  (targetArn: string, input: unknown): Promise<void>;
}

export interface RunningScheduler {
  url: string;
  port: number;
  /** Calls received, by operation name ('CreateSchedule', 'UpdateSchedule', 'DeleteSchedule', 'GetSchedule', ...), for cost measurements. */
  calls(): Record<string, number>;
  /** Number of target invocations made (fires), including retries. */
  fires(): number;
  /** Schedules currently stored (not yet fired+deleted). */
  size(): number;
  /**
   * Fires nothing more (pending retries are dropped, as close() does) and resolves once the fires
   * in flight have returned, while the API still answers: a shutdown stops the fires with the
   * handlers and the API after them, since a handler still finishing may create a schedule.
   */
  stopFiring(): Promise<void>;
  /** stopFiring(), then the API stops answering. */
  close(): Promise<void>;
}

/** How long stopFiring() waits for the fires in flight (a timer handler's DynamoDB calls). */
const FIRE_WAIT_MS = 5_000;
/** Generous; AWS's own request limits are far below this. */
const MAX_BODY_BYTES = 1024 * 1024;
const ACCOUNT_ID = '000000000000';
const DEFAULT_REGION = 'us-east-1';
const NAME_PATTERN = /^[0-9a-zA-Z-_.]{1,64}$/;
const AT_PATTERN = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
/** Lambda asynchronous invocation: the first attempt plus two retries, about 1 s and 2 s apart. */
const RETRY_DELAYS_MS = [1_000, 2_000];

interface Target {
  Arn: string;
  RoleArn: string;
  Input?: string;
  [key: string]: unknown;
}

interface StoredSchedule {
  Arn: string;
  Name: string;
  GroupName: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  StartDate?: number;
  EndDate?: number;
  Description?: string;
  State: 'ENABLED' | 'DISABLED';
  KmsKeyArn?: string;
  Target: Target;
  FlexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  ActionAfterCompletion: 'NONE' | 'DELETE';
  CreationDate: number;
  LastModificationDate: number;
  /** Epoch ms at which an `at()` schedule is due; undefined for rate/cron (never fired here). */
  dueAt?: number;
  /** Set once the one-time schedule has fired; an UpdateSchedule clears it (a new definition). */
  fired: boolean;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const validation = (message: string) => new ApiError(400, 'ValidationException', message);

export async function startSchedulerEmulator(options: {
  host: string;
  port: number;
  invoke: ScheduleTargetInvoker;
  /** How often due schedules are checked; default 200 ms, so timers fire within 1 s of their time. */
  tickMs?: number;
  /**
   * The function's on-failure destination: what becomes of an event whose every asynchronous
   * attempt failed (Lambda hands it over as `{ requestPayload, … }`). Dropped when absent.
   */
  onFailure?: (targetArn: string, record: { requestPayload: unknown; responseContext: { functionError: string } }) => Promise<void>;
}): Promise<RunningScheduler> {
  const schedules = new Map<string, StoredSchedule>();
  const callCounts: Record<string, number> = {};
  /** Keys whose fire (including retries) is still running: the same schedule never fires twice at once. */
  const inFlight = new Set<string>();
  /** Waits before a retry; stopFiring() ends them at once (the fire then sees `closed`). */
  const retryWaits = new Map<NodeJS.Timeout, () => void>();
  const firing = new Set<Promise<void>>();
  let fireCount = 0;
  let closed = false;

  const keyOf = (group: string, name: string) => `${group}/${name}`;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error(`[local-scheduler] ${req.method} ${req.url?.split('?')[0]}: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendError(res, new ApiError(500, 'InternalServerException', 'Internal server error'));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await readBody(req, MAX_BODY_BYTES);

    if (url.pathname === '/__tide/stats' && method === 'GET') {
      return sendJson(res, 200, { calls: { ...callCounts }, fires: fireCount, schedules: schedules.size });
    }

    const segments = url.pathname.split('/').slice(1);
    let operation: string | undefined;
    if (segments[0] === 'schedules' && segments.length === 1 && method === 'GET') operation = 'ListSchedules';
    else if (segments[0] === 'schedules' && segments.length === 2) {
      operation = { POST: 'CreateSchedule', PUT: 'UpdateSchedule', DELETE: 'DeleteSchedule', GET: 'GetSchedule' }[method];
    }
    if (!operation) {
      return sendError(res, new ApiError(404, 'UnknownOperationException', `No operation for ${method} ${url.pathname}`));
    }
    callCounts[operation] = (callCounts[operation] ?? 0) + 1;

    try {
      if (body === 'too_large') throw validation(`Request body exceeds ${MAX_BODY_BYTES} bytes`);
      const region = regionOf(req);
      if (operation === 'ListSchedules') return sendJson(res, 200, list(url.searchParams), requestId());

      let name: string;
      try {
        name = decodeURIComponent(segments[1]!);
      } catch {
        throw validation('Name is not correctly encoded');
      }
      checkName('Name', name);

      switch (operation) {
        case 'CreateSchedule':
        case 'UpdateSchedule': {
          const input = parseJsonObject(body);
          const group = input.GroupName === undefined ? 'default' : input.GroupName;
          if (typeof group !== 'string') throw validation('GroupName must be a string');
          checkName('GroupName', group);
          const key = keyOf(group, name);
          const existing = schedules.get(key);
          if (operation === 'CreateSchedule' && existing) {
            throw new ApiError(409, 'ConflictException', `Schedule ${name} already exists.`);
          }
          if (operation === 'UpdateSchedule' && !existing) throw notFound(name);
          const now = Date.now() / 1000;
          const arn = `arn:aws:scheduler:${region}:${ACCOUNT_ID}:schedule/${group}/${name}`;
          schedules.set(key, {
            ...validateDefinition(input),
            Arn: arn,
            Name: name,
            GroupName: group,
            CreationDate: existing?.CreationDate ?? now,
            LastModificationDate: now,
            fired: false,
          });
          return sendJson(res, 200, { ScheduleArn: arn }, requestId());
        }
        case 'DeleteSchedule':
        case 'GetSchedule': {
          const group = url.searchParams.get('groupName') ?? 'default';
          checkName('GroupName', group);
          const key = keyOf(group, name);
          const schedule = schedules.get(key);
          if (!schedule) throw notFound(name);
          if (operation === 'DeleteSchedule') {
            schedules.delete(key);
            return sendJson(res, 200, {}, requestId());
          }
          return sendJson(res, 200, toWire(schedule), requestId());
        }
      }
    } catch (error) {
      if (error instanceof ApiError) return sendError(res, error);
      throw error;
    }
  }

  function list(query: URLSearchParams): unknown {
    const group = query.get('ScheduleGroup');
    const prefix = query.get('NamePrefix');
    const state = query.get('State');
    const maxResults = query.has('MaxResults') ? Number(query.get('MaxResults')) : 100;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) throw validation('MaxResults must be 1-100');
    if (state !== null && state !== 'ENABLED' && state !== 'DISABLED') throw validation('State must be ENABLED or DISABLED');
    const start = query.has('NextToken') ? Number(Buffer.from(query.get('NextToken')!, 'base64url').toString()) : 0;
    if (!Number.isInteger(start) || start < 0) throw validation('Invalid NextToken');
    const matching = [...schedules.values()]
      .filter((s) => (group === null || s.GroupName === group) && (prefix === null || s.Name.startsWith(prefix)))
      .filter((s) => state === null || s.State === state)
      .sort((a, b) => (a.Arn < b.Arn ? -1 : a.Arn > b.Arn ? 1 : 0));
    const page = matching.slice(start, start + maxResults);
    const next = start + maxResults < matching.length ? Buffer.from(String(start + maxResults)).toString('base64url') : undefined;
    return {
      Schedules: page.map((s) => ({
        Arn: s.Arn,
        Name: s.Name,
        GroupName: s.GroupName,
        State: s.State,
        CreationDate: s.CreationDate,
        LastModificationDate: s.LastModificationDate,
        Target: { Arn: s.Target.Arn },
      })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  function tick(): void {
    const now = Date.now();
    for (const [key, schedule] of schedules) {
      if (schedule.fired || schedule.dueAt === undefined || schedule.dueAt > now) continue;
      if (schedule.State !== 'ENABLED' || inFlight.has(key)) continue;
      schedule.fired = true;
      // The async invoke is accepted at once, so the invocation is "complete" for Scheduler now.
      if (schedule.ActionAfterCompletion === 'DELETE') schedules.delete(key);
      inFlight.add(key);
      const fired: Promise<void> = fire(schedule).finally(() => {
        inFlight.delete(key);
        firing.delete(fired);
      });
      firing.add(fired);
    }
  }

  async function fire(schedule: StoredSchedule): Promise<void> {
    for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt++) {
      if (closed) return; // stopping: no retry is waited for
      if (attempt > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            retryWaits.delete(timer);
            resolve();
          }, RETRY_DELAYS_MS[attempt - 1]);
          timer.unref();
          retryWaits.set(timer, resolve);
        });
      }
      if (closed) return; // close() abandons pending fires
      let event: unknown;
      try {
        event = JSON.parse(contextAttributes(schedule, attempt + 1, schedule.Target.Input ?? '{}'));
      } catch {
        console.error(`[local-scheduler] ${schedule.Arn}: Target.Input is not valid JSON; event dropped`);
        return;
      }
      fireCount++;
      try {
        await options.invoke(schedule.Target.Arn, event);
        return;
      } catch (error) {
        const reason = error instanceof Error ? error.name : typeof error;
        const final = attempt === RETRY_DELAYS_MS.length;
        // No payload contents: the event may carry customer data.
        console.error(
          `[local-scheduler] ${schedule.Arn}: invocation attempt ${attempt + 1} of ${schedule.Target.Arn} failed (${reason})` +
            (final ? (options.onFailure ? '; sent to the on-failure destination' : '; event dropped') : '; retrying'),
        );
        if (final && options.onFailure) {
          await options.onFailure(schedule.Target.Arn, { requestPayload: event, responseContext: { functionError: reason } }).catch((e: unknown) =>
            console.error(`[local-scheduler] on-failure destination refused the event (${(e as Error).name})`),
          );
        }
      }
    }
  }

  const timer = setInterval(tick, options.tickMs ?? 200);
  timer.unref();

  let stopping: Promise<void> | undefined;
  const stopFiring = () =>
    (stopping ??= (async () => {
      closed = true;
      clearInterval(timer);
      for (const [t, resolve] of retryWaits) {
        clearTimeout(t);
        resolve();
      }
      retryWaits.clear();
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...firing]), new Promise((resolve) => (wait = setTimeout(resolve, FIRE_WAIT_MS)))]);
      clearTimeout(wait);
    })());

  const running = await listen(server, options.host, options.port, stopFiring);
  return {
    url: running.url,
    port: running.port,
    calls: () => ({ ...callCounts }),
    fires: () => fireCount,
    size: () => schedules.size,
    stopFiring,
    close: running.close,
  };
}

/** The fields common to Create and Update (Update is a full replace), validated as AWS does. */
function validateDefinition(input: Record<string, unknown>) {
  const expression = input.ScheduleExpression;
  if (typeof expression !== 'string' || expression.length < 1 || expression.length > 256) {
    throw validation('ScheduleExpression is required (1-256 characters)');
  }
  const timezone = optionalString(input, 'ScheduleExpressionTimezone');
  if (timezone !== undefined && !isTimeZone(timezone)) throw validation(`Invalid ScheduleExpressionTimezone: ${timezone}`);

  let dueAt: number | undefined;
  const at = AT_PATTERN.exec(expression);
  if (at) {
    dueAt = wallClockToEpochMs(at.slice(1).map(Number), timezone ?? 'UTC');
    if (dueAt === undefined) throw validation(`Invalid at() expression: ${expression}`);
  } else if (!/^rate\(.+\)$/.test(expression) && !/^cron\(.+\)$/.test(expression)) {
    // rate() and cron() are stored like AWS would, but this emulator never fires them.
    throw validation(`Invalid Schedule Expression ${expression}.`);
  }

  const window = input.FlexibleTimeWindow;
  if (!isObject(window)) throw validation('FlexibleTimeWindow is required');
  const maxWindow = window.MaximumWindowInMinutes;
  // With OFF, a stray MaximumWindowInMinutes is kept but ignored (AWS's reaction is unverified).
  if (window.Mode === 'OFF') {
    // nothing to check
  } else if (window.Mode === 'FLEXIBLE') {
    if (typeof maxWindow !== 'number' || !Number.isInteger(maxWindow) || maxWindow < 1 || maxWindow > 1440) {
      throw validation('MaximumWindowInMinutes must be 1-1440 when Mode is FLEXIBLE');
    }
  } else {
    throw validation('FlexibleTimeWindow.Mode must be OFF or FLEXIBLE');
  }

  const target = input.Target;
  if (!isObject(target)) throw validation('Target is required');
  for (const field of ['Arn', 'RoleArn'] as const) {
    const value = target[field];
    if (typeof value !== 'string' || value.length < 1 || value.length > 1600) throw validation(`Target.${field} is required`);
  }
  if (target.Input !== undefined && (typeof target.Input !== 'string' || target.Input.length < 1)) {
    throw validation('Target.Input must be a non-empty string');
  }

  const state = input.State ?? 'ENABLED';
  if (state !== 'ENABLED' && state !== 'DISABLED') throw validation('State must be ENABLED or DISABLED');
  const after = input.ActionAfterCompletion ?? 'NONE';
  if (after !== 'NONE' && after !== 'DELETE') throw validation('ActionAfterCompletion must be NONE or DELETE');
  const description = optionalString(input, 'Description');
  if (description !== undefined && description.length > 512) throw validation('Description exceeds 512 characters');

  return {
    ScheduleExpression: expression,
    ...(timezone !== undefined ? { ScheduleExpressionTimezone: timezone } : {}),
    ...optionalNumber(input, 'StartDate'),
    ...optionalNumber(input, 'EndDate'),
    ...(description !== undefined ? { Description: description } : {}),
    ...(input.KmsKeyArn !== undefined ? { KmsKeyArn: optionalString(input, 'KmsKeyArn') } : {}),
    State: state,
    Target: structuredClone(target) as Target,
    FlexibleTimeWindow: { Mode: window.Mode, ...(maxWindow !== undefined ? { MaximumWindowInMinutes: maxWindow } : {}) },
    ActionAfterCompletion: after,
    dueAt,
  } as Omit<StoredSchedule, 'Arn' | 'Name' | 'GroupName' | 'CreationDate' | 'LastModificationDate' | 'fired'>;
}

/** GetSchedule's output: the stored definition without the emulator's bookkeeping. */
function toWire(schedule: StoredSchedule): Record<string, unknown> {
  const { dueAt: _dueAt, fired: _fired, ...wire } = schedule;
  return wire;
}

/** Scheduler's context attributes, substituted into a templated target's Input before delivery. */
function contextAttributes(schedule: StoredSchedule, attempt: number, input: string): string {
  const scheduled = new Date(schedule.dueAt ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return input
    .replaceAll('<aws.scheduler.schedule-arn>', schedule.Arn)
    .replaceAll('<aws.scheduler.scheduled-time>', scheduled)
    .replaceAll('<aws.scheduler.execution-id>', randomUUID())
    .replaceAll('<aws.scheduler.attempt-number>', String(attempt));
}

/** Converts a wall-clock time in `timeZone` to epoch ms; undefined if the fields are not a real date. */
function wallClockToEpochMs(fields: number[], timeZone: string): number | undefined {
  const [year, month, day, hour, minute, second] = fields as [number, number, number, number, number, number];
  const naive = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(naive);
  if (
    check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day ||
    check.getUTCHours() !== hour || check.getUTCMinutes() !== minute || check.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  if (timeZone === 'UTC') return naive;
  // Shift by the zone's offset, then once more in case the first guess crossed a DST change.
  let guess = naive - offsetMs(naive, timeZone);
  guess = naive - offsetMs(guess, timeZone);
  return guess;
}

function offsetMs(epochMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(epochMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(epochMs / 1000) * 1000;
}

/** Zones already checked: building a DateTimeFormat costs more than the rest of a CreateSchedule. */
const knownZones = new Map<string, boolean>();

function isTimeZone(zone: string): boolean {
  let known = knownZones.get(zone);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      known = zone.length >= 1 && zone.length <= 50;
    } catch {
      known = false;
    }
    knownZones.set(zone, known);
  }
  return known;
}

function checkName(field: string, value: string): void {
  if (!NAME_PATTERN.test(value)) {
    throw validation(`${field} '${value.slice(0, 80)}' must be 1-64 characters matching [0-9a-zA-Z-_.]+`);
  }
}

function notFound(name: string): ApiError {
  return new ApiError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
}

function parseJsonObject(body: Buffer | 'too_large'): Record<string, unknown> {
  if (body === 'too_large') throw validation('Request body too large');
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw validation('Request body is not valid JSON');
  }
  if (!isObject(parsed)) throw validation('Request body must be a JSON object');
  return parsed;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(input: Record<string, unknown>, field: string): string | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw validation(`${field} must be a string`);
  return value;
}

function optionalNumber(input: Record<string, unknown>, field: string): Record<string, number> {
  const value = input[field];
  if (value === undefined) return {};
  if (typeof value !== 'number' || !Number.isFinite(value)) throw validation(`${field} must be a timestamp`);
  return { [field]: value };
}

/** The region from the SigV4 credential scope (`Credential=AKID/date/region/scheduler/aws4_request`). */
function regionOf(req: IncomingMessage): string {
  const match = /Credential=[^/,]+\/\d{8}\/([^/,]+)\//.exec(req.headers.authorization ?? '');
  return match?.[1] ?? DEFAULT_REGION;
}

function requestId(): Record<string, string> {
  return { 'x-amzn-requestid': randomUUID() };
}

function sendError(res: ServerResponse, error: ApiError): void {
  sendJson(res, error.status, { Message: error.message }, { ...requestId(), 'x-amzn-errortype': error.type });
}
