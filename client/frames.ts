/**
 * Server → client frames (DESIGN §4, §4b), as the console sees them. Type-only imports: nothing
 * from shared/ is bundled into the browser.
 */
import type { AckFrame, ErrorFrame } from '../shared/contract/agent-actions.js';
import type { WorklistFrame, WorklistItem } from '../shared/push/worklist.js';
import type { AgentOverview, OverviewFrame, QueueOverview } from '../shared/supervision/overview.js';

export type { AckFrame, AgentOverview, ErrorFrame, OverviewFrame, QueueOverview, WorklistFrame, WorklistItem };

export type AgentStatus = 'online' | 'away' | 'offline';

/** A new inbound message in a conversation the agent holds. */
export interface MessageFrame {
  type: 'message';
  conversationId: string;
  message: { id: string; direction: 'in' | 'out'; text: string; at: string; media?: unknown };
}

export type DeliveryStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

/** A change of an outbound message's delivery status (`error` only when failed). */
export interface DeliveryFrame {
  type: 'delivery';
  conversationId: string;
  messageId: string;
  status: DeliveryStatus;
  error?: { code: string; message: string };
}

export type ServerFrame = WorklistFrame | OverviewFrame | MessageFrame | DeliveryFrame | AckFrame | ErrorFrame;

const knownTypes = new Set(['worklist', 'overview', 'message', 'delivery', 'ack', 'error']);

/**
 * Reads one text frame. Anything that is not a JSON object of a known type is ignored (undefined):
 * a newer server may push frames this console does not know yet.
 */
export function parseFrame(data: unknown): ServerFrame | undefined {
  if (typeof data !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !knownTypes.has(type)) return undefined;
  if ((type === 'worklist' || type === 'overview') && typeof (value as { seq?: unknown }).seq !== 'number') return undefined;
  return value as ServerFrame;
}
