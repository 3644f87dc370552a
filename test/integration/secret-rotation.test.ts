import { randomBytes } from 'node:crypto';
import { GetSecretValueCommand, PutSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/free-port.js';
import type { RunningGateway } from '../../infra/local/http-gateway.js';
import { startSecretsEmulator } from '../../infra/local/secrets-emulator.js';
import type { WebhookRequest } from '../../shared/channels/channel.js';
import { sign } from '../../shared/channels/generic/signature.js';
import { channels } from '../../shared/channels/registry.js';
import { secretsManagerReader } from '../../shared/channels/secrets.js';
import type { TideConfigInput } from '../../shared/config/schema.js';
import type { ProviderName } from '../../shared/conversation/model.js';
import { channelDeps } from '../support/channel-deps.js';
import { codeOf, fixture as metaFixture, metaConfig, metaPost, signatureOf } from '../unit/channels/meta/meta-requests.js';
import { fixture as twilioFixture, twilioConfig, twilioPost, twilioSignatureOf, webhookBaseUrl } from '../unit/channels/twilio/twilio-requests.js';

/**
 * Rotating a channel secret without a window of refused webhooks: the real Secrets Manager client
 * against the emulator, which moves AWSCURRENT and AWSPREVIOUS on PutSecretValue as Secrets
 * Manager does, and each provider's own webhook verification. A clock of the test's own stands in
 * for the hours of grace.
 */
const graceSeconds = 3600;
let emulator: RunningGateway;
let endpoint: string;
const secretIds: Record<ProviderName, string> = { generic: 'tide/generic', twilio: 'tide/twilio-token', meta: 'tide/meta-app' };
beforeAll(async () => {
  const port = await freePort();
  emulator = await startSecretsEmulator({
    host: '127.0.0.1',
    port,
    secrets: { [secretIds.generic]: 'generic-old', [secretIds.twilio]: 'twilio-old', [secretIds.meta]: 'meta-old', 'tide/never-rotated': 'only' },
  });
  endpoint = `http://127.0.0.1:${port}`;
});
afterAll(() => emulator.close());

const client = () => new SecretsManagerClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
async function rotate(secretId: string, value: string): Promise<void> {
  const sm = client();
  await sm.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
  sm.destroy();
}

/** One provider: its config by secret id, and a webhook signed with a given key. */
interface Provider {
  name: ProviderName;
  channels: TideConfigInput['channels'];
  signedWith(key: string): WebhookRequest;
}

const genericBody = Buffer.from(JSON.stringify({ externalId: 'm-1', from: '+15550100', text: 'Hi' }));
const twilioBody = twilioFixture('sms-text.form');
const metaBody = metaFixture('whatsapp-text.json');
const providers: Provider[] = [
  {
    name: 'generic',
    channels: { generic: { secretId: secretIds.generic } },
    signedWith: (key) => ({ method: 'POST', route: '/v1/messages', rawQueryString: '', headers: { 'x-tide-signature': sign(key, genericBody) }, rawBody: genericBody }),
  },
  {
    name: 'twilio',
    channels: { twilio: twilioConfig({ authToken: undefined, authTokenSecretId: secretIds.twilio }) },
    signedWith: (key) => twilioPost('/v1/channels/twilio/messages', twilioBody, { signature: twilioSignatureOf(`${webhookBaseUrl}/v1/channels/twilio/messages`, twilioBody, key) }),
  },
  {
    name: 'meta',
    channels: { meta: metaConfig({ appSecret: undefined, appSecretSecretId: secretIds.meta }) },
    signedWith: (key) => metaPost(metaBody, signatureOf(metaBody, key)),
  },
];

const randomKey = () => randomBytes(24).toString('base64url');

describe.each(providers)('rotating the $name channel secret', (provider) => {
  it('the old secret verifies during the grace and is refused after it; a random secret never verifies', async () => {
    let now = Date.now();
    const deps = channelDeps({ channels: provider.channels, secrets: secretsManagerReader(endpoint, {}, { graceSeconds, now: () => now }) });
    const verdict = (key: string) => codeOf(channels[provider.name].parseWebhook(deps, provider.signedWith(key)));
    const old = `${provider.name}-old`;
    const rotated = `${provider.name}-new`;

    expect(await verdict(old)).toBe('ok');
    expect(await verdict(randomKey())).toBe('invalid_signature');

    await rotate(secretIds[provider.name], rotated);
    // Past the reader's re-read interval, not past its cache: a key signed with the new value makes it look again.
    now += 6_000;
    expect(await verdict(rotated)).toBe('ok');
    expect(await verdict(old)).toBe('ok');
    expect(await verdict(randomKey())).toBe('invalid_signature');

    // An hour and a bit later: the grace is over, even for a value still in the cache.
    now += (graceSeconds + 60) * 1000;
    expect(await verdict(old)).toBe('invalid_signature');
    expect(await verdict(rotated)).toBe('ok');
    expect(await verdict(randomKey())).toBe('invalid_signature');
  });
});

describe('the reader around a rotation', () => {
  it('a cold start after the rotation accepts both during the grace; sending uses the current value only', async () => {
    await rotate('tide/never-rotated', 'second');
    let now = Date.now();
    const reader = secretsManagerReader(endpoint, {}, { graceSeconds, now: () => now });
    expect(await reader.readForVerifying!('tide/never-rotated')).toEqual(['second', 'only']);
    expect(await reader.read('tide/never-rotated')).toBe('second');
    now += (graceSeconds + 1) * 1000;
    expect(await reader.readForVerifying!('tide/never-rotated')).toEqual(['second']);
  });

  it('no previous version: only the current value; grace 0 (tide:secretRotationGraceHours=0): never the previous', async () => {
    const port = await freePort();
    const fresh = await startSecretsEmulator({ host: '127.0.0.1', port, secrets: { s: 'v1' } });
    const at = `http://127.0.0.1:${port}`;
    const sm = new SecretsManagerClient({ endpoint: at, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 's', VersionStage: 'AWSPREVIOUS' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(await secretsManagerReader(at, {}, { graceSeconds }).readForVerifying!('s')).toEqual(['v1']);
    await sm.send(new PutSecretValueCommand({ SecretId: 's', SecretString: 'v2' }));
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 's', VersionStage: 'AWSPREVIOUS' }))).SecretString).toBe('v1');
    expect(await secretsManagerReader(at, {}, { graceSeconds }).readForVerifying!('s')).toEqual(['v2', 'v1']);
    expect(await secretsManagerReader(at, { CHANNEL_SECRET_GRACE_SECONDS: '0' }).readForVerifying!('s')).toEqual(['v2']);
    // A third value: the first is no version of the secret any more, the second is the previous.
    await sm.send(new PutSecretValueCommand({ SecretId: 's', SecretString: 'v3' }));
    expect(await secretsManagerReader(at, {}, { graceSeconds }).readForVerifying!('s')).toEqual(['v3', 'v2']);
    sm.destroy();
    await fresh.close();
  });

  it('forged signatures re-read the secret at most once per interval', async () => {
    const port = await freePort();
    const fresh = await startSecretsEmulator({ host: '127.0.0.1', port, secrets: { [secretIds.generic]: 'k' } });
    let now = Date.now();
    const deps = channelDeps({ channels: providers[0]!.channels, secrets: secretsManagerReader(`http://127.0.0.1:${port}`, {}, { graceSeconds, now: () => now }) });
    expect(await codeOf(channels.generic.parseWebhook(deps, providers[0]!.signedWith('k')))).toBe('ok');
    await fresh.close();
    // With Secrets Manager gone, forgeries within the interval are answered from the cache…
    for (let i = 0; i < 3; i++) expect(await codeOf(channels.generic.parseWebhook(deps, providers[0]!.signedWith(randomKey())))).toBe('invalid_signature');
    // …and only past it does a forgery cost a read (which here fails).
    now += 6_000;
    expect(await codeOf(channels.generic.parseWebhook(deps, providers[0]!.signedWith(randomKey())))).not.toBe('invalid_signature');
  });
});
