import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Deps } from '../runtime/deps.js';

/** A customer on one channel; points at its one open conversation, if any. */
export interface Customer {
  customerKey: string;
  channel: string;
  customerId: string;
  openConversationId?: string;
  /** The agent of the customer's last closed conversation (history affinity). */
  lastAgentId?: string;
  /** The customer's last closed conversation: where a "thanks" after the close is filed. */
  lastConversationId?: string;
}

export const customerKey = (channel: string, customerId: string) => `${channel}#${customerId}`;

export async function getCustomer(deps: Pick<Deps, 'db' | 'tables'>, key: string): Promise<Customer | undefined> {
  const { Item } = await deps.db.send(
    new GetCommand({ TableName: deps.tables.customers, Key: { customerKey: key }, ConsistentRead: true }),
  );
  return Item as Customer | undefined;
}
