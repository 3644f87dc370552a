/**
 * `/config.json`, fetched at start: where the APIs are and how to sign in. One build of the
 * console serves every environment; the local stack and the deployed site each write their own.
 */
export type AuthConfig =
  | { mode: 'local' }
  | { mode: 'oidc'; issuer: string; clientId: string; scopes?: string[] | string; roleClaim?: string };

export interface ConsoleConfig {
  /** Base URL of the HTTP API; "" = the page's own origin. */
  httpUrl: string;
  /** WebSocket URL of the agent socket. */
  wsUrl: string;
  auth: AuthConfig;
  /** Queues agents may transfer to, when the environment says (suggestions only: Tide checks). */
  queues?: string[];
}

export class ConsoleConfigError extends Error {
  override name = 'ConsoleConfigError';
}

export async function loadConsoleConfig(fetchFn: typeof fetch = fetch): Promise<ConsoleConfig> {
  let response: Response;
  try {
    response = await fetchFn('/config.json', { cache: 'no-store', credentials: 'same-origin' });
  } catch {
    throw new ConsoleConfigError('Tide cannot be reached. Check your connection and reload.');
  }
  if (!response.ok) throw new ConsoleConfigError(`The console's configuration could not be loaded (HTTP ${response.status}).`);
  const value = (await response.json().catch(() => undefined)) as Partial<ConsoleConfig> | undefined;
  if (!value || typeof value.wsUrl !== 'string' || typeof value.auth !== 'object' || value.auth === null) {
    throw new ConsoleConfigError("The console's configuration is incomplete.");
  }
  const auth = value.auth as AuthConfig;
  if (auth.mode !== 'local' && auth.mode !== 'oidc') throw new ConsoleConfigError(`Unknown sign-in mode in the configuration.`);
  return {
    httpUrl: typeof value.httpUrl === 'string' ? value.httpUrl.replace(/\/+$/, '') : '',
    wsUrl: value.wsUrl,
    auth,
    queues: Array.isArray(value.queues) ? value.queues.filter((q): q is string => typeof q === 'string') : undefined,
  };
}
