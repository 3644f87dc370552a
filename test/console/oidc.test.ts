import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, createLocalJWKSet, type JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { completeOidcSignIn, oidcToken, signOutOidc, startOidcSignIn, type OidcError } from '../../console/src/auth/oidc.js';

const clientId = 'tide-console';
const consoleOrigin = 'https://console.example';
const redirectUri = `${consoleOrigin}/`;

// ---------------------------------------------------------------------------------------------
// The browser the module sees: location, sessionStorage and history (fetch and crypto are Node's).
// ---------------------------------------------------------------------------------------------

class FakeLocation {
  url = new URL(`${consoleOrigin}/`);
  readonly assigned: string[] = [];
  readonly replaced: string[] = [];
  get href() { return this.url.toString(); }
  set href(value: string) { this.url = new URL(value, this.url); }
  get origin() { return this.url.origin; }
  get pathname() { return this.url.pathname; }
  get search() { return this.url.search; }
  get hash() { return this.url.hash; }
  assign(url: string) { this.assigned.push(url); }
  replace(url: string) { this.replaced.push(url); }
}

class FakeStorage {
  readonly values = new Map<string, string>();
  getItem(key: string) { return this.values.get(key) ?? null; }
  setItem(key: string, value: string) { this.values.set(key, String(value)); }
  removeItem(key: string) { this.values.delete(key); }
}

let location: FakeLocation;
let storage: FakeStorage;
const replacedStates: string[] = [];
const globals = globalThis as Record<string, unknown>;

beforeEach(() => {
  location = new FakeLocation();
  storage = new FakeStorage();
  replacedStates.length = 0;
  globals.location = location;
  globals.sessionStorage = storage;
  globals.history = { replaceState: (_d: unknown, _u: string, url?: string) => { replacedStates.push(url ?? ''); location.href = url ?? location.href; } };
});
afterEach(async () => {
  delete globals.location;
  delete globals.sessionStorage;
  delete globals.history;
  await provider?.close();
});

// ---------------------------------------------------------------------------------------------
// A real (small) OpenID provider on node:http that refuses any request not shaped as it must be.
// ---------------------------------------------------------------------------------------------

interface ProviderOptions {
  /** ID token lifetime. */
  lifetimeSeconds?: number;
  issueRefreshTokens?: boolean;
  /** Misbehaviours. */
  discoveryIssuer?: string;
  wrongNonce?: boolean;
}

interface Recorded { method: string; path: string; query: Record<string, string>; form?: Record<string, string>; contentType?: string }

async function startProvider(options: ProviderOptions = {}) {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
  const codes = new Map<string, { challenge: string; nonce: string; redirectUri: string; used: boolean }>();
  const refreshTokens = new Map<string, { sub: string; used: boolean }>();
  const requests: Recorded[] = [];
  const refusals: string[] = [];
  let issuer = '';

  const idToken = (sub: string, nonce?: string) =>
    new SignJWT({ role: 'supervisor', ...(nonce !== undefined ? { nonce } : {}) })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience(clientId)
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + (options.lifetimeSeconds ?? 3600))
      .sign(privateKey);

  const tokens = async (sub: string, nonce?: string) => {
    const body: Record<string, unknown> = { token_type: 'Bearer', expires_in: options.lifetimeSeconds ?? 3600, access_token: randomBytes(16).toString('hex'), id_token: await idToken(sub, nonce) };
    if (options.issueRefreshTokens ?? true) {
      const refresh = randomBytes(16).toString('hex');
      refreshTokens.set(refresh, { sub, used: false });
      body.refresh_token = refresh;
    }
    return body;
  };

  const exactly = (got: Record<string, string>, keys: string[]) => JSON.stringify(Object.keys(got).sort()) === JSON.stringify([...keys].sort());
  const readBody = (req: IncomingMessage) => new Promise<string>((resolve) => { let s = ''; req.on('data', (c) => (s += c)); req.on('end', () => resolve(s)); });

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url!, issuer);
    const query = Object.fromEntries(url.searchParams);
    const record: Recorded = { method: req.method!, path: url.pathname, query, contentType: req.headers['content-type'] };
    requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    const refuse = (error: string, why: string) => {
      refusals.push(why);
      send(400, { error, error_description: why });
    };
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return send(200, {
        issuer: options.discoveryIssuer ?? issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        end_session_endpoint: `${issuer}/logout`,
        jwks_uri: `${issuer}/jwks`,
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (req.method === 'GET' && url.pathname === '/authorize') {
      if (!exactly(query, ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method'])) return refuse('invalid_request', `authorize query keys ${Object.keys(query)}`);
      if (query.response_type !== 'code') return refuse('unsupported_response_type', 'response_type');
      if (query.client_id !== clientId) return refuse('unauthorized_client', 'client_id');
      if (query.redirect_uri !== redirectUri) return refuse('invalid_request', 'redirect_uri not registered');
      if (!query.scope!.split(' ').includes('openid')) return refuse('invalid_scope', 'no openid scope');
      if (query.code_challenge_method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(query.code_challenge!)) return refuse('invalid_request', 'code_challenge');
      if (query.state!.length < 22 || query.nonce!.length < 22) return refuse('invalid_request', 'state or nonce too short');
      const code = randomBytes(16).toString('hex');
      codes.set(code, { challenge: query.code_challenge!, nonce: options.wrongNonce ? 'another-nonce' : query.nonce!, redirectUri: query.redirect_uri!, used: false });
      const back = new URL(query.redirect_uri!);
      back.search = new URLSearchParams({ code, state: query.state!, iss: issuer }).toString();
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return refuse('invalid_request', 'content-type');
      const form = Object.fromEntries(new URLSearchParams(await readBody(req)));
      record.form = form;
      if (form.client_id !== clientId) return refuse('invalid_client', 'client_id');
      if (form.grant_type === 'authorization_code') {
        if (!exactly(form, ['grant_type', 'code', 'redirect_uri', 'client_id', 'code_verifier'])) return refuse('invalid_request', `token form keys ${Object.keys(form)}`);
        const grant = codes.get(form.code!);
        if (!grant || grant.used) return refuse('invalid_grant', 'unknown or used code');
        grant.used = true;
        if (form.redirect_uri !== grant.redirectUri) return refuse('invalid_grant', 'redirect_uri differs');
        if (!/^[A-Za-z0-9._~-]{43,128}$/.test(form.code_verifier!)) return refuse('invalid_grant', 'code_verifier shape');
        const challenge = createHash('sha256').update(form.code_verifier!, 'ascii').digest('base64url');
        if (challenge !== grant.challenge) return refuse('invalid_grant', 'code_verifier does not hash to the challenge');
        return send(200, await tokens('ann', grant.nonce), { 'cache-control': 'no-store' });
      }
      if (form.grant_type === 'refresh_token') {
        if (!exactly(form, ['grant_type', 'refresh_token', 'client_id'])) return refuse('invalid_request', `refresh form keys ${Object.keys(form)}`);
        const grant = refreshTokens.get(form.refresh_token!);
        if (!grant || grant.used) return refuse('invalid_grant', 'unknown or reused refresh token');
        grant.used = true; // rotation
        await new Promise((r) => setTimeout(r, 50)); // room for concurrent callers to pile up
        return send(200, await tokens(grant.sub), { 'cache-control': 'no-store' });
      }
      return refuse('unsupported_grant_type', 'grant_type');
    }
    send(404, { error: 'not_found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    issuer,
    requests,
    refusals,
    tokenRequests: () => requests.filter((r) => r.path === '/token'),
    revokeRefreshTokens: () => refreshTokens.clear(),
    verify: (token: string) => jwtVerify(token, createLocalJWKSet({ keys: [jwk] }), { issuer, audience: clientId }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let provider: Awaited<ReturnType<typeof startProvider>> | undefined;
const configOf = (issuer: string, scopes?: string[]) => ({ httpUrl: '', wsUrl: 'wss://ws.example', auth: { mode: 'oidc' as const, issuer, clientId, ...(scopes ? { scopes } : {}) } });

/** Plays the browser on the provider's side: follows the authorize redirect back to the console. */
async function authorize(authorizeUrl: string): Promise<string> {
  const res = await fetch(authorizeUrl, { redirect: 'manual' });
  expect(res.status, await res.clone().text()).toBe(302);
  return res.headers.get('location')!;
}

const storedTokens = () => JSON.parse(storage.getItem('tide.oidc.tokens') ?? 'null') as { idToken: string; refreshToken?: string } | null;

describe('OpenID Connect sign-in (authorization code + PKCE) against a local provider', () => {
  it('redirects with exactly the authorize query, exchanges the code with a verifier that hashes to the challenge, and returns where the user started', async () => {
    provider = await startProvider();
    const config = configOf(provider.issuer, ['profile', 'offline_access']);
    location.href = `${consoleOrigin}/supervisor?q=1#top`;
    await startOidcSignIn(config);

    expect(location.assigned).toHaveLength(1);
    const authorizeUrl = new URL(location.assigned[0]!);
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${provider.issuer}/authorize`);
    const query = Object.fromEntries(authorizeUrl.searchParams);
    expect(query).toEqual({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'openid profile offline_access',
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
    });
    expect(query.state).not.toBe(query.nonce);

    location.href = await authorize(authorizeUrl.toString());
    expect(await completeOidcSignIn(config)).toBe('redirecting');
    expect(provider.refusals).toEqual([]);
    // The code left the address bar before anything else, and the user goes back to /supervisor.
    expect(replacedStates[0]).toBe('/');
    expect(location.replaced).toEqual(['/supervisor?q=1#top']);

    const [tokenRequest] = provider.tokenRequests();
    expect(tokenRequest!.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.keys(tokenRequest!.form!).sort()).toEqual(['client_id', 'code', 'code_verifier', 'grant_type', 'redirect_uri']);
    expect(tokenRequest!.form).toMatchObject({ grant_type: 'authorization_code', client_id: clientId, redirect_uri: redirectUri });
    expect(createHash('sha256').update(tokenRequest!.form!.code_verifier!).digest('base64url')).toBe(query.code_challenge);

    // The bearer is the provider's ID token: Tide's checks (issuer, audience = client id, sub, role) pass on it.
    const token = await oidcToken(config);
    const { payload } = await provider.verify(token!);
    expect(payload).toMatchObject({ sub: 'ann', role: 'supervisor', nonce: query.nonce });
    expect(storage.getItem('tide.oidc.pending')).toBeNull();
  });

  it('on the page it started from, only cleans the address bar; without a callback it does nothing', async () => {
    provider = await startProvider();
    const config = configOf(provider.issuer);
    expect(await completeOidcSignIn(config)).toBe('none');
    await startOidcSignIn(config);
    expect(new URL(location.assigned[0]!).searchParams.get('scope')).toBe('openid profile email');
    location.href = await authorize(location.assigned[0]!);
    expect(await completeOidcSignIn(config)).toBe('signed-in');
    expect(location.replaced).toEqual([]);
    expect(location.href).toBe(`${consoleOrigin}/`);
    expect(await oidcToken(config)).toBe(storedTokens()!.idToken);
  });

  it('refuses an answer whose state this tab did not issue, before any token request, and keeps its own sign-in usable', async () => {
    provider = await startProvider();
    const config = configOf(provider.issuer);
    await startOidcSignIn(config);
    const genuine = await authorize(location.assigned[0]!);
    const forged = new URL(genuine);
    forged.searchParams.set('state', 'forged-state-value-forged-state-value-xxxxx');
    location.href = forged.toString();
    await expect(completeOidcSignIn(config)).rejects.toMatchObject({ name: 'OidcError', code: 'state_mismatch' } satisfies Partial<OidcError>);
    expect(provider.tokenRequests()).toHaveLength(0);
    expect(storedTokens()).toBeNull();
    expect(await oidcToken(config)).toBeUndefined();

    location.href = genuine;
    expect(await completeOidcSignIn(config)).toBe('signed-in');
    // Replaying the same answer finds no sign-in waiting for it.
    location.href = genuine;
    await expect(completeOidcSignIn(config)).rejects.toMatchObject({ code: 'state_mismatch' });
    expect(provider.tokenRequests()).toHaveLength(1);
  });

  it("passes on the provider's refusal, and stores nothing", async () => {
    provider = await startProvider();
    const config = configOf(provider.issuer);
    await startOidcSignIn(config);
    const state = new URL(location.assigned[0]!).searchParams.get('state')!;
    location.href = `${redirectUri}?${new URLSearchParams({ error: 'access_denied', error_description: 'The user said no', state })}`;
    await expect(completeOidcSignIn(config)).rejects.toMatchObject({ code: 'access_denied', message: 'The user said no' });
    expect(provider.tokenRequests()).toHaveLength(0);
    expect(storedTokens()).toBeNull();
  });

  it('refuses an ID token that does not carry the nonce of this sign-in', async () => {
    provider = await startProvider({ wrongNonce: true });
    const config = configOf(provider.issuer);
    await startOidcSignIn(config);
    location.href = await authorize(location.assigned[0]!);
    await expect(completeOidcSignIn(config)).rejects.toMatchObject({ code: 'invalid_id_token' });
    expect(storedTokens()).toBeNull();
  });

  it('refuses a provider whose discovery document names another issuer, before redirecting', async () => {
    provider = await startProvider({ discoveryIssuer: 'https://evil.example' });
    await expect(startOidcSignIn(configOf(provider.issuer))).rejects.toMatchObject({ code: 'issuer_mismatch' });
    expect(location.assigned).toEqual([]);
  });

  it('refreshes a token near expiry once for many callers (the rotated refresh token is used once), and signs out when refused', async () => {
    provider = await startProvider({ lifetimeSeconds: 30 });
    const config = configOf(provider.issuer);
    await startOidcSignIn(config);
    location.href = await authorize(location.assigned[0]!);
    await completeOidcSignIn(config);
    const first = storedTokens()!;

    const tokens = await Promise.all(Array.from({ length: 5 }, () => oidcToken(config)));
    const refreshes = provider.tokenRequests().filter((r) => r.form?.grant_type === 'refresh_token');
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]!.form).toEqual({ grant_type: 'refresh_token', refresh_token: first.refreshToken, client_id: clientId });
    expect(provider.refusals).toEqual([]);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(first.idToken);
    expect((await provider.verify(tokens[0]!)).payload.sub).toBe('ann');
    expect(storedTokens()!.refreshToken).not.toBe(first.refreshToken);

    provider.revokeRefreshTokens();
    expect(await oidcToken(config)).toBeUndefined();
    expect(storedTokens()).toBeNull();
  });

  it('without a refresh token, a token near expiry means signing in again', async () => {
    provider = await startProvider({ lifetimeSeconds: 30, issueRefreshTokens: false });
    const config = configOf(provider.issuer);
    await startOidcSignIn(config);
    location.href = await authorize(location.assigned[0]!);
    await completeOidcSignIn(config);
    expect(await oidcToken(config)).toBeUndefined();
    expect(provider.tokenRequests()).toHaveLength(1);
  });

  it("signs out: forgets the tokens and ends the provider's session with the ID token as hint", async () => {
    provider = await startProvider();
    const config = configOf(provider.issuer);
    await startOidcSignIn(config);
    location.href = await authorize(location.assigned[0]!);
    await completeOidcSignIn(config);
    const { idToken } = storedTokens()!;
    await signOutOidc(config);
    expect(storedTokens()).toBeNull();
    const logout = new URL(location.assigned.at(-1)!);
    expect(`${logout.origin}${logout.pathname}`).toBe(`${provider.issuer}/logout`);
    expect(Object.fromEntries(logout.searchParams)).toEqual({ client_id: clientId, post_logout_redirect_uri: redirectUri, id_token_hint: idToken });
  });
});
