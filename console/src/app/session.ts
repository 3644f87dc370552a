import type { AuthConfig, ConsoleConfig } from './config.js';

/**
 * Who is signed in, and where their tokens come from. Tokens are never stored: the socket asks
 * for a fresh one before every connection attempt (a replayed token fails after a sleep,
 * research/console.md §3), and every HTTP request asks again.
 *
 * Locally, signing in is picking an agent (DESIGN §4b: a button per configured agent, and
 * "Supervisor"); tokens come from `POST /dev/token`. Deployed, the identity provider signs in
 * (OpenID Connect, authorization code with PKCE: console/src/auth/oidc.ts).
 */
export type Role = 'agent' | 'supervisor' | 'admin';

export interface Identity {
  agentId: string;
  role: Role;
  name: string;
}

export interface Session {
  identity: Identity;
  token(): Promise<string>;
  signOut(): void;
}

const identityKey = 'tide.identity';
/** Locally, "Supervisor" signs in as this id (POST /dev/token issues supervisor tokens for any id). */
export const localSupervisorId = 'supervisor';

export const canSupervise = (role: Role) => role === 'supervisor' || role === 'admin';

function parseIdentity(value: string | null): Identity | undefined {
  if (!value) return undefined;
  try {
    const v = JSON.parse(value) as Partial<Identity>;
    if (typeof v.agentId !== 'string' || typeof v.name !== 'string') return undefined;
    if (v.role !== 'agent' && v.role !== 'supervisor' && v.role !== 'admin') return undefined;
    return { agentId: v.agentId, role: v.role, name: v.name };
  } catch {
    return undefined;
  }
}

/**
 * This tab's identity first (two tabs may be two agents on one machine), else the last one
 * signed in, so a new tab opens signed in.
 */
export function rememberedIdentity(): Identity | undefined {
  return parseIdentity(safely(() => sessionStorage.getItem(identityKey)) ?? null) ?? parseIdentity(safely(() => localStorage.getItem(identityKey)) ?? null);
}

export function rememberIdentity(identity: Identity): void {
  const value = JSON.stringify(identity);
  safely(() => sessionStorage.setItem(identityKey, value));
  safely(() => localStorage.setItem(identityKey, value));
}

export function forgetIdentity(): void {
  safely(() => sessionStorage.removeItem(identityKey));
  safely(() => localStorage.removeItem(identityKey));
}

function safely<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

export class SignInError extends Error {
  override name = 'SignInError';
}

/** `POST /dev/token` (local stack only). */
export async function localToken(config: ConsoleConfig, identity: Pick<Identity, 'agentId' | 'role'>): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`${config.httpUrl}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agentId: identity.agentId, role: identity.role }),
    });
  } catch {
    throw new SignInError('Tide cannot be reached.');
  }
  const body = (await response.json().catch(() => ({}))) as { token?: unknown; error?: { message?: string } };
  if (!response.ok || typeof body.token !== 'string') {
    throw new SignInError(body.error?.message ?? `Signing in failed (HTTP ${response.status}).`);
  }
  return body.token;
}

export interface SignInAgent {
  id: string;
  name: string;
}

/** The agents the local sign-in screen offers (`GET /dev/sign-in`, local stack only). */
export async function localSignInAgents(config: ConsoleConfig): Promise<SignInAgent[]> {
  const response = await fetch(`${config.httpUrl}/dev/sign-in`, { cache: 'no-store' });
  if (!response.ok) throw new SignInError(`The agents could not be listed (HTTP ${response.status}).`);
  const body = (await response.json()) as { agents?: SignInAgent[] };
  return (body.agents ?? []).filter((a) => typeof a.id === 'string' && typeof a.name === 'string');
}

export function localSession(config: ConsoleConfig, identity: Identity): Session {
  return {
    identity,
    token: () => localToken(config, identity),
    signOut: () => {
      forgetIdentity();
      location.assign('/');
    },
  };
}

/** The claims of a JWT the identity provider issued (read only to show who is signed in: Tide verifies it). */
export function identityFromToken(token: string, auth: Extract<AuthConfig, { mode: 'oidc' }>): Identity | undefined {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    const role = payload[auth.roleClaim ?? 'role'];
    if (typeof payload.sub !== 'string' || (role !== 'agent' && role !== 'supervisor' && role !== 'admin')) return undefined;
    const name = typeof payload.name === 'string' ? payload.name : typeof payload.email === 'string' ? payload.email : payload.sub;
    return { agentId: payload.sub, role, name };
  } catch {
    return undefined;
  }
}
