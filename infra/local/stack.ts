import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { getAgent, upsertAgentProfile } from '../../shared/agent/agent-store.js';
import type { TideConfig } from '../../shared/config/schema.js';
import { httpRoutes, scheduledHandlers, webSocketRoutes, type HandlerName } from '../../shared/contract/routes.js';
import { json } from '../../shared/contract/http-responses.js';
import { createDocumentClient } from '../../shared/storage/document-client.js';
import { tableNamesFromEnv } from '../../shared/storage/tables.js';
import { environment } from '../../shared/runtime/environment.js';
import { createDevTokenIssuer, isRole } from './dev-tokens.js';
import { createTables, localCredentials, localRegion, startDynamoDbLocal, type RunningDynamoDb } from './dynamodb.js';
import { freePort } from './free-port.js';
import { startHttpGateway, type HttpGatewayRoute } from './http-gateway.js';
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
  /** Reuse a running DynamoDB (tests share one); otherwise DynamoDB Local is started. */
  dynamodbEndpoint?: string;
  dynamodbPort?: number;
  /** How often the safety-net sweep runs; AWS runs it every minute. */
  sweepIntervalSeconds?: number;
}

export interface LocalStack {
  httpUrl: string;
  wsUrl: string;
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
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    let dynamodb: RunningDynamoDb | undefined;
    let endpoint = options.dynamodbEndpoint;
    if (!endpoint) {
      dynamodb = await startDynamoDbLocal({ host, port: options.dynamodbPort });
      stops.push(() => dynamodb!.stop());
      endpoint = dynamodb.endpoint;
    }
    const tableEnv = await createTables(endpoint, `tide-${randomBytes(4).toString('hex')}-`);

    const httpPort = options.httpPort ?? 3000;
    const managementPort = options.managementPort ?? (await freePort(host));
    const schedulerPort = options.schedulerPort ?? (await freePort(host));
    const timerTargetArn = `arn:aws:lambda:${localRegion}:000000000000:function:tide-${scheduledHandlers.timer.handler}`;
    const tokens = await createDevTokenIssuer();
    // The channel secret goes through Secrets Manager as in AWS: a literal secret in the local
    // config is put into the emulator, and the handlers get its id instead of the key.
    const secretsPort = options.secretsPort ?? (await freePort(host));
    const localSecretId = 'tide/channels/generic';
    const generic = options.config.channels.generic;
    const secrets = await startSecretsEmulator({
      host,
      port: secretsPort,
      secrets: generic?.secret ? { [localSecretId]: generic.secret } : {},
    });
    stops.push(() => secrets.close());
    const handlerConfig = generic?.secret
      ? { ...options.config, channels: { ...options.config.channels, generic: { ...generic, secret: undefined, secretId: localSecretId } } }
      : options.config;
    Object.assign(process.env, {
      ...tableEnv,
      AWS_REGION: localRegion,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      [environment.dynamodbEndpoint]: endpoint,
      [environment.config]: JSON.stringify(handlerConfig),
      [environment.secretsEndpoint]: `http://${host}:${secretsPort}`,
      [environment.managementEndpoint]: `http://${host}:${managementPort}`,
      [environment.jwksUrl]: `http://${host}:${httpPort}/.well-known/jwks.json`,
      [environment.tokenIssuer]: tokens.issuer,
      [environment.tokenAudience]: tokens.audience,
      [environment.schedulerEndpoint]: `http://${host}:${schedulerPort}`,
      [environment.timerGroup]: 'tide-timers',
      [environment.timerTargetArn]: timerTargetArn,
      [environment.timerRoleArn]: 'arn:aws:iam::000000000000:role/tide-scheduler',
    });

    // Handlers read the environment when their module loads, as in a Lambda cold start.
    const load = async (name: HandlerName): Promise<LambdaHandler> =>
      ((await import(`../../functions/${name}.js`)) as { handler: LambdaHandler }).handler;

    const db = createDocumentClient();
    const tables = tableNamesFromEnv();
    for (const agent of options.config.agents) await upsertAgentProfile({ db, tables }, agent);

    const actions = await load(webSocketRoutes.actions);
    const ws = await startWebSocketGateway({
      host,
      port: options.wsPort ?? 3001,
      authorize: (await load(webSocketRoutes.authorizer)) as never,
      routes: {
        $connect: (await load(webSocketRoutes.connect)) as (e: WebSocketEvent) => Promise<unknown>,
        $disconnect: (await load(webSocketRoutes.disconnect)) as (e: WebSocketEvent) => Promise<unknown>,
        ...Object.fromEntries(webSocketRoutes.actionRouteKeys.map((key) => [key, actions])),
      },
    });
    stops.push(() => ws.close());
    const management = await startManagementApi({ host, port: managementPort, gateway: ws });
    stops.push(() => management.close());

    const timerFired = await load(scheduledHandlers.timer.handler);
    const scheduler = await startSchedulerEmulator({
      host,
      port: schedulerPort,
      invoke: async (arn, input) => {
        if (arn !== timerTargetArn) throw new Error(`no local function for ${arn}`);
        await timerFired(input);
      },
    });
    stops.push(() => scheduler.close());

    const sweep = await load(scheduledHandlers.sweep.handler);
    let sweeping = false;
    const timer = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      sweep({}).catch((error: Error) => console.error('sweep failed:', error.name)).finally(() => (sweeping = false));
    }, (options.sweepIntervalSeconds ?? 30) * 1000);
    stops.push(async () => clearInterval(timer));

    const local = (method: HttpGatewayRoute['method'], path: string, invoke: (e: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>) =>
      ({ method, path, invoke }) satisfies HttpGatewayRoute;
    const http = await startHttpGateway({
      host,
      port: httpPort,
      routes: [
        ...(await Promise.all(
          httpRoutes.map(async (r) => ({ method: r.method, path: r.path, invoke: (await load(r.handler)) as never })),
        )),
        // Started last: once this answers, tables, agents, timers and gateways are all ready.
        local('GET', '/v1/health', async () => json(200, { status: 'ok' })),
        local('GET', '/.well-known/jwks.json', async () => json(200, tokens.jwks)),
        local('POST', '/dev/token', async (event) => {
          let body: { agentId?: unknown; role?: unknown };
          try {
            body = JSON.parse(event.body ?? '') as typeof body;
          } catch {
            return json(400, { error: { code: 'invalid_request', message: 'the body is not JSON' } });
          }
          const role = body.role ?? 'agent';
          if (typeof body.agentId !== 'string' || !isRole(role)) {
            return json(400, { error: { code: 'invalid_request', message: 'agentId and role (agent|supervisor|admin)' } });
          }
          if (!(await getAgent({ db, tables }, body.agentId))) {
            return json(404, { error: { code: 'not_found', message: `agent ${body.agentId} does not exist` } });
          }
          return json(200, { token: await tokens.issue(body.agentId, role) });
        }),
      ],
    });
    stops.push(() => http.close());
    return { httpUrl: http.url, wsUrl: ws.url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
