// AdjustableClock: real time plus a growing offset; advancing brings pending timers forward.
import { expect, test, vi } from 'vitest';
import { AdjustableClock } from '../../../src/runtime/clock.ts';

test('advance moves now() and fires timers that fall due, not the others', async () => {
  const clock = new AdjustableClock();
  const start = clock.now();
  const fired: string[] = [];
  clock.setTimer(60 * 60_000, () => fired.push('hour'));
  clock.setTimer(10 * 60_000, () => fired.push('ten minutes'));
  const cancelled = clock.setTimer(5 * 60_000, () => fired.push('cancelled'));
  cancelled.cancel();
  clock.advance(11 * 60_000);
  expect(clock.now() - start).toBeGreaterThanOrEqual(11 * 60_000);
  await vi.waitFor(() => {
    expect(fired).toEqual(['ten minutes']);
  });
  clock.advance(-5);
  expect(clock.now() - start).toBeGreaterThanOrEqual(11 * 60_000);
});
