import { BootMessage } from '../app/boot-message.js';
import { bootPage } from '../app/boot.js';
import { canSupervise, localSession, rememberedIdentity, type Session } from '../app/session.js';
import { applyStoredTheme } from '../app/theme.js';
import { pageMount } from '../app/mount.js';
import { createSupervision, SupervisorApp } from './supervisor-view.js';
import '../app/console.css';

/** The supervisor view (role supervisor or admin): queues and agents, live. */
applyStoredTheme();
const mount = pageMount();

async function boot(): Promise<void> {
  const booted = await bootPage(mount, 'The supervisor view cannot start');
  if (!booted) return;
  const { config, oidc } = booted;
  let session: Session;
  if (oidc) session = oidc;
  else {
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
