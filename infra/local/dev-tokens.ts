import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { roles, type Role } from '../../shared/agent/connections.js';

/**
 * The local stand-in for the business's identity provider: a key pair made at start, its public
 * half published as a JWKS, so the authorizer verifies local tokens exactly as deployed ones.
 */
export interface DevTokenIssuer {
  issuer: string;
  audience: string;
  jwks: { keys: JWK[] };
  issue(agentId: string, role: Role): Promise<string>;
}

export async function createDevTokenIssuer(issuer = 'tide-local', audience = 'tide'): Promise<DevTokenIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const kid = 'tide-local-1';
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return {
    issuer,
    audience,
    jwks: { keys: [jwk] },
    issue: (agentId, role) =>
      new SignJWT({ role })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setSubject(agentId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('12h')
        .sign(privateKey),
  };
}

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (roles as readonly string[]).includes(value);
