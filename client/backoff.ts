/**
 * Reconnect delays: "full jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter"), so
 * that a gateway restart does not bring every console back in the same instant.
 */

/** The first retry waits up to this long; each failure doubles it. */
export const backoffBaseMs = 500;
/** No retry waits longer than this. */
export const backoffCapMs = 30_000;
/** A connection that stays live this long resets the failure count (reconnecting-websocket's "stable"). */
export const stableAfterMs = 5_000;

/**
 * The delay before the next attempt after `failures` failed attempts in a row (0 for the first
 * retry): uniformly random in [0, min(cap, base · 2^failures)).
 */
export function backoffDelayMs(failures: number, random: () => number = Math.random): number {
  const n = Number.isNaN(failures) ? 0 : Math.max(0, Math.floor(failures));
  // 2^n overflows to Infinity for large n, which min() caps; no loop needed.
  const ceiling = Math.min(backoffCapMs, backoffBaseMs * 2 ** n);
  const r = random();
  // A random source outside [0, 1) must not produce a negative or over-cap delay.
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.floor(unit * ceiling);
}
