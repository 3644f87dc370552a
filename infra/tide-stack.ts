import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, ArnFormat, CfnElement, CfnOutput, CustomResource, Duration, Stack, Token, Validations, type StackProps } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct, Node } from 'constructs';
import { z } from 'zod';
import { parseConfig, type TideConfig } from '../shared/config/schema.js';
import { deploymentHandlers, httpRoutes, scheduledHandlers, webSocketRoutes, type HandlerName } from '../shared/contract/routes.js';
import { environment } from '../shared/runtime/environment.js';
import {
  agentsTable,
  connectionsTable,
  tables as tableDefinitions,
  type TableDefinition,
} from '../shared/storage/tables.js';
import { TideFunction } from './constructs/tide-function.js';
import { createTables } from './constructs/tide-tables.js';

/** The repository root (this file is `<root>/infra/tide-stack.ts`). */
export const projectRoot = fileURLToPath(new URL('..', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Settings from CDK context
// ---------------------------------------------------------------------------------------------

/** How agent JWTs are verified (DESIGN §4, "Agent tokens"). */
export interface AuthSettings {
  issuer: string;
  audience: string;
  jwksUrl: string;
  roleClaim: string;
}

export interface TideSettings {
  config: TideConfig;
  auth: AuthSettings;
  /** True when `tide:auth` was absent and the placeholders below are in use. */
  authIsPlaceholder: boolean;
  /** Context `tide:webSocketAccessLogs`; see TideStack. */
  webSocketAccessLogs: boolean;
}

/** Obviously unusable values (`.invalid` never resolves) so a forgotten `tide:auth` fails closed. */
export const placeholderAuth: AuthSettings = {
  issuer: 'https://example.invalid/',
  audience: 'tide-auth-not-configured',
  jwksUrl: 'https://example.invalid/.well-known/jwks.json',
  roleClaim: 'role',
};

const authContextSchema = z.strictObject({
  issuer: z.string().min(1),
  audience: z.string().min(1),
  jwksUrl: z.url({ protocol: /^https$/ }),
  roleClaim: z.string().min(1).default('role'),
});

/** Values given with `cdk -c key=value` arrive as strings; values in cdk.json as JSON. */
function jsonContext(node: Node, key: string): unknown {
  const value: unknown = node.tryGetContext(key);
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new Error(`context ${key} is not valid JSON`);
  }
}

/**
 * Reads and validates the Tide settings from CDK context:
 * - `tide:config`: the Tide configuration (DESIGN §4) as a JSON object, or
 * - `tide:configFile`: the path of a JSON file holding it (relative to the working directory);
 * - `tide:auth`: `{ issuer, audience, jwksUrl, roleClaim? }` for agent JWTs;
 * - `tide:webSocketAccessLogs`: `true` to turn on WebSocket access logs.
 * Throws on an invalid configuration, so a bad config never reaches a deployment.
 */
export function tideSettingsFromContext(scope: Construct): TideSettings {
  const node = scope.node;
  const inline = jsonContext(node, 'tide:config');
  const file: unknown = node.tryGetContext('tide:configFile');
  if (inline !== undefined && file !== undefined) {
    throw new Error('set either context tide:config or tide:configFile, not both');
  }
  let input: unknown = inline;
  if (file !== undefined) {
    if (typeof file !== 'string' || file === '') throw new Error('context tide:configFile must be a file path');
    const text = readFileSync(path.resolve(file), 'utf8');
    try {
      input = JSON.parse(text);
    } catch {
      throw new Error(`tide:configFile ${file} is not valid JSON`);
    }
  }
  const config = parseConfig(input);

  const authInput = jsonContext(node, 'tide:auth');
  let auth = placeholderAuth;
  if (authInput !== undefined) {
    const parsed = authContextSchema.safeParse(authInput);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw new Error(`invalid context tide:auth:\n  ${problems.join('\n  ')}`);
    }
    auth = parsed.data;
  }

  const accessLogs: unknown = node.tryGetContext('tide:webSocketAccessLogs');
  return {
    config,
    auth,
    authIsPlaceholder: authInput === undefined,
    webSocketAccessLogs: accessLogs === true || accessLogs === 'true',
  };
}

// ---------------------------------------------------------------------------------------------
// The stack
// ---------------------------------------------------------------------------------------------

export interface TideStackProps extends StackProps {
  /** @default - read from CDK context with `tideSettingsFromContext` */
  settings?: TideSettings;
}

/** Every handler of the contract (shared/contract/routes.ts); each becomes one function. */
export const handlerNames: readonly HandlerName[] = [
  ...new Set<HandlerName>([
    ...httpRoutes.map((r) => r.handler),
    webSocketRoutes.authorizer,
    webSocketRoutes.connect,
    webSocketRoutes.disconnect,
    webSocketRoutes.actions,
    ...Object.values(scheduledHandlers).map((h) => h.handler),
    ...Object.values(deploymentHandlers).map((h) => h.handler),
  ]),
];

/** Handlers that route, reply and close: they read and write every table. */
export const routingHandlers: readonly HandlerName[] = [
  ...new Set<HandlerName>([
    ...httpRoutes.map((r) => r.handler),
    webSocketRoutes.actions,
    ...Object.values(scheduledHandlers).map((h) => h.handler),
  ]),
];

/**
 * Handlers that arm one-time timers (`deps.timers.schedule`): they get the timer settings and may
 * create schedules. test/infra checks this list against what each handler's code can reach.
 */
export const timerArmingHandlers: readonly HandlerName[] = [
  'inbound-message',
  webSocketRoutes.actions,
  webSocketRoutes.disconnect,
  scheduledHandlers.timer.handler,
];

/** Handlers that verify inbound or sign outbound generic-channel messages: they read its key. */
export const channelSigningHandlers: readonly HandlerName[] = [
  'inbound-message',
  webSocketRoutes.actions,
  scheduledHandlers.sweep.handler,
];

/** Construct ids of the functions, e.g. `inbound-message` → `InboundMessage`. */
const pascal = (name: string) => name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());

/** JSON access log line; it leaves out the query string, which carries agent tokens. */
const accessLogFormat = (fields: Record<string, string>) =>
  AccessLogFormat.custom(JSON.stringify({ requestId: '$context.requestId', ...fields }));

/**
 * Tide on AWS (DESIGN §2): DynamoDB tables, one Lambda per handler, the HTTP API for channel
 * webhooks, the WebSocket API for agents and the one-minute sweep. Environment-agnostic (no
 * `env`), so `cdk synth` needs no credentials.
 *
 * Timers are EventBridge Scheduler one-time schedules in Tide's schedule group, invoking
 * `timer-fired`; undeliverable fires end in the TimerDeadLetters queue.
 *
 * Agents listed in the configuration are written by the `seed-agents` custom resource at deploy
 * time (the same `upsertAgentProfile` the local stack uses).
 */
export class TideStack extends Stack {
  readonly functions: ReadonlyMap<HandlerName, TideFunction>;
  readonly tables: ReadonlyMap<TableDefinition, TableV2>;
  readonly httpApi: apigw.HttpApi;
  readonly webSocketApi: apigw.WebSocketApi;
  readonly webSocketStage: apigw.WebSocketStage;

  constructor(scope: Construct, id: string, props: TideStackProps = {}) {
    super(scope, id, props);
    const settings = props.settings ?? tideSettingsFromContext(this);
    if (settings.authIsPlaceholder) {
      Annotations.of(this).addWarningV2(
        'tide:auth-not-configured',
        'Context tide:auth ({ issuer, audience, jwksUrl, roleClaim? }) is not set: agent tokens are checked ' +
          `against the placeholder issuer ${placeholderAuth.issuer}, so every WebSocket connection is refused. ` +
          'Configure tide:auth before deploying.',
      );
    }

    // Tables -----------------------------------------------------------------------------------
    this.tables = createTables(this, tableDefinitions);
    const table = (def: TableDefinition): TableV2 => this.tables.get(def)!;

    // WebSocket API (created first: the functions need its management endpoint) -----------------
    this.webSocketApi = new apigw.WebSocketApi(this, 'AgentsApi', {
      apiName: `${this.stackName}-agents`,
      description: 'Tide agent connections',
      routeSelectionExpression: '$request.body.action',
    });
    const wsLogs = settings.webSocketAccessLogs
      ? new logs.LogGroup(this, 'AgentsApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH })
      : undefined;
    this.webSocketStage = new apigw.WebSocketStage(this, 'AgentsApiStage', {
      webSocketApi: this.webSocketApi,
      stageName: 'live',
      autoDeploy: true,
      accessLogSettings: wsLogs && {
        destination: new apigw.LogGroupLogDestination(wsLogs),
        format: accessLogFormat({
          ip: '$context.identity.sourceIp',
          requestTime: '$context.requestTime',
          routeKey: '$context.routeKey',
          eventType: '$context.eventType',
          status: '$context.status',
          connectionId: '$context.connectionId',
          agentId: '$context.authorizer.agentId',
          authorizerError: '$context.authorizer.error',
          integrationError: '$context.integrationErrorMessage',
        }),
      },
    });
    if (!wsLogs) {
      Validations.of(this.webSocketStage).acknowledge({
        id: 'AwsSolutions-APIG1',
        reason:
          'WebSocket access logging needs the account-wide API Gateway CloudWatch Logs role ' +
          '(AWS::ApiGateway::Account), a per-account singleton this stack must not own; without it the ' +
          'stage fails to deploy. Set context tide:webSocketAccessLogs=true in accounts that have it.',
      });
    }

    // Functions --------------------------------------------------------------------------------
    const common: Record<string, string> = {
      [environment.config]: JSON.stringify(settings.config),
      [environment.jwksUrl]: settings.auth.jwksUrl,
      [environment.tokenIssuer]: settings.auth.issuer,
      [environment.tokenAudience]: settings.auth.audience,
      [environment.tokenRoleClaim]: settings.auth.roleClaim,
    };
    for (const def of tableDefinitions) common[def.envVar] = table(def).tableName;

    // Timers: one-time EventBridge Scheduler schedules that invoke `timer-fired`. Its ARN is built
    // from a fixed name, because `timer-fired` re-arms timers and so carries its own ARN, which a
    // reference to itself cannot give.
    const timerHandler = scheduledHandlers.timer.handler;
    const timerFunctionName = `${this.stackName}-${timerHandler}`.slice(0, 64);
    const timerTargetArn = this.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: timerFunctionName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const timerGroup = new scheduler.ScheduleGroup(this, 'Timers');
    const timerDeadLetters = new sqs.Queue(this, 'TimerDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(timerDeadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue: of the timer schedules (Target.DeadLetterConfig, set at ' +
        'runtime) and of the timer-fired function (on-failure destination).',
    });
    const timerRole = new iam.Role(this, 'TimerSchedulerRole', {
      description: 'Assumed by EventBridge Scheduler to deliver Tide timers',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    });
    timerDeadLetters.grantSendMessages(timerRole);
    const timerEnvironment = {
      [environment.timerGroup]: timerGroup.scheduleGroupName,
      [environment.timerTargetArn]: timerTargetArn,
      [environment.timerRoleArn]: timerRole.roleArn,
      [environment.timerDeadLetterArn]: timerDeadLetters.queueArn,
    };

    const functions = new Map<HandlerName, TideFunction>();
    for (const name of handlerNames) {
      const isAuthorizer = name === webSocketRoutes.authorizer;
      const isScheduled = Object.values(scheduledHandlers).some((h) => h.handler === name);
      functions.set(
        name,
        new TideFunction(this, pascal(name), {
          handler: name,
          projectRoot,
          functionName: name === timerHandler ? timerFunctionName : undefined,
          memorySize: isAuthorizer ? 256 : 512,
          // Behind API Gateway: its 29 s integration limit. Scheduled work is not bound by it.
          timeout: Duration.seconds(isScheduled ? 60 : 29),
          environment: {
            ...common,
            ...(isAuthorizer ? {} : { [environment.managementEndpoint]: this.webSocketStage.callbackUrl }),
            ...(timerArmingHandlers.includes(name) ? timerEnvironment : {}),
          },
        }),
      );
    }
    this.functions = functions;
    const fn = (name: HandlerName) => functions.get(name)!.fn;

    const timerFunction = fn(timerHandler);
    timerFunction.grantInvoke(timerRole);
    Validations.of(timerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(timerFunction)}.Arn>:*]`,
      reason:
        'Added by grantInvoke: versions and aliases of the one timer-fired function (the target of every timer).',
    });
    // Scheduler invokes asynchronously: Lambda retries twice, then keeps the event here.
    timerFunction.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(timerDeadLetters),
    });

    // Least privilege. The authorizer only checks a JWT: no table, no push, no timers.
    const grant = (def: TableDefinition, name: HandlerName, access: 'read' | 'readWrite') => {
      const t = table(def);
      const target = functions.get(name)!;
      if (access === 'read') t.grantReadData(target.fn);
      else t.grantReadWriteData(target.fn);
      if (def.indexes.length > 0) {
        Validations.of(target).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(t)}.Arn>/index/*]`,
          reason:
            `Queries on the ${def.id} table's own secondary indexes (${def.indexes.map((i) => i.name).join(', ')}); ` +
            'the wildcard covers only index ARNs under that one table.',
        });
      }
    };
    for (const name of routingHandlers) {
      for (const def of tableDefinitions) grant(def, name, 'readWrite');
    }
    grant(agentsTable, webSocketRoutes.connect, 'read');
    grant(connectionsTable, webSocketRoutes.connect, 'readWrite');
    grant(agentsTable, webSocketRoutes.disconnect, 'readWrite');
    grant(connectionsTable, webSocketRoutes.disconnect, 'readWrite');

    for (const name of timerArmingHandlers) {
      const target = functions.get(name)!;
      target.fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['scheduler:CreateSchedule'],
          resources: [this.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${timerGroup.scheduleGroupName}/*` })],
        }),
      );
      target.fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [timerRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      );
      Validations.of(target).acknowledge({
        id:
          'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/' +
          `${Token.isUnresolved(timerGroup.scheduleGroupName) ? `<${this.logicalIdOf(timerGroup)}>` : timerGroup.scheduleGroupName}/*]`,
        reason:
          'Creates one-time timer schedules whose names are made at runtime (conversation or agent id plus a ' +
          "generation); only in Tide's own schedule group, and only CreateSchedule.",
      });
    }

    const stageName = this.webSocketStage.stageName;
    for (const [name, target] of functions) {
      Validations.of(target).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'Node.js 22 is the runtime Tide is built (esbuild target node22) and tested for, and is a supported ' +
          'Lambda runtime; moving to a newer one is a deliberate upgrade, not a synth-time default.',
      });
      if (name === webSocketRoutes.authorizer || name === deploymentHandlers.seedAgents.handler) continue;
      this.webSocketStage.grantManagementApiAccess(target.fn);
      Validations.of(target).acknowledge({
        id:
          'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:' +
          `<${this.logicalIdOf(this.webSocketApi)}>/${stageName}/*/@connections/*]`,
        reason:
          'Pushes to agent connections: connection ids are created at runtime, so the resource is every ' +
          `connection of this API's ${stageName} stage and nothing else.`,
      });
    }

    // WebSocket routes -------------------------------------------------------------------------
    const authorizer = new WebSocketLambdaAuthorizer('AgentTokenAuthorizer', fn(webSocketRoutes.authorizer), {
      identitySource: [`route.request.querystring.${webSocketRoutes.tokenQueryParameter}`],
    });
    this.webSocketApi.addRoute('$connect', {
      integration: new WebSocketLambdaIntegration('Connect', fn(webSocketRoutes.connect)),
      authorizer,
    });
    const afterConnect = [
      this.webSocketApi.addRoute('$disconnect', {
        integration: new WebSocketLambdaIntegration('Disconnect', fn(webSocketRoutes.disconnect)),
      }),
    ];
    const actions = new WebSocketLambdaIntegration('AgentAction', fn(webSocketRoutes.actions));
    for (const routeKey of webSocketRoutes.actionRouteKeys) {
      afterConnect.push(this.webSocketApi.addRoute(routeKey, { integration: actions }));
    }
    for (const route of afterConnect) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'WebSocket APIs authorize only at $connect (API Gateway supports no authorizer on other routes); ' +
          'this route runs on a connection the $connect authorizer already accepted, and the handler acts ' +
          'as the agent registered for that connection id.',
      });
    }

    // HTTP API ---------------------------------------------------------------------------------
    this.httpApi = new apigw.HttpApi(this, 'ChannelsApi', {
      apiName: `${this.stackName}-channels`,
      description: 'Tide channel webhooks',
      createDefaultStage: false,
    });
    const httpLogs = new logs.LogGroup(this, 'ChannelsApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const httpStage = new apigw.HttpStage(this, 'ChannelsApiStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(httpLogs),
        format: accessLogFormat({
          ip: '$context.identity.sourceIp',
          requestTime: '$context.requestTime',
          routeKey: '$context.routeKey',
          status: '$context.status',
          responseLength: '$context.responseLength',
          integrationError: '$context.integrationErrorMessage',
        }),
      },
    });
    const httpIntegrations = new Map<HandlerName, HttpLambdaIntegration>();
    for (const route of httpRoutes) {
      let integration = httpIntegrations.get(route.handler);
      if (!integration) {
        integration = new HttpLambdaIntegration(pascal(route.handler), fn(route.handler));
        httpIntegrations.set(route.handler, integration);
      }
      const [created] = this.httpApi.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration,
      });
      Validations.of(created!).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Channel webhook: the caller is a messaging provider that authenticates by signing the body ' +
          '(HMAC), and an HTTP API authorizer never sees the body, so the integration function verifies ' +
          'the signature before acting.',
      });
    }

    // Sweep ------------------------------------------------------------------------------------
    const { everySeconds } = scheduledHandlers.sweep;
    if (!Number.isInteger(everySeconds / 60) || everySeconds < 60) {
      throw new Error(`scheduledHandlers.sweep.everySeconds (${everySeconds}) must be whole minutes for EventBridge`);
    }
    new events.Rule(this, 'SweepSchedule', {
      description: 'Tide routing safety net: lost wake-ups and failed deliveries',
      schedule: events.Schedule.rate(Duration.minutes(everySeconds / 60)),
      targets: [new targets.LambdaFunction(fn(scheduledHandlers.sweep.handler), { retryAttempts: 0 })],
    });

    // The generic channel's signing key ---------------------------------------------------------
    const generic = settings.config.channels.generic;
    if (generic?.secret) {
      Annotations.of(this).addWarningV2(
        'tide:literal-channel-secret',
        'channels.generic.secret is written into the template and the functions\' environment: store the key ' +
          'in Secrets Manager and set channels.generic.secretId instead.',
      );
    }
    if (generic?.secretId) {
      const id = generic.secretId;
      const secret = !id.startsWith('arn:')
        ? secretsmanager.Secret.fromSecretNameV2(this, 'ChannelSecret', id)
        : /-[A-Za-z0-9]{6}$/.test(id)
          ? secretsmanager.Secret.fromSecretCompleteArn(this, 'ChannelSecret', id)
          : secretsmanager.Secret.fromSecretPartialArn(this, 'ChannelSecret', id);
      // Only the functions that verify inbound or sign outbound messages read it.
      for (const name of channelSigningHandlers) secret.grantRead(fn(name));
    }

    // Agents from the configuration, written at every deployment that changes them --------------
    const seedAgents = fn(deploymentHandlers.seedAgents.handler);
    table(agentsTable).grantWriteData(seedAgents);
    Validations.of(functions.get(deploymentHandlers.seedAgents.handler)!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(table(agentsTable))}.Arn>/index/*]`,
      reason: 'Added by grantWriteData on the Agents table; the function only updates agent items by key.',
    });
    const seedProvider = new cr.Provider(this, 'SeedAgentsProvider', { onEventHandler: seedAgents });
    Validations.of(seedProvider).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "The CDK custom-resource framework's own function; it only writes its logs and invokes seed-agents.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(seedAgents)}.Arn>:*]`,
        reason: 'Added by the custom-resource framework: invoke versions and aliases of the one seed-agents function.',
      },
    );
    new CustomResource(this, 'AgentProfiles', {
      serviceToken: seedProvider.serviceToken,
      properties: { agents: JSON.stringify(settings.config.agents) },
    });

    // Outputs ----------------------------------------------------------------------------------
    new CfnOutput(this, 'HttpApiUrl', { value: httpStage.url, description: 'Channel webhooks base URL' });
    new CfnOutput(this, 'WebSocketUrl', {
      value: this.webSocketStage.url,
      description: `Agent WebSocket URL; add ?${webSocketRoutes.tokenQueryParameter}=<jwt>`,
    });
  }

  /** The logical id of an L2 construct's resource, as cdk-nag names it in finding ids. */
  private logicalIdOf(construct: Construct): string {
    return this.getLogicalId(construct.node.defaultChild as CfnElement);
  }
}
