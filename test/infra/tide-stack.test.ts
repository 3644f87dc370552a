import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { build as esbuild } from 'esbuild';
import { TideStack, exampleConfig, placeholderAuth, projectRoot, tideSettingsFromContext } from '../../infra/tide-stack.js';
import { parseConfig } from '../../shared/config/schema.js';
import {
  deliveryQueue,
  deploymentHandlers,
  httpRoutes,
  jobQueues,
  overviewQueue,
  recheckQueue,
  scheduledHandlers,
  streamConsumers,
  webSocketRoutes,
  type HandlerName,
} from '../../shared/contract/routes.js';
import { environment } from '../../shared/runtime/environment.js';
import {
  agentsTable,
  availabilityTable,
  connectionsTable,
  conversationsTable,
  customersTable,
  messagesTable,
  requestsTable,
  tables,
  type KeyAttribute,
  type TableDefinition,
} from '../../shared/storage/tables.js';

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
type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };
const resources = (type: string, t: Template = template) => t.findResources(type) as Record<string, Resource>;
const asArray = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

/** The logical id of an L2 construct's resource in the synthesized template. */
const idOf = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [idOf(construct), 'Arn'] });

const allHandlers: HandlerName[] = [
  ...new Set<HandlerName>([
    ...httpRoutes.map((r) => r.handler),
    webSocketRoutes.authorizer,
    webSocketRoutes.connect,
    webSocketRoutes.disconnect,
    webSocketRoutes.actions,
    ...Object.values(deploymentHandlers).map((h) => h.handler),
    ...Object.values(scheduledHandlers).map((h) => h.handler),
    ...streamConsumers.map((c) => c.handler),
    ...jobQueues.flatMap((q) => (q.consumer ? [q.consumer] : [])),
  ]),
];
const longRunning = new Set<HandlerName>([...Object.values(scheduledHandlers).map((h) => h.handler), ...streamConsumers.map((c) => c.handler)]);
// admin-agents closes a removed agent's connections (DeleteConnection).
const pushers: HandlerName[] = ['agent-action', 'work-changes', 'message-changes', 'push-overview', 'admin-agents'];
const streamed = [conversationsTable, messagesTable, agentsTable];

/** The Lambda function resource for a handler (functions carry `Tide <handler>` as description). */
function lambdaFor(name: HandlerName, t: Template = template): [string, Resource] {
  const found = Object.entries(resources('AWS::Lambda::Function', t)).filter(([, r]) => r.Properties.Description === `Tide ${name}`);
  expect(found, `exactly one function for ${name}`).toHaveLength(1);
  return found[0]!;
}

const varsOf = (name: HandlerName, t: Template = template) =>
  lambdaFor(name, t)[1].Properties.Environment.Variables as Record<string, unknown>;

/** Every IAM statement attached to a handler's execution role. */
function statementsOf(name: HandlerName, t: Template = template): Statement[] {
  const [, fn] = lambdaFor(name, t);
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const role = resources('AWS::IAM::Role', t)[roleId]!;
  expect(role.Properties.ManagedPolicyArns ?? [], `${name} role has managed policies`).toEqual([]);
  return Object.values(resources('AWS::IAM::Policy', t))
    .filter((p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (name: HandlerName) => statementsOf(name).flatMap((s) => asArray(s.Action));

/** Does any statement of this handler allow `action` on exactly this resource? */
function allowsOn(name: HandlerName, action: string, resource: unknown): boolean {
  const wanted = JSON.stringify(resource);
  return statementsOf(name).some(
    (s) => s.Effect === 'Allow' && asArray(s.Action).includes(action) && asArray(s.Resource).some((r) => JSON.stringify(r) === wanted),
  );
}

/** Logical id of a table resource, found by its key schema (derived from shared/storage/tables.ts). */
function tableLogicalId(def: TableDefinition): string {
  const ids = Object.entries(resources('AWS::DynamoDB::GlobalTable'))
    .filter(([, r]) => r.Properties.KeySchema[0].AttributeName === def.partitionKey.name && r.Properties.KeySchema.length === (def.sortKey ? 2 : 1))
    .map(([id]) => id);
  expect(ids, `one table for ${def.id}`).toHaveLength(1);
  return ids[0]!;
}

/** Does any statement of this handler allow `action` on the table (the table ARN itself)? */
const allows = (name: HandlerName, action: string, def: TableDefinition) =>
  allowsOn(name, action, { 'Fn::GetAtt': [tableLogicalId(def), 'Arn'] });

/** Every statement of this handler that names any table (its ARN or its indexes), i.e. table data access. */
function tableStatementsOf(name: HandlerName): Statement[] {
  const tableIds = tables.map(tableLogicalId);
  return statementsOf(name).filter((s) =>
    asArray(s.Resource).some((r) => {
      const json = JSON.stringify(r);
      return tableIds.some((id) => json.includes(`"${id}","Arn"`));
    }),
  );
}

const keySchema = (partitionKey: KeyAttribute, sortKey?: KeyAttribute) => [
  { AttributeName: partitionKey.name, KeyType: 'HASH' },
  ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' }] : []),
];

describe('DynamoDB tables (from shared/storage/tables.ts)', () => {
  it('creates one table per definition', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', tables.length);
    expect(tables.length).toBe(7);
  });

  it.each(tables.map((t) => [t.id, t] as const))('%s: keys, on-demand, PITR, GSIs, TTL, stream, retained', (_id, def) => {
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
    expect(table.Properties.StreamSpecification).toEqual(def.stream ? { StreamViewType: def.stream } : undefined);
  });

  it('streams (both images) on exactly Conversations, Messages and Agents', () => {
    const withStream = Object.entries(resources('AWS::DynamoDB::GlobalTable'))
      .filter(([, r]) => r.Properties.StreamSpecification)
      .map(([id, r]) => [id, r.Properties.StreamSpecification.StreamViewType]);
    expect(withStream.sort()).toEqual(streamed.map((def) => [tableLogicalId(def), 'NEW_AND_OLD_IMAGES']).sort());
  });
});

describe('resources keep the logical ids they had before the stack was split into constructs', () => {
  // A new logical id replaces the resource: an empty table, new API URLs, or a schedule group,
  // role or dead-letter queue that pending schedules no longer name.
  it.each([
    ['ConversationsBC91B70D', 'AWS::DynamoDB::GlobalTable'],
    ['Messages804FA4EB', 'AWS::DynamoDB::GlobalTable'],
    ['Customers6955EA0A', 'AWS::DynamoDB::GlobalTable'],
    ['Agents8DC46436', 'AWS::DynamoDB::GlobalTable'],
    ['Availability367DB12B', 'AWS::DynamoDB::GlobalTable'],
    ['Connections827CEF2F', 'AWS::DynamoDB::GlobalTable'],
    ['RequestsC42AC379', 'AWS::DynamoDB::GlobalTable'],
    ['AgentsApiDEECB02F', 'AWS::ApiGatewayV2::Api'],
    ['AgentsApiStageA43204B5', 'AWS::ApiGatewayV2::Stage'],
    ['AgentsApiconnectRoute9078797E', 'AWS::ApiGatewayV2::Route'],
    ['AgentsApiAgentTokenAuthorizer1B8B0501', 'AWS::ApiGatewayV2::Authorizer'],
    ['ChannelsApiC1CCF864', 'AWS::ApiGatewayV2::Api'],
    ['ChannelsApiStage8BAF7613', 'AWS::ApiGatewayV2::Stage'],
    ['ChannelsApiPOSTv1messages815ED53B', 'AWS::ApiGatewayV2::Route'],
    ['ChannelsApiAccessLogsF2ACE62C', 'AWS::Logs::LogGroup'],
    ['Timers8BCB401C', 'AWS::Scheduler::ScheduleGroup'],
    ['TimerSchedulerRole6A6BC9FD', 'AWS::IAM::Role'],
    ['TimerDeadLetters6730B2E0', 'AWS::SQS::Queue'],
    ['TimerFiredFunction3B4555C0', 'AWS::Lambda::Function'],
    ['SweepSchedule80B1140B', 'AWS::Events::Rule'],
    ['AgentProfiles', 'AWS::CloudFormation::CustomResource'],
  ])('%s (%s)', (id, type) => {
    expect(template.toJSON().Resources[id]?.Type).toBe(type);
  });

  it('and the schedule group its generated name', () => {
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'Tide-Timers-09152DE7' });
  });
});

describe('Lambda functions', () => {
  it('one arm64 nodejs22.x function per handler, and only the custom-resource framework besides', () => {
    expect(allHandlers).toHaveLength(19);
    // +2: the CDK custom-resource framework function that calls seed-agents at deploy time, and
    // BucketDeployment's, which copies the console into its bucket.
    template.resourceCountIs('AWS::Lambda::Function', allHandlers.length + 2);
    for (const name of allHandlers) {
      expect(lambdaFor(name)[1].Properties, name).toMatchObject({ Architectures: ['arm64'], Runtime: 'nodejs22.x' });
    }
  });

  it('seeds the configured agents at deploy time, with write access to Agents and Availability only', () => {
    const seeds = template.findResources('AWS::CloudFormation::CustomResource');
    expect(Object.values(seeds)).toHaveLength(1);
    const seed = deploymentHandlers.seedAgents.handler;
    for (const def of tables) {
      expect(allows(seed, 'dynamodb:UpdateItem', def), def.id).toBe(def === agentsTable || def === availabilityTable);
    }
    expect(actionsOf(seed)).not.toContain('execute-api:ManageConnections');
  });

  it('sizes and timeouts: authorizer 256 MB; scheduled and stream consumers 60 s; others 512 MB / 29 s', () => {
    expect(lambdaFor(scheduledHandlers.sweep.handler)[1].Properties.Timeout).toBe(60);
    expect(lambdaFor('work-changes')[1].Properties.Timeout).toBe(60);
    for (const name of allHandlers) {
      const [, fn] = lambdaFor(name);
      expect(fn.Properties.MemorySize, name).toBe(name === webSocketRoutes.authorizer ? 256 : 512);
      expect(fn.Properties.Timeout, name).toBe(longRunning.has(name) ? 60 : 29);
    }
  });

  it('every function knows every table and runs with source maps', () => {
    for (const name of allHandlers) {
      const vars = varsOf(name);
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
  const all = tables;
  /** What each handler's code touches (the brief of the stream/queue reshaping); independent of infra's own table. */
  const expected: Record<HandlerName, { write: TableDefinition[]; read?: TableDefinition[] }> = {
    'inbound-message': { write: [conversationsTable, messagesTable, customersTable, agentsTable, availabilityTable] },
    'twilio-webhook': { write: [conversationsTable, messagesTable, customersTable, agentsTable, availabilityTable] },
    'meta-webhook': { write: [conversationsTable, messagesTable, customersTable, agentsTable, availabilityTable] },
    'agent-action': { write: [...all] },
    'ws-authorizer': { write: [] },
    'ws-connect': { write: [agentsTable, connectionsTable] },
    'ws-disconnect': { write: [connectionsTable, agentsTable] },
    'timer-fired': { write: [conversationsTable, customersTable, agentsTable, availabilityTable, messagesTable] },
    sweep: { write: [conversationsTable, agentsTable, availabilityTable, customersTable, messagesTable, connectionsTable] },
    'work-changes': { write: [conversationsTable, agentsTable, availabilityTable, connectionsTable], read: [messagesTable] },
    'arm-timers': { write: [] },
    'message-changes': { write: [agentsTable, connectionsTable, messagesTable], read: [conversationsTable] },
    'deliver-message': { write: [messagesTable] },
    'recheck-queues': { write: [conversationsTable, agentsTable, availabilityTable] },
    'seed-agents': { write: [agentsTable, availabilityTable] },
    // Reads conversations; writes the supervisors' registry (Connections) and, for a gone connection, the agent's entry.
    'push-overview': { write: [agentsTable, connectionsTable], read: [conversationsTable] },
    'conversation-history': { write: [], read: [conversationsTable, messagesTable] },
    // Profiles (agent and Availability rows); a removal releases the agent's conversations.
    'admin-agents': { write: [agentsTable, availabilityTable, conversationsTable] },
    // A customer's export and erasure (closing an open conversation releases its agent).
    'admin-customers': { write: [conversationsTable, messagesTable, customersTable, agentsTable, availabilityTable] },
  };

  it.each(allHandlers.map((name) => [name] as const))('%s: reads and writes exactly its tables', (name) => {
    const { write, read = [] } = expected[name];
    for (const def of tables) {
      const canRead = write.includes(def) || read.includes(def);
      expect(allows(name, 'dynamodb:GetItem', def), `${name} reads ${def.id}`).toBe(canRead);
      expect(allows(name, 'dynamodb:Query', def), `${name} queries ${def.id}`).toBe(canRead);
      for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) {
        expect(allows(name, action, def), `${name} ${action} ${def.id}`).toBe(write.includes(def));
      }
    }
  });

  it('the history API may query the Messages byConversation index', () => {
    expect(allowsOn('conversation-history', 'dynamodb:Query', { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableLogicalId(messagesTable), 'Arn'] }, '/index/*']] })).toBe(true);
  });

  it('the sweep may query the Agents byStatus index', () => {
    expect(allowsOn('sweep', 'dynamodb:Query', { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableLogicalId(agentsTable), 'Arn'] }, '/index/*']] })).toBe(true);
  });

  it('arm-timers has no access to table data (only its stream)', () => {
    expect(tableStatementsOf('arm-timers')).toEqual([]);
    const dynamodb = statementsOf('arm-timers').filter((s) => asArray(s.Action).some((a) => a.startsWith('dynamodb:')));
    expect(dynamodb.length).toBeGreaterThan(0);
    for (const s of dynamodb) expect(s.Resource).toEqual({ 'Fn::GetAtt': [tableLogicalId(conversationsTable), 'StreamArn'] });
  });

  it('deliver-message cannot write (nor read) Conversations', () => {
    expect(allows('deliver-message', 'dynamodb:UpdateItem', conversationsTable)).toBe(false);
    expect(allows('deliver-message', 'dynamodb:PutItem', conversationsTable)).toBe(false);
    expect(allows('deliver-message', 'dynamodb:GetItem', conversationsTable)).toBe(false);
  });

  it('the authorizer has no DynamoDB, SQS, Scheduler or push permission', () => {
    const actions = actionsOf(webSocketRoutes.authorizer);
    expect(actions.length).toBeGreaterThan(0); // it can still write its logs
    expect(actions.filter((a) => !a.startsWith('logs:'))).toEqual([]);
  });

  it('only functions that push may manage connections, and only they know the management endpoint', () => {
    for (const name of allHandlers) {
      const pushes = pushers.includes(name);
      expect(actionsOf(name).includes('execute-api:ManageConnections'), name).toBe(pushes);
      expect(varsOf(name)[environment.managementEndpoint] !== undefined, name).toBe(pushes);
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

describe('change streams (event source mappings)', () => {
  const mappings = () =>
    Object.values(resources('AWS::Lambda::EventSourceMapping')).filter((m) => JSON.stringify(m.Properties.EventSourceArn).includes('StreamArn'));
  const streamFailures = stack.changeStreams.failures;

  it('one mapping per (consumer, table) of streamConsumers', () => {
    const pairs = streamConsumers.flatMap((c) => c.tables.map((def) => [c.handler, def.id]));
    expect(pairs).toEqual([
      ['work-changes', 'Conversations'],
      ['work-changes', 'Agents'],
      ['arm-timers', 'Conversations'],
      ['message-changes', 'Messages'],
    ]);
    expect(mappings()).toHaveLength(pairs.length);
    for (const c of streamConsumers) {
      for (const def of c.tables) {
        const found = mappings().filter(
          (m) =>
            JSON.stringify(m.Properties.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': [tableLogicalId(def), 'StreamArn'] }) &&
            JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: lambdaFor(c.handler)[0] }),
        );
        expect(found, `${c.handler} ← ${def.id}`).toHaveLength(1);
        expect(found[0]!.Properties.BatchSize).toBe(c.batchSize);
      }
    }
  });

  it('TRIM_HORIZON, one batch per shard, bisect on error, finite retries and record age, failures to StreamFailures', () => {
    for (const m of mappings()) {
      expect(m.Properties).toMatchObject({
        StartingPosition: 'TRIM_HORIZON',
        ParallelizationFactor: 1,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 10_000,
        MaximumRecordAgeInSeconds: 6 * 3600,
        DestinationConfig: { OnFailure: { Destination: arnOf(streamFailures) } },
      });
    }
  });

  it('each consumer reads exactly the streams it is mapped to, and may report failures', () => {
    const streamArn = (def: TableDefinition) => ({ 'Fn::GetAtt': [tableLogicalId(def), 'StreamArn'] });
    for (const name of allHandlers) {
      const consumer = streamConsumers.find((c) => c.handler === name);
      for (const def of streamed) {
        expect(allowsOn(name, 'dynamodb:GetRecords', streamArn(def)), `${name} ${def.id}`).toBe(consumer?.tables.includes(def) ?? false);
      }
      expect(allowsOn(name, 'sqs:SendMessage', arnOf(streamFailures)), name).toBe(consumer !== undefined);
    }
  });

  it('StreamFailures is encrypted, TLS-only and kept 14 days', () => {
    expect(resources('AWS::SQS::Queue')[idOf(streamFailures)]!.Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86400 });
  });
});

describe('job queues (SQS)', () => {
  const senders = {
    [deliveryQueue.id]: ['message-changes', 'deliver-message'],
    [recheckQueue.id]: ['work-changes'],
    // Changes ask for overviews; a new supervisor's connection announces itself; a job asks for its second look.
    [overviewQueue.id]: ['work-changes', 'ws-connect', 'push-overview'],
  } as Record<string, HandlerName[]>;

  it('the contract has the delivery, recheck and overview queues', () => {
    expect(jobQueues.map((q) => q.id)).toEqual(['Deliveries', 'Rechecks', 'Overviews']);
  });

  it('overview jobs come back sooner than other jobs, but never while their 29 s attempt may run', () => {
    expect(overviewQueue.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(lambdaFor('push-overview')[1].Properties.Timeout);
    expect(overviewQueue.visibilityTimeoutSeconds).toBeLessThan(recheckQueue.visibilityTimeoutSeconds);
  });

  it.each(jobQueues.map((def) => [def.id, def] as const))('%s: encrypted, visibility timeout, dead-letter queue kept 14 days', (_id, def) => {
    const queue = stack.jobQueues.queue(def);
    const dlq = stack.jobQueues.deadLetterQueues.get(def)!;
    expect(resources('AWS::SQS::Queue')[idOf(queue)]!.Properties).toEqual({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: def.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: arnOf(dlq), maxReceiveCount: def.maxReceiveCount },
    });
    expect(resources('AWS::SQS::Queue')[idOf(dlq)]!.Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86400 });
  });

  it.each(jobQueues.map((def) => [def.id, def] as const))('%s: its consumer, partial batch failures, batch size', (_id, def) => {
    const found = Object.values(resources('AWS::Lambda::EventSourceMapping')).filter(
      (m) => JSON.stringify(m.Properties.EventSourceArn) === JSON.stringify(arnOf(stack.jobQueues.queue(def))),
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.Properties).toEqual({
      EventSourceArn: arnOf(stack.jobQueues.queue(def)),
      FunctionName: { Ref: lambdaFor(def.consumer!)[0] },
      BatchSize: def.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(allowsOn(def.consumer!, 'sqs:ReceiveMessage', arnOf(stack.jobQueues.queue(def)))).toBe(true);
    expect(allowsOn(def.consumer!, 'sqs:DeleteMessage', arnOf(stack.jobQueues.queue(def)))).toBe(true);
  });

  it.each(jobQueues.map((def) => [def.id, def] as const))('%s: only its senders may send to it, and only they get its URL', (_id, def) => {
    const queue = stack.jobQueues.queue(def);
    for (const name of allHandlers) {
      const sends = senders[def.id]!.includes(name);
      expect(allowsOn(name, 'sqs:SendMessage', arnOf(queue)), `${name} sends to ${def.id}`).toBe(sends);
      expect(varsOf(name)[def.envVar], `${name} ${def.envVar}`).toEqual(sends ? { Ref: idOf(queue) } : undefined);
    }
  });

  it('work-changes can send to Rechecks; no one but consumers receives from job queues', () => {
    expect(allowsOn('work-changes', 'sqs:SendMessage', arnOf(stack.jobQueues.queue(recheckQueue)))).toBe(true);
    for (const def of jobQueues) {
      for (const name of allHandlers) {
        expect(allowsOn(name, 'sqs:ReceiveMessage', arnOf(stack.jobQueues.queue(def))), `${name} ${def.id}`).toBe(name === def.consumer);
      }
    }
  });

  it('every queue is encrypted and TLS-only', () => {
    const queues = Object.keys(resources('AWS::SQS::Queue'));
    expect(queues).toHaveLength(2 * jobQueues.length + 2); // + TimerFailures, StreamFailures
    for (const [id, queue] of Object.entries(resources('AWS::SQS::Queue'))) {
      expect(queue.Properties.SqsManagedSseEnabled, id).toBe(true);
      const policies = Object.values(resources('AWS::SQS::QueuePolicy')).filter((p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: id }]));
      expect(policies, id).toHaveLength(1);
      expect(policies[0]!.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
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

  it('serves the console’s APIs as path templates, each to its function', () => {
    const keys = Object.values(resources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey as string);
    expect(keys).toEqual(
      expect.arrayContaining([
        'GET /v1/conversations/{conversationId}',
        'GET /v1/admin/agents',
        'PUT /v1/admin/agents/{agentId}',
        'DELETE /v1/admin/agents/{agentId}',
      ]),
    );
    for (const route of httpRoutes.filter((r) => r.auth === 'bearer')) {
      expect(['conversation-history', 'admin-agents', 'admin-customers'], route.path).toContain(route.handler);
      // The bearer token is verified in the function, with the WebSocket authorizer's settings.
      for (const v of [environment.jwksUrl, environment.tokenIssuer, environment.tokenAudience, environment.tokenRoleClaim]) {
        expect(varsOf(route.handler)[v], `${route.handler} ${v}`).toBeDefined();
      }
    }
  });

  it('CORS for the deployed console only without tide:corsOrigins; with it, the preflight allows those origins, headers and methods', () => {
    const cors = (t: Template) => Object.values(resources('AWS::ApiGatewayV2::Api', t)).find((a) => a.Properties.ProtocolType === 'HTTP')!.Properties.CorsConfiguration;
    // The deployed console's origin (test/infra/console-site.test.ts) is always allowed.
    const consoleOrigin = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [idOf(stack.consoleSite.distribution), 'DomainName'] }]] };
    expect(cors(template).AllowOrigins).toEqual([consoleOrigin]);
    const origins = ['https://console.example.com', 'http://localhost:5173'];
    expect(cors(build({ 'tide:corsOrigins': origins }).template)).toEqual({
      AllowOrigins: [...origins, consoleOrigin],
      AllowHeaders: ['Authorization', 'Content-Type'],
      AllowMethods: ['GET', 'PUT', 'DELETE'],
      MaxAge: 3600,
    });
    expect(() => build({ 'tide:corsOrigins': ['https://console.example.com/path'] })).toThrow(/tide:corsOrigins/);
    expect(() => build({ 'tide:corsOrigins': ['http://console.example.com'] })).toThrow(/tide:corsOrigins/);
    expect(() => build({ 'tide:corsOrigins': '*' })).toThrow(/tide:corsOrigins/);
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
    for (const name of pushers) {
      const endpoint = JSON.stringify(varsOf(name)[environment.managementEndpoint]);
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
  const failures = stack.timers.failures;
  const failuresId = idOf(failures);
  const schedulerRoleId = idOf(stack.timers.role);
  const group = resources('AWS::Scheduler::ScheduleGroup')[idOf(stack.timers.group)]!;
  const arming: HandlerName[] = ['agent-action', 'ws-disconnect', 'sweep', 'work-changes', 'arm-timers', 'message-changes', 'push-overview'];

  /** Handlers whose code can call `deps.timers.schedule(...)`, from esbuild's import graph. */
  async function handlersThatCanArmTimers(): Promise<Set<HandlerName>> {
    const can = new Set<HandlerName>();
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
      if (sources.some((text) => /\.timers\.schedule\(/.test(text))) can.add(name);
    }
    return can;
  }

  it('one schedule group; TimerFailures encrypted, TLS-only, kept 14 days', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    expect(resources('AWS::SQS::Queue')[failuresId]!.Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86400 });
  });

  it('Scheduler’s role (this account only) may invoke timer-fired and reach TimerFailures, nothing else', () => {
    const schedulerRole = resources('AWS::IAM::Role')[schedulerRoleId]!;
    expect(schedulerRole.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    });
    const statements = Object.values(resources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: schedulerRoleId }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    for (const st of statements) {
      const resourcesOf = JSON.stringify(st.Resource);
      expect(resourcesOf.includes(timerFnId) || resourcesOf.includes(failuresId), resourcesOf).toBe(true);
    }
    expect(statements.flatMap((st) => st.Action)).toContain('lambda:InvokeFunction');
    expect(statements.flatMap((st) => st.Action)).toContain('sqs:SendMessage');
  });

  it('handlers that arm timers get the timer settings, CreateSchedule in Tide’s group and PassRole; no others do', () => {
    for (const name of allHandlers) {
      const vars = varsOf(name);
      const statements = statementsOf(name);
      const create = statements.filter((st) => st.Action === 'scheduler:CreateSchedule');
      const passRole = statements.filter((st) => st.Action === 'iam:PassRole');
      if (arming.includes(name)) {
        for (const v of timerVars) expect(vars[v], `${name} ${v}`).toBeDefined();
        expect(vars[environment.timerDeadLetterArn]).toEqual(arnOf(failures));
        expect(vars[environment.timerRoleArn]).toEqual({ 'Fn::GetAtt': [schedulerRoleId, 'Arn'] });
        expect(vars[environment.timerGroup]).toBe(group.Properties.Name);
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
  });

  it('no handler may create schedules whose code cannot (per its import graph)', async () => {
    const can = await handlersThatCanArmTimers();
    expect(can.has(webSocketRoutes.authorizer)).toBe(false);
    for (const name of arming) expect(can.has(name), name).toBe(true);
  }, 60_000);

  it('timers target timer-fired by its fixed name; failed async invokes (after 2 retries) land in TimerFailures', () => {
    expect(timerFn.Properties.FunctionName).toBe(`Tide-${scheduledHandlers.timer.handler}`);
    expect(JSON.stringify(varsOf('agent-action')[environment.timerTargetArn])).toMatch(
      new RegExp(`:function:${timerFn.Properties.FunctionName}"\\]\\]\\}$`),
    );
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: timerFnId },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: arnOf(failures) } },
    });
    expect(allowsOn(scheduledHandlers.timer.handler, 'sqs:SendMessage', arnOf(failures))).toBe(true);
  });

  it('only the sweep redrives TimerFailures: its URL, ReceiveMessage and DeleteMessage', () => {
    for (const name of allHandlers) {
      const redrives = name === scheduledHandlers.sweep.handler;
      expect(varsOf(name)[environment.timerDeadLetterUrl], name).toEqual(redrives ? { Ref: failuresId } : undefined);
      expect(allowsOn(name, 'sqs:ReceiveMessage', arnOf(failures)), name).toBe(redrives);
      expect(allowsOn(name, 'sqs:DeleteMessage', arnOf(failures)), name).toBe(redrives);
    }
  });
});

describe('alarms', () => {
  const deadLetterQueues = [
    ...jobQueues.map((def) => [`${def.id}-dlq`, stack.jobQueues.deadLetterQueues.get(def)!] as const),
    ['TimerFailures', stack.timers.failures] as const,
    ['StreamFailures', stack.changeStreams.failures] as const,
  ];
  const alarmsOn = (queueId: string, t: Template = template) =>
    Object.values(resources('AWS::CloudWatch::Alarm', t)).filter(
      (a) => JSON.stringify(a.Properties.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }]),
    );

  it.each(deadLetterQueues)('%s: alarm at one visible message for a minute; missing data is not breaching', (_name, queue) => {
    const alarms = alarmsOn(idOf(queue));
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
      AlarmDescription: expect.any(String),
    });
  });

  it('no alarm on the job queues themselves (a backlog there is work, not failure)', () => {
    for (const def of jobQueues) expect(alarmsOn(idOf(stack.jobQueues.queue(def))), def.id).toEqual([]);
  });

  it('each stream consumer: an alarm when it is five minutes behind its stream for five minutes', () => {
    for (const name of new Set(streamConsumers.map((c) => c.handler))) {
      const alarms = Object.values(resources('AWS::CloudWatch::Alarm')).filter(
        (a) => a.Properties.MetricName === 'IteratorAge' && JSON.stringify(a.Properties.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: lambdaFor(name)[0] } }]),
      );
      expect(alarms, name).toHaveLength(1);
      expect(alarms[0]!.Properties).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Statistic: 'Maximum',
        Threshold: 5 * 60_000,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        TreatMissingData: 'notBreaching',
      });
    }
    // (The alarms on Tide's own metrics and each function's errors: test/infra/observability.test.ts.)
    const onQueuesAndStreams = Object.values(resources('AWS::CloudWatch::Alarm')).filter((a) => ['ApproximateNumberOfMessagesVisible', 'IteratorAge'].includes(a.Properties.MetricName));
    expect(onQueuesAndStreams).toHaveLength(deadLetterQueues.length + new Set(streamConsumers.map((c) => c.handler)).size);
  });

  it('the stack composes Observability: a dashboard, and a throttle alarm for every function (test/infra/observability.test.ts)', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const throttled = Object.values(resources('AWS::CloudWatch::Alarm')).filter((a) => a.Properties.MetricName === 'Throttles');
    expect(throttled).toHaveLength(allHandlers.length);
  });

  it('without tide:alarmTopicArn the alarms notify no one', () => {
    for (const alarm of Object.values(resources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toBeUndefined();
      expect(alarm.Properties.OKActions).toBeUndefined();
    }
  });

  it('with tide:alarmTopicArn every alarm notifies the topic when it goes off and when it clears', () => {
    const topic = 'arn:aws:sns:eu-west-1:123456789012:tide-alarms';
    const { template: t } = build({ 'tide:alarmTopicArn': topic });
    const alarms = Object.values(resources('AWS::CloudWatch::Alarm', t));
    expect(alarms.length).toBeGreaterThanOrEqual(deadLetterQueues.length);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topic]);
      expect(alarm.Properties.OKActions).toEqual([topic]);
    }
    for (const [, queue] of deadLetterQueues) expect(alarmsOn(idOf(queue), t)[0]!.Properties.AlarmActions).toEqual([topic]);
  });

  it('an invalid tide:alarmTopicArn fails the build', () => {
    expect(() => build({ 'tide:alarmTopicArn': 'tide-alarms' })).toThrow(/tide:alarmTopicArn must be an SNS topic ARN/);
    expect(() => build({ 'tide:alarmTopicArn': 'arn:aws:sqs:eu-west-1:123456789012:q' })).toThrow(/tide:alarmTopicArn/);
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

  it('without tide:config, stage dev deploys the example configuration, and says so', () => {
    expect(JSON.parse(configOf(template))).toEqual(parseConfig(exampleConfig));
    Annotations.fromStack(stack).hasWarning('/Tide', Match.stringLikeRegexp('tide:example-config'));
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
    const agents = [{ id: 'alice' }];
    const config = { agents, channels: { generic: { secretId: 'tide/channels/generic', outboundUrl: 'https://example.com/out' } } };
    const { stack, template: t } = build({ 'tide:config': config });
    const readers = (t: Template, secretName = 'tide/channels/generic') => {
      const fns = t.findResources('AWS::Lambda::Function') as Record<string, Resource>;
      const policies = Object.values(t.findResources('AWS::IAM::Policy') as Record<string, Resource>);
      return Object.values(fns)
        .filter((fn) => {
          const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
          return policies.some(
            (p) =>
              JSON.stringify(p.Properties.Roles).includes(roleId) &&
              JSON.stringify(p.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue') &&
              JSON.stringify(p.Properties.PolicyDocument).includes(`secret:${secretName}-`),
          );
        })
        .map((fn) => String(fn.Properties.Description).replace('Tide ', ''))
        .sort();
    };
    expect(readers(t)).toEqual(['deliver-message', 'inbound-message', 'message-changes']);
    expect(JSON.stringify(t.toJSON())).not.toContain('"secret":');
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('channels.generic.secret is written'));
    const literal = build({ 'tide:config': { agents, channels: { generic: { secret: 'dev-secret' } } } });
    Annotations.fromStack(literal.stack).hasWarning('/Tide', Match.stringLikeRegexp('channels.generic.secret is written'));
    expect(readers(literal.template)).toEqual([]);

    // Twilio's token: its webhook and the senders. Meta's app secret and verify token: its webhook
    // only; its access token: the senders only.
    const providers = build({
      'tide:config': {
        agents,
        channels: {
          twilio: { accountSid: `AC${'0'.repeat(32)}`, authTokenSecretId: 'tide/twilio-token', webhookBaseUrl: 'https://tide.example.com', from: '+15550001111' },
          meta: { appSecretSecretId: 'tide/meta-app', verifyTokenSecretId: 'tide/meta-verify', accessTokenSecretId: 'tide/meta-access', pageId: '1' },
        },
      },
    }).template;
    expect(readers(providers, 'tide/twilio-token')).toEqual(['deliver-message', 'message-changes', 'twilio-webhook']);
    expect(readers(providers, 'tide/meta-app')).toEqual(['meta-webhook']);
    expect(readers(providers, 'tide/meta-verify')).toEqual(['meta-webhook']);
    expect(readers(providers, 'tide/meta-access')).toEqual(['deliver-message', 'message-changes']);
    expect(readers(providers)).toEqual([]);
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
    expect(() => synthWithNag({ 'tide:alarmTopicArn': 'arn:aws:sns:eu-west-1:123456789012:tide-alarms' })).not.toThrow();
    expect(() => synthWithNag({ 'tide:corsOrigins': ['https://console.example.com'] })).not.toThrow();
    for (const secretId of ['tide/channels/generic', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tide/generic-AbCdEf']) {
      const config = { agents: [{ id: 'alice' }], channels: { generic: { secretId, outboundUrl: 'https://example.com/out' } } };
      expect(() => synthWithNag({ 'tide:config': config }), secretId).not.toThrow();
    }
  });

  it('an unacknowledged finding fails synth (the check above can fail)', () => {
    expect(() => synthWithNag({}, (s) => new Queue(s, 'Unencrypted', { encryption: QueueEncryption.UNENCRYPTED }))).toThrow(
      /AwsSolutions-SQS2/,
    );
  });
});
