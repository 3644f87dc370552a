import { describe, expect, it } from 'vitest';
import { metaChannel } from '../../../../shared/channels/meta/channel.js';
import { codeOf, metaDeps, metaGet, verifyToken } from './meta-requests.js';

const query = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('Meta subscription check (GET /v1/channels/meta)', () => {
  it('answers the challenge as plain text when mode and verify token match', async () => {
    const parsed = await metaChannel.parseWebhook(metaDeps(), metaGet(query({ 'hub.mode': 'subscribe', 'hub.verify_token': verifyToken, 'hub.challenge': '1158201444' })));
    expect(parsed).toEqual({ items: [], ignored: 0, reply: { statusCode: 200, contentType: 'text/plain', body: '1158201444' } });
  });

  it('decodes the query as Meta encodes it', async () => {
    const deps = metaDeps({ meta: { verifyToken: 'tøken with spaces&more' } });
    const raw = `hub.mode=subscribe&hub.challenge=abc%2Bdef&hub.verify_token=${encodeURIComponent('tøken with spaces&more')}`;
    expect((await metaChannel.parseWebhook(deps, metaGet(raw))).reply.body).toBe('abc+def');
  });

  it('reads the verify token from Secrets Manager when given by id', async () => {
    const reads: string[] = [];
    const deps = metaDeps({ meta: { verifyToken: undefined, verifyTokenSecretId: 'tide/meta-verify' }, secrets: { read: async (id) => (reads.push(id), 'from-secrets') } });
    const reply = (await metaChannel.parseWebhook(deps, metaGet(query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'from-secrets', 'hub.challenge': '7' })))).reply;
    expect(reply.body).toBe('7');
    expect(reads).toEqual(['tide/meta-verify']);
  });

  it('refuses a wrong or missing token as forbidden', async () => {
    for (const token of ['guess', `${verifyToken}x`, verifyToken.slice(0, -1), '']) {
      expect(await codeOf(metaChannel.parseWebhook(metaDeps(), metaGet(query({ 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': '1' }))))).toBe('forbidden');
    }
    expect(await codeOf(metaChannel.parseWebhook(metaDeps(), metaGet(query({ 'hub.mode': 'subscribe', 'hub.challenge': '1' }))))).toBe('forbidden');
  });

  it('refuses a wrong or missing mode as forbidden', async () => {
    expect(await codeOf(metaChannel.parseWebhook(metaDeps(), metaGet(query({ 'hub.mode': 'unsubscribe', 'hub.verify_token': verifyToken, 'hub.challenge': '1' }))))).toBe('forbidden');
    expect(await codeOf(metaChannel.parseWebhook(metaDeps(), metaGet(query({ 'hub.verify_token': verifyToken, 'hub.challenge': '1' }))))).toBe('forbidden');
    expect(await codeOf(metaChannel.parseWebhook(metaDeps(), metaGet('')))).toBe('forbidden');
  });

  it('refuses an empty verify token from Secrets Manager instead of verifying nothing', async () => {
    const deps = metaDeps({ meta: { verifyToken: undefined, verifyTokenSecretId: 'tide/meta-verify' }, secrets: { read: async () => '' } });
    expect(await codeOf(metaChannel.parseWebhook(deps, metaGet(query({ 'hub.mode': 'subscribe', 'hub.verify_token': '', 'hub.challenge': '1' }))))).toBe('forbidden');
  });
});
