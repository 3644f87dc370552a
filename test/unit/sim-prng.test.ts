import { describe, expect, it } from 'vitest';
import { hash32, mulberry32, Rng } from '../../sim/prng.js';

describe('sim PRNG (mulberry32)', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(first);
    expect(Array.from({ length: 5 }, c)).not.toEqual(first);
  });

  it('matches the reference mulberry32 (Tommy Ettinger\'s public-domain code, verbatim)', () => {
    /* eslint-disable */
    function reference(a: number) {
      return function () {
        var t = (a += 0x6d2b79f5);
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }
    for (const seed of [0, 1, 42, 0xffffffff]) {
      const ours = mulberry32(seed);
      const theirs = reference(seed);
      for (let i = 0; i < 1000; i++) expect(ours()).toBe(theirs());
    }
  });

  it('stays in [0, 1) and is roughly uniform', () => {
    const next = mulberry32(7);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = next();
      expect(x >= 0 && x < 1).toBe(true);
      buckets[Math.floor(x * 10)]++;
    }
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('helpers respect their bounds; forks are independent but reproducible', () => {
    const rng = new Rng(99);
    for (let i = 0; i < 1000; i++) {
      const n = rng.int(2, 6);
      expect(n).toBeGreaterThanOrEqual(2);
      expect(n).toBeLessThanOrEqual(6);
      const u = rng.logUniform(5, 60);
      expect(u).toBeGreaterThanOrEqual(5);
      expect(u).toBeLessThan(60);
    }
    const counts = { x: 0, y: 0 };
    for (let i = 0; i < 10_000; i++) counts[rng.weighted({ x: 3, y: 1 })]++;
    expect(counts.x / 10_000).toBeGreaterThan(0.72);
    expect(counts.x / 10_000).toBeLessThan(0.78);
    expect(new Rng(5).fork('a').float()).toBe(new Rng(5).fork('a').float());
    expect(new Rng(5).fork('a').float()).not.toBe(new Rng(5).fork('b').float());
    expect(hash32('abc')).toBe(hash32('abc'));
  });
});
