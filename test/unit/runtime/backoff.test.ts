import { describe, expect, it } from 'vitest';
import { ExponentialBackoff, jittered, PerKeyBackoff, randomBetween } from '../../../src/runtime/backoff.ts';

describe('ExponentialBackoff', () => {
  it('doubles from the initial delay up to the cap without jitter', () => {
    const backoff = new ExponentialBackoff({ initialMs: 800, maxMs: 30_000 });
    const delays = Array.from({ length: 8 }, () => backoff.next());
    expect(delays).toEqual([800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000]);
    expect(backoff.failures).toBe(8);
  });

  it('starts over after reset', () => {
    const backoff = new ExponentialBackoff({ initialMs: 800, maxMs: 30_000 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(800);
  });

  it('adds up to jitter × delay on top, never beyond the cap', () => {
    const high = new ExponentialBackoff({ initialMs: 800, maxMs: 30_000, jitter: 1, random: () => 0.999 });
    const low = new ExponentialBackoff({ initialMs: 800, maxMs: 30_000, jitter: 1, random: () => 0 });
    const highDelays = Array.from({ length: 7 }, () => high.next());
    const lowDelays = Array.from({ length: 7 }, () => low.next());
    expect(lowDelays).toEqual([800, 1600, 3200, 6400, 12_800, 25_600, 30_000]);
    expect(highDelays[0]).toBeCloseTo(1599.2);
    expect(highDelays[1]).toBeCloseTo(3198.4);
    expect(highDelays.at(-1)).toBe(30_000);
    for (const [i, delay] of highDelays.entries()) expect(delay).toBeGreaterThanOrEqual(lowDelays[i] ?? 0);
  });
});

describe('jittered / randomBetween', () => {
  it('jittered spreads a delay over [d, d × (1 + jitter))', () => {
    expect(jittered(2000, 1.2, () => 0)).toBe(2000);
    expect(jittered(2000, 1.2, () => 0.5)).toBe(3200);
    expect(jittered(2000, 0, () => 0.9)).toBe(2000);
  });

  it('randomBetween covers both ends of an inclusive range', () => {
    expect(randomBetween(240, 300, () => 0)).toBe(240);
    expect(randomBetween(240, 300, () => 0.99999)).toBe(300);
    for (let i = 0; i < 200; i++) {
      const value = randomBetween(240, 300);
      expect(value).toBeGreaterThanOrEqual(240);
      expect(value).toBeLessThanOrEqual(300);
      expect(Number.isInteger(value)).toBe(true);
    }
  });
});

describe('PerKeyBackoff', () => {
  it('grows 5 ms × 2^n per key, forgets on success, and caps at 1000 s', () => {
    const backoff = new PerKeyBackoff();
    expect([backoff.when('a'), backoff.when('a'), backoff.when('a')]).toEqual([5, 10, 20]);
    expect(backoff.when('b')).toBe(5);
    expect(backoff.failures('a')).toBe(3);
    backoff.forget('a');
    expect(backoff.failures('a')).toBe(0);
    expect(backoff.when('a')).toBe(5);
    for (let i = 0; i < 2000; i++) backoff.when('c');
    expect(backoff.when('c')).toBe(1_000_000);
  });
});
