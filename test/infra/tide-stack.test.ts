import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { build as esbuild } from 'esbuild';
import { TideStack, placeholderAuth, projectRoot, tideSettingsFromContext } from '../../infra/tide-stack.js';
import { parseConfig } from '../../shared/config/schema.js';
import { deploymentHandlers, httpRoutes, scheduledHandlers, webSocketRoutes, type HandlerName } from '../../shared/contract/routes.js';
import { environment } from '../../shared/runtime/environment.js';
import { agentsTable, connectionsTable, tables, type KeyAttribute } from '../../shared/storage/tables.js';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

/** Builds the app as infra/app.ts does (same feature flags), minus esbuild and cdk-nag. */
function construct(context: Record<string, unknown> = {}) {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new TideStack(app, 'Tide', { settings: tideSettingsFromContext(app) });
  return { app, stack };
}

function build(context: Record<string, unknown> = {}) {
  const built = construct(context);
  return { ...built, template: Template.fromStack(built.stack) };
}

const { stack, template } = build();

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
const resources = (type: string) => template.findResources(type) as Record<string, Resource>;

const allHandlers: HandlerName[] = [
  ...new Set<HandlerName>([
    ...httpRoutes.map((r) => r.handler),
    webSocketRoutes.authorizer,
    webSocketRoutes.connect,
    webSocketRoutes.disconnect,
    webSocketRoutes.actions,
    ...Object.values(deploymentHandlers).map((h) => h.handler),
    ...Object.values(scheduledHandlers).map((h) => h.handler),
  ]),
];
const scheduled = new Set<HandlerName>(Object.values(scheduledHandlers).map((h) => h.handler));
const routing = [...httpRoutes.map((r) => r.handler), webSocketRoutes.actions, ...scheduled];

/** The Lambda function resource for a handler (functions carry `Tide <handler>` as description). */
function lambdaFor(name: HandlerName, t: Template = template): [string, Resource] {
  const found = Object.entries(t.findResources('AWS::Lambda::Function') as Record<string, Resource>).filter(
    ([, r]) => r.Properties.Description === `Tide ${name}`,
  );
  expect(found, `exactly one function for ${name}`).toHaveLength(1);
  return found[0]!;
}

/** Every IAM statement attached to a handler's execution role. */
function statementsOf(name: HandlerName): { Action: string | string[]; Resource: unknown }[] {
  const [, fn] = lambdaFor(name);
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const role = resources('AWS::IAM::Role')[roleId]!;
  expect(role.Properties.ManagedPolicyArns ?? [], `${name} role has managed policies`).toEqual([]);
  return Object.values(resources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const actionsOf = (name: HandlerName) =>
  statementsOf(name).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

/** Logical id of a table resource, found by its key schema (derived from shared/storage/tables.ts). */
function tableLogicalId(def: (typeof tables)[number]): string {
  const ids = Object.entries(resources('AWS::DynamoDB::GlobalTable'))
    .filter(([, r]) => r.Properties.KeySchema[0].AttributeName === def.partitionKey.name && r.Properties.KeySchema.length === (def.sortKey ? 2 : 1))
    .map(([id]) => id);
  expect(ids, `one table for ${def.id}`).toHaveLength(1);
  return ids[0]!;
}

/** Does any statement of this handler allow `action` on the table (the table ARN itself)? */
function allows(name: HandlerName, action: string, def: (typeof tables)[number]): boolean {
  const arn = JSON.stringify({ 'Fn::GetAtt': [tableLogicalId(def), 'Arn'] });
  return statementsOf(name).some((s) => {
    const acts = Array.isArray(s.Action) ? s.Action : [s.Action];
    const res = (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map((r) => JSON.stringify(r));
    return acts.includes(action) && res.includes(arn);
  });
}

const keySchema = (partitionKey: KeyAttribute, sortKey?: KeyAttribute) => [
  { AttributeName: partitionKey.name, KeyType: 'HASH' },
  ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' }] : []),
];

describe('DynamoDB tables (from shared/storage/tables.ts)', () => {
  it('creates one table per definition', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', tables.length);
    expect(tables.length).toBe(5);
  });

  it.each(tables.map((t) => [t.id, t] as const))('%s: keys, on-demand, PITR, GSIs, TTL, retained', (_id, def) => {
    const table = resources('AWS::DynamoDB::GlobalTable')[tableLogicalId(def)]!;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      KeySchema: keySchema(def.partitionKey, def.sortKey),
      BillingMode: 'PAY_PER_REQUEST',
      Replicas: [{ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true }],
    });
    const gsis = (table.Properties.GlobalSecondaryIndexes ?? []) as Record<string, unknown>[];
    expect(gsis).toHaveLength(def.indexes.length);
    for (const index of def.indexes) {
      expect(gsis).toContainEqual({
        IndexName: index.name,
        KeySchema: keySchema(index.partitionKey, index.sortKey),
        Projection: { ProjectionType: index.projection },
      });
    }
    if (def.timeToLiveAttribute) {
      expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: def.timeToLiveAttribute, Enabled: true });
    } else {
      expect(table.Properties.TimeToLiveSpecification).toBeUndefined();
    }
  });
});

describe('Lambda functions', () => {
  it('one arm64 nodejs22.x function per handler, and only the custom-resource framework besides', () => {
    // +1: the CDK custom-resource framework function that calls seed-agents at deploy time.
    template.resourceCountIs('AWS::Lambda::Function', allHandlers.length + 1);
    for (const name of allHandlers) {
      expect(lambdaFor(name)[1].Properties, name).toMatchObject({ Architectures: ['arm64'], Runtime: 'nodejs22.x' });
    }
  });

  it('seeds the configured agents at deploy time, with write access to the Agents table only', () => {
    const seeds = template.findResources('AWS::CloudFormation::CustomResource');
    expect(Object.values(seeds)).toHaveLength(1);
    expect(allows(deploymentHandlers.seedAgents.handler, 'dynamodb:UpdateItem', agentsTable)).toBe(true);
    for (const def of tables.filter((t) => t !== agentsTable)) {
      expect(allows(deploymentHandlers.seedAgents.handler, 'dynamodb:UpdateItem', def), def.id).toBe(false);
    }
    expect(actionsOf(deploymentHandlers.seedAgents.handler)).not.toContain('execute-api:ManageConnections');
  });

  it('sizes and timeouts: authorizer 256 MB, scheduled handlers 60 s, others 512 MB / 29 s', () => {
    expect(lambdaFor(scheduledHandlers.sweep.handler)[1].Properties.Timeout).toBe(60);
    for (const name of allHandlers) {
      const [, fn] = lambdaFor(name);
      expect(fn.Properties.MemorySize, name).toBe(name === webSocketRoutes.authorizer ? 256 : 512);
      expect(fn.Properties.Timeout, name).toBe(scheduled.has(name) ? 60 : 29);
    }
  });

  it('every function knows every table and runs with source maps', () => {
    for (const name of allHandlers) {
      const vars = lambdaFor(name)[1].Properties.Environment.Variables as Record<string, unknown>;
      expect(vars.NODE_OPTIONS).toBe('--enable-source-maps');
      for (const def of tables) {
        expect(vars[def.envVar], `${name} ${def.envVar}`).toEqual({ Ref: tableLogicalId(def) });
      }
    }
  });

  it('log groups keep 30 days', () => {
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, allHandlers.length + 1);
  });
});

describe('least privilege', () => {
  it('the authorizer has no DynamoDB and no push permission', () => {
    const actions = actionsOf(webSocketRoutes.authorizer);
    expect(actions.length).toBeGreaterThan(0); // it can still write its logs
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
    expect(actions).not.toContain('execute-api:ManageConnections');
  });

  it('ws-connect reads Agents and writes Connections only', () => {
    expect(allows(webSocketRoutes.connect, 'dynamodb:GetItem', agentsTable)).toBe(true);
    expect(allows(webSocketRoutes.connect, 'dynamodb:PutItem', agentsTable)).toBe(false);
    expect(allows(webSocketRoutes.connect, 'dynamodb:PutItem', connectionsTable)).toBe(true);
    for (const def of tables.filter((t) => t !== agentsTable && t !== connectionsTable)) {
      expect(allows(webSocketRoutes.connect, 'dynamodb:GetItem', def), def.id).toBe(false);
    }
  });

  it('routing handlers read and write every table', () => {
    for (const name of routing) {
      for (const def of tables) expect(allows(name, 'dynamodb:UpdateItem', def), `${name} ${def.id}`).toBe(true);
    }
  });

  it('only functions that push may manage connections', () => {
    for (const name of allHandlers) {
      const pushes = name !== webSocketRoutes.authorizer && name !== deploymentHandlers.seedAgents.handler;
      expect(actionsOf(name).includes('execute-api:ManageConnections'), name).toBe(pushes);
    }
  });

  it('logs go to the function’s own log group, not every log group (no AWSLambdaBasicExecutionRole)', () => {
    for (const name of allHandlers) {
      const logs = statementsOf(name).filter((s) => JSON.stringify(s.Action).includes('logs:'));
      expect(logs, name).toHaveLength(1);
      expect(JSON.stringify(logs[0]!.Resource)).toMatch(/Logs[0-9A-F]{8}","Arn"/);
    }
  });
});

describe('HTTP API', () => {
  it('has the generic channel webhook POST /v1/messages', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/messages', AuthorizationType: 'NONE' });
  });

  it.each(httpRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s → its handler, no authorizer', (routeKey, route) => {
    const [routeId] = Object.entries(resources('AWS::ApiGatewayV2::Route')).find(([, r]) => r.Properties.RouteKey === routeKey) ?? [];
    expect(routeId, routeKey).toBeDefined();
    const route_ = resources('AWS::ApiGatewayV2::Route')[routeId!]!;
    expect(route_.Properties.AuthorizationType).toBe('NONE');
    const integrationId = JSON.stringify(route_.Properties.Target).match(/"Ref":"([^"]+)"/)![1]!;
    const integration = resources('AWS::ApiGatewayV2::Integration')[integrationId]!;
    expect(integration.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    expect(JSON.stringify(integration.Properties.IntegrationUri)).toContain(lambdaFor(route.handler)[0]);
  });

  it('default stage auto-deploys with access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context\\.requestId') },
    });
    template.hasOutput('HttpApiUrl', {});
  });
});

describe('WebSocket API', () => {
  const wsRoutes = () =>
    Object.values(resources('AWS::ApiGatewayV2::Route')).filter((r) => !/^(GET|POST|PUT|DELETE|PATCH) /.test(r.Properties.RouteKey));

  it('selects routes on $request.body.action', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  it('has $connect, $disconnect and one route per action route key (incl. $default)', () => {
    const keys = wsRoutes().map((r) => r.Properties.RouteKey).sort();
    expect(keys).toEqual(['$connect', '$disconnect', ...webSocketRoutes.actionRouteKeys].sort());
    expect(webSocketRoutes.actionRouteKeys).toContain('$default');
  });

  it('authorizes $connect with the Lambda authorizer on the query-string token', () => {
    const authorizers = resources('AWS::ApiGatewayV2::Authorizer');
    expect(Object.keys(authorizers)).toHaveLength(1);
    const [authorizerId, authorizer] = Object.entries(authorizers)[0]!;
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      IdentitySource: [`route.request.querystring.${webSocketRoutes.tokenQueryParameter}`],
    });
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(lambdaFor(webSocketRoutes.authorizer)[0]);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: '$connect',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: authorizerId },
    });
  });

  it('sends each route to its handler', () => {
    const handlerOf = (routeKey: string): HandlerName =>
      routeKey === '$connect' ? webSocketRoutes.connect : routeKey === '$disconnect' ? webSocketRoutes.disconnect : webSocketRoutes.actions;
    for (const route of wsRoutes()) {
      const integrationId = JSON.stringify(route.Properties.Target).match(/"Ref":"([^"]+)"/)![1]!;
      const uri = JSON.stringify(resources('AWS::ApiGatewayV2::Integration')[integrationId]!.Properties.IntegrationUri);
      expect(uri, route.Properties.RouteKey).toContain(lambdaFor(handlerOf(route.Properties.RouteKey))[0]);
    }
  });

  it('stage `live` auto-deploys, and pushers get its callback URL', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: 'live', AutoDeploy: true });
    for (const name of allHandlers) {
      const vars = lambdaFor(name)[1].Properties.Environment.Variables as Record<string, unknown>;
      if (name === webSocketRoutes.authorizer) {
        expect(vars[environment.managementEndpoint]).toBeUndefined();
        continue;
      }
      const endpoint = JSON.stringify(vars[environment.managementEndpoint]);
      expect(endpoint, name).toMatch(/^\{"Fn::Join":\["",\["https:\/\/",\{"Ref":"AgentsApi/);
      expect(endpoint, name).toMatch(/"\/live"\]\]\}$/);
    }
    template.hasOutput('WebSocketUrl', {});
  });

  it('WebSocket access logs are opt-in (they need the account-level API Gateway CloudWatch role)', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: 'live', AccessLogSettings: Match.absent() });
    const withLogs = build({ 'tide:webSocketAccessLogs': 'true' }).template;
    withLogs.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'live',
      AccessLogSettings: { Format: Match.not(Match.stringLikeRegexp('querystring')) },
    });
  });
});

describe('sweep schedule', () => {
  it('runs the sweep handler every minute', () => {
    expect(scheduledHandlers.sweep.everySeconds).toBe(60);
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [lambdaFor(scheduledHandlers.sweep.handler)[0], 'Arn'] } })],
    });
  });
});

describe('timers (EventBridge Scheduler → timer-fired)', () => {
  const timerVars = [environment.timerGroup, environment.timerTargetArn, environment.timerRoleArn, environment.timerDeadLetterArn];
  const [timerFnId, timerFn] = lambdaFor(scheduledHandlers.timer.handler);
  const [queueId] = Object.keys(resources('AWS::SQS::Queue'));
  const [groupId, group] = Object.entries(resources('AWS::Scheduler::ScheduleGroup'))[0]!;
  const [schedulerRoleId, schedulerRole] = Object.entries(resources('AWS::IAM::Role')).find(([, r]) =>
    JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'),
  )!;

  /** Handlers whose bundled code can call `deps.timers.schedule(...)`, from esbuild's import graph. */
  async function handlersThatArmTimers(): Promise<Set<HandlerName>> {
    const arming = new Set<HandlerName>();
    for (const name of allHandlers) {
      const result = await esbuild({
        entryPoints: [path.join(projectRoot, 'functions', `${name}.ts`)],
        bundle: true,
        write: false,
        metafile: true,
        platform: 'node',
        format: 'esm',
        packages: 'external',
        logLevel: 'silent',
      });
      const sources = Object.keys(result.metafile.inputs).map((f) => readFileSync(path.resolve(projectRoot, f), 'utf8'));
      if (sources.some((text) => /\.timers\.schedule\(/.test(text))) arming.add(name);
    }
    return arming;
  }

  it('one schedule group, an encrypted TLS-only dead-letter queue', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('Scheduler’s role (this account only) may invoke timer-fired and reach the DLQ, nothing else', () => {
    expect(schedulerRole.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    });
    const statements = Object.values(resources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: schedulerRoleId }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    for (const st of statements) {
      const resourcesOf = JSON.stringify(st.Resource);
      expect(resourcesOf.includes(timerFnId) || resourcesOf.includes(queueId!), resourcesOf).toBe(true);
    }
    expect(statements.flatMap((st) => st.Action)).toContain('lambda:InvokeFunction');
  });

  it('handlers that arm timers (per their code) get the timer settings and CreateSchedule; no others do', async () => {
    const arming = await handlersThatArmTimers();
    expect(arming.has(scheduledHandlers.timer.handler)).toBe(true);
    expect(arming.has(webSocketRoutes.authorizer)).toBe(false);
    for (const name of allHandlers) {
      const vars = lambdaFor(name)[1].Properties.Environment.Variables as Record<string, unknown>;
      const statements = statementsOf(name);
      const create = statements.filter((st) => st.Action === 'scheduler:CreateSchedule');
      const passRole = statements.filter((st) => st.Action === 'iam:PassRole');
      if (arming.has(name)) {
        for (const v of timerVars) expect(vars[v], `${name} ${v}`).toBeDefined();
        expect(create, name).toHaveLength(1);
        expect(JSON.stringify(create[0]!.Resource)).toContain(`:schedule/${group.Properties.Name}/*`);
        expect(passRole, name).toEqual([
          {
            Action: 'iam:PassRole',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [schedulerRoleId, 'Arn'] },
            Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
          },
        ]);
      } else {
        for (const v of timerVars) expect(vars[v], `${name} ${v}`).toBeUndefined();
        expect(create, name).toEqual([]);
        expect(passRole, name).toEqual([]);
      }
    }
    expect(groupId).toBeDefined();
  }, 30_000);

  it('timers target timer-fired, whose failed async invokes land in the DLQ', () => {
    const vars = timerFn.Properties.Environment.Variables as Record<string, unknown>;
    expect(timerFn.Properties.FunctionName).toBe(`Tide-${scheduledHandlers.timer.handler}`);
    expect(JSON.stringify(vars[environment.timerTargetArn])).toMatch(
      new RegExp(`:function:${timerFn.Properties.FunctionName}"\\]\\]\\}$`),
    );
    expect(vars[environment.timerRoleArn]).toEqual({ 'Fn::GetAtt': [schedulerRoleId, 'Arn'] });
    expect(vars[environment.timerDeadLetterArn]).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: timerFnId },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
  });
});

describe('settings from context', () => {
  const configInput = {
    queues: { vip: { slaSeconds: 30, priority: 10 } },
    agents: [{ id: 'alice', name: 'Alice', queues: ['default', 'vip'], preferredConcurrency: 2, maxLoad: 4 }],
    channels: { generic: { secret: 'test-secret', outboundUrl: 'https://example.com/out' } },
  };
  const configOf = (t: Template, name: HandlerName = webSocketRoutes.actions) =>
    lambdaFor(name, t)[1].Properties.Environment.Variables[environment.config] as string;

  it('without tide:config, functions get the default configuration', () => {
    expect(JSON.parse(configOf(template))).toEqual(parseConfig({}));
  });

  it('tide:config (an object, as in cdk.json) ends up validated in TIDE_CONFIG_JSON of every function', () => {
    const { template: t } = build({ 'tide:config': configInput });
    for (const name of allHandlers) {
      expect(JSON.parse(configOf(t, name)), name).toEqual(parseConfig(configInput));
    }
    expect(JSON.parse(configOf(t)).agents[0].id).toBe('alice');
  });

  it('tide:config given as a JSON string (cdk -c) works the same', () => {
    const { template: t } = build({ 'tide:config': JSON.stringify(configInput) });
    expect(JSON.parse(configOf(t))).toEqual(parseConfig(configInput));
  });

  it('tide:configFile reads the file', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tide-config-')), 'tide.json');
    writeFileSync(file, JSON.stringify(configInput));
    const { template: t } = build({ 'tide:configFile': file });
    expect(JSON.parse(configOf(t))).toEqual(parseConfig(configInput));
  });

  it('an invalid config fails the build', () => {
    expect(() => build({ 'tide:config': { agents: [{ id: 'a', preferredConcurrency: 5, maxLoad: 2 }] } })).toThrow(
      /maxLoad must be at least preferredConcurrency/,
    );
    expect(() => build({ 'tide:config': { agents: [{ id: 'a', queues: ['nope'] }] } })).toThrow(/unknown queue nope/);
    expect(() => build({ 'tide:config': '{not json' })).toThrow(/tide:config is not valid JSON/);
    expect(() => build({ 'tide:config': {}, 'tide:configFile': 'x.json' })).toThrow(/not both/);
  });

  it('a channel secret in Secrets Manager: only the signing functions may read it, and no key is in the template', () => {
    const config = { channels: { generic: { secretId: 'tide/channels/generic', outboundUrl: 'https://example.com/out' } } };
    const { stack, template: t } = build({ 'tide:config': config });
    const readers = (t: Template) => {
      const fns = t.findResources('AWS::Lambda::Function') as Record<string, Resource>;
      const policies = Object.values(t.findResources('AWS::IAM::Policy') as Record<string, Resource>);
      return Object.values(fns)
        .filter((fn) => {
          const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
          return policies.some(
            (p) =>
              JSON.stringify(p.Properties.Roles).includes(roleId) &&
              JSON.stringify(p.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue') &&
              JSON.stringify(p.Properties.PolicyDocument).includes('secret:tide/channels/generic'),
          );
        })
        .map((fn) => String(fn.Properties.Description).replace('Tide ', ''))
        .sort();
    };
    expect(readers(t)).toEqual(['agent-action', 'inbound-message', 'sweep']);
    expect(JSON.stringify(t.toJSON())).not.toContain('"secret":');
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('channels.generic.secret is written'));
    const literal = build({ 'tide:config': { channels: { generic: { secret: 'dev-secret' } } } });
    Annotations.fromStack(literal.stack).hasWarning('/Tide', Match.stringLikeRegexp('channels.generic.secret is written'));
    expect(readers(literal.template)).toEqual([]);
  });

  it('without tide:auth: placeholder token settings and a warning', () => {
    const vars = lambdaFor(webSocketRoutes.authorizer)[1].Properties.Environment.Variables;
    expect(vars[environment.tokenIssuer]).toBe(placeholderAuth.issuer);
    expect(vars[environment.jwksUrl]).toMatch(/\.invalid\//);
    Annotations.fromStack(stack).hasWarning('/Tide', Match.stringLikeRegexp('tide:auth'));
  });

  it('tide:auth sets the token settings and silences the warning', () => {
    const auth = { issuer: 'https://idp.example.com/', audience: 'tide', jwksUrl: 'https://idp.example.com/jwks.json', roleClaim: 'tide_role' };
    const built = build({ 'tide:auth': auth });
    const vars = lambdaFor(webSocketRoutes.authorizer, built.template)[1].Properties.Environment.Variables;
    expect(vars).toMatchObject({
      [environment.tokenIssuer]: auth.issuer,
      [environment.tokenAudience]: auth.audience,
      [environment.jwksUrl]: auth.jwksUrl,
      [environment.tokenRoleClaim]: auth.roleClaim,
    });
    Annotations.fromStack(built.stack).hasNoWarning('*', Match.stringLikeRegexp('tide:auth'));
    expect(() => build({ 'tide:auth': { ...auth, jwksUrl: 'http://idp.example.com/jwks.json' } })).toThrow(/tide:auth/);
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  const synthWithNag = (context: Record<string, unknown> = {}, addToStack?: (stack: TideStack) => void) => {
    const { app, stack: s } = construct(context);
    addToStack?.(s);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    return app.synth();
  };

  it('every finding is fixed or acknowledged with a reason', () => {
    expect(() => synthWithNag()).not.toThrow();
    expect(() => synthWithNag({ 'tide:webSocketAccessLogs': true })).not.toThrow();
  });

  it('an unacknowledged finding fails synth (the check above can fail)', () => {
    expect(() => synthWithNag({}, (s) => new Queue(s, 'Unencrypted', { encryption: QueueEncryption.UNENCRYPTED }))).toThrow(
      /AwsSolutions-SQS2/,
    );
  });
});
