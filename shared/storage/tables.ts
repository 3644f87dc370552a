/**
 * The DynamoDB tables, declared once. The CDK stack (infra/tide-stack.ts) turns these into
 * `TableV2` constructs and the local stack (infra/local/dynamodb.ts) into `CreateTable` calls,
 * so the deployed and the local schema cannot drift apart.
 *
 * Every attribute named here is a string key. Indexes are sparse on purpose: an item is in
 * `byQueue` only while it carries `queuedIn`, so "remove from the queue" is `REMOVE queuedIn`.
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
   * `ALL` when queries read whole items from the index (the queue, the work lists); `KEYS_ONLY`
   * when they only find keys. Every write to a projected attribute is also a write to the index,
   * so a narrow projection is the cheapest index (see bench/: index writes dominate the bill).
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
}

const s = (name: string): KeyAttribute => ({ name, type: 'S' });

export const conversationsTable = {
  id: 'Conversations',
  envVar: 'CONVERSATIONS_TABLE',
  partitionKey: s('conversationId'),
  indexes: [
    // The routing queue: only queued conversations carry `queuedIn`; `rank` sorts best first.
    { name: 'byQueue', partitionKey: s('queuedIn'), sortKey: s('rank'), projection: 'ALL' },
    // An agent's work list: open conversations the agent owns (active or inactive).
    { name: 'byAgent', partitionKey: s('assignedTo'), sortKey: s('rank'), projection: 'ALL' },
  ],
} as const satisfies TableDefinition;

export const messagesTable = {
  id: 'Messages',
  envVar: 'MESSAGES_TABLE',
  // Inbound message ids are derived from the channel's externalId, so the conditional put of the
  // message is also the dedupe check: no separate dedupe item, no extra write.
  partitionKey: s('messageId'),
  indexes: [
    { name: 'byConversation', partitionKey: s('conversationId'), sortKey: s('sentAt'), projection: 'KEYS_ONLY' },
    // Outbound messages not yet acknowledged by the channel; the sweeper retries them.
    { name: 'pendingDelivery', partitionKey: s('deliveryPending'), sortKey: s('nextAttemptAt'), projection: 'KEYS_ONLY' },
  ],
} as const satisfies TableDefinition;

export const customersTable = {
  id: 'Customers',
  envVar: 'CUSTOMERS_TABLE',
  // `${channel}#${customerId}`: holds the one open conversation a customer may have per channel.
  partitionKey: s('customerKey'),
  indexes: [],
} as const satisfies TableDefinition;

export const agentsTable = {
  id: 'Agents',
  envVar: 'AGENTS_TABLE',
  partitionKey: s('agentId'),
  // Keys only: routing reads the ids here and the agents themselves consistently; the agent item
  // changes on every push (`worklistSeq`), which must not rewrite an index copy each time.
  indexes: [{ name: 'byStatus', partitionKey: s('status'), sortKey: s('agentId'), projection: 'KEYS_ONLY' }],
} as const satisfies TableDefinition;

export const connectionsTable = {
  id: 'Connections',
  envVar: 'CONNECTIONS_TABLE',
  partitionKey: s('connectionId'),
  indexes: [{ name: 'byAgent', partitionKey: s('agentId'), sortKey: s('connectionId'), projection: 'KEYS_ONLY' }],
  // API Gateway ends every WebSocket connection after 2 h; a row whose $disconnect was lost expires.
  timeToLiveAttribute: 'expiresAt',
} as const satisfies TableDefinition;

export const tables: readonly TableDefinition[] = [
  conversationsTable,
  messagesTable,
  customersTable,
  agentsTable,
  connectionsTable,
];

export interface TableNames {
  conversations: string;
  messages: string;
  customers: string;
  agents: string;
  connections: string;
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
    connections: read(connectionsTable),
  };
}
