import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/free-port.js';
import type { RunningGateway } from '../../infra/local/http-gateway.js';
import { startSecretsEmulator } from '../../infra/local/secrets-emulator.js';
import { channelSecret, secretsManagerReader } from '../../shared/channels/secrets.js';
import { parseConfig } from '../../shared/config/schema.js';

/** The Secrets Manager emulation and Tide's reader, through the real AWS SDK client. */
let emulator: RunningGateway;
let endpoint: string;
beforeAll(async () => {
  const port = await freePort();
  emulator = await startSecretsEmulator({ host: '127.0.0.1', port, secrets: { 'tide/channels/generic': 'k3y' } });
  endpoint = `http://127.0.0.1:${port}`;
});
afterAll(() => emulator.close());

describe('Secrets Manager emulation', () => {
  it('answers GetSecretValue by name or ARN, and ResourceNotFound otherwise', async () => {
    const client = new SecretsManagerClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'tide/channels/generic' }))).SecretString).toBe('k3y');
    const arn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:tide/channels/generic';
    expect((await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString).toBe('k3y');
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    client.destroy();
  });
});

describe('channelSecret', () => {
  it('uses a literal secret as is, and reads a secretId from Secrets Manager', async () => {
    const secrets = secretsManagerReader(endpoint);
    const literal = parseConfig({ channels: { generic: { secret: 'plain' } } });
    expect(await channelSecret({ config: literal, secrets })).toBe('plain');
    const stored = parseConfig({ channels: { generic: { secretId: 'tide/channels/generic' } } });
    expect(await channelSecret({ config: stored, secrets })).toBe('k3y');
    expect(await channelSecret({ config: parseConfig({}), secrets })).toBeUndefined();
  });

  it('caches the value, so a message costs no Secrets Manager call', async () => {
    const port = await freePort();
    const counting = await startSecretsEmulator({ host: '127.0.0.1', port, secrets: { s: 'v' } });
    const reader = secretsManagerReader(`http://127.0.0.1:${port}`);
    const original = reader.read.bind(reader);
    const config = parseConfig({ channels: { generic: { secretId: 's' } } });
    for (let i = 0; i < 5; i++) expect(await channelSecret({ config, secrets: reader })).toBe('v');
    await counting.close();
    // With the emulator gone, only a cached value can still answer.
    expect(await original('s')).toBe('v');
  });
});
