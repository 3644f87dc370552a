import { describe, expect, it } from 'vitest';
import { backoffCapMs, backoffDelayMs } from '../../client/backoff.js';

describe('reconnect backoff (full jitter)', () => {
  it('is uniformly random in [0, min(30 s, 0.5 s · 2^n))', () => {
    expect(backoffDelayMs(0, () => 0)).toBe(0);
    expect(backoffDelayMs(0, () => 0.5)).toBe(250);
    expect(backoffDelayMs(0, () => 0.999)).toBe(499);
    expect(backoffDelayMs(1, () => 0.999)).toBe(999);
    expect(backoffDelayMs(3, () => 0.5)).toBe(2_000);
    expect(backoffDelayMs(5, () => 0.999)).toBe(15_984);
  });

  it('never waits longer than 30 s, however many failures', () => {
    expect(backoffDelayMs(6, () => 0.999)).toBe(29_970);
    expect(backoffDelayMs(60, () => 0.999)).toBe(29_970);
    expect(backoffDelayMs(5_000, () => 0.999)).toBe(29_970);
    expect(backoffDelayMs(Number.MAX_SAFE_INTEGER, () => 0.5)).toBe(backoffCapMs / 2);
  });

  it('spreads clients over the whole window rather than bunching them (no fixed part)', () => {
    let seed = 42;
    // A small deterministic PRNG (LCG) so the test cannot flake.
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const delays = Array.from({ length: 2_000 }, () => backoffDelayMs(4, random));
    expect(Math.min(...delays)).toBeLessThan(200);
    expect(Math.max(...delays)).toBeGreaterThan(7_800);
    expect(Math.max(...delays)).toBeLessThan(8_000);
    const firstHalf = delays.filter((d) => d < 4_000).length;
    expect(firstHalf).toBeGreaterThan(900);
    expect(firstHalf).toBeLessThan(1_100);
  });

  it('takes nonsense inputs without a negative or over-cap delay', () => {
    expect(backoffDelayMs(-3, () => 0.999)).toBe(499);
    expect(backoffDelayMs(2.7, () => 0.999)).toBe(1_998);
    expect(backoffDelayMs(2, () => -1)).toBe(0);
    expect(backoffDelayMs(2, () => 7)).toBe(2_000);
    expect(backoffDelayMs(2, () => Number.NaN)).toBe(0);
    expect(backoffDelayMs(Number.NaN, () => 0.999)).toBe(499);
  });
});
