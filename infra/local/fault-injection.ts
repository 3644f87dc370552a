/**
 * Fault injection for the local stack and the tests: AWS's bad days, on purpose.
 *
 * DynamoDB Local never throttles and never conflicts, the management API emulator never fails and
 * the Scheduler emulator never refuses, so without this the retry paths of Tide never run. An
 * injector is a middleware on the SDK clients (registered for every new client with
 * `decorateNewSdkClients`); it answers a share of calls with the errors the real services give,
 * built from the SDK's own exception classes so that the SDK and Tide treat them as they would
 * the real ones:
 *
 *  - `throttle`: DynamoDB `ProvisionedThroughputExceededException` / `ThrottlingException`. The
 *    SDK retries these with its backoff, as it does DynamoDB's; a few get through to Tide.
 *  - `conflict`: a `TransactWriteItems` cancelled with `TransactionConflict` (another transaction
 *    held an item).
 *  - `ambiguous`: a write that DynamoDB applied whose answer is lost (a `TimeoutError` after the
 *    write): the SDK sends it again, and Tide must not turn its own applied write into a conflict.
 *  - `pushError`: `PostToConnection` answered 500 (the SDK retries 5xx).
 *  - `pushGone`: the connection is really ended (`DeleteConnection`, so the client sees its socket
 *    close and reconnects), then `PostToConnection` answers 410, as API Gateway does for a
 *    connection that went away while a push was on its way.
 *  - `schedulerError`: `CreateSchedule` / `DeleteSchedule` answered 500 or throttled.
 *
 * The fault is drawn inside each attempt (the `deserialize` step, inside the SDK's retry), from a
 * seeded generator, and counted by kind (`counts`), so a run can report what it survived.
 * Outbound channel faults (timeouts, 5xx) come from the fake providers, not from here.
 */
import { DeleteConnectionCommand, GoneException, ApiGatewayManagementApiServiceException } from '@aws-sdk/client-apigatewaymanagementapi';
import { ProvisionedThroughputExceededException, ThrottlingException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { InternalServerException, ThrottlingException as SchedulerThrottlingException } from '@aws-sdk/client-scheduler';
import type { SdkClient } from '../../shared/runtime/client-config.js';
// The seeded generator the simulator and the bench use.
import { mulberry32 } from '../../sim/prng.js';

/** Shares of calls (0–1) that get each fault. */
export interface FaultPlan {
  throttle?: number;
  conflict?: number;
  ambiguous?: number;
  pushError?: number;
  pushGone?: number;
  schedulerError?: number;
  /** Seed of the generator that draws the faults (default 1). */
  seed?: number;
}

export type FaultKind = Exclude<keyof FaultPlan, 'seed'>;
const kinds: readonly FaultKind[] = ['throttle', 'conflict', 'ambiguous', 'pushError', 'pushGone', 'schedulerError'];

/** The mix `TIDE_FAULTS=busy` names: a bad day, not an outage. */
export const busyDayFaults: FaultPlan = { throttle: 0.03, conflict: 0.03, ambiguous: 0.02, pushError: 0.03, pushGone: 0.005, schedulerError: 0.05 };

export class FaultPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultPlanError';
  }
}

/**
 * Parses `TIDE_FAULTS`: `kind=share` pairs separated by commas (`throttle=0.05,conflict=0.02,seed=7`),
 * optionally after `busy` (the mix above: `busy`, `busy,pushGone=0`); undefined when unset or empty.
 */
export function faultPlanFromEnv(value: string | undefined): FaultPlan | undefined {
  if (!value?.trim()) return undefined;
  const [first, ...rest] = value.split(',');
  const busy = first!.trim() === 'busy';
  const plan: FaultPlan = busy ? { ...busyDayFaults } : {};
  for (const pair of busy ? rest : [first!, ...rest]) {
    const [name, raw] = pair.split('=').map((s) => s.trim());
    const share = Number(raw);
    if (name === 'seed' && Number.isInteger(share)) plan.seed = share;
    else if (kinds.includes(name as FaultKind) && raw !== '' && share >= 0 && share <= 1) plan[name as FaultKind] = share;
    else throw new FaultPlanError(`TIDE_FAULTS: "${pair}" is not <kind>=<share 0..1> with kind one of ${kinds.join(', ')} (or seed=<integer>), after an optional leading "busy"`);
  }
  return plan;
}

const writes = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);

type Handler = (args: { input: Record<string, unknown> }) => Promise<unknown>;

export class FaultInjector {
  /** Faults injected so far, by kind. */
  readonly counts: Record<FaultKind, number> = { throttle: 0, conflict: 0, ambiguous: 0, pushError: 0, pushGone: 0, schedulerError: 0 };
  private readonly draw: () => number;

  constructor(readonly plan: FaultPlan) {
    this.draw = mulberry32((plan.seed ?? 1) >>> 0 || 1);
  }

  /** The decoration for `decorateNewSdkClients`: faults for the services this plan concerns. */
  readonly decorate = (client: SdkClient, serviceId: string): void => {
    const fault = serviceId === 'DynamoDB' ? this.dynamodb : serviceId === 'ApiGatewayManagementApi' ? this.push(client) : serviceId === 'Scheduler' ? this.scheduler : undefined;
    if (!fault) return;
    const add = client.middlewareStack.add as unknown as (middleware: unknown, options: object) => void;
    add(
      (next: Handler, context: { commandName?: string }) => (args: { input: Record<string, unknown> }) =>
        fault((context.commandName ?? '').replace(/Command$/, ''), args.input, () => next(args)),
      // Innermost (low priority in the last step): inside each of the SDK's attempts, next to the
      // wire, so the answer seen is the raw HTTP response, before it is parsed.
      { step: 'deserialize', priority: 'low', name: 'tideFaultInjection' },
    );
  };

  total(): number {
    return kinds.reduce((n, k) => n + this.counts[k], 0);
  }

  private hits(kind: FaultKind): boolean {
    const share = this.plan[kind] ?? 0;
    if (share <= 0 || this.draw() >= share) return false;
    this.counts[kind]++;
    return true;
  }

  private readonly dynamodb = async (operation: string, input: Record<string, unknown>, send: () => Promise<unknown>) => {
    const $metadata = { httpStatusCode: 400 };
    if (this.hits('throttle')) {
      throw this.counts.throttle % 2
        ? new ProvisionedThroughputExceededException({ message: 'injected: the level of configured provisioned throughput for the table was exceeded', $metadata })
        : new ThrottlingException({ message: 'injected: throughput exceeds the current capacity of your table or index', $metadata });
    }
    if (operation === 'TransactWriteItems' && this.hits('conflict')) {
      const items = (input.TransactItems as unknown[] | undefined) ?? [];
      const victim = Math.floor(this.draw() * items.length);
      throw new TransactionCanceledException({
        message: 'injected: Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]',
        $metadata,
        CancellationReasons: items.map((_, i) => (i === victim ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' } : { Code: 'None' })),
      });
    }
    if (!writes.has(operation)) return send();
    const answer = await send();
    // Only a write DynamoDB applied (HTTP 200) has an answer worth losing.
    if ((answer as { response?: { statusCode?: number } }).response?.statusCode === 200 && this.hits('ambiguous')) {
      throw Object.assign(new Error('injected: the write was applied but its answer timed out'), { name: 'TimeoutError', $metadata: {} });
    }
    return answer;
  };

  private readonly push = (client: SdkClient) => async (operation: string, input: Record<string, unknown>, send: () => Promise<unknown>) => {
    if (operation !== 'PostToConnection') return send();
    if (this.hits('pushError')) {
      throw new ApiGatewayManagementApiServiceException({ name: 'InternalServerErrorException', $fault: 'server', message: 'injected: internal server error', $metadata: { httpStatusCode: 500 } });
    }
    if (this.hits('pushGone')) {
      // Really gone, as API Gateway's 410 means: the client's socket closes and it reconnects.
      await (client as unknown as { send(command: DeleteConnectionCommand): Promise<unknown> })
        .send(new DeleteConnectionCommand({ ConnectionId: input.ConnectionId as string }))
        .catch(() => undefined);
      throw new GoneException({ message: 'injected: the connection is gone', $metadata: { httpStatusCode: 410 } });
    }
    return send();
  };

  private readonly scheduler = async (operation: string, _input: Record<string, unknown>, send: () => Promise<unknown>) => {
    if ((operation === 'CreateSchedule' || operation === 'DeleteSchedule') && this.hits('schedulerError')) {
      throw this.counts.schedulerError % 2
        ? new InternalServerException({ message: 'injected: unexpected error', Message: 'injected: unexpected error', $metadata: { httpStatusCode: 500 } })
        : new SchedulerThrottlingException({ message: 'injected: rate exceeded', Message: 'injected: rate exceeded', $metadata: { httpStatusCode: 429 } });
    }
    return send();
  };
}
