import { loadConsoleConfig, type ConsoleConfig } from '../app/config.js';
import { oidcSession } from '../app/oidc-session.js';
import { localSession, localSignInAgents, rememberedIdentity, type Identity, type Session } from '../app/session.js';
import { applyStoredTheme } from '../app/theme.js';
import { pageMount } from '../app/mount.js';
import { BootMessage } from '../app/boot-message.js';
import { createAgentConsole } from './agent-console.js';
import { createAlerts } from './alerts.js';
import { AgentApp } from './app.js';
import { SignIn } from './sign-in.js';
import '../app/console.css';

/** The agent console: sign in (locally: pick an agent), then the live work list and the open conversation. */
applyStoredTheme();
const mount = pageMount();

async function boot(): Promise<void> {
  let config: ConsoleConfig;
  try {
    config = await loadConsoleConfig();
  } catch (error) {
    return mount(<BootMessage title="The console cannot start" text={(error as Error).message} />);
  }
  if (config.auth.mode === 'oidc') {
    const start = await oidcSession(config);
    if ('redirecting' in start) return;
    if ('signIn' in start) return mount(<BootMessage title="Sign in to Tide" text={start.failed ?? "Your organisation's identity provider signs you in."} action={{ label: 'Sign in', run: start.signIn }} />);
    if (start.session.identity.role !== 'agent') {
      return mount(<BootMessage title="The agent console is for agents" text={`${start.session.identity.name} is signed in as ${start.session.identity.role}.`} link={{ label: 'Open the supervisor view', href: '/supervisor' }} />);
    }
    return void startConsole(config, start.session);
  }
  const identity = rememberedIdentity();
  if (identity?.role === 'agent') return startLocal(config, identity);
  mount(<SignIn config={config} onSignedIn={(signedIn) => startLocal(config, signedIn)} />);
}

function startLocal(config: ConsoleConfig, identity: Identity): void {
  const show = startConsole(config, localSession(config, identity));
  // The agents also name the transfer targets (locally; deployed, the agent types an id).
  localSignInAgents(config).then(show, () => undefined);
}

/** Starts the console; the returned function shows it again with the agents known for transfers. */
function startConsole(config: ConsoleConfig, session: Session): (agents: Array<{ id: string; name: string }>) => void {
  const alerts = createAlerts(session.identity.agentId);
  const app = createAgentConsole(config, session, { onNewWork: (work) => alerts.alert(work) });
  alerts.resume();
  const show = (agents: Array<{ id: string; name: string }>) => mount(<AgentApp app={app} alerts={alerts} config={config} agents={agents} />);
  show([]);
  app.start();
  return show;
}

void boot();
