import { describe, expect, it } from 'vitest';
import { ManualClock, sleep } from '../../../src/runtime/clock.ts';

describe('ManualClock', () => {
  it('fires due timers in deadline order, each seeing its own deadline as now', () => {
    const clock = new ManualClock(100);
    const fired: string[] = [];
    clock.setTimer(30, () => fired.push(`b@${clock.now()}`));
    clock.setTimer(10, () => fired.push(`a@${clock.now()}`));
    clock.setTimer(30, () => fired.push(`c@${clock.now()}`));
    clock.setTimer(50, () => fired.push(`late@${clock.now()}`));
    clock.advance(30);
    expect(fired).toEqual(['a@110', 'b@130', 'c@130']);
    expect(clock.now()).toBe(130);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('runs timers scheduled by timers when they fall inside the advanced window', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    clock.setTimer(10, () => {
      fired.push(clock.now());
      clock.setTimer(10, () => fired.push(clock.now()));
    });
    clock.advance(25);
    expect(fired).toEqual([10, 20]);
  });

  it('cancelled timers never fire', () => {
    const clock = new ManualClock();
    let fired = false;
    clock.setTimer(10, () => (fired = true)).cancel();
    clock.advance(100);
    expect(fired).toBe(false);
  });
});

describe('sleep', () => {
  it('resolves when the clock passes the delay', async () => {
    const clock = new ManualClock();
    let done = false;
    const sleeping = sleep(clock, 500).then(() => (done = true));
    clock.advance(499);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await sleeping;
    expect(done).toBe(true);
  });

  it('rejects promptly when the signal aborts, and cancels its timer', async () => {
    const clock = new ManualClock();
    const abort = new AbortController();
    const sleeping = sleep(clock, 10_000, abort.signal);
    abort.abort(new Error('shutting down'));
    await expect(sleeping).rejects.toThrow('shutting down');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('rejects at once for an already aborted signal', async () => {
    const clock = new ManualClock();
    await expect(sleep(clock, 1, AbortSignal.abort())).rejects.toBeDefined();
  });
});
