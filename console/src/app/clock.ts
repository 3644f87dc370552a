import { signal } from '@preact/signals';

/**
 * One ticking clock for the whole page: every countdown reads `now.value`, so only the
 * countdowns re-render each second, not the list. Server time when the socket knows the
 * offset (the client measures it from acks carrying `now`).
 */
export const now = signal(Date.now());

let offset: () => number = () => 0;
let timer: ReturnType<typeof setTimeout> | undefined;

export function startClock(clockOffsetMs: () => number): void {
  offset = clockOffsetMs;
  const tick = () => {
    const t = Date.now() + offset();
    now.value = t;
    // Land each tick just after a whole second, so every countdown changes digit together.
    timer = setTimeout(tick, 1000 - (t % 1000) + 5);
  };
  if (timer !== undefined) clearTimeout(timer);
  tick();
}

/** Now, as the server sees it, outside a render. */
export const serverNow = () => Date.now() + offset();
