import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ReadWatermark, StatusReport } from '../channels/channel.js';
import { customerKey, getCustomer } from '../conversation/customer-store.js';
import type { Deps } from '../runtime/deps.js';
import { moveStatus } from './deliver.js';

export type ReportOutcome = 'applied' | 'unchanged' | 'unknown';

/**
 * Applies a provider's delivery status to the message it is about. Found by Tide's own id when
 * the provider echoes it (so a status that beats the send call's answer still lands), else by the
 * provider's id. The status only moves forward: a late or repeated report changes nothing
 * (`unchanged`). A report about no message Tide knows is `unknown`, never an error: providers
 * batch statuses, and one stranger must not fail the others.
 */
export async function applyStatusReport(deps: Pick<Deps, 'db' | 'tables' | 'clock'>, report: StatusReport): Promise<ReportOutcome> {
  const ours = usableId(report.messageId);
  const theirs = usableId(report.providerMessageId);
  const messageId = ours ?? (theirs ? await messageIdOf(deps, theirs) : undefined);
  if (!messageId) return 'unknown';
  const extra: Record<string, unknown> = {};
  if (theirs) extra.providerMessageId = theirs;
  if (report.status === 'failed') extra.error = report.error ?? { code: 'failed', message: 'the provider reported the message failed' };
  // moveStatus is conditional on the current status, which an unknown id does not have: nothing
  // is created for it.
  return (await moveStatus(deps, { messageId }, report.status, extra)) ? 'applied' : 'unchanged';
}

/**
 * An id worth looking up: DynamoDB refuses empty keys and keys over 2 KB with a validation error,
 * which would fail the whole webhook; no id Tide or a provider issues is longer than this.
 */
const usableId = (id: string | undefined) => (id && id.length <= 256 ? id : undefined);

/** The message a provider's id belongs to (the index is eventually consistent: a report seconds
 * after the send may not find it yet, and the provider's next report will). */
async function messageIdOf(deps: Pick<Deps, 'db' | 'tables'>, providerMessageId: string): Promise<string | undefined> {
  const { Items } = await deps.db.send(
    new QueryCommand({
      TableName: deps.tables.messages,
      IndexName: 'byProviderMessageId',
      KeyConditionExpression: 'providerMessageId = :p',
      ExpressionAttributeValues: { ':p': providerMessageId },
      Limit: 1,
    }),
  );
  return Items?.[0]?.messageId as string | undefined;
}

/** How far back a read watermark looks: the customer's latest messages, not the whole history. */
const watermarkReach = 50;

/**
 * "Read up to" (Messenger's watermark): every outbound message of the customer's current (or last)
 * conversation sent at or before it becomes `read`, each only forward. Returns how many moved.
 */
export async function applyReadWatermark(deps: Pick<Deps, 'db' | 'tables' | 'clock'>, watermark: ReadWatermark): Promise<number> {
  if (!usableId(watermark.customerId)) return 0;
  const customer = await getCustomer(deps, customerKey(watermark.channel, watermark.customerId), false);
  const conversationId = customer?.openConversationId ?? customer?.lastConversationId;
  if (!conversationId) return 0;
  const { Items } = await deps.db.send(
    new QueryCommand({
      TableName: deps.tables.messages,
      IndexName: 'byConversation',
      KeyConditionExpression: 'conversationId = :c AND sentAt <= :upTo',
      ExpressionAttributeValues: { ':c': conversationId, ':upTo': watermark.upTo },
      ScanIndexForward: false,
      Limit: watermarkReach,
    }),
  );
  // Inbound messages have no status, so the conditional move leaves them alone.
  const moved = await Promise.all((Items ?? []).map((item) => moveStatus(deps, { messageId: item.messageId as string }, 'read')));
  return moved.filter(Boolean).length;
}
