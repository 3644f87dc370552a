import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { roles, type Role } from '../agent/connections.js';
import { environment } from '../runtime/environment.js';

export interface AgentIdentity {
  agentId: string;
  role: Role;
}

export interface TokenSettings {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** The claim carrying the role; identity providers name it differently. */
  roleClaim: string;
}

export function tokenSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TokenSettings {
  const read = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`environment variable ${name} is not set`);
    return value;
  };
  return {
    jwksUrl: read(environment.jwksUrl),
    issuer: read(environment.tokenIssuer),
    audience: read(environment.tokenAudience),
    roleClaim: env[environment.tokenRoleClaim] || 'role',
  };
}

/**
 * Verifies agent tokens against the identity provider's published keys (JWKS): signature,
 * issuer, audience, expiry, and an agent id in `sub`. The key set is cached per execution
 * environment by jose, as a cache, not as state: a cold start fetches it again.
 */
export function agentTokenVerifier(settings: TokenSettings): (token: string) => Promise<AgentIdentity> {
  const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(settings.jwksUrl));
  return async (token) => {
    const { payload } = await jwtVerify(token, keys, {
      issuer: settings.issuer,
      audience: settings.audience,
      requiredClaims: ['sub', 'exp'],
    });
    const role = payload[settings.roleClaim];
    if (typeof payload.sub !== 'string' || !payload.sub) throw new Error('token has no subject');
    if (typeof role !== 'string' || !(roles as readonly string[]).includes(role)) throw new Error('token has no valid role');
    return { agentId: payload.sub, role: role as Role };
  };
}
