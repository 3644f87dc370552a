import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, CfnOutput, Duration, Lazy, Stack, type CfnElement, type StackProps } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct, Node } from 'constructs';
import { z } from 'zod';
import { buildConsoleSync } from '../console/build.js';
import { defaultAlgorithms, verifiableAlgorithms, type VerifiableAlgorithm } from '../shared/auth/agent-token.js';
import { channelSecretFields, defaultSecretGraceSeconds } from '../shared/channels/secrets.js';
import type { ProviderName } from '../shared/conversation/model.js';
import { parseConfig, type TideConfig, type TideConfigInput } from '../shared/config/schema.js';
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
  type QueueDefinition,
} from '../shared/contract/routes.js';
import { environment } from '../shared/runtime/environment.js';
import {
  agentsTable,
  availabilityTable,
  connectionsTable,
  conversationsTable,
  customersTable,
  messagesTable,
  requestsTable,
  tables as tableDefinitions,
  type TableDefinition,
} from '../shared/storage/tables.js';
import { AgentSeeding } from './constructs/agent-seeding.js';
import { AgentSocketApi } from './constructs/agent-socket-api.js';
import { Alarms } from './constructs/alarms.js';
import { alarmThresholdsFromContext, Observability } from './constructs/observability.js';
import { ChangeStreams } from './constructs/change-streams.js';
import { PublicHttpApi } from './constructs/public-http-api.js';
import { importChannelSecret } from './constructs/channel-secret.js';
import { logicalIdIgnoringConcerns } from './constructs/concern.js';
import { ConsoleSite } from './constructs/console-site.js';
import { JobQueues } from './constructs/job-queues.js';
import { Sweep } from './constructs/sweep.js';
import {
  aboveAccountQuota,
  defaultHttpThrottling,
  defaultWebSocketThrottling,
  httpRouteKey,
  throttlingWith,
  type StageThrottling,
} from './constructs/throttling.js';
import { TideFunction } from './constructs/tide-function.js';
import { TideTables, type TableAccess } from './constructs/tide-tables.js';
import { Timers } from './constructs/timers.js';

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
  /** The only signature algorithms accepted (shared/auth/agent-token.ts `verifiableAlgorithms`). */
  algorithms: readonly VerifiableAlgorithm[];
}

export interface TideSettings {
  /** Context `tide:stage`: which environment this is (`dev` unless said). */
  stage: string;
  /** Every stage but `dev` is a production stage: it must be configured for real (`refuseUnworkable`). */
  production: boolean;
  /** Context `tide:stackName`: `Tide` for dev, `Tide-<stage>` for other stages unless said. */
  stackName: string;
  config: TideConfig;
  /** True when stage dev had no tide:config nor tide:configFile and `exampleConfig` is in use. */
  configIsExample: boolean;
  auth: AuthSettings;
  /** True when `tide:auth` was absent and the placeholders below are in use. */
  authIsPlaceholder: boolean;
  /** Context `tide:webSocketAccessLogs`; see TideStack. */
  webSocketAccessLogs: boolean;
  /** Context `tide:alarmTopicArn`: the SNS topic every alarm notifies (none when absent). */
  alarmTopicArn?: string;
  /** Context `tide:corsOrigins`: origins whose pages may call the console's HTTP APIs (none when absent). */
  corsOrigins: string[];
  /** Context `tide:console`: the deployed console's OpenID Connect client. */
  console: ConsoleSettings;
  /** True when `tide:console` was absent and the placeholder client id is in use. */
  consoleIsPlaceholder: boolean;
  /** Context `tide:httpThrottle`, over `defaultHttpThrottling`. */
  httpThrottling: StageThrottling;
  /** Context `tide:webSocketThrottle`, over `defaultWebSocketThrottling`. */
  webSocketThrottling: StageThrottling;
  /** Context `tide:consoleWebAclArn`: a WAF web ACL (scope CLOUDFRONT) in front of the console. */
  consoleWebAclArn?: string;
  /** Context `tide:secretRotationGraceHours`, in seconds: how long a rotated-out channel secret still verifies. */
  secretGraceSeconds: number;
}

/**
 * The deployed console's client at the identity provider (`tide:auth`'s issuer). Its bearer is the
 * ID token (console/src/auth/oidc.ts), whose audience is this client id: `tide:auth`'s audience.
 */
export interface ConsoleSettings {
  clientId: string;
  scopes: string[];
  /** Origins of provider endpoints not on the issuer's origin (the console's CSP allows them). */
  identityProviderOrigins: string[];
}

export const placeholderConsoleClientId = 'tide-console-not-configured';

const consoleContextSchema = z.strictObject({
  clientId: z.string().min(1),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope is one word of printable ASCII')).default(['openid', 'profile', 'email']),
  identityProviderOrigins: z.array(z.string().regex(/^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, 'an https origin, no path')).default([]),
});

/** Obviously unusable values (`.invalid` never resolves) so a forgotten `tide:auth` fails closed. */
export const placeholderAuth: AuthSettings = {
  issuer: 'https://example.invalid/',
  audience: 'tide-auth-not-configured',
  jwksUrl: 'https://example.invalid/.well-known/jwks.json',
  roleClaim: 'role',
  algorithms: defaultAlgorithms,
};

const authContextSchema = z.strictObject({
  issuer: z.string().min(1),
  audience: z.string().min(1),
  jwksUrl: z.url({ protocol: /^https$/ }),
  roleClaim: z.string().min(1).default('role'),
  algorithms: z
    .array(
      z.string().refine((a) => (verifiableAlgorithms as readonly string[]).includes(a), {
        message: `an algorithm is one of ${verifiableAlgorithms.join(', ')} (never none or HS*: a JWKS publishes public keys only)`,
      }),
    )
    .min(1)
    .default([...defaultAlgorithms])
    .transform((list) => [...new Set(list)] as VerifiableAlgorithm[]),
});

/** The stage that synthesizes without an identity provider and with `exampleConfig`; every other is production. */
export const developmentStage = 'dev';
const stageName = /^[a-z][a-z0-9-]{0,30}$/;
const stackName = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/**
 * What stage dev deploys when no configuration is given, so `cdk synth` works on a fresh clone:
 * one queue, one agent, the generic channel keyed by a Secrets Manager secret (named, never
 * implied: create it before deploying). Other stages have no default.
 */
export const exampleConfig = {
  agents: [{ id: 'alice', name: 'Alice', queues: ['default'] }],
  channels: { generic: { secretId: 'tide/dev/generic' } },
} satisfies TideConfigInput;

/** Every context key Tide reads (docs/deploy.md explains each); an environment file may set any but the stage. */
export const contextKeys = [
  'tide:stage',
  'tide:stackName',
  'tide:config',
  'tide:configFile',
  'tide:auth',
  'tide:console',
  'tide:corsOrigins',
  'tide:alarmTopicArn',
  'tide:alarmThresholds',
  'tide:webSocketAccessLogs',
  'tide:httpThrottle',
  'tide:webSocketThrottle',
  'tide:consoleWebAclArn',
  'tide:secretRotationGraceHours',
] as const;

/** A CloudFront-scope web ACL (WAF keeps those in us-east-1, whatever the stack's region). */
const cloudFrontWebAclArn = /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[A-Za-z0-9_-]{1,128}\/[0-9a-f-]{36}$/;

/** Context that cannot work, or cannot be read; the message says which key and how to fix it. */
export class DeploySettingsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeploySettingsError';
  }
}

function stageFromContext(node: Node): string {
  const stage: unknown = node.tryGetContext('tide:stage') ?? developmentStage;
  if (typeof stage !== 'string' || !stageName.test(stage)) {
    throw new DeploySettingsError(`context tide:stage must be a short lower-case name such as dev or prod (letters, digits, -), not ${JSON.stringify(stage)}`);
  }
  return stage;
}

/** Where a stage's context file is: `environments/<stage>.json` under `dir` (the app's working directory). */
export const environmentFileOf = (stage: string, dir: string = process.cwd()): string => path.join(dir, 'environments', `${stage}.json`);

/**
 * Reads the stage's context file (`environments/<stage>.json`), if it exists, into the app's
 * context: each `tide:*` key it sets applies unless the command line (`-c`) or cdk.json sets it
 * already. `tide:config` and `tide:configFile` count as one setting: a configuration given on the
 * command line in either form replaces the file's. Call before any stack is added. Returns the
 * file read, if any.
 */
export function applyEnvironmentFile(app: Construct, dir: string = process.cwd()): string | undefined {
  const file = environmentFileOf(stageFromContext(app.node), dir);
  if (!existsSync(file)) return undefined;
  let values: unknown;
  try {
    values = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new DeploySettingsError(`${file} is not valid JSON`, { cause: error });
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new DeploySettingsError(`${file} must hold one JSON object of context keys, such as { "tide:auth": { … } }`);
  }
  const known = contextKeys.filter((k) => k !== 'tide:stage') as string[];
  const unknown = Object.keys(values).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new DeploySettingsError(`${file} sets ${unknown.join(', ')}: an environment file may set only ${known.join(', ')} (the stage is what chose the file)`);
  }
  const configGiven = ['tide:config', 'tide:configFile'].some((k) => app.node.tryGetContext(k) !== undefined);
  for (const [key, value] of Object.entries(values)) {
    if (app.node.tryGetContext(key) !== undefined) continue;
    if (configGiven && (key === 'tide:config' || key === 'tide:configFile')) continue;
    app.node.setContext(key, value);
  }
  return file;
}

/** A browser origin: scheme and host (and port), no path; plain http only for localhost. */
const corsOrigin = /^(https:\/\/[A-Za-z0-9.-]+|http:\/\/(localhost|127\.0\.0\.1))(:\d{1,5})?$/;

function corsOriginsFromContext(node: Node): string[] {
  const value = jsonContext(node, 'tide:corsOrigins');
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((o) => typeof o === 'string' && corsOrigin.test(o))) {
    throw new DeploySettingsError('context tide:corsOrigins must be a list of origins such as ["https://console.example.com"] (no path, https except localhost)');
  }
  return value as string[];
}

const snsTopicArn = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** Values given with `cdk -c key=value` arrive as strings; values in cdk.json as JSON. */
function jsonContext(node: Node, key: string): unknown {
  const value: unknown = node.tryGetContext(key);
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new DeploySettingsError(`context ${key} is not valid JSON`);
  }
}

/**
 * Reads and validates the Tide settings from CDK context (every key: `contextKeys`, docs/deploy.md):
 * - `tide:stage`: the environment (`dev` unless said); any other stage is production;
 * - `tide:stackName`: `Tide` for dev, `Tide-<stage>` otherwise unless said;
 * - `tide:config`: the Tide configuration (DESIGN §4) as a JSON object, or
 * - `tide:configFile`: the path of a JSON file holding it (relative to the working directory);
 *   stage dev with neither gets `exampleConfig`;
 * - `tide:auth`: `{ issuer, audience, jwksUrl, roleClaim?, algorithms? }` for agent JWTs;
 * - `tide:webSocketAccessLogs`: `true` to turn on WebSocket access logs;
 * - `tide:alarmTopicArn`: an SNS topic ARN (same region as the stack) that every alarm notifies;
 * - `tide:corsOrigins`: `["https://console.example.com", …]`, origins allowed to call the
 *   console's HTTP APIs (history, administration) from a browser;
 * - `tide:console`: `{ clientId, scopes?, identityProviderOrigins? }`, the deployed console's
 *   OpenID Connect client (a public client with PKCE; redirect URI: the ConsoleUrl output + `/`);
 * - `tide:httpThrottle`, `tide:webSocketThrottle`: `{ rateLimit?, burstLimit?, routes? }` over
 *   the defaults of infra/constructs/throttling.ts;
 * - `tide:consoleWebAclArn`: a WAF web ACL (scope CLOUDFRONT) for the console's distribution;
 * - `tide:secretRotationGraceHours`: how long a rotated-out channel secret still verifies (24).
 * Throws on an invalid configuration, so a bad config never reaches a deployment; what is valid
 * but cannot work is `refuseUnworkable`'s.
 */
export function tideSettingsFromContext(scope: Construct): TideSettings {
  const node = scope.node;
  const stage = stageFromContext(node);
  const production = stage !== developmentStage;
  const inline = jsonContext(node, 'tide:config');
  const file: unknown = node.tryGetContext('tide:configFile');
  if (inline !== undefined && file !== undefined) {
    throw new DeploySettingsError('set either context tide:config or tide:configFile, not both');
  }
  const configIsExample = !production && inline === undefined && file === undefined;
  let input: unknown = configIsExample ? exampleConfig : inline;
  if (file !== undefined) {
    if (typeof file !== 'string' || file === '') throw new DeploySettingsError('context tide:configFile must be a file path');
    if (!existsSync(path.resolve(file))) throw new DeploySettingsError(`tide:configFile ${file} does not exist (it is read relative to ${process.cwd()})`);
    const text = readFileSync(path.resolve(file), 'utf8');
    try {
      input = JSON.parse(text);
    } catch {
      throw new DeploySettingsError(`tide:configFile ${file} is not valid JSON`);
    }
  }
  let config: TideConfig;
  try {
    config = parseConfig(input);
  } catch (error) {
    const source = file !== undefined ? `tide:configFile ${String(file)}` : configIsExample ? 'the example configuration' : 'tide:config';
    throw new DeploySettingsError(`${source}: ${(error as Error).message}`, { cause: error });
  }

  const authInput = jsonContext(node, 'tide:auth');
  let auth = placeholderAuth;
  if (authInput !== undefined) {
    const parsed = authContextSchema.safeParse(authInput);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw new DeploySettingsError(`invalid context tide:auth:\n  ${problems.join('\n  ')}`);
    }
    auth = parsed.data;
  }

  const accessLogs: unknown = node.tryGetContext('tide:webSocketAccessLogs');
  const alarmTopicArn: unknown = node.tryGetContext('tide:alarmTopicArn');
  if (alarmTopicArn !== undefined && (typeof alarmTopicArn !== 'string' || !snsTopicArn.test(alarmTopicArn))) {
    throw new DeploySettingsError(`context tide:alarmTopicArn must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>), not ${JSON.stringify(alarmTopicArn)}`);
  }
  const webAclArn: unknown = node.tryGetContext('tide:consoleWebAclArn');
  if (webAclArn !== undefined && (typeof webAclArn !== 'string' || !cloudFrontWebAclArn.test(webAclArn))) {
    throw new DeploySettingsError(
      'context tide:consoleWebAclArn must be the ARN of a web ACL of scope CLOUDFRONT (created in us-east-1: ' +
        `arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>), not ${JSON.stringify(webAclArn)}`,
    );
  }
  const graceHours = jsonContext(node, 'tide:secretRotationGraceHours') ?? defaultSecretGraceSeconds / 3600;
  if (typeof graceHours !== 'number' || !(graceHours >= 0 && graceHours <= 720)) {
    throw new DeploySettingsError(`context tide:secretRotationGraceHours must be a number of hours from 0 to 720, not ${JSON.stringify(graceHours)}`);
  }
  const stack = node.tryGetContext('tide:stackName') ?? (production ? `Tide-${stage}` : 'Tide');
  if (typeof stack !== 'string' || !stackName.test(stack)) {
    throw new DeploySettingsError(`context tide:stackName must be a CloudFormation stack name (a letter, then letters, digits or -), not ${JSON.stringify(stack)}`);
  }
  const consoleInput = jsonContext(node, 'tide:console');
  let consoleSettings: ConsoleSettings = { clientId: placeholderConsoleClientId, scopes: ['openid', 'profile', 'email'], identityProviderOrigins: [] };
  if (consoleInput !== undefined) {
    const parsed = consoleContextSchema.safeParse(consoleInput);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw new DeploySettingsError(`invalid context tide:console:\n  ${problems.join('\n  ')}`);
    }
    consoleSettings = parsed.data;
  }
  return {
    stage,
    production,
    stackName: stack,
    config,
    configIsExample,
    auth,
    authIsPlaceholder: authInput === undefined,
    console: consoleSettings,
    consoleIsPlaceholder: consoleInput === undefined,
    webSocketAccessLogs: accessLogs === true || accessLogs === 'true',
    corsOrigins: corsOriginsFromContext(node),
    ...(alarmTopicArn !== undefined ? { alarmTopicArn: alarmTopicArn as string } : {}),
    httpThrottling: throttlingWith(defaultHttpThrottling(httpRoutes), jsonContext(node, 'tide:httpThrottle'), 'tide:httpThrottle', httpRoutes.map(httpRouteKey)),
    webSocketThrottling: throttlingWith(defaultWebSocketThrottling(), jsonContext(node, 'tide:webSocketThrottle'), 'tide:webSocketThrottle', [
      '$connect',
      '$disconnect',
      ...webSocketRoutes.actionRouteKeys,
    ]),
    ...(webAclArn !== undefined ? { consoleWebAclArn: webAclArn as string } : {}),
    secretGraceSeconds: Math.round(graceHours * 3600),
  };
}

/**
 * A configuration that synthesizes but cannot work once deployed; each problem says how to fix it.
 * Thrown by `refuseUnworkable`, so `cdk synth` fails instead of the deployment.
 */
export class UnworkableDeploymentError extends Error {
  constructor(
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`Tide cannot work with this configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee docs/deploy.md.`, options);
    this.name = 'UnworkableDeploymentError';
  }
}

/** Refuses settings under which Tide would be deployed and yet refuse every message or every agent. */
export function refuseUnworkable(settings: TideSettings): void {
  const problems: string[] = [];
  const channelsConfigured = Object.values(settings.config.channels).some((channel) => channel !== undefined);
  if (!channelsConfigured) {
    problems.push(
      'No channel is configured: every inbound message would be refused. Add one under "channels" in the configuration ' +
        '(tide:configFile or tide:config), e.g. "generic": { "secretId": "<Secrets Manager secret name>" }, or twilio / meta.',
    );
  }
  if (settings.config.agents.length === 0 && settings.authIsPlaceholder) {
    problems.push(
      'No agent is configured and tide:auth is not set: no one could ever work a conversation, since the admin API that ' +
        'creates agents needs an admin token from the identity provider. List agents under "agents" in the configuration, ' +
        'or set tide:auth so that admins can add them (PUT /v1/admin/agents/{agentId}).',
    );
  }
  if (settings.production && settings.authIsPlaceholder) {
    problems.push(
      `Stage ${settings.stage} is a production stage and tide:auth is not set: every agent token and console sign-in would be ` +
        `refused. Pass -c 'tide:auth={"issuer":"…","audience":"…","jwksUrl":"https://…"}' or set it in ` +
        `environments/${settings.stage}.json; only stage ${developmentStage} synthesizes without an identity provider.`,
    );
  }
  if (problems.length) throw new UnworkableDeploymentError(problems);
}

// ---------------------------------------------------------------------------------------------
// What each handler may do
// ---------------------------------------------------------------------------------------------

/**
 * The permissions of one handler, beyond writing its own logs. Reading streams and consuming job
 * queues come with the event source mappings (shared/contract/routes.ts), not from here.
 */
export interface HandlerAccess {
  tables?: ReadonlyArray<readonly [TableDefinition, TableAccess]>;
  /** Posts frames to agent connections (the management API). */
  pushes?: boolean;
  /** Creates timer schedules (`deps.timers.schedule`). */
  armsTimers?: boolean;
  /** Runs failed timer fires again from TimerFailures (receive and delete). */
  redrivesTimers?: boolean;
  /** Verifies this provider's webhooks: reads the secrets it needs for that. */
  verifies?: ProviderName;
  /** Makes delivery attempts on every channel: reads the secrets needed to send. */
  sendsOnChannels?: boolean;
  /** Job queues it enqueues to. */
  sends?: readonly QueueDefinition[];
}

const rw = (...defs: TableDefinition[]) => defs.map((def) => [def, 'readWrite'] as const);
const r = (...defs: TableDefinition[]) => defs.map((def) => [def, 'read'] as const);

/**
 * Least privilege, per handler: what its code does, and nothing more (test/infra asserts the
 * resulting policies). A `Record`, so a new handler cannot be deployed before someone decides
 * what it may touch.
 */
export const handlerAccess: Readonly<Record<HandlerName, HandlerAccess>> = {
  'inbound-message': { tables: rw(conversationsTable, messagesTable, customersTable, agentsTable, availabilityTable), verifies: 'generic' },
  // The providers' webhooks: customer messages as above, and delivery statuses on Messages.
  'twilio-webhook': { tables: rw(conversationsTable, messagesTable, customersTable, agentsTable, availabilityTable), verifies: 'twilio' },
  'meta-webhook': { tables: rw(conversationsTable, messagesTable, customersTable, agentsTable, availabilityTable), verifies: 'meta' },
  'agent-action': {
    tables: rw(conversationsTable, messagesTable, customersTable, agentsTable, availabilityTable, connectionsTable, requestsTable),
    pushes: true,
    // Presence (a push answered 410) and ramp-up (going online).
    armsTimers: true,
  },
  // Only checks a JWT against the JWKS.
  'ws-authorizer': {},
  // Records the connection, and on the agent item, which pushes and presence read consistently.
  'ws-connect': { tables: rw(agentsTable, connectionsTable), sends: [overviewQueue] },
  'ws-disconnect': { tables: rw(connectionsTable, agentsTable), armsTimers: true },
  // Conversation timers may close (a closing message) or requeue; presence may hand work back.
  'timer-fired': { tables: rw(conversationsTable, customersTable, agentsTable, availabilityTable, messagesTable) },
  // Routes every queue, repairs agents, starts presence checks, and runs failed timer fires itself.
  sweep: {
    tables: rw(conversationsTable, agentsTable, availabilityTable, customersTable, messagesTable, connectionsTable),
    armsTimers: true,
    redrivesTimers: true,
  },
  'work-changes': {
    tables: [...rw(conversationsTable, agentsTable, availabilityTable, connectionsTable), ...r(messagesTable)],
    pushes: true,
    armsTimers: true,
    // Rechecks, and overview jobs (a conditional write on the supervisors' registry in Connections).
    sends: [recheckQueue, overviewQueue],
  },
  // Only creates schedules: a Scheduler outage must hold up nothing but timers.
  'arm-timers': { armsTimers: true },
  // Makes each reply's first delivery attempt (signing it) and queues the retries.
  'message-changes': {
    tables: [...r(conversationsTable), ...rw(agentsTable, connectionsTable, messagesTable)],
    pushes: true,
    armsTimers: true,
    sends: [deliveryQueue],
    sendsOnChannels: true,
  },
  // Re-enqueues a failed attempt with a delay.
  'deliver-message': { tables: rw(messagesTable), sends: [deliveryQueue], sendsOnChannels: true },
  'recheck-queues': { tables: rw(conversationsTable, agentsTable, availabilityTable) },
  'seed-agents': { tables: rw(agentsTable, availabilityTable) },
  // The history API: the conversation, and its messages through the byConversation index.
  'conversation-history': { tables: r(conversationsTable, messagesTable) },
  // The admin API: agent profiles (with their Availability rows); a removal takes the agent
  // offline and releases its conversations as presence does, then closes its connections.
  'admin-agents': { tables: rw(agentsTable, availabilityTable, conversationsTable), pushes: true },
  // A customer's export (reads) and erasure: closes an open conversation as any close does (its
  // agent and Availability rows), then deletes messages, conversations and the customer item.
  'admin-customers': { tables: rw(conversationsTable, messagesTable, customersTable, agentsTable, availabilityTable) },
  // Reads the overview (Agents scan, the queue index, held conversations), takes its mark and seq on
  // the registry in Connections, posts to supervisors; a connection gone is forgotten as presence
  // does (which may arm the presence timer of a supervisor who is also an agent). Asks for its own
  // second look.
  'push-overview': {
    tables: [...r(conversationsTable), ...rw(agentsTable, connectionsTable)],
    pushes: true,
    armsTimers: true,
    sends: [overviewQueue],
  },
};

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
    ...streamConsumers.map((c) => c.handler),
    ...jobQueues.flatMap((q) => (q.consumer ? [q.consumer] : [])),
  ]),
];

/**
 * Background handlers no caller waits on, which may work through a large batch (a routing pass,
 * 100 stream records): one minute. Everything else gets 29 s: behind API Gateway that is its
 * integration limit; queue consumers stay well inside their queues' visibility timeout (JobQueues
 * checks it), so a job is not handed out again while an attempt may still be running.
 */
const longRunningHandlers = new Set<HandlerName>([
  ...Object.values(scheduledHandlers).map((h) => h.handler),
  ...streamConsumers.map((c) => c.handler),
]);

/** Construct ids of the functions, e.g. `inbound-message` → `InboundMessage`. */
const pascal = (name: string) => name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());

// ---------------------------------------------------------------------------------------------
// The stack
// ---------------------------------------------------------------------------------------------

let consoleSiteDir: string | undefined;

/** The console, built once per process at synth time (tests synthesise many stacks). */
function builtConsole(): string {
  if (!consoleSiteDir) {
    const outDir = mkdtempSync(path.join(tmpdir(), 'tide-console-'));
    buildConsoleSync({ outDir });
    consoleSiteDir = outDir;
  }
  return consoleSiteDir;
}

export interface TideStackProps extends StackProps {
  /** @default - read from CDK context with `tideSettingsFromContext` */
  settings?: TideSettings;
}

/**
 * Tide on AWS (DESIGN §2), composed of one construct per concern (infra/constructs): the tables,
 * one Lambda per handler, the channels' HTTP API, the agents' WebSocket API, timers (EventBridge
 * Scheduler → `timer-fired`), the change-stream consumers, the job queues, the one-minute sweep,
 * the deploy-time agent seeding and the alarms. The stack itself decides only what each handler
 * may do (`handlerAccess`). Environment-agnostic (no `env`), so `cdk synth` needs no credentials.
 *
 * Concerns do not take part in logical ids (`Concern`): resources keep the ids they had when this
 * stack built them itself, so no deployment replaces a table, an API or a pending timer's target.
 */
export class TideStack extends Stack {
  readonly functions: ReadonlyMap<HandlerName, TideFunction>;
  readonly tables: ReadonlyMap<TableDefinition, TableV2>;
  readonly httpApi: apigw.HttpApi;
  readonly webSocketApi: apigw.WebSocketApi;
  readonly webSocketStage: apigw.WebSocketStage;
  readonly timers: Timers;
  readonly changeStreams: ChangeStreams;
  readonly jobQueues: JobQueues;
  readonly alarms: Alarms;
  /** The deployed console (S3 + CloudFront). */
  readonly consoleSite: ConsoleSite;

  constructor(scope: Construct, id: string, props: TideStackProps = {}) {
    super(scope, id, props);
    const settings = props.settings ?? tideSettingsFromContext(this);
    refuseUnworkable(settings);
    if (settings.configIsExample) {
      Annotations.of(this).addWarningV2(
        'tide:example-config',
        `Neither tide:config nor tide:configFile is set: stage ${developmentStage} deploys the example configuration (agent ` +
          `alice, the generic channel keyed by the Secrets Manager secret ${exampleConfig.channels.generic.secretId}).`,
      );
    }
    for (const [key, throttling] of [['tide:httpThrottle', settings.httpThrottling], ['tide:webSocketThrottle', settings.webSocketThrottling]] as const) {
      const over = aboveAccountQuota(throttling);
      if (over.length) {
        Annotations.of(this).addWarningV2(
          'tide:throttle-above-account-quota',
          `${key}: ${over.join(', ')} is above API Gateway's default account quota (10,000 requests/s, burst 5,000 per Region, ` +
            'shared by every API of the account): the account-level throttle applies first unless the quota was raised (Service Quotas).',
        );
      }
    }
    if (settings.authIsPlaceholder) {
      Annotations.of(this).addWarningV2(
        'tide:auth-not-configured',
        'Context tide:auth ({ issuer, audience, jwksUrl, roleClaim?, algorithms? }) is not set: agent tokens are checked ' +
          `against the placeholder issuer ${placeholderAuth.issuer}, so every WebSocket connection is refused. ` +
          'Configure tide:auth before deploying.',
      );
    }
    if (settings.consoleIsPlaceholder) {
      Annotations.of(this).addWarningV2(
        'tide:console-not-configured',
        `Context tide:console ({ clientId, scopes?, identityProviderOrigins? }) is not set: the console signs in as client ` +
          `${placeholderConsoleClientId}, which no identity provider knows. Configure tide:console before deploying.`,
      );
    } else if (settings.console.clientId !== settings.auth.audience) {
      Annotations.of(this).addWarningV2(
        'tide:console-audience',
        `The console sends its ID token, whose audience is its client id ${settings.console.clientId}, but tide:auth expects ` +
          `audience ${settings.auth.audience}: every console connection would be refused. Set tide:auth's audience to the client id.`,
      );
    }

    const tables = new TideTables(this, 'Tables', { definitions: tableDefinitions });
    this.tables = tables.tables;

    // Functions: what all of them need; each concern below adds what its resources need.
    const common: Record<string, string> = {
      [environment.config]: JSON.stringify(settings.config),
      [environment.jwksUrl]: settings.auth.jwksUrl,
      [environment.tokenIssuer]: settings.auth.issuer,
      [environment.tokenAudience]: settings.auth.audience,
      [environment.tokenRoleClaim]: settings.auth.roleClaim,
      [environment.tokenAlgorithms]: settings.auth.algorithms.join(','),
      [environment.secretGraceSeconds]: String(settings.secretGraceSeconds),
      ...tables.environment,
    };
    const timerHandler = scheduledHandlers.timer.handler;
    const functions = new Map<HandlerName, TideFunction>();
    for (const name of handlerNames) {
      functions.set(
        name,
        new TideFunction(this, pascal(name), {
          handler: name,
          projectRoot,
          // A fixed name: every schedule carries the target's ARN (see Timers).
          functionName: name === timerHandler ? `${this.stackName}-${timerHandler}`.slice(0, 64) : undefined,
          memorySize: name === webSocketRoutes.authorizer ? 256 : 512,
          timeout: Duration.seconds(longRunningHandlers.has(name) ? 60 : 29),
          environment: common,
        }),
      );
    }
    this.functions = functions;
    const fn = (name: HandlerName): TideFunction => {
      const found = functions.get(name);
      if (!found) throw new Error(`no function for handler ${name}`);
      return found;
    };
    const granted = (has: (access: HandlerAccess) => boolean | undefined) =>
      handlerNames.filter((name) => has(handlerAccess[name])).map(fn);
    for (const name of handlerNames) {
      for (const [def, access] of handlerAccess[name].tables ?? []) tables.grant(fn(name), def, access);
    }

    const socket = new AgentSocketApi(this, 'AgentSocket', {
      authorizer: fn(webSocketRoutes.authorizer),
      tokenQueryParameter: webSocketRoutes.tokenQueryParameter,
      connect: fn(webSocketRoutes.connect),
      disconnect: fn(webSocketRoutes.disconnect),
      actions: fn(webSocketRoutes.actions),
      actionRouteKeys: webSocketRoutes.actionRouteKeys,
      pushers: granted((a) => a.pushes),
      accessLogs: settings.webSocketAccessLogs,
      throttling: settings.webSocketThrottling,
    });
    this.webSocketApi = socket.api;
    this.webSocketStage = socket.stage;

    const channels = new PublicHttpApi(this, 'Channels', {
      routes: httpRoutes.map((route) => ({ ...route, handler: fn(route.handler) })),
      // And the deployed console's own origin: the site (below) needs the API's URL first, so its
      // address is filled in when the template is written.
      corsOrigins: [...settings.corsOrigins, Lazy.string({ produce: () => this.consoleSite.url })],
      throttling: settings.httpThrottling,
    });
    this.httpApi = channels.api;

    this.consoleSite = new ConsoleSite(this, 'Console', {
      siteDir: builtConsole(),
      httpApiUrl: channels.url,
      webSocketUrl: socket.stage.url,
      signIn: { issuer: settings.auth.issuer, clientId: settings.console.clientId, scopes: settings.console.scopes, roleClaim: settings.auth.roleClaim },
      identityProviderOrigins: settings.console.identityProviderOrigins,
      queues: Object.keys(settings.config.queues),
      // The customer page talks to the local stack's dev routes only.
      unpublished: ['customer/'],
      webAclArn: settings.consoleWebAclArn,
    });

    this.timers = new Timers(this, 'TimerScheduling', {
      target: fn(timerHandler),
      arming: granted((a) => a.armsTimers),
      redrivers: granted((a) => a.redrivesTimers),
    });

    this.changeStreams = new ChangeStreams(this, 'ChangeStreams', {
      consumers: streamConsumers.map((c) => ({
        consumer: fn(c.handler),
        tables: c.tables.map((def) => tables.table(def)),
        batchSize: c.batchSize,
      })),
    });

    this.jobQueues = new JobQueues(this, 'Jobs', {
      queues: jobQueues.map((definition) => {
        if (!definition.consumer) throw new Error(`job queue ${definition.id} has no consumer`);
        return { definition, consumer: fn(definition.consumer), senders: granted((a) => a.sends?.includes(definition)) };
      }),
    });

    const { everySeconds } = scheduledHandlers.sweep;
    if (!Number.isInteger(everySeconds / 60) || everySeconds < 60) {
      throw new Error(`scheduledHandlers.sweep.everySeconds (${everySeconds}) must be whole minutes for EventBridge`);
    }
    new Sweep(this, 'SafetyNet', { handler: fn(scheduledHandlers.sweep.handler), every: Duration.minutes(everySeconds / 60) });

    // Channel secrets: each readable only by the functions that verify or send for its channel.
    for (const field of channelSecretFields) {
      const channel = (settings.config.channels as Record<string, Record<string, unknown> | undefined>)[field.channel];
      if (typeof channel?.[field.literal] === 'string') {
        Annotations.of(this).addWarningV2(
          'tide:literal-channel-secret',
          `channels.${field.channel}.${field.literal} is written into the template and the functions' environment: store it ` +
            `in Secrets Manager and set channels.${field.channel}.${field.secretId} instead.`,
        );
      }
      const secretId = channel?.[field.secretId];
      if (typeof secretId !== 'string') continue;
      const secret = importChannelSecret(this, field.channel === 'generic' ? 'ChannelSecret' : `${pascal(field.channel)}${pascal(field.literal)}Secret`, secretId);
      const readers = granted((a) => (field.purposes.includes('verify') && a.verifies === field.channel) || (field.purposes.includes('send') && Boolean(a.sendsOnChannels)));
      for (const target of readers) secret.grantRead(target.fn);
    }

    new AgentSeeding(this, 'AgentSeeding', { handler: fn(deploymentHandlers.seedAgents.handler), agents: settings.config.agents });

    this.alarms = new Alarms(this, 'Alarms', {
      deadLetterQueues: [
        ...jobQueues.map((def) => ({
          name: `${def.id}DeadLetters`,
          queue: this.jobQueues.deadLetterQueues.get(def)!,
          description:
            `Jobs of the ${def.id} queue failed ${def.maxReceiveCount ?? 5} times (${def.consumer}). Look for the cause in ` +
            `its logs; once fixed, redrive ${def.id}-dlq to ${def.id} (SQS "Start DLQ redrive").`,
        })),
        {
          name: 'TimerFailures',
          queue: this.timers.failures,
          description:
            'A timer fire never ran (Scheduler could not invoke timer-fired, or it failed every attempt). The sweep ' +
            'runs these again every minute; an alarm that stays on means they keep failing: see the sweep\'s logs.',
        },
        {
          name: 'StreamFailures',
          queue: this.changeStreams.failures,
          description:
            'A stream consumer gave up on a batch after hours of retries: its follow-ups (routing, pushes, timers, ' +
            'deliveries) were not done. The message names the shard and sequence numbers; the records stay in the ' +
            'stream for 24 h from their change, and the sweep repairs routing and presence meanwhile.',
        },
      ],
      streamConsumers: [...new Set(streamConsumers.map((c) => fn(c.handler)))],
      topicArn: settings.alarmTopicArn,
    });

    // Tide's metrics, their alarms (through this.alarms' topic) and the dashboard.
    new Observability(this, 'Observability', {
      service: this.stackName,
      functions: [...functions.values()],
      errorsAreAnswers: [fn(webSocketRoutes.authorizer)],
      queues: Object.keys(settings.config.queues),
      alarms: this.alarms,
      thresholds: alarmThresholdsFromContext(this.node),
    });

    new CfnOutput(this, 'HttpApiUrl', { value: channels.url, description: 'Channel webhooks and console APIs base URL' });
    new CfnOutput(this, 'ConsoleUrl', {
      value: this.consoleSite.url,
      description: "The agent console (supervisors: /supervisor). Register <ConsoleUrl>/ as the console client's redirect URI",
    });
    new CfnOutput(this, 'WebSocketUrl', {
      value: socket.stage.url,
      description: `Agent WebSocket URL; add ?${webSocketRoutes.tokenQueryParameter}=<jwt>`,
    });
  }

  /** CDK's default naming scheme, with the concern constructs left out of the path (see `Concern`). */
  protected override allocateLogicalId(cfnElement: CfnElement): string {
    return logicalIdIgnoringConcerns(cfnElement);
  }
}
