import { describe, expect, it } from 'vitest';
import { twilioChannel, twilioRoutes } from '../../../../shared/channels/twilio/channel.js';
import { maxTwilioBodyBytes } from '../../../../shared/channels/twilio/inbound.js';
import { codeOf, fixture, twilioDeps, twilioPost, twilioSignatureOf, webhookBaseUrl } from './twilio-requests.js';

const messagesUrl = `${webhookBaseUrl}${twilioRoutes.messages}`;
const parse = (request: ReturnType<typeof twilioPost>, deps = twilioDeps()) => twilioChannel.parseWebhook(deps, request);

describe('Twilio webhook checks', () => {
  it('checks size first, then the signature, then the fields', async () => {
    const huge = `MessageSid=SM1&From=%2B1555&Body=${'x'.repeat(maxTwilioBodyBytes)}`;
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, huge)))).toBe('payload_too_large');
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, huge, { signature: 'bad' })))).toBe('payload_too_large');
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, 'From=%2B1555&Body=hi', { signature: null })))).toBe('invalid_signature');
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, 'From=%2B1555&Body=hi', { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' })))).toBe('invalid_signature');
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, 'From=%2B1555&Body=hi')))).toBe('invalid_request');
    expect(await codeOf(parse(twilioPost(twilioRoutes.status, 'MessageStatus=sent', { signature: null })))).toBe('invalid_signature');
  });

  it('accepts a body of exactly 64 KiB', async () => {
    const head = 'MessageSid=SM1&From=%2B1555&Body=';
    const body = `${head}${'x'.repeat(maxTwilioBodyBytes - head.length)}`;
    expect(Buffer.byteLength(body)).toBe(maxTwilioBodyBytes);
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, body)))).toBe('ok');
  });

  it('answers a message with 200 and an empty TwiML document', async () => {
    expect((await parse(twilioPost(twilioRoutes.messages, fixture('sms-text.form')))).reply).toEqual({
      statusCode: 200,
      contentType: 'text/xml',
      body: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
    });
  });

  it('accepts a signature over the URL with :443', async () => {
    const raw = fixture('sms-text.form');
    const signature = twilioSignatureOf('https://tide.example.com:443/v1/channels/twilio/messages', raw);
    expect(signature).not.toBe(twilioSignatureOf(messagesUrl, raw));
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, raw, { signature })))).toBe('ok');
  });

  it('checks against webhookBaseUrl, one trailing slash or not, with the path of the route and the query', async () => {
    const raw = fixture('sms-text.form');
    const withSlash = twilioDeps({ twilio: { webhookBaseUrl: 'https://tide.example.com/' } });
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, raw), withSlash))).toBe('ok');
    const staged = twilioDeps({ twilio: { webhookBaseUrl: 'https://api.example.com/prod' } });
    const signedStaged = twilioSignatureOf('https://api.example.com/prod/v1/channels/twilio/messages?x=1', raw);
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, raw, { query: 'x=1', signature: signedStaged }), staged))).toBe('ok');
    // The same body signed for another route, host, scheme or query is refused.
    for (const url of [`${webhookBaseUrl}${twilioRoutes.status}`, 'https://evil.example.com/v1/channels/twilio/messages', 'http://tide.example.com/v1/channels/twilio/messages', `${messagesUrl}?x=1`]) {
      expect(await codeOf(parse(twilioPost(twilioRoutes.messages, raw, { signature: twilioSignatureOf(url, raw) })))).toBe('invalid_signature');
    }
  });

  it('refuses a body changed after signing, or signed with another token', async () => {
    const raw = fixture('sms-text.form');
    const signature = twilioSignatureOf(messagesUrl, raw);
    const changed = raw.toString('utf8').replace('Body=Hi', 'Body=Ho');
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, changed, { signature })))).toBe('invalid_signature');
    const added = `${raw.toString('utf8')}&Extra=1`;
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, added, { signature })))).toBe('invalid_signature');
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, raw, { signature: twilioSignatureOf(messagesUrl, raw, 'another-token') })))).toBe('invalid_signature');
  });

  it('signs every field, repeated ones too', async () => {
    const raw = 'MessageSid=SM1&From=%2B1555&Body=hi&Tag=b&Tag=a';
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, raw)))).toBe('ok');
  });

  it('reads the auth token from Secrets Manager when given by id', async () => {
    const raw = fixture('sms-text.form');
    const read: string[] = [];
    const deps = twilioDeps({
      twilio: { authToken: undefined, authTokenSecretId: 'tide/twilio-token' },
      secrets: { read: async (id) => (read.push(id), 'twilio-test-auth-token-7f3a') },
    });
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, raw), deps))).toBe('ok');
    expect(read).toEqual(['tide/twilio-token']);
    const otherToken = twilioDeps({ twilio: { authToken: undefined, authTokenSecretId: 'x' }, secrets: { read: async () => 'rotated' } });
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, raw), otherToken))).toBe('invalid_signature');
  });

  it('is not_found on another route, a GET, or when the channel is not configured', async () => {
    const raw = fixture('sms-text.form');
    expect(await codeOf(parse(twilioPost('/v1/channels/twilio/other', raw)))).toBe('not_found');
    expect(await codeOf(parse({ ...twilioPost(twilioRoutes.messages, raw), method: 'GET' }))).toBe('not_found');
    expect(await codeOf(parse(twilioPost(twilioRoutes.messages, raw), twilioDeps({ twilio: null })))).toBe('not_found');
  });
});
