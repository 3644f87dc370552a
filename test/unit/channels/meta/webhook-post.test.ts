import { describe, expect, it } from 'vitest';
import { metaChannel, metaRoute } from '../../../../shared/channels/meta/channel.js';
import { maxMetaBodyBytes } from '../../../../shared/channels/meta/inbound.js';
import { appSecret, codeOf, fixture, metaDeps, metaPost, signatureOf } from './meta-requests.js';

describe('Meta webhook POST', () => {
  it('checks size first, then the signature, then JSON, then the envelope', async () => {
    const huge = Buffer.from(`{"object":"page","entry":[],"pad":"${'x'.repeat(maxMetaBodyBytes)}"}`);
    expect(await codeOf(metaChannel.parseWebhook(metaDeps(), metaPost(huge, 'sha256=bad')))).toBe('payload_too_large');
    expect(await codeOf(metaChannel.parseWebhook(metaDeps(), metaPost('not json', null)))).toBe('invalid_signature');
    expect(await codeOf(metaChannel.parseWebhook(metaDeps(), metaPost('not json')))).toBe('invalid_request');
    for (const body of ['null', '[]', '{"entry":[]}', '{"object":"page"}', '{"object":"page","entry":{}}']) {
      expect(await codeOf(metaChannel.parseWebhook(metaDeps(), metaPost(body)))).toBe('invalid_request');
    }
  });

  it('accepts a body of exactly 1 MiB', async () => {
    const head = '{"object":"page","entry":[],"pad":"';
    const body = Buffer.from(`${head}${'x'.repeat(maxMetaBodyBytes - head.length - 2)}"}`);
    expect(body.byteLength).toBe(maxMetaBodyBytes);
    expect(await codeOf(metaChannel.parseWebhook(metaDeps(), metaPost(body)))).toBe('ok');
  });

  it('refuses a body signed with another secret, or signed before it was re-serialised', async () => {
    const raw = fixture('whatsapp-text.json');
    expect(await codeOf(metaChannel.parseWebhook(metaDeps(), metaPost(raw, signatureOf(raw, 'other-secret'))))).toBe('invalid_signature');
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))));
    expect(await codeOf(metaChannel.parseWebhook(metaDeps(), metaPost(reserialised, signatureOf(raw))))).toBe('invalid_signature');
    expect(await codeOf(metaChannel.parseWebhook(metaDeps(), metaPost(raw, signatureOf(raw, appSecret))))).toBe('ok');
  });

  it('reads the app secret from Secrets Manager when given by id', async () => {
    const deps = metaDeps({ meta: { appSecret: undefined, appSecretSecretId: 'tide/meta-app' }, secrets: { read: async (id) => (id === 'tide/meta-app' ? 'rotated' : '') } });
    const raw = fixture('messenger-text.json');
    expect(await codeOf(metaChannel.parseWebhook(deps, metaPost(raw, signatureOf(raw, 'rotated'))))).toBe('ok');
    expect(await codeOf(metaChannel.parseWebhook(deps, metaPost(raw)))).toBe('invalid_signature');
  });

  it('answers 200 EVENT_RECEIVED for objects Tide does not use, counting their entries', async () => {
    expect(await metaChannel.parseWebhook(metaDeps(), metaPost('{"object":"user","entry":[{"id":"1","changes":[]},{"id":"2"}]}'))).toEqual({
      items: [],
      ignored: 2,
      reply: { statusCode: 200, contentType: 'text/plain', body: 'EVENT_RECEIVED' },
    });
  });

  it('refuses when the channel is not configured, and on another route', async () => {
    expect(await codeOf(metaChannel.parseWebhook(metaDeps({ meta: null }), metaPost('{}')))).toBe('not_found');
    expect(await codeOf(metaChannel.parseWebhook(metaDeps(), { ...metaPost('{}'), route: '/v1/channels/meta/other' }))).toBe('not_found');
    expect(metaRoute).toBe('/v1/channels/meta');
  });

  it('does not read an unsigned body at all', async () => {
    // A bad signature is refused even when the body would be unusable in every other way.
    expect(await codeOf(metaChannel.parseWebhook(metaDeps(), metaPost('{"object":', 'sha256=' + '0'.repeat(64))))).toBe('invalid_signature');
  });
});
