import { describe, expect, it } from 'vitest';
import { twilioChannel } from '../../../../shared/channels/twilio/channel.js';
import type { StoredMessage } from '../../../../shared/conversation/message-store.js';
import type { HttpSend } from '../../../../shared/runtime/deps.js';
import { accountSid, authToken, twilioDeps } from './twilio-requests.js';

type Call = { url: string; method: string; headers: Record<string, string>; form: Record<string, string>; repeated: string[]; timeoutMs?: number };

/** Records every request, its form read back field by field, and answers with the next planned answer (or throws it). */
function recordingHttp(...answers: Array<{ status: number; body?: string } | Error>) {
  const calls: Call[] = [];
  const http: HttpSend = async (url, init) => {
    const fields = new URLSearchParams(init.body);
    const names = [...fields.keys()];
    calls.push({
      url,
      method: init.method,
      headers: init.headers,
      form: Object.fromEntries(fields),
      repeated: names.filter((n, i) => names.indexOf(n) !== i),
      timeoutMs: init.timeoutMs,
    });
    const answer = answers.shift() ?? { status: 201, body: JSON.stringify({ sid: 'SMdefault' }) };
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { http, calls };
}

const reply = (channel: StoredMessage['channel'], to: string, text = 'Hällo — we ship today & the fee is 5 € + tax'): StoredMessage => ({
  messageId: 'mo_4Zx81',
  conversationId: 'c_1',
  channel,
  provider: 'twilio',
  direction: 'out',
  text,
  sentAt: '2026-01-01T00:00:00.000Z',
  to,
  status: 'pending',
});

const created = (sid = 'SM9f8e7d6c5b4a39281706f5e4d3c2b1a0') => ({ status: 201, body: JSON.stringify({ sid, status: 'queued', num_segments: '1', error_code: null }) });
const restError = (status: number, code: number, message = 'error') => ({ status, body: JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }) });
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('sendTwilio requests', () => {
  it('SMS: POST to the account\'s Messages.json, Basic auth, the form with To, From, Body and the status callback naming Tide\'s id', async () => {
    const { http, calls } = recordingHttp(created());
    const outcome = await twilioChannel.send(twilioDeps({ http }), reply('sms', '+14155550123'), { timeoutMs: 1500 });
    expect(outcome).toEqual({ kind: 'sent', providerMessageId: 'SM9f8e7d6c5b4a39281706f5e4d3c2b1a0' });
    expect(calls).toEqual([
      {
        url: `https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Messages.json`,
        method: 'POST',
        headers: { authorization: basic(accountSid, authToken), 'content-type': 'application/x-www-form-urlencoded' },
        form: {
          To: '+14155550123',
          From: '+15550001111',
          Body: 'Hällo — we ship today & the fee is 5 € + tax',
          StatusCallback: 'https://tide.example.com/v1/channels/twilio/status?tideMessageId=mo_4Zx81',
        },
        repeated: [],
        timeoutMs: 1500,
      },
    ]);
  });

  it('WhatsApp: the sender gets the whatsapp: prefix, the customer keeps theirs', async () => {
    const { http, calls } = recordingHttp(created(), created());
    await twilioChannel.send(twilioDeps({ http }), reply('whatsapp', 'whatsapp:+4915112345678'));
    await twilioChannel.send(twilioDeps({ http, twilio: { from: 'whatsapp:+15550001111' } }), reply('whatsapp', 'whatsapp:+4915112345678'));
    for (const call of calls) expect(call.form).toMatchObject({ To: 'whatsapp:+4915112345678', From: 'whatsapp:+15550001111' });
  });

  it('a Messaging Service instead of a number; the configured API base URL and a base URL with a trailing slash', async () => {
    const { http, calls } = recordingHttp(created());
    const deps = twilioDeps({
      http,
      twilio: { from: undefined, messagingServiceSid: 'MG0d3b6e9f2a5c4b8e1d7f0a3c6e9b2d51', apiBaseUrl: 'http://127.0.0.1:9999/', webhookBaseUrl: 'https://tide.example.com/prod/' },
    });
    await twilioChannel.send(deps, reply('sms', '+14155550123', 'Yes'));
    expect(calls[0]!.url).toBe(`http://127.0.0.1:9999/2010-04-01/Accounts/${accountSid}/Messages.json`);
    expect(calls[0]!.form).toEqual({
      To: '+14155550123',
      MessagingServiceSid: 'MG0d3b6e9f2a5c4b8e1d7f0a3c6e9b2d51',
      Body: 'Yes',
      StatusCallback: 'https://tide.example.com/prod/v1/channels/twilio/status?tideMessageId=mo_4Zx81',
    });
  });

  it('escapes Tide\'s id in the status callback URL', async () => {
    const { http, calls } = recordingHttp(created());
    await twilioChannel.send(twilioDeps({ http }), { ...reply('sms', '+1'), messageId: 'mo_a&b=c d' });
    expect(new URL(calls[0]!.form.StatusCallback!).searchParams.get('tideMessageId')).toBe('mo_a&b=c d');
  });

  it('reads the auth token from Secrets Manager when given by id; a failed read is retried and sends nothing', async () => {
    const { http, calls } = recordingHttp(created());
    const byId = { authToken: undefined, authTokenSecretId: 'tide/twilio-token' };
    await twilioChannel.send(twilioDeps({ http, twilio: byId, secrets: { read: async () => 'token-from-secrets' } }), reply('sms', '+1'));
    expect(calls[0]!.headers.authorization).toBe(basic(accountSid, 'token-from-secrets'));
    const failing = twilioDeps({ http, twilio: byId, secrets: { read: async () => { throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' }); } } });
    expect(await twilioChannel.send(failing, reply('sms', '+1'))).toEqual({ kind: 'retry', reason: 'auth token: ThrottlingException' });
    expect(calls).toHaveLength(1);
  });

  it('without the channel or a recipient, fails and sends nothing', async () => {
    const { http, calls } = recordingHttp();
    expect(await twilioChannel.send(twilioDeps({ http, twilio: null }), reply('sms', '+1'))).toMatchObject({ kind: 'failed', code: 'channel_not_configured' });
    expect(await twilioChannel.send(twilioDeps({ http }), { ...reply('sms', '+1'), to: undefined })).toMatchObject({ kind: 'failed', code: 'no_recipient' });
    expect(calls).toEqual([]);
  });
});

describe('sendTwilio outcomes', () => {
  const outcomeOf = async (answer: { status: number; body?: string } | Error) => twilioChannel.send(twilioDeps({ http: recordingHttp(answer).http }), reply('sms', '+14155550123'));

  it('201 with a sid is sent with that sid (200 too)', async () => {
    expect(await outcomeOf(created('SMabc'))).toEqual({ kind: 'sent', providerMessageId: 'SMabc' });
    expect(await outcomeOf({ status: 200, body: JSON.stringify({ sid: 'SMdef' }) })).toEqual({ kind: 'sent', providerMessageId: 'SMdef' });
  });

  it('a 2xx without a sid is not Twilio\'s answer: retried', async () => {
    expect(await outcomeOf({ status: 200, body: '<html>portal</html>' })).toMatchObject({ kind: 'retry' });
    expect(await outcomeOf({ status: 201, body: '{}' })).toMatchObject({ kind: 'retry' });
    expect(await outcomeOf({ status: 204 })).toMatchObject({ kind: 'retry' });
  });

  it('429 and 5xx are retried, whatever their body', async () => {
    expect(await outcomeOf(restError(429, 20429, 'Too Many Requests'))).toMatchObject({ kind: 'retry' });
    expect(await outcomeOf({ status: 429 })).toMatchObject({ kind: 'retry' });
    expect(await outcomeOf({ status: 500 })).toMatchObject({ kind: 'retry' });
    expect(await outcomeOf(restError(503, 20503, 'Service Unavailable'))).toMatchObject({ kind: 'retry' });
    expect(await outcomeOf({ status: 502, body: '<html>bad gateway</html>' })).toMatchObject({ kind: 'retry' });
  });

  it('error 20429 is retried even on a 4xx other than 429', async () => {
    expect(await outcomeOf(restError(400, 20429, 'Too many concurrent requests'))).toMatchObject({ kind: 'retry' });
  });

  it('another 4xx fails with Twilio\'s code and message', async () => {
    expect(await outcomeOf(restError(400, 21211, "The 'To' number +1555 is not a valid phone number."))).toEqual({
      kind: 'failed',
      code: '21211',
      message: "The 'To' number +1555 is not a valid phone number.",
    });
    expect(await outcomeOf(restError(400, 21610, 'Attempt to send to unsubscribed recipient'))).toEqual({ kind: 'failed', code: '21610', message: 'Attempt to send to unsubscribed recipient' });
    expect(await outcomeOf(restError(400, 63016, 'Failed to send freeform message because you are outside the allowed window.'))).toMatchObject({ kind: 'failed', code: '63016' });
    expect(await outcomeOf(restError(401, 20003, 'Authenticate'))).toMatchObject({ kind: 'failed', code: '20003' });
    expect(await outcomeOf({ status: 400, body: JSON.stringify({ code: 21211 }) })).toEqual({ kind: 'failed', code: '21211', message: 'Twilio error 21211' });
  });

  it('an unreadable 4xx fails as http_<status>', async () => {
    expect(await outcomeOf({ status: 400 })).toEqual({ kind: 'failed', code: 'http_400', message: 'the Twilio API answered HTTP 400' });
    expect(await outcomeOf({ status: 404, body: '<html>not found</html>' })).toMatchObject({ kind: 'failed', code: 'http_404' });
  });

  it('a thrown request (timeout, refused connection) is retried', async () => {
    expect(await outcomeOf(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))).toEqual({ kind: 'retry', reason: 'TimeoutError' });
    expect(await outcomeOf(new TypeError('fetch failed'))).toEqual({ kind: 'retry', reason: 'TypeError' });
  });
});
