import { BootMessage } from '../app/boot-message.js';
import { loadConsoleConfig, type ConsoleConfig } from '../app/config.js';
import { oidcSession } from '../app/oidc-session.js';
import { canSupervise, localSession, rememberedIdentity, type Session } from '../app/session.js';
import { applyStoredTheme } from '../app/theme.js';
import { pageMount } from '../app/mount.js';
import { createSupervision, SupervisorApp } from './supervisor-view.js';
import '../app/console.css';

/** The supervisor view (role supervisor or admin): queues and agents, live. */
applyStoredTheme();
const mount = pageMount();

async function boot(): Promise<void> {
  let config: ConsoleConfig;
  try {
    config = await loadConsoleConfig();
  } catch (error) {
    return mount(<BootMessage title="The supervisor view cannot start" text={(error as Error).message} />);
  }
  let session: Session;
  if (config.auth.mode === 'oidc') {
    const start = await oidcSession(config);
    if ('redirecting' in start) return;
    if ('signIn' in start) return mount(<BootMessage title="Sign in to Tide" text={start.failed ?? "Your organisation's identity provider signs you in."} action={{ label: 'Sign in', run: start.signIn }} />);
    session = start.session;
  } else {
    const identity = rememberedIdentity();
    if (!identity) return mount(<BootMessage title="Sign in first" text="The supervisor view needs a supervisor or admin sign-in." link={{ label: 'Go to sign-in', href: '/' }} />);
    session = localSession(config, identity);
  }
  if (!canSupervise(session.identity.role)) {
    return mount(
      <BootMessage title="For supervisors" text={`${session.identity.name} is signed in as an agent. The supervisor view needs the supervisor or admin role.`} link={{ label: 'Back to the agent console', href: '/' }} />,
    );
  }
  const supervision = createSupervision(config, session);
  mount(<SupervisorApp supervision={supervision} />);
  supervision.start();
}

void boot();
