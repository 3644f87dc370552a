import type { VNode } from 'preact';
import { BootMessage } from './boot-message.js';
import { loadConsoleConfig, type ConsoleConfig } from './config.js';
import { oidcSession } from './oidc-session.js';
import type { Session } from './session.js';

/**
 * The first steps every page takes: its configuration, then, when the deployment signs in through
 * OpenID Connect, the session (or the redirect to the identity provider). Undefined when the page
 * has nothing more to do: it shows why, or the browser is on its way to sign in.
 */
export async function bootPage(
  mount: (vnode: VNode) => void,
  cannotStart: string,
): Promise<{ config: ConsoleConfig; oidc?: Session } | undefined> {
  let config: ConsoleConfig;
  try {
    config = await loadConsoleConfig();
  } catch (error) {
    mount(<BootMessage title={cannotStart} text={(error as Error).message} />);
    return undefined;
  }
  if (config.auth.mode !== 'oidc') return { config };
  const start = await oidcSession(config);
  if ('redirecting' in start) return undefined;
  if ('signIn' in start) {
    mount(<BootMessage title="Sign in to Tide" text={start.failed ?? "Your organisation's identity provider signs you in."} action={{ label: 'Sign in', run: start.signIn }} />);
    return undefined;
  }
  return { config, oidc: start.session };
}
