import { signal } from '@preact/signals';

/**
 * Light, dark, or whatever the system prefers (the default): stored per browser. The choice is
 * a `data-theme` attribute on <html>; the stylesheet follows `prefers-color-scheme` without one.
 */
export type ThemeChoice = 'system' | 'light' | 'dark';
const themeKey = 'tide.theme';
const order: ThemeChoice[] = ['system', 'light', 'dark'];
const labels: Record<ThemeChoice, string> = { system: 'System', light: 'Light', dark: 'Dark' };

const theme = signal<ThemeChoice>('system');

export function applyStoredTheme(): void {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(themeKey);
  } catch {
    // Storage disabled: the system's preference.
  }
  setTheme(order.includes(stored as ThemeChoice) ? (stored as ThemeChoice) : 'system', false);
  // Another tab changed it: follow.
  addEventListener('storage', (event) => {
    if (event.key === themeKey) setTheme(order.includes(event.newValue as ThemeChoice) ? (event.newValue as ThemeChoice) : 'system', false);
  });
}

function setTheme(choice: ThemeChoice, store = true): void {
  theme.value = choice;
  if (choice === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', choice);
  if (store) {
    try {
      localStorage.setItem(themeKey, choice);
    } catch {
      // Not remembered; still applied.
    }
  }
}

/** Cycles System → Light → Dark. Compact: the icon only, the words for screen readers and the tooltip. */
export function ThemeToggle({ compact = false }: { compact?: boolean }) {
  const current = theme.value;
  const next = order[(order.indexOf(current) + 1) % order.length]!;
  return (
    <button type="button" class={`quiet${compact ? ' icon-button' : ''}`} onClick={() => setTheme(next)} title={`Theme: ${labels[current]}. Switch to ${labels[next].toLowerCase()}.`}>
      <span aria-hidden="true" class="theme-icon">
        {current === 'dark' ? '☾' : current === 'light' ? '☀' : '◐'}
      </span>
      <span class={compact ? 'visually-hidden' : undefined}>Theme: {labels[current]}</span>
    </button>
  );
}
