import type { InboundMessage } from '../../conversation/receive-message.js';
import type { WebhookItem } from '../channel.js';

/**
 * What one Meta webhook yields so far: the items Tide can use, and a count of the entries it
 * cannot (an echo, an unsupported type, a malformed item). Every entry, change and event of a
 * batch is read on its own into the same harvest, so one bad item never costs the others.
 */
export interface Harvest {
  items: WebhookItem[];
  ignored: number;
}

/**
 * Adds a customer message, unless it has nothing to show (blank text and no media): that would
 * be an empty bubble in the agent's history and a conversation nobody can answer. A reaction is
 * the exception: its text is blank when the customer removed it, and it is ineffectual anyway.
 */
export function harvestMessage(harvest: Harvest, message: InboundMessage): void {
  if (!message.ineffectual && message.text.trim() === '' && !message.media?.length) harvest.ignored++;
  else harvest.items.push({ kind: 'message', message });
}
