import type { z } from 'zod';
import { agentActionSchema, type AgentAction } from '../../shared/contract/agent-actions.js';
import {
  ackFrameSchema,
  ackSchemas,
  agentOverviewSchema,
  deliveryFrameSchema,
  errorFrameSchema,
  messageFrameSchema,
  overviewFrameSchema,
  queueOverviewSchema,
  serverFrameSchema,
  transferNoteSchema,
  worklistFrameSchema,
  worklistItemSchema,
} from '../../shared/contract/frames.js';
import { agentActionNames, webSocketRoutes, type AgentActionName } from '../../shared/contract/routes.js';
import { componentSchemas } from './json-schemas.js';

/**
 * docs/asyncapi.json: the WebSocket protocol as AsyncAPI 3.0, from the agent actions' zod schema
 * (shared/contract/agent-actions.ts) and the frames' (shared/contract/frames.ts). The document
 * describes Tide: it receives actions and sends frames. `Record<AgentActionName, …>` below makes
 * the compiler refuse an action without its summary, example and ack.
 */

const pascal = (name: string) => name[0]!.toUpperCase() + name.slice(1);
const actionSchemaName = (action: AgentActionName) => `${pascal(action)}Action`;
const ackSchemaName = (action: AgentActionName) => `${pascal(action)}Ack`;

/** The members of the action union, by action name (their order is the union's). */
export function actionSchemas(): Array<[AgentActionName, z.ZodType]> {
  return agentActionSchema.options.map((schema) => [(schema.shape.action as z.ZodLiteral<AgentActionName>).value, schema]);
}

const conversation = 'c_5mQk2yZ0aJt4cVb8wXr1Lg';
/** What each action does, who may send it, and an example of it (each example parses: test/unit/contract-docs.test.ts). */
export const actionDocs: Record<AgentActionName, { summary: string; description: string; example: AgentAction }> = {
  setStatus: {
    summary: 'Set one’s own status',
    description: '`online` receives new work within a second; `away` keeps its conversations but gets no new ones; `offline` hands back what waits on the agent. A work list follows, even when nothing changed.',
    example: { action: 'setStatus', status: 'online', requestId: 'r1' },
  },
  send: {
    summary: 'Reply to the customer',
    description: 'Stored `pending` and acknowledged at once; delivery follows as `delivery` frames. The conversation then waits on the customer. `closing: true` flags a closing question the rules would not recognise. Refused with `opted_out` after the customer’s STOP, and with `outside_window` past a Meta channel’s customer-service window.',
    example: { action: 'send', conversationId: conversation, text: 'It ships today. Anything else?', requestId: 'r2' },
  },
  close: {
    summary: 'Close a conversation',
    description: 'It leaves the next work list; the customer’s next message opens a new one.',
    example: { action: 'close', conversationId: conversation, requestId: 'r3' },
  },
  followUp: {
    summary: 'Hide a conversation until a time',
    description: '`at` is an ISO time in the future, at most 30 days ahead. The conversation is `inactive` meanwhile, then actionable again and first in the list.',
    example: { action: 'followUp', conversationId: conversation, at: '2030-01-15T09:00:00Z', requestId: 'r4' },
  },
  transfer: {
    summary: 'Hand a conversation over',
    description: 'To exactly one of a configured `queue` or an existing `agentId`, with an optional `note` the receiver sees as `transferNote`.',
    example: { action: 'transfer', conversationId: conversation, queue: 'billing', note: 'Wants a refund for order 1042.', requestId: 'r5' },
  },
  setPriority: {
    summary: 'Set a conversation’s business priority',
    description: 'An integer from -100 to 100; higher is answered sooner.',
    example: { action: 'setPriority', conversationId: conversation, priority: 5, requestId: 'r6' },
  },
  sync: {
    summary: 'Send me everything again',
    description: 'The work list (for anyone with an agent profile) and, for supervisors and admins, the overview go out before the ack. Send it after every (re)connect.',
    example: { action: 'sync', requestId: 'r7' },
  },
  ping: {
    summary: 'Keep the connection alive',
    description: 'Changes nothing and reads nothing; its ack carries the server’s `now`. API Gateway closes a connection idle for 10 minutes.',
    example: { action: 'ping', requestId: 'r8' },
  },
  setAgentStatus: {
    summary: 'Set an agent’s status (supervisors and admins)',
    description: 'As the agent’s own `setStatus`; `offline` hands its work back as presence does. An agent’s token gets `forbidden`.',
    example: { action: 'setAgentStatus', agentId: 'alice', status: 'away', requestId: 'r9' },
  },
  reassign: {
    summary: 'Move any conversation (supervisors and admins)',
    description: 'To exactly one of a configured `queue` or an existing `agentId`, with an optional `note`. An agent’s token gets `forbidden`.',
    example: { action: 'reassign', conversationId: conversation, agentId: 'bob', requestId: 'r10' },
  },
};

/** Frames Tide sends unasked, each one operation. */
const pushes = {
  worklist: { schema: 'WorklistFrame', summary: 'The agent’s work list', description: 'After `setStatus` and `sync`, and after every change to the agent’s work. A snapshot: keep the one with the highest `seq`.' },
  message: { schema: 'MessageFrame', summary: 'A new customer message', description: 'In a conversation the agent holds, with the full text; it comes before the work list that shows it.' },
  delivery: { schema: 'DeliveryFrame', summary: 'A reply’s delivery status changed', description: 'pending → sent → delivered → read, or failed (with the provider’s code).' },
  overview: { schema: 'OverviewFrame', summary: 'Queues and agents, for supervisors and admins', description: 'After `sync`, and within about a second of any change (changes are coalesced).' },
} as const;

export function asyncApiDocument(version: string): object {
  const actions = actionSchemas();
  const names = actions.map(([name]) => name);
  if (names.join() !== agentActionNames.join()) throw new Error(`the action schema's actions (${names.join()}) are not routes.ts's agentActionNames (${agentActionNames.join()})`);

  const schemas = componentSchemas(
    {
      inputs: { AgentAction: agentActionSchema, ...Object.fromEntries(actions.map(([name, schema]) => [actionSchemaName(name), schema])) },
      outputs: {
        ServerFrame: serverFrameSchema,
        WorklistFrame: worklistFrameSchema,
        WorklistItem: worklistItemSchema,
        TransferNote: transferNoteSchema,
        MessageFrame: messageFrameSchema,
        DeliveryFrame: deliveryFrameSchema,
        OverviewFrame: overviewFrameSchema,
        QueueOverview: queueOverviewSchema,
        AgentOverview: agentOverviewSchema,
        AckFrame: ackFrameSchema,
        ...Object.fromEntries(names.map((name) => [ackSchemaName(name), ackSchemas[name]])),
        ErrorFrame: errorFrameSchema,
      },
    },
    'draft-7',
  );

  const channelRef = { $ref: '#/channels/connection' };
  const messageRef = (key: string) => ({ $ref: `#/channels/connection/messages/${key}` });
  const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const messages: Record<string, object> = {};
  for (const name of names) {
    const doc = actionDocs[name];
    messages[name] = { name, title: name, summary: doc.summary, description: doc.description, payload: schemaRef(actionSchemaName(name)), examples: [{ payload: doc.example }] };
    messages[`${name}Ack`] = { name: `${name}Ack`, title: `ack of ${name}`, summary: ackSchemas[name].description, payload: schemaRef(ackSchemaName(name)) };
  }
  for (const [type, push] of Object.entries(pushes)) messages[type] = { name: type, title: type, summary: push.summary, description: push.description, payload: schemaRef(push.schema) };
  messages.error = {
    name: 'error',
    title: 'error',
    summary: 'An action refused, or a frame that is not an action',
    description: 'A frame that is not JSON, names an unknown action, or has a field missing or of the wrong type is `invalid_request` (with its `requestId` when it had one) and changes nothing; the socket stays open.',
    payload: schemaRef('ErrorFrame'),
  };

  const operations: Record<string, object> = {};
  for (const name of names) {
    operations[name] = {
      action: 'receive',
      channel: channelRef,
      summary: actionDocs[name].summary,
      messages: [messageRef(name)],
      reply: { channel: channelRef, messages: [messageRef(`${name}Ack`), messageRef('error')] },
    };
  }
  for (const [type, push] of Object.entries(pushes)) operations[`push${pascal(type)}`] = { action: 'send', channel: channelRef, summary: push.summary, messages: [messageRef(type)] };
  operations.refuseFrame = { action: 'send', channel: channelRef, summary: 'The answer to a frame that is not a valid action', messages: [messageRef('error')] };

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Tide agent protocol',
      version,
      description:
        'Generated by `npm run docs:contract` from the zod schemas in `shared/contract/`; do not edit by hand. The guide is `agent-protocol.md`. Agents, supervisors and admins connect with a JWT in `?token=`; every action may carry a `requestId` (a string of at most 128 characters), echoed by its `ack` or `error`. A retry of the same action with the same `requestId` and the same fields within 10 minutes gets the first answer and is not done again.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: { host: '127.0.0.1:3001', protocol: 'ws', description: '`npm start` (`WS_PORT`)', security: [{ $ref: '#/components/securitySchemes/token' }] },
      aws: {
        host: '{apiId}.execute-api.{region}.amazonaws.com',
        pathname: '/{stage}',
        protocol: 'wss',
        description: 'Deployed: the stack’s `WebSocketUrl` output',
        variables: { apiId: { default: 'abc123' }, region: { default: 'eu-west-1' }, stage: { default: 'prod' } },
        security: [{ $ref: '#/components/securitySchemes/token' }],
      },
    },
    channels: {
      connection: {
        address: '/',
        title: 'One connection',
        description:
          'One agent’s, supervisor’s or admin’s connection; an agent may hold several, and each gets every push. A bad or missing token is refused at the handshake with HTTP 401. API Gateway ends a connection after 10 minutes idle and after 2 hours in any case: ping, and open the next connection before the limit.',
        messages: Object.fromEntries(Object.keys(messages).map((key) => [key, { $ref: `#/components/messages/${key}` }])),
        bindings: {
          ws: {
            query: { type: 'object', properties: { [webSocketRoutes.tokenQueryParameter]: { type: 'string', description: 'The JWT.' } }, required: [webSocketRoutes.tokenQueryParameter] },
            bindingVersion: '0.1.0',
          },
        },
      },
    },
    operations,
    components: {
      schemas,
      messages,
      securitySchemes: {
        token: {
          type: 'httpApiKey',
          name: webSocketRoutes.tokenQueryParameter,
          in: 'query',
          description: 'A JWT from the identity provider (deployed) or `POST /dev/token` (locally): agent id in `sub`, role (`agent`, `supervisor`, `admin`) in the `role` claim.',
        },
      },
    },
  };
}
