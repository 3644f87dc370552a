import { BrandMark } from './brand.js';
import { ThemeToggle } from './theme.js';

/** A whole-page message before the console can run: no configuration, no sign-in, the wrong role. */
export function BootMessage({ title, text, action, link }: { title: string; text: string; action?: { label: string; run: () => void }; link?: { label: string; href: string } }) {
  return (
    <div class="sign-in-page">
      <div class="sign-in-theme">
        <ThemeToggle />
      </div>
      <main class="sign-in" aria-labelledby="boot-title">
        <BrandMark size={40} />
        <h1 id="boot-title">{title}</h1>
        <p class="muted">{text}</p>
        {action && (
          <button type="button" class="primary" onClick={action.run}>
            {action.label}
          </button>
        )}
        {link && (
          <p>
            <a href={link.href}>{link.label}</a>
          </p>
        )}
      </main>
    </div>
  );
}
