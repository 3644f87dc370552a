import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig, withoutSdkLogging } from '../runtime/client-config.js';
import type { Deps } from '../runtime/deps.js';
import { environment } from '../runtime/environment.js';

/** Reads a secret's string value (Secrets Manager in AWS; its emulation locally). */
export interface SecretReader {
  read(secretId: string): Promise<string>;
  /**
   * The values a webhook signed with this secret may match: the current one, then the previous
   * one while its rotation grace lasts. `refresh` re-reads a value not read in the last few
   * seconds (a signature matched none of the cached ones: the secret may just have rotated).
   * Optional: a reader without it verifies with `read` alone.
   */
  readForVerifying?(secretId: string, options?: { refresh?: boolean }): Promise<readonly string[]>;
}

/** Long enough to spare a call per message, short enough that a rotated key applies within minutes. */
const cacheSeconds = 300;

/**
 * A mismatching signature re-reads the secret at most this often per execution environment: soon
 * enough that a webhook signed with a just-rotated secret is not refused for long, rarely enough
 * that a flood of forged signatures costs at most one Secrets Manager call per interval.
 */
const refreshAfterSeconds = 5;

/**
 * How long after a rotation (the current version's creation) the previous version still
 * verifies webhooks, unless the stack says otherwise (`tide:secretRotationGraceHours`).
 */
export const defaultSecretGraceSeconds = 24 * 3600;

/** The channel secret could not be read as a usable value. */
export class ChannelSecretError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChannelSecretError';
  }
}

export interface SecretsManagerReaderOptions {
  /** @default the environment's CHANNEL_SECRET_GRACE_SECONDS, else `defaultSecretGraceSeconds` */
  graceSeconds?: number;
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

interface CachedSecret {
  current: string;
  /** Secrets Manager's AWSPREVIOUS, read only while the current version is younger than the grace. */
  previous?: string;
  /** When the current version was created: the rotation the grace counts from. */
  currentSince?: number;
  readAt: number;
}

function graceSecondsFromEnv(env: NodeJS.ProcessEnv): number {
  const value = env[environment.secretGraceSeconds];
  if (value === undefined || value === '') return defaultSecretGraceSeconds;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0) throw new ChannelSecretError(`${environment.secretGraceSeconds} must be a whole number of seconds`);
  return seconds;
}

/**
 * Secrets Manager, with the value cached per execution environment for a few minutes: a cache of
 * the business's configuration like the JWKS keys, not state (a cold start reads it again).
 *
 * Rotation without a window of refused webhooks: a new value put in Secrets Manager becomes
 * AWSCURRENT and the old one AWSPREVIOUS. For `graceSeconds` after the new version was created,
 * webhooks signed with either are accepted (a sender still on the old key keeps working while it
 * switches); after that only the current one. Sending always uses the current value.
 */
export function secretsManagerReader(endpoint?: string, env: NodeJS.ProcessEnv = process.env, options: SecretsManagerReaderOptions = {}): SecretReader {
  const client = withoutSdkLogging(new SecretsManagerClient(clientConfig(endpoint, env)));
  const graceMs = (options.graceSeconds ?? graceSecondsFromEnv(env)) * 1000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CachedSecret>();
  const inGrace = (entry: CachedSecret, at: number) => entry.currentSince !== undefined && at < entry.currentSince + graceMs;

  async function previousValue(secretId: string): Promise<string | undefined> {
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSPREVIOUS' }));
      return out.SecretString || undefined;
    } catch (error) {
      // A secret never rotated has no previous version.
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  async function load(secretId: string, refresh: boolean): Promise<CachedSecret> {
    const at = now();
    const hit = cache.get(secretId);
    const fresh = hit && at < hit.readAt + cacheSeconds * 1000;
    if (hit && fresh && !(refresh && at >= hit.readAt + refreshAfterSeconds * 1000)) return hit;
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!out.SecretString) throw new ChannelSecretError('the channel secret has no string value');
    const entry: CachedSecret = { current: out.SecretString, currentSince: out.CreatedDate?.getTime(), readAt: at };
    if (graceMs > 0 && inGrace(entry, at)) entry.previous = await previousValue(secretId);
    cache.set(secretId, entry);
    return entry;
  }

  return {
    async read(secretId) {
      return (await load(secretId, false)).current;
    },
    async readForVerifying(secretId, { refresh = false } = {}) {
      const entry = await load(secretId, refresh);
      return entry.previous !== undefined && inGrace(entry, now()) ? [entry.current, entry.previous] : [entry.current];
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

/**
 * The value of a channel secret that `matches` (a webhook's signature checks out with it), or
 * undefined when none does. A literal secret is the only candidate; one in Secrets Manager offers
 * its current value and, during a rotation's grace, its previous one, and is read once more when
 * neither matches, so a webhook signed with a secret rotated since it was cached is not refused.
 * An empty value never matches.
 */
export async function matchingSecret(
  deps: Pick<Deps, 'secrets'>,
  literal: string | undefined,
  secretId: string | undefined,
  matches: (secret: string) => boolean,
): Promise<string | undefined> {
  const first = (values: readonly string[]) => values.find((value) => value !== '' && matches(value));
  if (literal !== undefined) return first([literal]);
  if (!secretId) return undefined;
  const reader = deps.secrets;
  if (!reader.readForVerifying) return first([await reader.read(secretId)]);
  return first(await reader.readForVerifying(secretId)) ?? first(await reader.readForVerifying(secretId, { refresh: true }));
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
