import type { DeliveryStatus } from '../../../client/tide-client.js';
import type { TransferNote } from '../../../shared/conversation/model.js';
import type { ConsoleConfig } from './config.js';

/** `GET /v1/conversations/{id}` (DESIGN §4b). */
export interface HistoryMessage {
  id: string;
  direction: 'in' | 'out';
  text: string;
  at: string;
  media?: Array<{ type?: string; contentType?: string; mimeType?: string; url?: string; id?: string }> | null;
  status?: DeliveryStatus | null;
  error?: { code: string; message: string } | null;
}

export type { TransferNote };

export interface HistoryConversation {
  conversationId: string;
  state: string;
  channel: string;
  queue: string;
  customer: { id: string; name?: string | null };
  assignedTo?: string | null;
  waitingOn?: string;
  slaDueAt?: string | null;
  followUpAt?: string | null;
  priority: number;
  transferNote?: TransferNote | null;
}

export interface History {
  conversation: HistoryConversation;
  /** Oldest first. */
  messages: HistoryMessage[];
}

export class HistoryError extends Error {
  override name = 'HistoryError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A guard against a cursor that never ends (10,000 messages: far beyond any real conversation). */
const maxPages = 50;

/**
 * The whole history, oldest first. The API pages forward from the first message (`next` →
 * `?after=`), and the console shows the newest messages first, so it reads every page; the
 * "Load earlier" button then reveals what is already here.
 */
export async function fetchHistory(config: ConsoleConfig, token: () => Promise<string>, conversationId: string, signal?: AbortSignal): Promise<History> {
  let conversation: HistoryConversation | undefined;
  let messages: HistoryMessage[] = [];
  let after: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const query = new URLSearchParams({ limit: '200', ...(after ? { after } : {}) });
    const url = `${config.httpUrl}/v1/conversations/${encodeURIComponent(conversationId)}?${query}`;
    let response: Response;
    try {
      response = await fetch(url, { headers: { authorization: `Bearer ${await token()}` }, signal, cache: 'no-store' });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new HistoryError('unreachable', 'The history could not be loaded: Tide cannot be reached.');
    }
    const body = (await response.json().catch(() => undefined)) as
      | { conversation?: HistoryConversation; messages?: HistoryMessage[]; next?: string | null; error?: { code?: string; message?: string } }
      | undefined;
    if (!response.ok || !body?.conversation || !Array.isArray(body.messages)) {
      throw new HistoryError(body?.error?.code ?? `http_${response.status}`, body?.error?.message ?? `The history could not be loaded (HTTP ${response.status}).`);
    }
    conversation = body.conversation;
    messages = messages.concat(body.messages);
    if (!body.next) break;
    after = body.next;
  }
  return { conversation: conversation!, messages };
}
