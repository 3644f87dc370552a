/**
 * Every entry point of Tide and the Lambda handler behind it, declared once. The CDK stack wires
 * these to API Gateway and EventBridge; the local stack's gateways dispatch to the same handler
 * modules. A handler named `x` lives in `functions/x.ts` and exports `handler`.
 */

export type HandlerName =
  | 'inbound-message'
  | 'ws-authorizer'
  | 'ws-connect'
  | 'ws-disconnect'
  | 'agent-action'
  | 'sweep'
  | 'timer-fired'
  | 'seed-agents';

export interface HttpRoute {
  method: 'GET' | 'POST';
  path: string;
  handler: HandlerName;
}

/** Public HTTP API routes (API Gateway HTTP API, payload format 2.0). */
export const httpRoutes: readonly HttpRoute[] = [
  { method: 'POST', path: '/v1/messages', handler: 'inbound-message' },
];

/** WebSocket agent actions; route selection is on `$request.body.action`. */
export const agentActionNames = ['setStatus', 'send', 'close', 'followUp', 'transfer', 'setPriority', 'sync'] as const;
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
