import { agentsTable, conversationsTable, messagesTable, type TableDefinition } from '../storage/tables.js';

/**
 * Every entry point of Tide and the Lambda handler behind it, declared once. The CDK stack wires
 * these to API Gateway and EventBridge; the local stack's gateways dispatch to the same handler
 * modules. A handler named `x` lives in `functions/x.ts` and exports `handler`.
 */

export type HandlerName =
  | 'inbound-message'
  | 'twilio-webhook'
  | 'meta-webhook'
  | 'ws-authorizer'
  | 'ws-connect'
  | 'ws-disconnect'
  | 'agent-action'
  | 'sweep'
  | 'timer-fired'
  | 'seed-agents'
  | 'work-changes'
  | 'arm-timers'
  | 'message-changes'
  | 'deliver-message'
  | 'recheck-queues'
  | 'push-overview'
  | 'conversation-history'
  | 'admin-agents'
  | 'admin-customers';

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** An API Gateway path template: `{name}` matches one path segment (`pathParameters.name`). */
  path: string;
  handler: HandlerName;
  /**
   * How the caller proves who it is: `signature` (a channel signs the body) or `bearer` (an
   * agent's, supervisor's or admin's JWT in `Authorization`). Both are checked in the function.
   */
  auth: 'signature' | 'bearer';
}

/** Public HTTP API routes (API Gateway HTTP API, payload format 2.0). */
export const httpRoutes: readonly HttpRoute[] = [
  { method: 'POST', path: '/v1/messages', handler: 'inbound-message', auth: 'signature' },
  { method: 'POST', path: '/v1/channels/twilio/messages', handler: 'twilio-webhook', auth: 'signature' },
  { method: 'POST', path: '/v1/channels/twilio/status', handler: 'twilio-webhook', auth: 'signature' },
  { method: 'GET', path: '/v1/channels/meta', handler: 'meta-webhook', auth: 'signature' },
  { method: 'POST', path: '/v1/channels/meta', handler: 'meta-webhook', auth: 'signature' },
  // The console's APIs (DESIGN §4b).
  { method: 'GET', path: '/v1/conversations/{conversationId}', handler: 'conversation-history', auth: 'bearer' },
  { method: 'GET', path: '/v1/admin/agents', handler: 'admin-agents', auth: 'bearer' },
  { method: 'PUT', path: '/v1/admin/agents/{agentId}', handler: 'admin-agents', auth: 'bearer' },
  { method: 'DELETE', path: '/v1/admin/agents/{agentId}', handler: 'admin-agents', auth: 'bearer' },
  // A customer's data: export and erasure (docs/data.md).
  { method: 'GET', path: '/v1/admin/customers/{channel}/{customerId}/export', handler: 'admin-customers', auth: 'bearer' },
  { method: 'DELETE', path: '/v1/admin/customers/{channel}/{customerId}', handler: 'admin-customers', auth: 'bearer' },
];

/** WebSocket agent actions; route selection is on `$request.body.action`. */
export const agentActionNames = ['setStatus', 'send', 'close', 'followUp', 'transfer', 'setPriority', 'sync', 'ping', 'setAgentStatus', 'reassign'] as const;
export type AgentActionName = (typeof agentActionNames)[number];

export interface WebSocketRoutes {
  authorizer: HandlerName;
  /** The query-string parameter that carries the agent's JWT at the handshake. */
  tokenQueryParameter: string;
  connect: HandlerName;
  disconnect: HandlerName;
  /** Each action route and `$default` (unknown actions, bad JSON) go to this handler. */
  actions: HandlerName;
  actionRouteKeys: readonly string[];
}

export const webSocketRoutes: WebSocketRoutes = {
  authorizer: 'ws-authorizer',
  tokenQueryParameter: 'token',
  connect: 'ws-connect',
  disconnect: 'ws-disconnect',
  actions: 'agent-action',
  actionRouteKeys: [...agentActionNames, '$default'],
};

/** Handlers run on a timer rather than a request. */
export const scheduledHandlers = {
  /** Safety net for lost wake-ups and failed deliveries; every minute in AWS. */
  sweep: { handler: 'sweep' as HandlerName, everySeconds: 60 },
  /** Target of the per-conversation and per-agent one-time schedules (EventBridge Scheduler). */
  timer: { handler: 'timer-fired' as HandlerName },
};

/** Handlers CloudFormation runs during a deployment. */
export const deploymentHandlers = {
  /** Writes the configured agents into the Agents table (the local stack does this at start). */
  seedAgents: { handler: 'seed-agents' as HandlerName },
};

/**
 * Handlers driven by a table's change stream: Lambda event source mappings in AWS, the local
 * stack's poller locally. Two consumers read the Conversations stream (DynamoDB Streams allows
 * two per shard), so that a Scheduler outage holds up timers only, never routing or pushes.
 */
export interface StreamConsumer {
  handler: HandlerName;
  tables: readonly TableDefinition[];
  /** Records per invocation (coalescing: one routing pass and one push per batch). */
  batchSize: number;
}

export const streamConsumers: readonly StreamConsumer[] = [
  { handler: 'work-changes', tables: [conversationsTable, agentsTable], batchSize: 100 },
  { handler: 'arm-timers', tables: [conversationsTable], batchSize: 100 },
  { handler: 'message-changes', tables: [messagesTable], batchSize: 100 },
];

/** SQS queues and their consumers, declared once for the CDK stack and the local stack. */
export interface QueueDefinition {
  id: string;
  /** Environment variable through which handlers learn the queue's URL. */
  envVar: string;
  /** The handler that consumes it (an event source mapping), if any. */
  consumer?: HandlerName;
  batchSize?: number;
  visibilityTimeoutSeconds: number;
  /** Receives after which a message goes to the queue's dead-letter queue. */
  maxReceiveCount?: number;
}

/** Outbound messages waiting for delivery; a job that keeps failing ends in `Deliveries-dlq`. */
export const deliveryQueue: QueueDefinition = {
  id: 'Deliveries',
  envVar: 'DELIVERY_QUEUE_URL',
  consumer: 'deliver-message',
  batchSize: 10,
  // Six times the consumer's timeout (29 s), as AWS advises, so a throttled batch is not
  // received again while it still runs.
  visibilityTimeoutSeconds: 180,
  maxReceiveCount: 5,
};

/** Second routing passes, delayed past the queue index's lag (shared/routing/rechecks.ts). */
export const recheckQueue: QueueDefinition = {
  id: 'Rechecks',
  envVar: 'RECHECK_QUEUE_URL',
  consumer: 'recheck-queues',
  batchSize: 10,
  visibilityTimeoutSeconds: 180,
  maxReceiveCount: 5,
};

/**
 * Supervisors' overview frames, computed at most about once a second however many changes ask
 * for one (shared/supervision/overview-requests.ts). A job that keeps failing is only a late
 * overview, so retries come sooner than on the other queues.
 */
export const overviewQueue: QueueDefinition = {
  id: 'Overviews',
  envVar: 'OVERVIEW_QUEUE_URL',
  consumer: 'push-overview',
  batchSize: 10,
  // The consumer's timeout (29 s) and a margin: a job is not handed out again while it may still run.
  visibilityTimeoutSeconds: 30,
  maxReceiveCount: 3,
};

/**
 * Timer fires that never ran (Scheduler's dead-letter queue and the timer function's on-failure
 * destination): alarmed on, and redriven by the sweep.
 */
export const timerFailuresQueue = 'TimerFailures';

/** Every SQS job queue Tide uses, with a dead-letter queue each (`<id>-dlq`). */
export const jobQueues: readonly QueueDefinition[] = [deliveryQueue, recheckQueue, overviewQueue];
