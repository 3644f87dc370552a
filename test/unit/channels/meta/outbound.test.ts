import { describe, expect, it } from 'vitest';
import { metaChannel } from '../../../../shared/channels/meta/channel.js';
import type { StoredMessage } from '../../../../shared/conversation/message-store.js';
import type { HttpSend } from '../../../../shared/runtime/deps.js';
import { metaDeps } from './meta-requests.js';

type Call = { url: string; method: string; headers: Record<string, string>; body: unknown; timeoutMs?: number };

/** Records every request and answers with the next planned answer (or throws it). */
function recordingHttp(...answers: Array<{ status: number; body?: string } | Error>) {
  const calls: Call[] = [];
  const http: HttpSend = async (url, init) => {
    calls.push({ url, method: init.method, headers: init.headers, body: JSON.parse(init.body), timeoutMs: init.timeoutMs });
    const answer = answers.shift() ?? { status: 200, body: '{}' };
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { http, calls };
}

const reply = (channel: StoredMessage['channel'], to: string, text = 'Hällo, we are open until 6 pm'): StoredMessage => ({
  messageId: 'mo_4Zx81',
  conversationId: 'c_1',
  channel,
  provider: 'meta',
  direction: 'out',
  text,
  sentAt: '2026-01-01T00:00:00.000Z',
  to,
  status: 'pending',
});

const graphError = (status: number, code: number, message = 'error', subcode?: number) => ({
  status,
  body: JSON.stringify({ error: { message, type: 'OAuthException', code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: 'AbCdEf' } }),
});
const whatsappSent = { status: 200, body: JSON.stringify({ messaging_product: 'whatsapp', contacts: [{ input: '4915112345678', wa_id: '4915112345678' }], messages: [{ id: 'wamid.sent-1' }] }) };

describe('sendMeta requests', () => {
  it('WhatsApp: POST to the phone number\'s messages, Bearer token, the Cloud API text body with Tide\'s id', async () => {
    const { http, calls } = recordingHttp(whatsappSent);
    const outcome = await metaChannel.send(metaDeps({ http }), reply('whatsapp', '4915112345678'), { timeoutMs: 1500 });
    expect(outcome).toEqual({ kind: 'sent', providerMessageId: 'wamid.sent-1' });
    expect(calls).toEqual([
      {
        url: 'https://graph.facebook.com/v23.0/106540352242922/messages',
        method: 'POST',
        headers: { authorization: 'Bearer graph-token', 'content-type': 'application/json' },
        body: {
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to: '4915112345678',
          type: 'text',
          text: { body: 'Hällo, we are open until 6 pm' },
          biz_opaque_callback_data: 'mo_4Zx81',
        },
        timeoutMs: 1500,
      },
    ]);
  });

  it('Messenger: POST to the page\'s messages with a RESPONSE and Tide\'s id as metadata', async () => {
    const { http, calls } = recordingHttp({ status: 200, body: JSON.stringify({ recipient_id: '6942043587196547', message_id: 'm_sent-1' }) });
    const deps = metaDeps({ http, meta: { graphBaseUrl: 'http://127.0.0.1:9999/', graphVersion: 'v24.0' } });
    expect(await metaChannel.send(deps, reply('messenger', '6942043587196547'))).toEqual({ kind: 'sent', providerMessageId: 'm_sent-1' });
    expect(calls).toEqual([
      {
        url: 'http://127.0.0.1:9999/v24.0/112233445566778/messages',
        method: 'POST',
        headers: { authorization: 'Bearer graph-token', 'content-type': 'application/json' },
        body: { recipient: { id: '6942043587196547' }, messaging_type: 'RESPONSE', message: { text: 'Hällo, we are open until 6 pm', metadata: 'mo_4Zx81' } },
        timeoutMs: undefined,
      },
    ]);
  });

  it('Instagram: the same body on the Instagram account\'s messages', async () => {
    const { http, calls } = recordingHttp({ status: 200, body: JSON.stringify({ recipient_id: '1238412347124129', message_id: 'ig_sent-1' }) });
    expect(await metaChannel.send(metaDeps({ http }), reply('instagram', '1238412347124129', 'Yes!'))).toEqual({ kind: 'sent', providerMessageId: 'ig_sent-1' });
    expect(calls).toEqual([
      {
        url: 'https://graph.facebook.com/v23.0/17841400008460056/messages',
        method: 'POST',
        headers: { authorization: 'Bearer graph-token', 'content-type': 'application/json' },
        body: { recipient: { id: '1238412347124129' }, messaging_type: 'RESPONSE', message: { text: 'Yes!', metadata: 'mo_4Zx81' } },
        timeoutMs: undefined,
      },
    ]);
  });

  it('reads the access token from Secrets Manager when given by id; a failed read is retried', async () => {
    const { http, calls } = recordingHttp(whatsappSent);
    const byId = { accessToken: undefined, accessTokenSecretId: 'tide/meta-token' };
    await metaChannel.send(metaDeps({ http, meta: byId, secrets: { read: async () => 'token-from-secrets' } }), reply('whatsapp', '1'));
    expect(calls[0]!.headers.authorization).toBe('Bearer token-from-secrets');
    const failing = metaDeps({ http, meta: byId, secrets: { read: async () => { throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' }); } } });
    expect(await metaChannel.send(failing, reply('whatsapp', '1'))).toMatchObject({ kind: 'retry' });
    expect(calls).toHaveLength(1);
  });

  it('a channel without its sender id configured fails channel_not_configured and sends nothing', async () => {
    const { http, calls } = recordingHttp();
    expect(await metaChannel.send(metaDeps({ http, meta: { whatsappPhoneNumberId: undefined } }), reply('whatsapp', '1'))).toMatchObject({ kind: 'failed', code: 'channel_not_configured' });
    expect(await metaChannel.send(metaDeps({ http, meta: { pageId: undefined } }), reply('messenger', '1'))).toMatchObject({ kind: 'failed', code: 'channel_not_configured' });
    expect(await metaChannel.send(metaDeps({ http, meta: { instagramAccountId: undefined } }), reply('instagram', '1'))).toMatchObject({ kind: 'failed', code: 'channel_not_configured' });
    expect(await metaChannel.send(metaDeps({ http }), reply('sms', '+1'))).toMatchObject({ kind: 'failed', code: 'channel_not_configured' });
    expect(await metaChannel.send(metaDeps({ http, meta: null }), reply('whatsapp', '1'))).toMatchObject({ kind: 'failed', code: 'channel_not_configured' });
    expect(calls).toEqual([]);
  });
});

describe('sendMeta outcomes', () => {
  const outcomeOf = async (answer: { status: number; body?: string } | Error, channel: StoredMessage['channel'] = 'whatsapp') =>
    metaChannel.send(metaDeps({ http: recordingHttp(answer).http }), reply(channel, '4915112345678'));

  it('200 is sent with Meta\'s id; a 2xx Tide cannot read is still sent (sending again would send twice)', async () => {
    expect(await outcomeOf(whatsappSent)).toEqual({ kind: 'sent', providerMessageId: 'wamid.sent-1' });
    expect(await outcomeOf({ status: 200, body: 'not json' })).toEqual({ kind: 'sent' });
    expect(await outcomeOf({ status: 200 }, 'messenger')).toEqual({ kind: 'sent' });
  });

  it('HTTP 5xx and 429 are retried, whatever their body', async () => {
    expect(await outcomeOf({ status: 500 })).toMatchObject({ kind: 'retry' });
    expect(await outcomeOf({ status: 503, body: '<html>unavailable</html>' })).toMatchObject({ kind: 'retry' });
    expect(await outcomeOf(graphError(500, 2, 'An unexpected error has occurred. Please retry your request later.'))).toMatchObject({ kind: 'retry' });
    expect(await outcomeOf({ status: 429 })).toMatchObject({ kind: 'retry' });
  });

  it('the transient Graph codes are retried', async () => {
    expect(await outcomeOf(graphError(400, 130429, 'Rate limit hit'))).toMatchObject({ kind: 'retry' });
    for (const code of [1, 2, 4, 17, 341, 80007, 131000, 131056]) expect(await outcomeOf(graphError(400, code))).toMatchObject({ kind: 'retry' });
  });

  it('any other Graph error fails the message with Meta\'s code and message', async () => {
    expect(await outcomeOf(graphError(400, 131047, 'Re-engagement message'))).toEqual({ kind: 'failed', code: '131047', message: 'Re-engagement message' });
    expect(await outcomeOf(graphError(400, 10, '(#10) This message is sent outside of allowed window.', 2018278), 'messenger')).toEqual({
      kind: 'failed',
      code: '10',
      message: '(#10) This message is sent outside of allowed window.',
    });
    expect(await outcomeOf(graphError(401, 190, 'Invalid OAuth access token'))).toMatchObject({ kind: 'failed', code: '190' });
  });

  it('an unreadable non-2xx fails as http_<status>', async () => {
    expect(await outcomeOf({ status: 400 })).toEqual({ kind: 'failed', code: 'http_400', message: 'the Graph API answered HTTP 400' });
    expect(await outcomeOf({ status: 403, body: '<html>' })).toMatchObject({ kind: 'failed', code: 'http_403' });
  });

  it('a thrown request (timeout, refused connection) is retried', async () => {
    expect(await outcomeOf(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))).toEqual({ kind: 'retry', reason: 'TimeoutError' });
  });
});
