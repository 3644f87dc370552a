/**
 * The DynamoDB tables, declared once. The CDK stack (infra/constructs/tide-tables.ts) turns these
 * into `TableV2` constructs and the local stack (infra/local/dynamodb.ts) into `CreateTable`
 * calls, so the deployed and the local schema cannot drift apart.
 *
 * Indexes are sparse on purpose: an item is in `byQueue` only while it carries `queuedIn`, so
 * "remove from the queue" is `REMOVE queuedIn`. Three tables have a change stream: every follow-up
 * of a change (routing, work-list pushes, timers, deliveries) is derived from it
 * (shared/follow-ups), so a follow-up cannot be lost when the invocation that made the change dies.
 */

export interface KeyAttribute {
  name: string;
  type: 'S' | 'N';
}

export interface IndexDefinition {
  name: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  /**
   * `ALL` when queries read whole items from the index (the queue); `KEYS_ONLY` when they only
   * find keys. Every write to a projected attribute is also a write to the index, so a narrow
   * projection is the cheapest index.
   */
  projection: 'ALL' | 'KEYS_ONLY';
}

export interface TableDefinition {
  /** Logical name: the CDK construct id and the local table's name suffix. */
  id: string;
  /** Environment variable through which handlers learn the physical table name. */
  envVar: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  indexes: IndexDefinition[];
  /** Epoch-seconds attribute after which DynamoDB may delete the item. */
  timeToLiveAttribute?: string;
  /** Tables whose changes drive follow-ups carry a stream with both images. */
  stream?: 'NEW_AND_OLD_IMAGES';
}

const s = (name: string): KeyAttribute => ({ name, type: 'S' });

export const conversationsTable = {
  id: 'Conversations',
  envVar: 'CONVERSATIONS_TABLE',
  partitionKey: s('conversationId'),
  indexes: [
    // The routing queue: only queued conversations carry `queuedIn`; `rank` sorts best first. ALL,
    // because the router writes from the image it reads (the write is conditional on its version).
    { name: 'byQueue', partitionKey: s('queuedIn'), sortKey: s('rank'), projection: 'ALL' },
    // A customer's conversations, for an administrator's export and erasure (shared/customer).
    // Keys only, on attributes a conversation never changes: written once, when it is created.
    { name: 'byCustomer', partitionKey: s('customerId'), sortKey: s('channel'), projection: 'KEYS_ONLY' },
  ],
  // An agent's work list is not an index: the agent item lists what it holds (`holds`), read
  // consistently, so a lagging index can never show a closed conversation (shared/push).
  stream: 'NEW_AND_OLD_IMAGES',
  // Set when it closes, by the retention rule (shared/conversation/retention.ts, docs/data.md).
  timeToLiveAttribute: 'expiresAt',
} as const satisfies TableDefinition;

export const messagesTable = {
  id: 'Messages',
  envVar: 'MESSAGES_TABLE',
  // Inbound message ids are derived from the channel's externalId, so the conditional put of the
  // message is also the dedupe check: no separate dedupe item, no extra write.
  partitionKey: s('messageId'),
  indexes: [
    { name: 'byConversation', partitionKey: s('conversationId'), sortKey: s('sentAt'), projection: 'KEYS_ONLY' },
    // Sparse: only sent outbound messages carry the provider's id. Finds the message of a status
    // report that does not echo Tide's own id (Messenger's delivery and read events).
    { name: 'byProviderMessageId', partitionKey: s('providerMessageId'), projection: 'KEYS_ONLY' },
  ],
  // New outbound messages are handed to the delivery queue from here, and status changes pushed.
  stream: 'NEW_AND_OLD_IMAGES',
  // A ceiling when written, the conversation's own at its close (shared/conversation/retention.ts).
  timeToLiveAttribute: 'expiresAt',
} as const satisfies TableDefinition;

export const customersTable = {
  id: 'Customers',
  envVar: 'CUSTOMERS_TABLE',
  // `${channel}#${customerId}`: holds the one open conversation a customer may have per channel.
  partitionKey: s('customerKey'),
  indexes: [],
  // With their last conversation, unless they opted out (shared/conversation/customer-store.ts).
  timeToLiveAttribute: 'expiresAt',
} as const satisfies TableDefinition;

export const agentsTable = {
  id: 'Agents',
  envVar: 'AGENTS_TABLE',
  partitionKey: s('agentId'),
  // Keys only: the sweep finds agents who are not offline here. The agent item changes on every
  // push (`worklistSeq`), which must not rewrite an index copy each time.
  indexes: [{ name: 'byStatus', partitionKey: s('status'), sortKey: s('agentId'), projection: 'KEYS_ONLY' }],
  // Capacity appearing (a slot freed, an agent online) routes the agent's queues from here.
  stream: 'NEW_AND_OLD_IMAGES',
} as const satisfies TableDefinition;

export const availabilityTable = {
  id: 'Availability',
  envVar: 'AVAILABILITY_TABLE',
  // One row per (queue, agent) while the agent can take queue work: online and below its routing
  // limit. Written in the same transaction as the agent change that flips it, so it is exact; a
  // strongly consistent query of a queue's partition lists who can take work without reading
  // every agent, at a cost that does not grow with the number of busy agents (shared/routing).
  partitionKey: s('queue'),
  sortKey: s('agentId'),
  indexes: [],
} as const satisfies TableDefinition;

export const connectionsTable = {
  id: 'Connections',
  envVar: 'CONNECTIONS_TABLE',
  partitionKey: s('connectionId'),
  indexes: [],
  // API Gateway ends every WebSocket connection after 2 h; a row whose $disconnect was lost expires.
  timeToLiveAttribute: 'expiresAt',
} as const satisfies TableDefinition;

export const requestsTable = {
  id: 'Requests',
  envVar: 'REQUESTS_TABLE',
  // The first answer to an agent's request, for 10 minutes: a retry of the same action with the
  // same requestId and fields gets it again and is not done twice (shared/agent/request-log.ts).
  partitionKey: s('requestKey'),
  indexes: [],
  timeToLiveAttribute: 'expiresAt',
} as const satisfies TableDefinition;

export const tables: readonly TableDefinition[] = [
  conversationsTable,
  messagesTable,
  customersTable,
  agentsTable,
  availabilityTable,
  connectionsTable,
  requestsTable,
];

export interface TableNames {
  conversations: string;
  messages: string;
  customers: string;
  agents: string;
  availability: string;
  connections: string;
  requests: string;
}

/** Physical table names from the environment, as a Lambda function sees them. */
export function tableNamesFromEnv(env: NodeJS.ProcessEnv = process.env): TableNames {
  const read = (def: TableDefinition): string => {
    const value = env[def.envVar];
    if (!value) throw new Error(`environment variable ${def.envVar} is not set`);
    return value;
  };
  return {
    conversations: read(conversationsTable),
    messages: read(messagesTable),
    customers: read(customersTable),
    agents: read(agentsTable),
    availability: read(availabilityTable),
    connections: read(connectionsTable),
    requests: read(requestsTable),
  };
}
