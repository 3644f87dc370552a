/** How people and things are named on screen and in the DOM. */

/** "Ana Lima" → "AL": the avatar's letters. */
export const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => [...w][0]!.toUpperCase())
    .join('') || '?';

/** An id usable in `id`, `for` and `aria-*` references (conversation and agent ids may hold any character). */
export function domKey(value: string): string {
  let hash = 2166136261;
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 16777619);
  return `k${(hash >>> 0).toString(36)}-${value.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 40)}`;
}
