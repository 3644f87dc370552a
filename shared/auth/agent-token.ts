import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { roles, type Role } from '../agent/connections.js';
import { environment } from '../runtime/environment.js';

export interface AgentIdentity {
  agentId: string;
  role: Role;
}

/**
 * Signature algorithms a token may be verified with: the asymmetric ones, whose public keys an
 * identity provider publishes in its JWKS. `none` and the HMAC family (HS256…) are never among
 * them: an HMAC key would have to be shared, and accepting one is how "HS256 signed with the
 * public key" forgeries get in.
 */
export const verifiableAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type VerifiableAlgorithm = (typeof verifiableAlgorithms)[number];

/**
 * What OpenID providers sign ID tokens with (Cognito, Entra ID, Okta, Auth0, Google: RS256) and
 * what the local dev signer uses (ES256, infra/local/dev-tokens.ts). `tide:auth.algorithms`
 * narrows or widens it.
 */
export const defaultAlgorithms: readonly VerifiableAlgorithm[] = ['RS256', 'ES256'];

export interface TokenSettings {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** The claim carrying the role; identity providers name it differently. */
  roleClaim: string;
  /** The only algorithms a token's header may name; anything else is refused before its key is looked up. */
  algorithms: readonly VerifiableAlgorithm[];
}

/** The token settings cannot verify anything safely (a cold start fails rather than accept too much). */
export class TokenSettingsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenSettingsError';
  }
}

const isVerifiable = (alg: string): alg is VerifiableAlgorithm => (verifiableAlgorithms as readonly string[]).includes(alg);

/** `RS256,ES256` (the environment's form) as a checked list. */
export function parseAlgorithms(list: string): VerifiableAlgorithm[] {
  const algorithms = list.split(',').map((a) => a.trim()).filter(Boolean);
  const refused = algorithms.filter((a) => !isVerifiable(a));
  if (refused.length || algorithms.length === 0) {
    throw new TokenSettingsError(
      `token algorithms must be a non-empty list of ${verifiableAlgorithms.join(', ')}; refused: ${refused.join(', ') || '(empty list)'}`,
    );
  }
  return algorithms as VerifiableAlgorithm[];
}

export function tokenSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TokenSettings {
  const read = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`environment variable ${name} is not set`);
    return value;
  };
  const algorithms = env[environment.tokenAlgorithms];
  return {
    jwksUrl: read(environment.jwksUrl),
    issuer: read(environment.tokenIssuer),
    audience: read(environment.tokenAudience),
    roleClaim: env[environment.tokenRoleClaim] || 'role',
    algorithms: algorithms ? parseAlgorithms(algorithms) : defaultAlgorithms,
  };
}

/**
 * Verifies agent tokens against the identity provider's published keys (JWKS): the algorithm
 * (one of `settings.algorithms`, checked before any key is chosen), signature, issuer, audience,
 * expiry, and an agent id in `sub`. The key set is cached per execution environment by jose, as
 * a cache, not as state: a cold start fetches it again.
 */
export function agentTokenVerifier(settings: TokenSettings): (token: string) => Promise<AgentIdentity> {
  // Settings built by hand (tests, other callers) get the same check as the environment's.
  const algorithms = parseAlgorithms(settings.algorithms.join(','));
  const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(settings.jwksUrl));
  return async (token) => {
    const { payload } = await jwtVerify(token, keys, {
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms,
      requiredClaims: ['sub', 'exp'],
    });
    const role = payload[settings.roleClaim];
    if (typeof payload.sub !== 'string' || !payload.sub) throw new Error('token has no subject');
    if (typeof role !== 'string' || !(roles as readonly string[]).includes(role)) throw new Error('token has no valid role');
    return { agentId: payload.sub, role: role as Role };
  };
}
