import { bootPage } from '../app/boot.js';
import type { ConsoleConfig } from '../app/config.js';
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
  const booted = await bootPage(mount, 'The console cannot start');
  if (!booted) return;
  const { config, oidc } = booted;
  if (oidc) {
    if (oidc.identity.role !== 'agent') {
      return mount(<BootMessage title="The agent console is for agents" text={`${oidc.identity.name} is signed in as ${oidc.identity.role}.`} link={{ label: 'Open the supervisor view', href: '/supervisor' }} />);
    }
    return void startConsole(config, oidc);
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
