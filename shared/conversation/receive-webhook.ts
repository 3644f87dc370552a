import type { Channel, ReadWatermark, WebhookItem, WebhookReply, WebhookRequest } from '../channels/channel.js';
import { applyReadWatermark, applyStatusReport } from '../delivery/status-report.js';
import { isTideError, TideError } from '../errors.js';
import type { Deps } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { receiveMessage, type InboundMessage } from './receive-message.js';

export interface WebhookOutcome {
  reply: WebhookReply;
  received: number;
  duplicates: number;
  statuses: number;
  ignored: number;
}

/**
 * Takes in everything one provider webhook carries: verified and parsed by the channel, then
 * each customer message kept (in order per customer, customers in parallel) and each delivery
 * status applied. An item Tide cannot use is counted and left out; a fault of ours on any item
 * fails the whole request once every item has been tried, so the provider sends it again (stored
 * messages are deduplicated by the provider's id, statuses only move forward).
 */
export async function receiveWebhook(deps: Deps, channel: Channel, request: WebhookRequest): Promise<WebhookOutcome> {
  if (!channel.configured(deps.config)) throw new TideError('not_found', `the ${channel.provider} channel is not configured`);
  const parsed = await channel.parseWebhook(deps, request);
  const outcome: WebhookOutcome = { reply: parsed.reply, received: 0, duplicates: 0, statuses: 0, ignored: parsed.ignored };
  const byCustomer = new Map<string, InboundMessage[]>();
  const reports: Array<Extract<WebhookItem, { kind: 'status' }>['report']> = [];
  const watermarks: ReadWatermark[] = [];
  for (const item of parsed.items) {
    if (item.kind === 'status') reports.push(item.report);
    else if (item.kind === 'read-up-to') watermarks.push(item.watermark);
    else {
      const key = `${item.message.channel}#${item.message.from}`;
      byCustomer.set(key, [...(byCustomer.get(key) ?? []), item.message]);
    }
  }
  const tries = await Promise.allSettled([
    ...[...byCustomer.values()].map(async (messages) => {
      for (const message of messages) {
        try {
          const received = await receiveMessage(deps, message);
          if (received.duplicate) outcome.duplicates++;
          else outcome.received++;
        } catch (error) {
          // Refused (bad input): this one is left out, the customer's next ones still count.
          if (!isTideError(error)) throw error;
          outcome.ignored++;
        }
      }
    }),
    ...reports.map(async (report) => {
      if ((await applyStatusReport(deps, report)) === 'unknown') outcome.ignored++;
      else outcome.statuses++;
    }),
    ...watermarks.map(async (watermark) => {
      outcome.statuses += await applyReadWatermark(deps, watermark);
    }),
  ]);
  const faults = tries.flatMap((t) => (t.status === 'rejected' ? [t.reason as unknown] : []));
  const ours = faults.filter((f) => !isTideError(f));
  outcome.ignored += faults.length - ours.length;
  logger.info('webhook', { provider: channel.provider, received: outcome.received, duplicates: outcome.duplicates, statuses: outcome.statuses, ignored: outcome.ignored, faults: ours.length });
  if (ours.length > 0) throw new Error(`${ours.length} of the webhook's items failed on our side; the provider will send it again`, { cause: ours[0] });
  return outcome;
}
