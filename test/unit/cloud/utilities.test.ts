import { describe, expect, it } from 'vitest';
import { parseDuration, tryParseDuration } from '../../../src/cloud/duration.ts';
import { KeyedMutex } from '../../../src/cloud/keyed-mutex.ts';
import { hash32, mulberry32, unitHash } from '../../../src/cloud/random.ts';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['5s', 5000],
    ['250ms', 250],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1h2m3s4ms', 3_723_004],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['1500us', 1.5],
    ['1µs', 0.001],
    ['2000000ns', 2],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', 's', '5x', '-5s', '5s ', '1m30', 'h1'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration/);
    expect(tryParseDuration(text)).toBeUndefined();
  });
});

describe('seeded randomness', () => {
  it('mulberry32 repeats per seed and stays in [0, 1)', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    const draws = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(draws);
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(2)()).not.toBe(draws[0]);
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });

  it('unitHash depends on every part and on how they are split', () => {
    expect(unitHash(1, 'web-1', 5)).toBe(unitHash(1, 'web-1', 5));
    expect(unitHash(1, 'web-1', 5)).not.toBe(unitHash(2, 'web-1', 5));
    expect(unitHash(1, 'web-1', 5)).not.toBe(unitHash(1, 'web-1', 6));
    expect(hash32(1, 'ab', 'c')).not.toBe(hash32(1, 'a', 'bc'));
    expect(hash32(1, 2 ** 32 + 1)).not.toBe(hash32(1, 1));
  });

  it('unitHash is close to uniform', () => {
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const bucket = Math.floor(unitHash(42, `vm-${i}`, 471_000) * 10);
      buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    }
    // 10,000 expected per bucket, σ ≈ 95.
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });
});

describe('KeyedMutex', () => {
  it('runs work under one key one at a time, in arrival order, and keys independently', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const step = (key: string, name: string) =>
      mutex.run(key, async () => {
        log.push(`${name} start`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.push(`${name} end`);
        return name;
      });
    const results = await Promise.all([step('a', 'a1'), step('a', 'a2'), step('b', 'b1')]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(log.indexOf('a1 end')).toBeLessThan(log.indexOf('a2 start'));
    expect(log.indexOf('b1 start')).toBeLessThan(log.indexOf('a1 end'));
    expect(mutex.activeKeys()).toEqual([]);
  });

  it('keeps going after a failure', async () => {
    const mutex = new KeyedMutex();
    const failing = mutex.run('a', () => Promise.reject(new Error('boom')));
    const next = mutex.run('a', () => 'ok');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });
});
