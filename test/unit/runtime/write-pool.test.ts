// The bounded write pool: never more than WRITE_CONCURRENCY in flight, nothing new after a failure, and
// only the writes that certainly did not happen reported as not done.
import { describe, expect, it } from 'vitest';
import { KubeApiError, WRITE_CONCURRENCY, writePooled } from '../../../src/runtime/index.ts';

/** A write that resolves once the test lets it, so the pool's in-flight count can be observed. */
function gatedWrites() {
  let inFlight = 0;
  let peak = 0;
  const started: number[] = [];
  const release: (() => void)[] = [];
  const run = (item: number): Promise<void> => {
    started.push(item);
    inFlight++;
    peak = Math.max(peak, inFlight);
    return new Promise((resolve) => {
      release.push(() => {
        inFlight--;
        resolve();
      });
    });
  };
  return { run, started, release, peak: () => peak };
}

async function drain(release: (() => void)[], done: { value: boolean }): Promise<void> {
  while (!done.value) {
    release.shift()?.();
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('writePooled', () => {
  it('keeps at most WRITE_CONCURRENCY writes in flight and runs every item once', async () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const gate = gatedWrites();
    const done = { value: false };
    const pooled = writePooled(items, gate.run).then(() => {
      done.value = true;
    });
    await drain(gate.release, done);
    await pooled;
    expect(gate.peak()).toBe(WRITE_CONCURRENCY);
    expect([...gate.started].sort((a, b) => a - b)).toEqual(items);
  });

  it('after a failure starts nothing new, rethrows it, and reports what certainly was not done', async () => {
    const items = Array.from({ length: 40 }, (_, i) => i);
    const started: number[] = [];
    let notDone: readonly number[] = [];
    let uncertain: readonly number[] = [];
    const refused = new KubeApiError(422, 'Invalid', 'refused');
    const run = async (item: number): Promise<void> => {
      started.push(item);
      // Refused at once, while the rest of the first wave is still in flight.
      if (item === 3) throw refused;
      await new Promise((resolve) => setImmediate(resolve));
      if (item === 5) throw new Error('connection reset');
    };
    await expect(
      writePooled(items, run, (left, unknown) => {
        notDone = left;
        uncertain = unknown;
      }),
    ).rejects.toBe(refused);
    // The first wave was in flight when item 3 failed; nothing after it was started.
    expect(started).toEqual(items.slice(0, WRITE_CONCURRENCY));
    // 3 was refused (not done); 5 may have happened (a lost connection); the rest was never sent.
    expect(notDone).toEqual([3, ...items.slice(WRITE_CONCURRENCY)]);
    expect(uncertain).toEqual([5]);
  });
});
