import { useEffect, useState } from 'preact/hooks';
import type { ConsoleConfig } from '../app/config.js';
import { localSignInAgents, localSupervisorId, localToken, rememberIdentity, type Identity, type SignInAgent } from '../app/session.js';
import { initials } from '../app/names.js';
import { BrandMark } from '../app/brand.js';
import { ThemeToggle } from '../app/theme.js';

/**
 * The local sign-in screen (DESIGN §4b): a button per configured agent, named after it, and
 * "Supervisor". Picking one checks that Tide issues a token for it before anything else starts.
 */
export function SignIn({ config, onSignedIn }: { config: ConsoleConfig; onSignedIn: (identity: Identity) => void }) {
  const [agents, setAgents] = useState<SignInAgent[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [pending, setPending] = useState<string | undefined>(undefined);

  useEffect(() => {
    localSignInAgents(config).then(setAgents, (e: Error) => setError(e.message));
  }, [config]);

  async function signIn(identity: Identity) {
    setPending(identity.agentId);
    setError(undefined);
    try {
      await localToken(config, identity);
      rememberIdentity(identity);
      if (identity.role === 'agent') onSignedIn(identity);
      else location.assign('/supervisor');
    } catch (e) {
      setError((e as Error).message);
      setPending(undefined);
    }
  }

  return (
    <div class="sign-in-page">
      <div class="sign-in-theme">
        <ThemeToggle />
      </div>
      <main class="sign-in" aria-labelledby="sign-in-title">
        <BrandMark size={40} />
        <h1 id="sign-in-title">Sign in to Tide</h1>
        <p class="muted">Local stack: pick who you are. Deployed, your identity provider signs you in.</p>
        {error && (
          <p class="notice notice-error" role="alert">
            {error}
          </p>
        )}
        <section aria-labelledby="agents-title">
          <h2 id="agents-title">Agents</h2>
          {agents === undefined && !error && <p class="muted">Loading the agents…</p>}
          {agents?.length === 0 && <p class="muted">No agents are configured. Add some under "agents" in TIDE_CONFIG.</p>}
          <ul class="sign-in-list">
            {agents?.map((agent) => (
              <li key={agent.id}>
                <button type="button" class="sign-in-button" disabled={pending !== undefined} onClick={() => signIn({ agentId: agent.id, role: 'agent', name: agent.name })}>
                  <span class="avatar" aria-hidden="true">
                    {initials(agent.name)}
                  </span>
                  {agent.name}
                  {/* The id is for people who know their id, not part of the button's name. */}
                  <span class="sign-in-id" aria-hidden="true">
                    {agent.id}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="supervision-title">
          <h2 id="supervision-title">Supervision</h2>
          <button
            type="button"
            class="sign-in-button"
            disabled={pending !== undefined}
            onClick={() => signIn({ agentId: localSupervisorId, role: 'supervisor', name: 'Supervisor' })}
          >
            <span class="avatar avatar-supervisor" aria-hidden="true">
              S
            </span>
            Supervisor
          </button>
        </section>
      </main>
    </div>
  );
}
