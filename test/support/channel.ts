import { sign } from '../../shared/channels/generic/signature.js';

export interface PostedMessage {
  status: number;
  body: { conversationId?: string; messageId?: string; error?: { code: string; message: string } };
}

/** Posts to `POST /v1/messages` as the generic channel would, signed unless told otherwise. */
export async function postMessage(
  httpUrl: string,
  message: Record<string, unknown> | string,
  options: { secret?: string; signature?: string | null } = {},
): Promise<PostedMessage> {
  const raw = typeof message === 'string' ? message : JSON.stringify(message);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const signature = options.signature === undefined ? sign(options.secret ?? 'test-secret', raw) : options.signature;
  if (signature !== null) headers['x-tide-signature'] = signature;
  const res = await fetch(`${httpUrl}/v1/messages`, { method: 'POST', headers, body: raw });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}
