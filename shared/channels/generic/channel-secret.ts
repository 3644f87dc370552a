import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig, withoutSdkLogging } from '../../runtime/client-config.js';
import type { Deps } from '../../runtime/deps.js';

/** Reads a secret's string value (Secrets Manager in AWS; its emulation locally). */
export interface SecretReader {
  read(secretId: string): Promise<string>;
}

/** Long enough to spare a call per message, short enough that a rotated key applies within minutes. */
const cacheSeconds = 300;

/**
 * Secrets Manager, with the value cached per execution environment for a few minutes: a cache of
 * the business's configuration like the JWKS keys, not state (a cold start reads it again).
 */
export function secretsManagerReader(endpoint?: string, env: NodeJS.ProcessEnv = process.env): SecretReader {
  const client = withoutSdkLogging(new SecretsManagerClient(clientConfig(endpoint, env)));
  const cache = new Map<string, { value: string; until: number }>();
  return {
    async read(secretId) {
      const hit = cache.get(secretId);
      if (hit && hit.until > Date.now()) return hit.value;
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (!out.SecretString) throw new Error('the channel secret has no string value');
      cache.set(secretId, { value: out.SecretString, until: Date.now() + cacheSeconds * 1000 });
      return out.SecretString;
    },
  };
}

/** The generic channel's signing key, from the configuration or from Secrets Manager. */
export async function channelSecret(deps: Pick<Deps, 'config' | 'secrets'>): Promise<string | undefined> {
  const channel = deps.config.channels.generic;
  if (!channel) return undefined;
  return channel.secret ?? deps.secrets.read(channel.secretId!);
}
