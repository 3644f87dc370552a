import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readBody } from '../http-gateway.js';

/** A request the fake Messages API accepted or refused, as it arrived. */
export interface TwilioSend {
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  form: Record<string, string>;
  /** What the fake answered. */
  status: number;
  sid?: string;
}

type Answer = { status: number; code?: number; message?: string } | { hang: true };

/**
 * A local stand-in for Twilio's Messages API (`POST /2010-04-01/Accounts/{sid}/Messages.json`).
 * It checks what Twilio checks, the way Twilio answers: HTTP Basic with the account's SID and
 * token (else 401, code 20003), a form body with `To`, one of `From`/`MessagingServiceSid`, and
 * `Body` (else 400, code 21604/21602). It records every request and answers `201` with a fresh
 * `SM…` sid, unless told to answer otherwise (`answerNext`).
 */
export async function startFakeTwilio(account: { accountSid: string; authToken: string }, options: { port?: number; onSend?: (send: TwilioSend) => void } = {}) {
  const sends: TwilioSend[] = [];
  const plan: Answer[] = [];
  const server: Server = createServer((req, res) => {
    readBody(req, 1024 * 1024).then((received) => {
      const raw = received === 'too_large' ? Buffer.alloc(0) : received;
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      const form = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
      const record: TwilioSend = { path: req.url ?? '', authorization: req.headers.authorization, contentType: req.headers['content-type'], form, status: 0 };
      sends.push(record);
      res.on('finish', () => options.onSend?.(record));
      const error = (status: number, code: number, message: string) => {
        record.status = status;
        answer(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
      };
      if (req.method !== 'POST' || req.url !== `/2010-04-01/Accounts/${account.accountSid}/Messages.json`) return error(404, 20404, 'The requested resource was not found');
      const expected = `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return error(401, 20003, 'Authenticate');
      if (!req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) return error(400, 20001, 'Bad request');
      if (!form.To) return error(400, 21604, "A 'To' phone number is required.");
      if (!form.From && !form.MessagingServiceSid) return error(400, 21603, "A 'From' phone number is required.");
      if (!form.Body) return error(400, 21602, 'Message body is required.');
      const next = plan.shift();
      if (next && 'hang' in next) return; // never answers: the sender's timeout decides
      if (next && next.status >= 300) return error(next.status, next.code ?? 20500, next.message ?? 'Internal Server Error');
      record.status = 201;
      record.sid = `SM${randomBytes(16).toString('hex')}`;
      answer(201, { sid: record.sid, status: 'queued', to: form.To, from: form.From ?? null, body: form.Body, num_segments: '1', error_code: null });
    });
  });
  await new Promise<void>((r) => server.listen(options.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    sends,
    /** The next sends get these answers, in order (then 201 again). */
    answerNext: (...answers: Answer[]) => plan.push(...answers),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
