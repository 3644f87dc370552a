import { errorCodes, httpStatusOf, type ErrorCode } from '../../shared/contract/error-codes.js';
import {
  agentEnvelopeSchema,
  agentListSchema,
  agentProfileBodySchema,
  agentViewSchema,
  conversationViewSchema,
  customerErasureSchema,
  customerExportSchema,
  devTokenRequestSchema,
  devTokenSchema,
  errorBodySchema,
  genericInboundBodySchema,
  genericOutboundBodySchema,
  healthSchema,
  historyPageSchema,
  messageAcceptedSchema,
  messageViewSchema,
  metaWebhookSchema,
  twilioMessageFormSchema,
  twilioStatusFormSchema,
} from '../../shared/contract/http-bodies.js';
import { transferNoteSchema } from '../../shared/contract/frames.js';
import { httpRoutes, type HttpRoute } from '../../shared/contract/routes.js';
import { historyLimits } from '../../shared/conversation/history.js';
import { channelNames } from '../../shared/conversation/model.js';
import { componentSchemas, type NamedSchemas } from './json-schemas.js';

/**
 * docs/openapi.json: Tide's HTTP API as OpenAPI 3.1, from the routes (shared/contract/routes.ts)
 * and the bodies' zod schemas (shared/contract/http-bodies.ts). Every route must have its entry
 * in `operations` below and every entry a route: the generator refuses either gap, so a new
 * route cannot ship undocumented.
 */

const schemas = {
  inputs: {
    GenericInboundMessage: genericInboundBodySchema,
    TwilioMessageForm: twilioMessageFormSchema,
    TwilioStatusForm: twilioStatusFormSchema,
    MetaWebhook: metaWebhookSchema,
    AgentProfile: agentProfileBodySchema,
    DevTokenRequest: devTokenRequestSchema,
  },
  outputs: {
    Error: errorBodySchema,
    MessageAccepted: messageAcceptedSchema,
    GenericOutboundMessage: genericOutboundBodySchema,
    HistoryPage: historyPageSchema,
    ConversationView: conversationViewSchema,
    MessageView: messageViewSchema,
    TransferNote: transferNoteSchema,
    AgentList: agentListSchema,
    AgentEnvelope: agentEnvelopeSchema,
    AgentView: agentViewSchema,
    CustomerExport: customerExportSchema,
    CustomerErasure: customerErasureSchema,
    DevToken: devTokenSchema,
    Health: healthSchema,
  },
} satisfies NamedSchemas;
type SchemaName = keyof typeof schemas.inputs | keyof typeof schemas.outputs;

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (name: SchemaName) => ({ content: { 'application/json': { schema: ref(name) } } });

/** The error answers a route can give, one response per HTTP status, listing its codes. */
function errors(...codes: ErrorCode[]): Record<string, object> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, 'internal_error' as const]) byStatus.set(httpStatusOf(code), [...(byStatus.get(httpStatusOf(code)) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].sort(([a], [b]) => a - b).map(([status, of]) => [String(status), { description: of.map((c) => `\`${c}\``).join(', '), ...jsonBody('Error') }]),
  );
}

interface Operation {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: object[];
  requestBody?: object;
  responses: Record<string, object>;
}

const bearer = [{ bearer: [] }];
const pathParameter = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string', minLength: 1, maxLength: 128 } });

const customerParameters = [
  { name: 'channel', in: 'path', required: true, description: 'The channel they write on.', schema: { type: 'string', enum: [...channelNames] } },
  { name: 'customerId', in: 'path', required: true, description: 'Their address on it (`from` of their messages), URL-encoded.', schema: { type: 'string', minLength: 1, maxLength: 256 } },
];

/** One entry per route of `httpRoutes`, keyed `METHOD path`. */
const operations: Record<string, Operation> = {
  'POST /v1/messages': {
    operationId: 'receiveGenericMessage',
    summary: 'A customer message from the generic channel',
    description:
      'The generic channel’s webhook. Checked in this order: size (over 65,536 bytes: 413), signature over the raw bytes (401), JSON and fields (400), queue (400). Stored before it is answered; the same `externalId` again is answered 200 with the same ids and stores nothing. A customer has at most one open conversation per channel: a message after a close opens a new one.',
    tags: ['Channels'],
    security: [{ tideSignature: [] }],
    requestBody: { required: true, ...jsonBody('GenericInboundMessage') },
    responses: {
      '200': { description: 'A repeat of an `externalId` already stored: the same ids, nothing stored again.', ...jsonBody('MessageAccepted') },
      '202': { description: 'Stored; routing follows.', ...jsonBody('MessageAccepted') },
      ...errors('invalid_request', 'unknown_queue', 'invalid_signature', 'payload_too_large'),
    },
  },
  'POST /v1/channels/twilio/messages': {
    operationId: 'receiveTwilioMessage',
    summary: 'Twilio’s incoming-message webhook (SMS, WhatsApp through Twilio)',
    description:
      '`X-Twilio-Signature`: base64 HMAC-SHA1 with the auth token over `webhookBaseUrl` + path + query, then every form field’s name and value sorted by name; the URL is tried with and without the default port. Deduplicated by `MessageSid`. The channel is `whatsapp` when `From` starts with `whatsapp:`, else `sms`. 404 `not_found` when `channels.twilio` is not configured.',
    tags: ['Channels'],
    security: [{ twilioSignature: [] }],
    requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: ref('TwilioMessageForm') } } },
    responses: {
      '200': { description: 'Stored: an empty TwiML document.', content: { 'text/xml': { schema: { type: 'string', examples: ['<?xml version="1.0" encoding="UTF-8"?><Response/>'] } } } },
      ...errors('invalid_request', 'invalid_signature', 'not_found', 'payload_too_large'),
    },
  },
  'POST /v1/channels/twilio/status': {
    operationId: 'receiveTwilioStatus',
    summary: 'Twilio’s status callback for a reply',
    description:
      'Signed as the incoming-message webhook. Each reply asks for it with Tide’s message id in the query (`?tideMessageId=`), so no setting is needed in Twilio. Statuses only move forward, whatever order they arrive in.',
    tags: ['Channels'],
    security: [{ twilioSignature: [] }],
    parameters: [{ name: 'tideMessageId', in: 'query', required: false, description: 'Tide’s id of the reply (Tide puts it in the `StatusCallback` URL).', schema: { type: 'string' } }],
    requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: ref('TwilioStatusForm') } } },
    responses: {
      '200': { description: 'Applied (or ignored: a status that says nothing new).', content: { 'text/xml': { schema: { type: 'string' } } } },
      ...errors('invalid_request', 'invalid_signature', 'not_found', 'payload_too_large'),
    },
  },
  'GET /v1/channels/meta': {
    operationId: 'verifyMetaWebhook',
    summary: 'Meta’s webhook verification',
    description: 'Meta calls it once when the callback URL is set. With `hub.mode=subscribe` and `hub.verify_token` equal to the configured verify token, answers the challenge; otherwise 403.',
    tags: ['Channels'],
    security: [],
    parameters: [
      { name: 'hub.mode', in: 'query', required: true, schema: { type: 'string', const: 'subscribe' } },
      { name: 'hub.verify_token', in: 'query', required: true, schema: { type: 'string' } },
      { name: 'hub.challenge', in: 'query', required: true, schema: { type: 'string' } },
    ],
    responses: {
      '200': { description: 'The challenge, as sent.', content: { 'text/plain': { schema: { type: 'string' } } } },
      ...errors('forbidden', 'not_found'),
    },
  },
  'POST /v1/channels/meta': {
    operationId: 'receiveMetaWebhook',
    summary: 'Meta’s webhook (WhatsApp Cloud API, Messenger, Instagram)',
    description:
      '`X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`. One POST may carry many messages and statuses from many customers; each message is stored once (deduplicated by `wamid` or `mid`), and an item Tide cannot use never fails the others. Echoes are ignored.',
    tags: ['Channels'],
    security: [{ metaSignature: [] }],
    requestBody: { required: true, ...jsonBody('MetaWebhook') },
    responses: {
      '200': { description: 'Everything usable is stored.', content: { 'text/plain': { schema: { type: 'string', const: 'EVENT_RECEIVED' } } } },
      ...errors('invalid_request', 'invalid_signature', 'not_found', 'payload_too_large'),
    },
  },
  'GET /v1/conversations/{conversationId}': {
    operationId: 'getConversationHistory',
    summary: 'A conversation and its messages, a page at a time',
    description: 'Oldest first. An agent reads only the open conversations it holds; supervisors and admins read any.',
    tags: ['History'],
    security: bearer,
    parameters: [
      pathParameter('conversationId', 'As in work lists (`c_…`).'),
      { name: 'limit', in: 'query', required: false, description: 'Messages per page.', schema: { type: 'integer', minimum: 1, maximum: historyLimits.max, default: historyLimits.default } },
      { name: 'after', in: 'query', required: false, description: 'The `next` of the previous page.', schema: { type: 'string', maxLength: 600 } },
    ],
    responses: {
      '200': { description: 'One page.', ...jsonBody('HistoryPage') },
      ...errors('invalid_request', 'unauthorized', 'forbidden', 'not_found'),
    },
  },
  'GET /v1/admin/agents': {
    operationId: 'listAgents',
    summary: 'Every agent, with its profile, status and load',
    description: 'Role `admin`.',
    tags: ['Administration'],
    security: bearer,
    responses: { '200': { description: 'By id.', ...jsonBody('AgentList') }, ...errors('unauthorized', 'forbidden') },
  },
  'PUT /v1/admin/agents/{agentId}': {
    operationId: 'saveAgent',
    summary: 'Creates or updates an agent',
    description: 'Role `admin`. Routing uses the profile at once, no deployment. Live state (status, load) is kept. Queues must be configured ones, each listed once.',
    tags: ['Administration'],
    security: bearer,
    parameters: [pathParameter('agentId', '1–128 letters, digits or `_.@-`.')],
    requestBody: { required: true, ...jsonBody('AgentProfile') },
    responses: {
      '200': { description: 'Updated.', ...jsonBody('AgentEnvelope') },
      '201': { description: 'Created.', ...jsonBody('AgentEnvelope') },
      ...errors('invalid_request', 'unauthorized', 'forbidden', 'payload_too_large'),
    },
  },
  'DELETE /v1/admin/agents/{agentId}': {
    operationId: 'removeAgent',
    summary: 'Takes an agent offline, hands its work back, and removes it',
    description:
      'Role `admin`. Work waiting on the agent goes to its queue; work waiting on the customer and pending follow-ups become unassigned and are routed on the customer’s next message or when due. Its connections are closed.',
    tags: ['Administration'],
    security: bearer,
    parameters: [pathParameter('agentId', 'The agent’s id.')],
    responses: { '200': { description: 'The agent as it was last: offline, holding nothing.', ...jsonBody('AgentEnvelope') }, ...errors('unauthorized', 'forbidden', 'not_found') },
  },
  'GET /v1/admin/customers/{channel}/{customerId}/export': {
    operationId: 'exportCustomer',
    summary: 'Everything Tide stores about a customer, as JSON',
    description: 'Role `admin`. The customer item, every conversation and every message, in the history API’s shapes (see `data.md`). `404` when nothing is stored for them.',
    tags: ['Administration'],
    security: bearer,
    parameters: customerParameters,
    responses: { '200': { description: 'The export.', ...jsonBody('CustomerExport') }, ...errors('invalid_request', 'unauthorized', 'forbidden', 'not_found') },
  },
  'DELETE /v1/admin/customers/{channel}/{customerId}': {
    operationId: 'eraseCustomer',
    summary: 'Erases a customer’s messages, conversations and customer item',
    description:
      'Role `admin`. An open conversation is closed first, as any close (its agent released, the freed slot routed); then everything is deleted. Each step is logged with the erasure id and counts, no customer data. `404` when nothing is left, so running it again checks that it is complete.',
    tags: ['Administration'],
    security: bearer,
    parameters: customerParameters,
    responses: { '200': { description: 'What was erased.', ...jsonBody('CustomerErasure') }, ...errors('invalid_request', 'unauthorized', 'forbidden', 'not_found', 'invalid_state') },
  },
};

/** Routes only `npm start` has (infra/local/stack.ts): documented so the examples can use them. */
const localOperations: Record<string, Operation> = {
  'GET /v1/health': {
    operationId: 'health',
    summary: 'Ready (local stack only)',
    description: 'Answers once tables, seeded agents, timers and gateways are ready.',
    tags: ['Local stack'],
    security: [],
    responses: { '200': { description: 'Ready.', ...jsonBody('Health') } },
  },
  'POST /dev/token': {
    operationId: 'devToken',
    summary: 'A token for any role (local stack only)',
    description: 'Deployed, tokens come from the identity provider (agent id in `sub`, role in the `role` claim).',
    tags: ['Local stack'],
    security: [],
    requestBody: { required: true, ...jsonBody('DevTokenRequest') },
    responses: {
      '200': { description: 'A signed JWT (ES256), valid for 12 hours.', ...jsonBody('DevToken') },
      '400': { description: '`invalid_request`', ...jsonBody('Error') },
      '404': { description: '`not_found`: role `agent` for an agent that does not exist.', ...jsonBody('Error') },
    },
  },
};

export const routeKey = (r: Pick<HttpRoute, 'method' | 'path'>) => `${r.method} ${r.path}`;

export function openApiDocument(version: string): object {
  const declared = new Set(httpRoutes.map(routeKey));
  const undocumented = [...declared].filter((k) => !operations[k]);
  const stale = Object.keys(operations).filter((k) => !declared.has(k));
  if (undocumented.length || stale.length) {
    throw new Error(`scripts/contract-docs/openapi.ts: ${[...undocumented.map((k) => `route ${k} has no operation`), ...stale.map((k) => `operation ${k} has no route`)].join('; ')}`);
  }
  const paths: Record<string, Record<string, object>> = {};
  const add = (key: string, operation: Operation, extra: object = {}) => {
    const [method, path] = key.split(' ') as [string, string];
    (paths[path] ??= {})[method.toLowerCase()] = { ...operation, ...extra };
  };
  for (const route of httpRoutes) add(routeKey(route), operations[routeKey(route)]!, { 'x-tide-handler': route.handler });
  for (const [key, operation] of Object.entries(localOperations)) add(key, operation, { 'x-tide-local-only': true });

  return {
    openapi: '3.1.0',
    info: {
      title: 'Tide HTTP API',
      version,
      summary: 'Channels post customer messages; the console reads histories and administers agents.',
      description:
        'Generated by `npm run docs:contract` from the zod schemas in `shared/contract/` and the routes in `shared/contract/routes.ts`; do not edit by hand. The WebSocket protocol is in `asyncapi.json`; the guides are `channels.md`, `supervisor-and-admin.md` and `agent-protocol.md`. Every error is `{"error":{"code","message"}}`, and a 4xx changes nothing.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [
      { url: 'http://127.0.0.1:3000', description: '`npm start` (`PORT`)' },
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'Deployed: the stack’s `HttpApiUrl` output',
        variables: { apiId: { default: 'abc123' }, region: { default: 'eu-west-1' } },
      },
    ],
    tags: [
      { name: 'Channels', description: 'Webhooks the messaging providers call (see `channels.md`).' },
      { name: 'History', description: 'The console’s history API (see `supervisor-and-admin.md`).' },
      { name: 'Administration', description: 'Agents, changed while Tide runs (see `supervisor-and-admin.md`).' },
      { name: 'Local stack', description: 'Routes of `npm start` only.' },
    ],
    paths,
    webhooks: {
      genericReply: {
        post: {
          operationId: 'deliverGenericReply',
          summary: 'A reply, POSTed to the generic channel’s `outboundUrl`',
          description:
            'Signed as inbound messages are (`X-Tide-Signature` over the raw body, with the channel secret). At least once: the receiver dedupes by `messageId`. A 5xx, 408, 429, timeout or refused connection is retried with backoff (2 s … 5 min) for 24 hours, then the message is `failed`; any other 4xx fails it at once with code `http_<status>`.',
          security: [{ tideSignature: [] }],
          requestBody: { required: true, ...jsonBody('GenericOutboundMessage') },
          responses: { '2XX': { description: 'Delivered.' }, '5XX': { description: 'Retried.' } },
        },
      },
    },
    components: {
      schemas: componentSchemas(schemas, 'draft-2020-12'),
      securitySchemes: {
        tideSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Tide-Signature',
          description: '`sha256=<hex HMAC-SHA256(channel secret, raw body)>`, hex in either case (`channels.generic.secret` or `secretId`).',
        },
        twilioSignature: { type: 'apiKey', in: 'header', name: 'X-Twilio-Signature', description: 'Twilio’s request signature with the account’s auth token.' },
        metaSignature: { type: 'apiKey', in: 'header', name: 'X-Hub-Signature-256', description: '`sha256=<hex HMAC-SHA256(app secret, raw body)>`.' },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'From the identity provider (deployed) or `POST /dev/token` (locally): agent id in `sub`, role (`agent`, `supervisor`, `admin`) in the `role` claim.',
        },
      },
    },
    'x-tide-error-codes': Object.fromEntries(errorCodes.map((code) => [code, httpStatusOf(code)])),
  };
}
