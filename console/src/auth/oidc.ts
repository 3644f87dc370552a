/**
 * Signing in to the deployed console through the identity provider: OpenID Connect, authorization
 * code flow with PKCE (S256), `state` and `nonce` (RFC 6749, RFC 7636, OIDC Core §3.1, RFC 9700's
 * advice for browser apps). Browser code: WebCrypto, `fetch`, `sessionStorage`, nothing from Node.
 *
 *   startOidcSignIn(config)     → redirects to the provider's authorization endpoint
 *   completeOidcSignIn(config)  → on the way back (`/?code=…&state=…`): checks `state` (and `iss`),
 *                                 exchanges the code with the `code_verifier`, checks the ID token's
 *                                 `iss`, `aud`, `nonce` and `exp`, keeps the tokens in sessionStorage
 *   oidcToken(config)           → the bearer token while valid, refreshed near expiry with the
 *                                 refresh token (one refresh at a time); undefined = sign in again
 *   signOutOidc(config)         → forgets the tokens, ends the provider's session if it can
 *
 * The bearer is the ID token. Tide verifies `sub`, issuer, audience and a role claim
 * (shared/auth/agent-token.ts); only the ID token is sure to be a JWT whose `aud` is this client
 * under every provider (Cognito's access tokens carry no `aud`, Auth0's are opaque without an API
 * audience), so `tide:auth`'s audience is the console's client id, and its role claim must be put
 * in the ID token (docs/decisions.md, "Console: static site and sign-in").
 *
 * Tokens live in sessionStorage: one tab's sign-in, gone with the tab, never in a cookie, never in
 * localStorage where every later page load of the origin could read them for weeks.
 */
/** The `auth` of /config.json in the deployed console (console/src/app/config.ts has the same shape). */
export interface OidcAuth {
  mode: 'oidc';
  issuer: string;
  clientId: string;
  /** A list or a space-separated string; `openid` is always added. Default `openid profile email`. */
  scopes?: string[] | string;
  roleClaim?: string;
}

/**
 * Anything carrying the console's auth settings (`ConsoleConfig` fits). Declared here rather than
 * imported, so this module needs nothing but itself (it also compiles in Node for its tests).
 */
export interface OidcConfig {
  auth: { mode: 'local' } | OidcAuth;
}

export class OidcError extends Error {
  override name = 'OidcError';
  constructor(
    /** `state_mismatch`, `issuer_mismatch`, `invalid_id_token`, `token_request_failed`, `unreachable`, or the provider's `error`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What this module uses of the browser (typed here, so it also compiles and runs under Node in tests). */
interface BrowserLocation {
  readonly href: string;
  readonly origin: string;
  readonly pathname: string;
  readonly search: string;
  readonly hash: string;
  assign(url: string): void;
  replace(url: string): void;
}
interface BrowserStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}
interface BrowserHistory {
  replaceState(data: unknown, unused: string, url?: string): void;
}
const browser = () =>
  globalThis as unknown as { location: BrowserLocation; sessionStorage: BrowserStorage; history: BrowserHistory; fetch: typeof fetch };

/** The redirect URI to register with the identity provider: the site's root, for every page. */
export const oidcRedirectUri = () => `${browser().location.origin}/`;

const pendingKey = 'tide.oidc.pending';
const tokensKey = 'tide.oidc.tokens';
/** A sign-in not completed within this is refused (someone left the provider's page open). */
const pendingLifetimeMs = 10 * 60_000;
/** A token closer than this to its expiry is refreshed first (clock skew, a slow handshake). */
const refreshMarginMs = 60_000;

interface Pending {
  issuer: string;
  clientId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  /** Where the user was (path, query, fragment of this origin), to go back after signing in. */
  returnTo: string;
  startedAt: number;
}

interface StoredTokens {
  issuer: string;
  clientId: string;
  idToken: string;
  accessToken?: string;
  refreshToken?: string;
  /** The ID token's `exp`, in ms. */
  expiresAt: number;
  sub: string;
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
}

function oidcAuth(config: OidcConfig): OidcAuth {
  if (config.auth.mode !== 'oidc') throw new OidcError('not_configured', 'The console is not configured for OpenID Connect sign-in.');
  return config.auth;
}

/** `openid` always; the configured scopes (a list or a space-separated string) otherwise. */
export function oidcScopes(auth: OidcAuth): string {
  const given = Array.isArray(auth.scopes) ? auth.scopes : (auth.scopes ?? 'openid profile email').split(/\s+/);
  return [...new Set(['openid', ...given.filter(Boolean)])].join(' ');
}

// -------------------------------------------------------------------------------------------
// Discovery
// -------------------------------------------------------------------------------------------

const discoveries = new Map<string, Promise<Discovery>>();

/** `{issuer}/.well-known/openid-configuration`, once per page; its `issuer` must be the configured one. */
export function discover(issuer: string): Promise<Discovery> {
  let found = discoveries.get(issuer);
  if (!found) {
    found = fetchDiscovery(issuer);
    discoveries.set(issuer, found);
    // A failure is not remembered: the next attempt asks again.
    found.catch(() => discoveries.delete(issuer));
  }
  return found;
}

async function fetchDiscovery(issuer: string): Promise<Discovery> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await browser().fetch(url, { headers: { accept: 'application/json' } });
  } catch {
    throw new OidcError('unreachable', 'The identity provider cannot be reached.');
  }
  const body = (await response.json().catch(() => undefined)) as Partial<Discovery> | undefined;
  if (!response.ok || !body) throw new OidcError('discovery_failed', `The identity provider's configuration could not be read (HTTP ${response.status}).`);
  // OIDC Discovery §4.3: the document must name exactly the issuer it was fetched for.
  if (body.issuer !== issuer) throw new OidcError('issuer_mismatch', `The identity provider says its issuer is ${String(body.issuer)}, not ${issuer}.`);
  for (const endpoint of ['authorization_endpoint', 'token_endpoint'] as const) {
    if (typeof body[endpoint] !== 'string' || !body[endpoint].startsWith('https://') && !isLoopback(body[endpoint])) {
      throw new OidcError('discovery_failed', `The identity provider's ${endpoint} is missing or not HTTPS.`);
    }
  }
  return body as Discovery;
}

/** Plain HTTP only to this machine (a development provider). */
const isLoopback = (url: string) => /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(url);

// -------------------------------------------------------------------------------------------
// Sign-in
// -------------------------------------------------------------------------------------------

const base64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const randomString = (bytes = 32) => base64url(crypto.getRandomValues(new Uint8Array(bytes)));

/** RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))). */
export async function codeChallengeOf(codeVerifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(codeVerifier))));
}

/** Sends the browser to the identity provider's sign-in page; it comes back to `oidcRedirectUri()`. */
export async function startOidcSignIn(config: OidcConfig): Promise<void> {
  const auth = oidcAuth(config);
  const { location, sessionStorage } = browser();
  const discovery = await discover(auth.issuer);
  const pending: Pending = {
    issuer: auth.issuer,
    clientId: auth.clientId,
    state: randomString(),
    nonce: randomString(),
    // 32 random bytes: 43 characters, the shortest verifier RFC 7636 allows, with 256 bits of entropy.
    codeVerifier: randomString(),
    redirectUri: oidcRedirectUri(),
    returnTo: `${location.pathname}${location.search}${location.hash}`,
    startedAt: Date.now(),
  };
  sessionStorage.setItem(pendingKey, JSON.stringify(pending));
  const url = new URL(discovery.authorization_endpoint);
  const query = {
    response_type: 'code',
    client_id: auth.clientId,
    redirect_uri: pending.redirectUri,
    scope: oidcScopes(auth),
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await codeChallengeOf(pending.codeVerifier),
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  location.assign(url.toString());
}

export type OidcCompletion =
  /** This page load is not a redirect back from the provider. */
  | 'none'
  /** Signed in; the address bar no longer shows the code. */
  | 'signed-in'
  /** Signed in, and the browser is on its way back to the page the user started on. */
  | 'redirecting';

/**
 * Handles the redirect back from the provider, if this page load is one. Throws `OidcError` when
 * the answer is not for the sign-in this tab started (`state`), is the provider's refusal, or the
 * token exchange or the ID token fails its checks; nothing is stored then.
 */
export async function completeOidcSignIn(config: OidcConfig): Promise<OidcCompletion> {
  const auth = oidcAuth(config);
  const { location, sessionStorage, history } = browser();
  const params = new URL(location.href).searchParams;
  const state = params.get('state');
  const code = params.get('code');
  const error = params.get('error');
  if (state === null || (code === null && error === null)) return 'none';

  const pending = readJson<Pending>(sessionStorage, pendingKey);
  // The code must not stay in the address bar (history, screenshots, a shared link).
  history.replaceState(null, '', location.pathname);
  if (!pending || pending.state !== state || pending.issuer !== auth.issuer || pending.clientId !== auth.clientId) {
    // A forged answer leaves the sign-in this tab did start alone.
    throw new OidcError('state_mismatch', 'This sign-in was not started here, or was already used. Sign in again.');
  }
  // One use: whatever happens next, this answer cannot be replayed in this tab.
  sessionStorage.removeItem(pendingKey);
  const returnTo = isOwnPath(pending.returnTo) ? pending.returnTo : '/';
  if (Date.now() - pending.startedAt > pendingLifetimeMs) throw new OidcError('sign_in_expired', 'The sign-in took too long. Sign in again.');
  // RFC 9207: a provider that names itself in the answer must name the issuer we asked.
  const iss = params.get('iss');
  if (iss !== null && iss !== auth.issuer) throw new OidcError('issuer_mismatch', 'The answer came from another identity provider.');
  if (error !== null) throw new OidcError(error, params.get('error_description') || `The identity provider refused the sign-in (${error}).`);

  const discovery = await discover(auth.issuer);
  const tokens = await tokenRequest(discovery, {
    grant_type: 'authorization_code',
    code: code!,
    redirect_uri: pending.redirectUri,
    client_id: auth.clientId,
    code_verifier: pending.codeVerifier,
  });
  const stored = checkedTokens(auth, tokens, { nonce: pending.nonce });
  sessionStorage.setItem(tokensKey, JSON.stringify(stored));

  if (new URL(returnTo, location.origin).pathname !== location.pathname) {
    location.replace(returnTo);
    return 'redirecting';
  }
  history.replaceState(null, '', returnTo);
  return 'signed-in';
}

// -------------------------------------------------------------------------------------------
// Tokens
// -------------------------------------------------------------------------------------------

const refreshes = new Map<string, Promise<string | undefined>>();

/**
 * A token that is valid for at least another minute, refreshed first when it is not (one refresh
 * request however many callers ask meanwhile: a rotated refresh token must not be used twice).
 * Undefined when there is none or it cannot be refreshed: the console then calls
 * `startOidcSignIn`. Throws `OidcError('unreachable')` when the provider cannot be reached and
 * the token has expired (the caller retries; a new sign-in would not get through either).
 */
export async function oidcToken(config: OidcConfig): Promise<string | undefined> {
  const auth = oidcAuth(config);
  const { sessionStorage } = browser();
  const stored = readJson<StoredTokens>(sessionStorage, tokensKey);
  if (!stored || stored.issuer !== auth.issuer || stored.clientId !== auth.clientId) return undefined;
  if (stored.expiresAt - Date.now() > refreshMarginMs) return stored.idToken;
  if (!stored.refreshToken) {
    sessionStorage.removeItem(tokensKey);
    return undefined;
  }
  const key = `${auth.issuer} ${auth.clientId}`;
  let refresh = refreshes.get(key);
  if (!refresh) {
    refresh = refreshTokens(auth, stored).finally(() => refreshes.delete(key));
    refreshes.set(key, refresh);
  }
  return refresh;
}

async function refreshTokens(auth: OidcAuth, stored: StoredTokens): Promise<string | undefined> {
  const { sessionStorage } = browser();
  let tokens: TokenResponse;
  try {
    const discovery = await discover(auth.issuer);
    tokens = await tokenRequest(discovery, { grant_type: 'refresh_token', refresh_token: stored.refreshToken!, client_id: auth.clientId });
  } catch (error) {
    if (error instanceof OidcError && error.code === 'unreachable') {
      // Still valid for a little while: use it; expired: the caller tries again later.
      if (stored.expiresAt > Date.now()) return stored.idToken;
      throw error;
    }
    // Refused (revoked, rotated elsewhere, expired): sign in again.
    sessionStorage.removeItem(tokensKey);
    return undefined;
  }
  // OIDC Core §12.2: a refreshed ID token is for the same user, from the same issuer, for us.
  if (!tokens.id_token) {
    sessionStorage.removeItem(tokensKey);
    return undefined;
  }
  let refreshed: StoredTokens;
  try {
    refreshed = checkedTokens(auth, tokens, { sub: stored.sub });
  } catch {
    sessionStorage.removeItem(tokensKey);
    return undefined;
  }
  // Providers that do not rotate refresh tokens answer without one: the old one stays good.
  sessionStorage.setItem(tokensKey, JSON.stringify({ ...refreshed, refreshToken: refreshed.refreshToken ?? stored.refreshToken }));
  return refreshed.idToken;
}

/** Forgets this tab's tokens and ends the provider's session when it offers a way to. */
export async function signOutOidc(config: OidcConfig): Promise<void> {
  const auth = oidcAuth(config);
  const { location, sessionStorage } = browser();
  const stored = readJson<StoredTokens>(sessionStorage, tokensKey);
  sessionStorage.removeItem(tokensKey);
  sessionStorage.removeItem(pendingKey);
  const discovery = await discover(auth.issuer).catch(() => undefined);
  if (!discovery?.end_session_endpoint) return location.assign('/');
  const url = new URL(discovery.end_session_endpoint);
  url.searchParams.set('client_id', auth.clientId);
  url.searchParams.set('post_logout_redirect_uri', oidcRedirectUri());
  if (stored?.idToken) url.searchParams.set('id_token_hint', stored.idToken);
  location.assign(url.toString());
}

interface TokenResponse {
  id_token?: string;
  access_token?: string;
  refresh_token?: string;
  token_type?: string;
  expires_in?: number;
}

/** A public client's token request: form-encoded, no client secret (PKCE proves the caller). */
async function tokenRequest(discovery: Discovery, form: Record<string, string>): Promise<TokenResponse> {
  let response: Response;
  try {
    response = await browser().fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
    });
  } catch {
    throw new OidcError('unreachable', 'The identity provider cannot be reached.');
  }
  const body = (await response.json().catch(() => undefined)) as (TokenResponse & { error?: string; error_description?: string }) | undefined;
  if (!response.ok || !body) {
    throw new OidcError(body?.error ?? 'token_request_failed', body?.error_description ?? `The identity provider refused the token request (HTTP ${response.status}).`);
  }
  return body;
}

/**
 * OIDC Core §3.1.3.7 for a token received straight from the token endpoint over TLS: the signature
 * need not be checked here (Tide checks it against the JWKS on every use), but `iss`, `aud`
 * (`azp` when several), `exp` and the `nonce` this tab sent must be right.
 */
function checkedTokens(auth: OidcAuth, tokens: TokenResponse, expect: { nonce?: string; sub?: string }): StoredTokens {
  const invalid = (why: string) => new OidcError('invalid_id_token', `The identity provider's ID token ${why}.`);
  if (typeof tokens.id_token !== 'string') throw invalid('is missing');
  const claims = jwtClaims(tokens.id_token);
  if (!claims) throw invalid('cannot be read');
  if (claims.iss !== auth.issuer) throw invalid('is from another issuer');
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audience.includes(auth.clientId)) throw invalid('is for another client');
  if (audience.length > 1 && claims.azp !== auth.clientId) throw invalid('was issued to another party');
  if (typeof claims.sub !== 'string' || claims.sub === '') throw invalid('names no user');
  if (expect.sub !== undefined && claims.sub !== expect.sub) throw invalid('is for another user');
  if (expect.nonce !== undefined && claims.nonce !== expect.nonce) throw invalid('does not answer this sign-in (nonce)');
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) throw invalid('has expired');
  return {
    issuer: auth.issuer,
    clientId: auth.clientId,
    idToken: tokens.id_token,
    ...(tokens.access_token ? { accessToken: tokens.access_token } : {}),
    ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
    expiresAt: claims.exp * 1000,
    sub: claims.sub,
  };
}

function jwtClaims(jwt: string): Record<string, unknown> | undefined {
  const part = jwt.split('.')[1];
  if (!part) return undefined;
  try {
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const claims: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function readJson<T>(storage: BrowserStorage, key: string): T | undefined {
  try {
    const value = storage.getItem(key);
    return value ? (JSON.parse(value) as T) : undefined;
  } catch {
    return undefined;
  }
}

/** A path of this origin (`/…`, not `//host/…`): nothing else is a place to return to. */
const isOwnPath = (path: unknown): path is string => typeof path === 'string' && path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\');
