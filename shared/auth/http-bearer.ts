import type { Role } from '../agent/connections.js';
import { TideError } from '../errors.js';
import { logger } from '../runtime/logger.js';
import type { AgentIdentity } from './agent-token.js';

/** Verifies a JWT and says who it proves (shared/auth/agent-token.ts `agentTokenVerifier`). */
export type VerifyToken = (token: string) => Promise<AgentIdentity>;

/** Longer than any JWT an identity provider issues; a bigger header is not worth verifying. */
const maxTokenLength = 8192;

/**
 * Who sent an HTTP API request: the `Authorization: Bearer <jwt>` header, verified as the
 * WebSocket authorizer verifies the `$connect` token (same keys, issuer, audience, role claim).
 * The check runs in the function rather than in an API Gateway authorizer so that the local
 * stack and AWS run the same code. Anything short of a valid token is `unauthorized`; why it was
 * refused is logged by error name only (never the token).
 */
export async function bearerIdentity(verify: VerifyToken, headers: Record<string, string | undefined> | undefined): Promise<AgentIdentity> {
  const header = headerOf(headers, 'authorization');
  const match = header?.match(/^Bearer[ ]+([A-Za-z0-9._~+/=-]+)[ ]*$/i);
  if (!match || match[1]!.length > maxTokenLength) throw new TideError('unauthorized', 'send Authorization: Bearer <token>');
  try {
    return await verify(match[1]!);
  } catch (error) {
    logger.info('bearer token refused', { reason: (error as Error).name });
    throw new TideError('unauthorized', 'the token is not valid');
  }
}

/** Refuses a caller whose role is not among `allowed` (`forbidden`). */
export function requireRole(identity: AgentIdentity, allowed: readonly Role[]): void {
  if (!allowed.includes(identity.role)) throw new TideError('forbidden', `this needs the role ${allowed.join(' or ')}`);
}

/** Roles that may read and act on any conversation and see every agent. */
export const supervising: readonly Role[] = ['supervisor', 'admin'];

/** API Gateway lower-cases header names in payload 2.0; a direct caller may not. */
function headerOf(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (headers[name] !== undefined) return headers[name];
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}
