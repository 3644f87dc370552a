import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { getAgent, upsertAgentProfile } from '../../shared/agent/agent-store.js';
import type { TideConfig } from '../../shared/config/schema.js';
import { httpRoutes, jobQueues, scheduledHandlers, streamConsumers, timerFailuresQueue, webSocketRoutes, type HandlerName } from '../../shared/contract/routes.js';
import { json } from '../../shared/contract/http-responses.js';
import { channelSecretFields } from '../../shared/channels/secrets.js';
import { attributeTo, difference, snapshot } from '../../shared/storage/capacity-meter.js';
import { createDocumentClient, decorateNewClients } from '../../shared/storage/document-client.js';
import { decorateNewSdkClients } from '../../shared/runtime/client-config.js';
import { FaultInjector, type FaultPlan } from './fault-injection.js';
import { tableNamesFromEnv } from '../../shared/storage/tables.js';
import { environment } from '../../shared/runtime/environment.js';
import { createDevTokenIssuer, isRole } from './dev-tokens.js';
import { createTables, localCredentials, localRegion, startDynamoDbLocal, type RunningDynamoDb } from './dynamodb.js';
import { assertPortFree, freePort, listenOn } from './free-port.js';
import { installIndexLag, type IndexLagOptions } from './index-lag.js';
import { startQueuePoller } from './queue-poller.js';
import { startSqsEmulator } from './sqs-emulator.js';
import { startStreamPoller } from './stream-poller.js';
import { startHttpGateway, type HttpGatewayRoute } from './http-gateway.js';
import { consoleRoutes } from './console-routes.js';
import { customerInbox } from './customer-inbox.js';
import { startManagementApi } from './management-api.js';
import { startSchedulerEmulator } from './scheduler-emulator.js';
import { startSecretsEmulator } from './secrets-emulator.js';
import { startWebSocketGateway, type WebSocketEvent } from './websocket-gateway.js';

export interface LocalStackOptions {
  config: TideConfig;
  host?: string;
  httpPort?: number;
  wsPort?: number;
  managementPort?: number;
  schedulerPort?: number;
  secretsPort?: number;
  sqsPort?: number;
  /** Emulate DynamoDB's GSI lag (DynamoDB Local has none): index queries see writes only after this. */
  indexLag?: IndexLagOptions;
  /** Inject AWS's bad days into every SDK client the handlers create (infra/local/fault-injection.ts). */
  faults?: FaultPlan;
  /** Reuse a running DynamoDB (tests share one); otherwise DynamoDB Local is started. */
  dynamodbEndpoint?: string;
  dynamodbPort?: number;
  /** How often the safety-net sweep runs; AWS runs it every minute. */
  sweepIntervalSeconds?: number;
}

/** The ports the stack listens on, by option; a clash names the option (PortInUseError.setting). */
export type StackPort = 'httpPort' | 'wsPort' | 'managementPort' | 'schedulerPort' | 'secretsPort' | 'sqsPort' | 'dynamodbPort';

export interface LocalStack {
  httpUrl: string;
  wsUrl: string;
  /**
   * Stops everything, in order: the gateways (HTTP, then WebSocket: the agents' sockets close and
   * their $disconnect handlers run), the handlers' sources (sweep, timer fires, stream and queue
   * pollers, each finishing what it has in hand), the emulated AWS services (@connections, SQS,
   * Scheduler, Secrets Manager), and DynamoDB Local last. Every call returns the same promise.
   */
  stop(): Promise<void>;
}

type LambdaHandler = (event: unknown) => Promise<unknown>;

/**
 * The whole of Tide on one machine (DESIGN §3): DynamoDB Local with tables from the same
 * definitions as the CDK stack, the HTTP and WebSocket gateways and the `@connections` API as
 * HTTP emulations, and the unchanged Lambda handlers, configured through the same environment
 * variables the CDK stack sets.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const shutdown = new ShutdownOrder();
  try {
    // A clash on a chosen port is found now, before DynamoDB Local has spent seconds starting.
    const httpPort = options.httpPort ?? 3000;
    const wsPort = options.wsPort ?? 3001;
    const chosen: Partial<Record<StackPort, number>> = { ...options, httpPort, wsPort };
    for (const setting of ['httpPort', 'wsPort', 'managementPort', 'schedulerPort', 'secretsPort', 'sqsPort'] as const) {
      const port = chosen[setting];
      if (port) await assertPortFree(setting, host, port);
    }

    let dynamodb: RunningDynamoDb | undefined;
    let endpoint = options.dynamodbEndpoint;
    if (!endpoint) {
      dynamodb = await startDynamoDbLocal({ host, port: options.dynamodbPort });
      shutdown.add('storage', () => dynamodb!.stop());
      endpoint = dynamodb.endpoint;
    }
    // Before any handler loads: handlers build their DynamoDB clients when their module loads.
    if (options.indexLag) decorateNewClients((client) => installIndexLag(client, options.indexLag));
    const faults = options.faults ? new FaultInjector(options.faults) : undefined;
    if (faults) decorateNewSdkClients(faults.decorate);
    const tableEnv = await createTables(endpoint, `tide-${randomBytes(4).toString('hex')}-`);

    const managementPort = options.managementPort ?? (await freePort(host));
    const schedulerPort = options.schedulerPort ?? (await freePort(host));
    const timerTargetArn = `arn:aws:lambda:${localRegion}:000000000000:function:tide-${scheduledHandlers.timer.handler}`;
    const tokens = await createDevTokenIssuer();
    // Channel secrets go through Secrets Manager as in AWS: a literal secret in the local config
    // is put into the emulator, and the handlers get its id instead of the value.
    const secretsPort = options.secretsPort ?? (await freePort(host));
    // The customer page's inbox (infra/local/customer-inbox.ts): without an outboundUrl, generic
    // replies are delivered to it. Decided here, before the config reaches the handlers.
    const inbox = customerInbox(options.config, { baseUrl: `http://${loopbackHost(host)}:${httpPort}` });
    const { handlerConfig, stored } = secretsThroughManager(inbox?.config ?? options.config);
    const secrets = await listenOn('secretsPort', host, secretsPort, () => startSecretsEmulator({ host, port: secretsPort, secrets: stored }));
    shutdown.add('services', () => secrets.close());
    // Outbound messages wait in an SQS queue for delivery, as in AWS, and routing rechecks wait
    // out their delay in another; poison jobs end in each one's dead-letter queue.
    const sqsPort = options.sqsPort ?? (await freePort(host));
    const sqs = await listenOn('sqsPort', host, sqsPort, () => startSqsEmulator({
      host,
      port: sqsPort,
      queues: [{ name: timerFailuresQueue }, ...jobQueues.flatMap((q) => [
        { name: `${q.id}-dlq` },
        { name: q.id, visibilityTimeoutSeconds: q.visibilityTimeoutSeconds, redrive: { deadLetterQueueName: `${q.id}-dlq`, maxReceiveCount: q.maxReceiveCount ?? 5 } },
      ])],
    }));
    shutdown.add('services', () => sqs.close());
    Object.assign(process.env, {
      ...tableEnv,
      AWS_REGION: localRegion,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      [environment.dynamodbEndpoint]: endpoint,
      [environment.config]: JSON.stringify(handlerConfig),
      [environment.secretsEndpoint]: `http://${host}:${secretsPort}`,
      [environment.sqsEndpoint]: sqs.url,
      ...Object.fromEntries(jobQueues.map((q) => [q.envVar, sqs.queueUrl(q.id)])),
      [environment.timerDeadLetterUrl]: sqs.queueUrl(timerFailuresQueue),
      [environment.managementEndpoint]: `http://${host}:${managementPort}`,
      [environment.jwksUrl]: `http://${host}:${httpPort}/.well-known/jwks.json`,
      [environment.tokenIssuer]: tokens.issuer,
      [environment.tokenAudience]: tokens.audience,
      [environment.schedulerEndpoint]: `http://${host}:${schedulerPort}`,
      [environment.timerGroup]: 'tide-timers',
      [environment.timerTargetArn]: timerTargetArn,
      [environment.timerRoleArn]: 'arn:aws:iam::000000000000:role/tide-scheduler',
    });

    // Handlers read the environment when their module loads, as in a Lambda cold start. Each
    // invocation runs in its handler's async context, so the benchmark's capacity meter can say
    // which handler spent what.
    const metering = process.env.TIDE_METER_CAPACITY === '1';
    const invocation = new AsyncLocalStorage<HandlerName>();
    if (metering) attributeTo(() => invocation.getStore());
    const load = async (name: HandlerName): Promise<LambdaHandler> => {
      const { handler } = (await import(`../../functions/${name}.js`)) as { handler: LambdaHandler };
      // Only the benchmark needs to know (async context costs CPU on every promise).
      return metering ? (event) => invocation.run(name, () => handler(event)) : handler;
    };

    const db = createDocumentClient();
    const tables = tableNamesFromEnv();
    for (const agent of options.config.agents) await upsertAgentProfile({ db, tables }, agent);
    const baseline = snapshot();

    const actions = await load(webSocketRoutes.actions);
    const ws = await listenOn('wsPort', host, wsPort, async () => startWebSocketGateway({
      host,
      port: wsPort,
      authorize: (await load(webSocketRoutes.authorizer)) as never,
      routes: {
        $connect: (await load(webSocketRoutes.connect)) as (e: WebSocketEvent) => Promise<unknown>,
        $disconnect: (await load(webSocketRoutes.disconnect)) as (e: WebSocketEvent) => Promise<unknown>,
        ...Object.fromEntries(webSocketRoutes.actionRouteKeys.map((key) => [key, actions])),
      },
    }));
    shutdown.add('gateways', () => ws.close());
    const management = await listenOn('managementPort', host, managementPort, () => startManagementApi({ host, port: managementPort, gateway: ws }));
    // The @connections API is a service the handlers call: it stays up while they finish (posts to
    // the closed sockets answer 410 Gone, as in AWS).
    shutdown.add('services', () => management.close());

    const timerFired = await load(scheduledHandlers.timer.handler);
    const failedTimersClient = new SQSClient({ endpoint: sqs.url, region: localRegion, credentials: localCredentials });
    shutdown.add('services', async () => failedTimersClient.destroy());
    const scheduler = await listenOn('schedulerPort', host, schedulerPort, () => startSchedulerEmulator({
      host,
      port: schedulerPort,
      invoke: async (arn, input) => {
        if (arn !== timerTargetArn) throw new Error(`no local function for ${arn}`);
        await timerFired(input);
      },
      // As the function's on-failure destination in AWS: the sweep redrives what lands here.
      onFailure: async (_arn, record) => {
        await failedTimersClient.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl(timerFailuresQueue), MessageBody: JSON.stringify(record) }));
      },
    }));
    // Fires end with the handlers; the Scheduler API stays up for the handlers still finishing.
    shutdown.add('handlers', () => scheduler.stopFiring());
    shutdown.add('services', () => scheduler.close());

    // What Lambda's event source mappings do in AWS: every stream consumer reads its tables'
    // streams, the delivery function reads the delivery queue.
    const streamPollers: Array<{ name: string; stats: () => object }> = [];
    for (const consumer of streamConsumers) {
      const handler = await load(consumer.handler);
      for (const table of consumer.tables) {
        const poller = await startStreamPoller({
          endpoint,
          tableName: tableEnv[table.envVar]!,
          handler: handler as never,
          batchSize: consumer.batchSize,
          // Routing and pushes are what agents wait for; timers and deliveries can wait a little.
          // An idle stream is polled less and less often (AWS polls each shard 4 times a second).
          idlePollMs: consumer.handler === 'work-changes' ? 10 : 50,
          maxIdlePollMs: consumer.handler === 'work-changes' ? 160 : 500,
          // A short batching window: what arrives meanwhile comes as one batch (one routing pass
          // per queue, one push per agent); Lambda itself polls a shard four times a second.
          busyPollMs: consumer.handler === 'work-changes' ? 25 : 100,
          onError: (error) => console.error(`${consumer.handler}: ${(error as Error).name}: ${(error as Error).message}`),
        });
        shutdown.add('handlers', () => poller.stop());
        streamPollers.push({ name: `${consumer.handler}:${table.id}`, stats: () => poller.stats() });
      }
    }
    for (const queue of jobQueues) {
      if (!queue.consumer) continue;
      const poller = await startQueuePoller({
        endpoint: sqs.url,
        queueUrl: sqs.queueUrl(queue.id),
        handler: (await load(queue.consumer)) as never,
        batchSize: queue.batchSize,
        concurrency: 2,
        // Long polls return as soon as a job arrives; a long wait costs nothing but idle requests.
        waitTimeSeconds: 5,
      });
      shutdown.add('handlers', () => poller.stop());
    }

    const sweep = await load(scheduledHandlers.sweep.handler);
    let sweeping: Promise<void> | undefined;
    const timer = setInterval(() => {
      sweeping ??= sweep({})
        .then(() => undefined, (error: Error) => console.error('sweep failed:', error.name))
        .finally(() => (sweeping = undefined));
    }, (options.sweepIntervalSeconds ?? 30) * 1000);
    shutdown.add('handlers', async () => {
      clearInterval(timer);
      await sweeping;
    });

    const local = (method: HttpGatewayRoute['method'], path: string, invoke: (e: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>) =>
      ({ method, path, invoke }) satisfies HttpGatewayRoute;
    const routes: HttpGatewayRoute[] = [
      ...(await Promise.all(
        httpRoutes.map(async (r) => ({ method: r.method, path: r.path, invoke: (await load(r.handler)) as never })),
      )),
      // The agent console, the supervisor view and their config (built here, in memory).
      ...(await consoleRoutes({ wsUrl: ws.url, deps: { db, tables }, queues: Object.keys(options.config.queues) })),
      ...(inbox?.routes ?? []),
      // Started last: once this answers, tables, agents, timers and gateways are all ready.
      local('GET', '/v1/health', async () => json(200, { status: 'ok' })),
      local('GET', '/.well-known/jwks.json', async () => json(200, tokens.jwks)),
      // For the benchmark: what the stack spent (DynamoDB capacity with TIDE_METER_CAPACITY=1).
      local('GET', '/dev/stats', async () =>
        json(200, {
          dynamodb: difference(snapshot(), baseline),
          sqs: sqs.calls(),
          scheduler: scheduler.calls(),
          fires: scheduler.fires(),
          streams: Object.fromEntries(streamPollers.map((p) => [p.name, p.stats()])),
          // Faults injected so far, by kind (TIDE_FAULTS), when on.
          ...(faults ? { faults: { ...faults.counts } } : {}),
        }),
      ),
      local('POST', '/dev/token', async (event) => {
        let body: { agentId?: unknown; role?: unknown };
        try {
          // `curl -d` sends a form content type, which the gateway base64-encodes as API Gateway does.
          const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
          body = JSON.parse(raw) as typeof body;
        } catch {
          return json(400, { error: { code: 'invalid_request', message: 'the body is not JSON' } });
        }
        const role = body.role ?? 'agent';
        if (typeof body.agentId !== 'string' || !body.agentId || body.agentId.length > 128 || !isRole(role)) {
          return json(400, { error: { code: 'invalid_request', message: 'agentId and role (agent|supervisor|admin)' } });
        }
        // Supervisors and admins need no agent profile (DESIGN §4b): any id gets their token.
        if (role === 'agent' && !(await getAgent({ db, tables }, body.agentId))) {
          return json(404, { error: { code: 'not_found', message: `agent ${body.agentId} does not exist` } });
        }
        return json(200, { token: await tokens.issue(body.agentId, role) });
      }),
    ];
    const http = await listenOn('httpPort', host, httpPort, () => startHttpGateway({ host, port: httpPort, routes }));
    // First of the gateways: nothing new comes in while the rest stops.
    shutdown.add('gateways', () => http.close(), { first: true });
    return { httpUrl: http.url, wsUrl: ws.url, stop: () => shutdown.run() };
  } catch (error) {
    await shutdown.run();
    throw error;
  }
}

type ShutdownPhase = 'gateways' | 'handlers' | 'services' | 'storage';

/**
 * The order the stack stops in, by phase: what a phase stops is used by the phases before it, so
 * nothing is stopped while something still calls it (the handlers finishing write to DynamoDB; a
 * gateway's $disconnect runs a handler). Within a phase, gateways stop one by one in the order
 * added; handlers and services stop together.
 */
class ShutdownOrder {
  readonly #phases: Record<ShutdownPhase, Array<() => Promise<void>>> = { gateways: [], handlers: [], services: [], storage: [] };
  #running: Promise<void> | undefined;

  add(phase: ShutdownPhase, stop: () => Promise<void>, options: { first?: boolean } = {}): void {
    if (options.first) this.#phases[phase].unshift(stop);
    else this.#phases[phase].push(stop);
  }

  run(): Promise<void> {
    return (this.#running ??= (async () => {
      // A step that fails must not keep the later ones (DynamoDB Local above all) running.
      const attempt = (stop: () => Promise<void>) => stop().catch((error: unknown) => console.error(`local stack: stopping failed: ${(error as Error).message}`));
      for (const stop of this.#phases.gateways) await attempt(stop);
      await Promise.all(this.#phases.handlers.map(attempt));
      await Promise.all(this.#phases.services.map(attempt));
      for (const stop of this.#phases.storage) await attempt(stop);
    })());
  }
}

/** An address this machine can reach the stack at, also when it listens on every interface. */
function loopbackHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** The config with every literal channel secret replaced by an id in the local Secrets Manager. */
function secretsThroughManager(config: TideConfig): { handlerConfig: TideConfig; stored: Record<string, string> } {
  const stored: Record<string, string> = {};
  const channels: Record<string, Record<string, unknown> | undefined> = { ...config.channels };
  for (const field of channelSecretFields) {
    const channel = channels[field.channel];
    const value = channel?.[field.literal];
    if (typeof value !== 'string') continue;
    const id = `tide/channels/${field.channel}/${field.literal}`;
    stored[id] = value;
    channels[field.channel] = { ...channel, [field.literal]: undefined, [field.secretId]: id };
  }
  return { handlerConfig: { ...config, channels: channels as TideConfig['channels'] }, stored };
}
