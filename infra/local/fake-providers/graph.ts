import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readBody } from '../http-gateway.js';

export interface GraphSend {
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
  status: number;
  /** The id the fake gave the message (`wamid…` or `m_…`). */
  id?: string;
}

type Answer = { status: number; code: number; subcode?: number; message?: string };

/**
 * A local stand-in for the Graph API's send endpoints: `POST /{version}/{phone-number-id}/messages`
 * (WhatsApp Cloud API) and `POST /{version}/{page-or-ig-id}/messages` (Messenger, Instagram). It
 * checks the Bearer token and the body each documents (else a Graph error: 190 for the token, 100
 * for a bad parameter), records every request, and answers as Graph does, unless told otherwise.
 */
export async function startFakeGraph(options: { version: string; accessToken: string; whatsappPhoneNumberId: string; pageId: string; instagramAccountId: string; port?: number; onSend?: (send: GraphSend) => void }) {
  const sends: GraphSend[] = [];
  const plan: Answer[] = [];
  const server: Server = createServer((req, res) => {
    readBody(req, 1024 * 1024).then((received) => {
      const raw = received === 'too_large' ? Buffer.alloc(0) : received;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        /* checked below */
      }
      const record: GraphSend = { path: req.url ?? '', authorization: req.headers.authorization, contentType: req.headers['content-type'], body, status: 0 };
      sends.push(record);
      res.on('finish', () => options.onSend?.(record));
      const answer = (status: number, payload: unknown) => {
        record.status = status;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      };
      const error = (status: number, code: number, message: string, subcode?: number) =>
        answer(status, { error: { message, type: 'OAuthException', code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: 'AbCdEf' } });
      const match = /^\/(v\d+\.\d+)\/([^/]+)\/messages$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !match || match[1] !== options.version) return error(400, 100, 'Unknown path components');
      if (req.headers.authorization !== `Bearer ${options.accessToken}`) return error(401, 190, 'Invalid OAuth access token');
      if (!req.headers['content-type']?.startsWith('application/json')) return error(400, 100, 'Invalid parameter');
      const next = plan.shift();
      if (next) return error(next.status, next.code, next.message ?? 'error', next.subcode);
      const id = match[2];
      if (id === options.whatsappPhoneNumberId) {
        const text = body.text as { body?: unknown } | undefined;
        if (body.messaging_product !== 'whatsapp' || body.type !== 'text' || typeof body.to !== 'string' || typeof text?.body !== 'string') {
          return error(400, 100, 'Invalid parameter');
        }
        record.id = `wamid.${randomBytes(12).toString('base64url')}`;
        return answer(200, { messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: body.to }], messages: [{ id: record.id }] });
      }
      if (id === options.pageId || id === options.instagramAccountId) {
        const recipient = body.recipient as { id?: unknown } | undefined;
        const message = body.message as { text?: unknown } | undefined;
        if (typeof recipient?.id !== 'string' || typeof message?.text !== 'string' || (id === options.pageId && body.messaging_type !== 'RESPONSE')) {
          return error(400, 100, 'Invalid parameter');
        }
        record.id = `m_${randomBytes(12).toString('base64url')}`;
        return answer(200, { recipient_id: recipient.id, message_id: record.id });
      }
      return error(400, 100, 'Unsupported post request');
    });
  });
  await new Promise<void>((r) => server.listen(options.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    sends,
    answerNext: (...answers: Answer[]) => plan.push(...answers),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** JSON as Meta sends it: non-ASCII escaped as `\uXXXX` with lower-case hex (signed that way). */
export const metaJson = (value: unknown) => JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
