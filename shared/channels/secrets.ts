import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig, withoutSdkLogging } from '../runtime/client-config.js';
import type { Deps } from '../runtime/deps.js';

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

/**
 * A channel secret given literally in the configuration (local use) or by Secrets Manager id
 * (deployed use; the config schema allows exactly one). Undefined when neither is set.
 */
export async function secretValue(deps: Pick<Deps, 'secrets'>, literal: string | undefined, secretId: string | undefined): Promise<string | undefined> {
  if (literal !== undefined) return literal;
  return secretId ? deps.secrets.read(secretId) : undefined;
}

/** The generic channel's signing key, from the configuration or from Secrets Manager. */
export async function channelSecret(deps: Pick<Deps, 'config' | 'secrets'>): Promise<string | undefined> {
  const channel = deps.config.channels.generic;
  return channel ? secretValue(deps, channel.secret, channel.secretId) : undefined;
}

/** What a handler does with a channel: verify its webhooks, or send on it. */
export type SecretPurpose = 'verify' | 'send';

export interface ChannelSecretField {
  channel: 'generic' | 'twilio' | 'meta';
  /** The config field holding the value literally (local use)… */
  literal: string;
  /** …or the Secrets Manager id of it (deployed use). */
  secretId: string;
  /** Who needs it: only those handlers may read it (infra/tide-stack.ts). */
  purposes: readonly SecretPurpose[];
}

/** Every secret a channel's configuration may name, declared once for both stacks. */
export const channelSecretFields: readonly ChannelSecretField[] = [
  { channel: 'generic', literal: 'secret', secretId: 'secretId', purposes: ['verify', 'send'] },
  { channel: 'twilio', literal: 'authToken', secretId: 'authTokenSecretId', purposes: ['verify', 'send'] },
  { channel: 'meta', literal: 'appSecret', secretId: 'appSecretSecretId', purposes: ['verify'] },
  { channel: 'meta', literal: 'verifyToken', secretId: 'verifyTokenSecretId', purposes: ['verify'] },
  { channel: 'meta', literal: 'accessToken', secretId: 'accessTokenSecretId', purposes: ['send'] },
];
