import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/runtime/clock.ts';
import {
  Controller,
  TerminalError,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../../src/runtime/controller.ts';
import type { ReconcileResultLabel } from '../../../src/runtime/observer.ts';

const logger = pino({ level: 'silent' });

/** Lets pending promise callbacks and I/O callbacks run (no timers involved). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Deferred {
  promise: Promise<ReconcileResult>;
  resolve(result: ReconcileResult): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve: (result: ReconcileResult) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<ReconcileResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function harness(options: {
  workers?: number;
  reconcile: (request: ReconcileRequest, context: ReconcileContext) => Promise<ReconcileResult>;
}) {
  const clock = new ManualClock(0);
  const results: ReconcileResultLabel[] = [];
  const errors: boolean[] = [];
  const controller = new Controller({
    name: 'test',
    logger,
    clock,
    workers: options.workers ?? 1,
    reconcile: options.reconcile,
    observer: {
      reconcileDone: (_c, result) => results.push(result),
      reconcileError: (_c, terminal) => errors.push(terminal),
    },
  });
  return { clock, controller, results, errors };
}

describe('Controller', () => {
  it('passes namespace, name and key, and counts success', async () => {
    const seen: ReconcileRequest[] = [];
    const { controller, results } = harness({
      reconcile: (request) => {
        seen.push(request);
        return Promise.resolve({});
      },
    });
    await controller.start();
    controller.enqueue('team-a/web');
    controller.enqueue('eastus');
    await settle();
    expect(seen).toEqual([
      { key: 'team-a/web', namespace: 'team-a', name: 'web' },
      { key: 'eastus', name: 'eastus' },
    ]);
    expect(results).toEqual(['success', 'success']);
    await controller.stop();
  });

  it('requeueAfterMs runs the key again after the delay', async () => {
    let runs = 0;
    const { controller, clock, results } = harness({
      reconcile: () => {
        runs++;
        return Promise.resolve(runs === 1 ? { requeueAfterMs: 30_000 } : {});
      },
    });
    await controller.start();
    controller.enqueue('ns/a');
    await settle();
    expect(runs).toBe(1);
    clock.advance(29_999);
    await settle();
    expect(runs).toBe(1);
    clock.advance(1);
    await settle();
    expect(runs).toBe(2);
    expect(results).toEqual(['requeue_after', 'success']);
    await controller.stop();
  });

  it('retries a failing key with growing per-key backoff and reports the retry count, then resets on success', async () => {
    const retriesSeen: number[] = [];
    let failuresLeft = 3;
    const { controller, clock, results, errors } = harness({
      reconcile: (_request, context) => {
        retriesSeen.push(context.retries);
        if (failuresLeft-- > 0) return Promise.reject(new Error('API busy'));
        return Promise.resolve({});
      },
    });
    await controller.start();
    controller.enqueue('ns/a');
    await settle();
    for (const delay of [5, 10, 20]) {
      clock.advance(delay - 1);
      await settle();
      const before = retriesSeen.length;
      clock.advance(1);
      await settle();
      expect(retriesSeen.length).toBe(before + 1);
    }
    expect(retriesSeen).toEqual([0, 1, 2, 3]);
    expect(results).toEqual(['error', 'error', 'error', 'success']);
    expect(errors).toEqual([false, false, false]);
    expect(controller.queue.numRequeues('ns/a')).toBe(0);
    await controller.stop();
  });

  it('does not retry a TerminalError', async () => {
    let runs = 0;
    const { controller, clock, errors } = harness({
      reconcile: () => {
        runs++;
        return Promise.reject(new TerminalError('spec is invalid'));
      },
    });
    await controller.start();
    controller.enqueue('ns/a');
    await settle();
    clock.advance(10 * 60_000);
    await settle();
    expect(runs).toBe(1);
    expect(errors).toEqual([true]);
    expect(controller.queue.delayedCount()).toBe(0);
    await controller.stop();
  });

  it('never reconciles one key in two workers at once, but runs different keys in parallel', async () => {
    const inFlight = new Map<string, Deferred>();
    let maxParallel = 0;
    const starts: string[] = [];
    const { controller } = harness({
      workers: 4,
      reconcile: (request) => {
        expect(inFlight.has(request.key)).toBe(false);
        const d = deferred();
        inFlight.set(request.key, d);
        starts.push(request.key);
        maxParallel = Math.max(maxParallel, inFlight.size);
        return d.promise.finally(() => inFlight.delete(request.key));
      },
    });
    await controller.start();
    controller.enqueue('ns/a');
    controller.enqueue('ns/b');
    await settle();
    // Events for 'a' while it is being reconciled: parked, then run once more.
    controller.enqueue('ns/a');
    controller.enqueue('ns/a');
    await settle();
    expect(starts).toEqual(['ns/a', 'ns/b']);
    inFlight.get('ns/a')?.resolve({});
    await settle();
    expect(starts).toEqual(['ns/a', 'ns/b', 'ns/a']);
    inFlight.get('ns/a')?.resolve({});
    inFlight.get('ns/b')?.resolve({});
    await settle();
    expect(starts).toHaveLength(3);
    expect(maxParallel).toBe(2);
    await controller.stop();
  });

  it('stop lets the in-flight reconcile finish and starts nothing new', async () => {
    const running = deferred();
    const started: string[] = [];
    const { controller } = harness({
      reconcile: (request) => {
        started.push(request.key);
        return running.promise;
      },
    });
    await controller.start();
    controller.enqueue('ns/a');
    controller.enqueue('ns/b');
    await settle();
    let stopped = false;
    const stopping = controller.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    running.resolve({});
    await stopping;
    expect(started).toEqual(['ns/a']);
  });

  it('aborts the reconcile signal when the drain timeout passes', async () => {
    let signal: AbortSignal | undefined;
    const { controller, clock } = harness({
      reconcile: (_request, context) => {
        signal = context.signal;
        return new Promise((resolve) => {
          context.signal.addEventListener('abort', () => {
            resolve({});
          });
        });
      },
    });
    await controller.start();
    controller.enqueue('ns/slow');
    await settle();
    const stopping = controller.stop({ drainTimeoutMs: 5000 });
    await settle();
    expect(signal?.aborted).toBe(false);
    clock.advance(5000);
    await stopping;
    expect(signal?.aborted).toBe(true);
  });

  it('keeps working when the reconciler throws synchronously inside its promise chain', async () => {
    let runs = 0;
    const { controller, clock } = harness({
      reconcile: async () => {
        runs++;
        await Promise.resolve();
        if (runs === 1) throw new TypeError('bug');
        return {};
      },
    });
    await controller.start();
    controller.enqueue('ns/a');
    await settle();
    clock.advance(5);
    await settle();
    expect(runs).toBe(2);
    await controller.stop();
  });
});
