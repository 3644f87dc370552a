import { completeOidcSignIn, OidcError, oidcToken, signOutOidc, startOidcSignIn } from '../auth/oidc.js';
import type { ConsoleConfig } from './config.js';
import { identityFromToken, type Session } from './session.js';

/**
 * Deployed sign-in (OpenID Connect, authorization code with PKCE) through console/src/auth/oidc.ts:
 * finishes a redirect back from the provider if this page load is one, then makes a session of
 * the ID token (Tide verifies it; the console only reads who it names). Without a usable token
 * the page offers "Sign in".
 */
export type OidcStart = { session: Session } | { signIn: () => void; failed?: string } | { redirecting: true };

export async function oidcSession(config: ConsoleConfig): Promise<OidcStart> {
  const auth = config.auth;
  const signIn = () => void startOidcSignIn(config);
  if (auth.mode !== 'oidc') return { signIn, failed: 'This console is not configured for an identity provider.' };
  try {
    if ((await completeOidcSignIn(config)) === 'redirecting') return { redirecting: true };
    const token = await oidcToken(config);
    const identity = token ? identityFromToken(token, auth) : undefined;
    if (!identity) return { signIn };
    return {
      session: {
        identity,
        async token() {
          const fresh = await oidcToken(config);
          if (fresh) return fresh;
          // The sign-in has ended (refresh refused): the provider signs the agent in again.
          signIn();
          throw new OidcError('signed_out', 'signed out');
        },
        signOut: () => void signOutOidc(config),
      },
    };
  } catch (error) {
    // A refused or tampered answer from the provider: nothing was stored; the agent starts again.
    return { signIn, failed: (error as Error).message || 'Signing in failed.' };
  }
}
