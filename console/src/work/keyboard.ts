/**
 * Single-key shortcuts of the agent console. No Alt+letter combinations (they break diacritics
 * and "@" on Polish and German keyboards, chatwoot#13446), nothing while the agent types, and
 * nothing when Ctrl, Alt or Meta is held, so the browser's and the screen reader's keys still work.
 */
export type ShortcutAction = 'next' | 'previous' | 'open' | 'reply' | 'close' | 'help';

export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  /** Set while an input method composes a character. */
  isComposing?: boolean;
  target: { tagName?: string; isContentEditable?: boolean; type?: string } | null;
}

const typingTags = new Set(['INPUT', 'TEXTAREA', 'SELECT']);
/** Enter on these already does what it should (the browser activates them). */
const activatingTags = new Set(['BUTTON', 'A', 'SUMMARY']);

const byKey: Record<string, ShortcutAction> = {
  j: 'next',
  k: 'previous',
  Enter: 'open',
  r: 'reply',
  e: 'close',
  '?': 'help',
};

export function shortcutFor(event: KeyInput): ShortcutAction | undefined {
  if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return undefined;
  const tag = event.target?.tagName?.toUpperCase();
  if (event.target?.isContentEditable || (tag !== undefined && typingTags.has(tag))) return undefined;
  const action = byKey[event.key];
  if (action === 'open' && tag !== undefined && activatingTags.has(tag)) return undefined;
  return action;
}

/** The list shown by "?". */
export const shortcutHelp: ReadonlyArray<{ keys: string[]; does: string }> = [
  { keys: ['j', '↓'], does: 'Next conversation' },
  { keys: ['k', '↑'], does: 'Previous conversation' },
  { keys: ['Enter'], does: 'Open the conversation' },
  { keys: ['r'], does: 'Write a reply' },
  { keys: ['e'], does: 'Close the conversation' },
  { keys: ['Enter'], does: 'In the reply box: send' },
  { keys: ['Shift', 'Enter'], does: 'In the reply box: new line' },
  { keys: ['?'], does: 'Show these shortcuts' },
  { keys: ['Esc'], does: 'Close a dialog' },
];

/** Where j/k (or the arrow keys) move from `index` in a list of `length` rows; clamped, no wrap. */
export function movedIndex(index: number, length: number, action: 'next' | 'previous'): number {
  if (length === 0) return -1;
  if (index < 0) return action === 'next' ? 0 : length - 1;
  return Math.min(length - 1, Math.max(0, index + (action === 'next' ? 1 : -1)));
}
