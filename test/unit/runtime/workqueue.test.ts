import { describe, expect, it } from 'vitest';
import { PerKeyBackoff } from '../../../src/runtime/backoff.ts';
import { ManualClock } from '../../../src/runtime/clock.ts';
import type { WorkQueueObserver } from '../../../src/runtime/observer.ts';
import { WorkQueue } from '../../../src/runtime/workqueue.ts';

function newQueue(observer?: WorkQueueObserver): { queue: WorkQueue; clock: ManualClock } {
  const clock = new ManualClock(1_000_000);
  const queue = new WorkQueue({ name: 'test', clock, ...(observer === undefined ? {} : { observer }) });
  return { queue, clock };
}

/** Takes every ready key without waiting (the queue resolves `get` synchronously when it has keys). */
async function takeAll(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.len() > 0) {
    const key = await queue.get();
    if (key === undefined) break;
    keys.push(key);
  }
  return keys;
}

describe('WorkQueue', () => {
  it('hands keys out in FIFO order and dedupes a key that is already queued', async () => {
    const { queue } = newQueue();
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    expect(queue.len()).toBe(2);
    expect(await takeAll(queue)).toEqual(['ns/a', 'ns/b']);
  });

  it('never hands a key to a second worker while the first holds it; a re-add runs after done', async () => {
    const { queue } = newQueue();
    queue.add('k');
    const first = await queue.get();
    expect(first).toBe('k');

    // Re-added while processing: parked, not queued.
    queue.add('k');
    queue.add('k');
    expect(queue.len()).toBe(0);
    let second: string | undefined;
    const waiting = queue.get().then((key) => (second = key));
    await Promise.resolve();
    expect(second).toBeUndefined();

    // done() releases it, and the parked add is delivered exactly once.
    queue.done('k');
    await waiting;
    expect(second).toBe('k');
    expect(queue.len()).toBe(0);
    queue.done('k');
    expect(queue.len()).toBe(0);
  });

  it('a key not re-added while processing is gone after done', async () => {
    const { queue } = newQueue();
    queue.add('k');
    await queue.get();
    queue.done('k');
    expect(queue.len()).toBe(0);
    expect(queue.processingCount()).toBe(0);
  });

  it('wakes waiting workers one key each', async () => {
    const { queue } = newQueue();
    const got: (string | undefined)[] = [];
    const w1 = queue.get().then((k) => got.push(k));
    const w2 = queue.get().then((k) => got.push(k));
    queue.add('a');
    queue.add('b');
    await Promise.all([w1, w2]);
    expect(got.sort()).toEqual(['a', 'b']);
    expect(queue.processingCount()).toBe(2);
  });

  it('addAfter delivers the key only once the delay has passed', async () => {
    const { queue, clock } = newQueue();
    queue.addAfter('k', 5000);
    expect(queue.len()).toBe(0);
    expect(queue.delayedCount()).toBe(1);
    clock.advance(4999);
    expect(queue.len()).toBe(0);
    clock.advance(1);
    expect(queue.len()).toBe(1);
    expect(await queue.get()).toBe('k');
  });

  it('addAfter keeps the earliest pending time for a key', () => {
    const { queue, clock } = newQueue();
    queue.addAfter('k', 1000);
    queue.addAfter('k', 60_000);
    clock.advance(1000);
    expect(queue.len()).toBe(1);

    queue.addAfter('j', 60_000);
    queue.addAfter('j', 1000);
    clock.advance(1000);
    expect(queue.len()).toBe(2);
    expect(queue.delayedCount()).toBe(0);
  });

  it('an immediate add supersedes a pending delayed add of the same key', () => {
    const { queue, clock } = newQueue();
    queue.addAfter('k', 10_000);
    queue.add('k');
    expect(queue.len()).toBe(1);
    expect(queue.delayedCount()).toBe(0);
    clock.advance(10_000);
    expect(queue.len()).toBe(1);
  });

  it('addAfter with a zero delay is an immediate add', () => {
    const { queue } = newQueue();
    queue.addAfter('k', 0);
    expect(queue.len()).toBe(1);
  });

  it('backs off per key exponentially from 5 ms, resets on forget, and keeps keys independent', async () => {
    const { queue, clock } = newQueue();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      queue.addRateLimited('k');
      const before = clock.now();
      let waited = 0;
      while (queue.len() === 0) {
        clock.advance(1);
        waited = clock.now() - before;
      }
      delays.push(waited);
      await queue.get();
      queue.done('k');
    }
    expect(delays).toEqual([5, 10, 20, 40, 80]);
    expect(queue.numRequeues('k')).toBe(5);

    queue.addRateLimited('other');
    clock.advance(5);
    expect(queue.len()).toBe(1);

    queue.forget('k');
    expect(queue.numRequeues('k')).toBe(0);
    queue.addRateLimited('k');
    clock.advance(4);
    expect(queue.len()).toBe(1); // only 'other'
    clock.advance(1);
    expect(queue.len()).toBe(2);
  });

  it('caps the per-key backoff at 1000 s', () => {
    const backoff = new PerKeyBackoff();
    let last = 0;
    for (let i = 0; i < 40; i++) last = backoff.when('k');
    expect(last).toBe(1_000_000);
  });

  it('shutDown resolves waiting workers with undefined, drops queued and delayed keys, ignores new adds', async () => {
    const { queue, clock } = newQueue();
    const waiting = queue.get();
    queue.shutDown();
    expect(await waiting).toBeUndefined();

    const { queue: q2, clock: c2 } = newQueue();
    q2.add('a');
    q2.addAfter('b', 100);
    q2.shutDown();
    expect(q2.len()).toBe(0);
    expect(await q2.get()).toBeUndefined();
    c2.advance(1000);
    expect(q2.len()).toBe(0);
    q2.add('c');
    expect(q2.len()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    expect(c2.pendingTimers()).toBe(0);
  });

  it('drain waits for in-flight keys and does not requeue keys re-added after shutdown', async () => {
    const { queue } = newQueue();
    queue.add('a');
    queue.add('b');
    const a = await queue.get();
    expect(a).toBe('a');
    let drained = false;
    const draining = queue.shutDownAndDrain().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    expect(await queue.get()).toBeUndefined(); // 'b' is not started after shutdown
    queue.add('a');
    queue.done('a');
    await draining;
    expect(drained).toBe(true);
    expect(queue.len()).toBe(0);
  });

  it('drain resolves at once when nothing is in flight', async () => {
    const { queue } = newQueue();
    await queue.shutDownAndDrain();
    expect(queue.shuttingDown).toBe(true);
  });

  it('reports depth, adds, latency, work duration and retries to the observer', async () => {
    const seen: string[] = [];
    const latencies: number[] = [];
    const works: number[] = [];
    const { queue, clock } = newQueue({
      queueDepth: (_name, depth) => seen.push(`depth=${depth}`),
      queueAdd: () => seen.push('add'),
      queueLatency: (_name, seconds) => latencies.push(seconds),
      queueWorkDuration: (_name, seconds) => works.push(seconds),
      queueRetry: () => seen.push('retry'),
    });
    queue.add('a');
    queue.add('a');
    clock.advance(250);
    await queue.get();
    clock.advance(1500);
    queue.done('a');
    queue.addAfter('a', 10);
    queue.addRateLimited('b');
    expect(seen).toEqual(['add', 'depth=1', 'depth=0', 'retry', 'retry']);
    expect(latencies).toEqual([0.25]);
    expect(works).toEqual([1.5]);
  });

  it('survives an observer that throws', () => {
    const { queue } = newQueue({
      queueAdd: () => {
        throw new Error('broken metrics');
      },
    });
    queue.add('a');
    expect(queue.len()).toBe(1);
  });

  it('keeps FIFO order across many keys (compaction of the ready list)', async () => {
    const { queue } = newQueue();
    const keys = Array.from({ length: 5000 }, (_, i) => `k${i}`);
    for (const key of keys) queue.add(key);
    const taken: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const key = await queue.get();
      if (key !== undefined) {
        taken.push(key);
        queue.done(key);
      }
    }
    for (const key of ['late1', 'late2']) queue.add(key);
    taken.push(...(await takeAll(queue)));
    expect(taken).toEqual([...keys, 'late1', 'late2']);
  });
});
