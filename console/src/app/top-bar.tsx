import type { ComponentChildren } from 'preact';
import { BrandMark } from './brand.js';
import { initials } from './names.js';
import type { Session } from './session.js';
import { ThemeToggle } from './theme.js';

/** The header both pages share: the brand and page, what the page adds, the theme, who is signed in. */
export function TopBar({ page, session, middle, children }: { page: string; session: Session; middle?: ComponentChildren; children?: ComponentChildren }) {
  const { identity } = session;
  return (
    <header class="topbar">
      <div class="brand">
        <BrandMark />
        <span class="brand-name">Tide</span>
        <span class="brand-page">{page}</span>
      </div>
      {middle}
      <div class="topbar-tools">
        {children}
        <ThemeToggle compact />
        <div class="user">
          <span class={`avatar${identity.role === 'agent' ? '' : ' avatar-supervisor'}`} aria-hidden="true">
            {initials(identity.name)}
          </span>
          <span class="user-name">{identity.name}</span>
          <button type="button" class="quiet" onClick={() => session.signOut()}>
            Sign out
          </button>
        </div>
      </div>
    </header>
  );
}
