// A rate-limited, delaying work queue of object keys with client-go's guarantees:
// - a key is queued at most once however often it is added (the "dirty" set);
// - a key is never handed to two workers at once (the "processing" set): re-adding a key while a worker
//   holds it parks it until `done(key)`, then it is queued again, so the newest state is always reconciled;
// - failures back off per key, exponentially, until `forget(key)`;
// - `addAfter` keeps the earliest pending time per key, and an immediate `add` supersedes a pending delay.

import { PerKeyBackoff } from './backoff.ts';
import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import { observe, type WorkQueueObserver } from './observer.ts';

export interface WorkQueueOptions {
  /** Used as the `name` label of the queue's metrics; controllers pass their own name. */
  name: string;
  clock?: Clock;
  backoff?: PerKeyBackoff;
  observer?: WorkQueueObserver;
}

interface DelayedKey {
  readyAt: number;
  timer: TimerHandle;
}

export class WorkQueue {
  readonly name: string;
  private readonly clock: Clock;
  private readonly backoff: PerKeyBackoff;
  private readonly observer: WorkQueueObserver | undefined;

  /** Ready keys in FIFO order; `head` avoids O(n) shifts on large queues. */
  private ready: string[] = [];
  private head = 0;
  /** Keys that need processing: queued, or re-added while a worker holds them. */
  private readonly dirty = new Set<string>();
  /** Keys a worker holds right now, with the time it took them. */
  private readonly processing = new Map<string, number>();
  /** First time each dirty key was added, for the queue-latency metric. */
  private readonly addedAt = new Map<string, number>();
  private readonly delayed = new Map<string, DelayedKey>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  private stopping = false;

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.clock = options.clock ?? systemClock;
    this.backoff = options.backoff ?? new PerKeyBackoff();
    this.observer = options.observer;
  }

  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** Keys ready for a worker (not counting delayed keys or keys being processed). */
  len(): number {
    return this.ready.length - this.head;
  }

  /** Keys waiting for a delay to elapse. */
  delayedCount(): number {
    return this.delayed.size;
  }

  /** Keys currently held by workers. */
  processingCount(): number {
    return this.processing.size;
  }

  add(key: string): void {
    if (this.stopping) return;
    this.cancelDelay(key);
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    this.addedAt.set(key, this.clock.now());
    observe(() => this.observer?.queueAdd?.(this.name));
    // A key being processed is re-queued by `done`, never handed to a second worker.
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /**
   * Adds `key` once `delayMs` has passed. If the key is already waiting, the earlier of the two times
   * wins, so a long `requeueAfter` cannot postpone a short retry that is already scheduled.
   */
  addAfter(key: string, delayMs: number): void {
    if (this.stopping) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    observe(() => this.observer?.queueRetry?.(this.name));
    const readyAt = this.clock.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending !== undefined) {
      if (pending.readyAt <= readyAt) return;
      pending.timer.cancel();
    }
    const timer = this.clock.setTimer(delayMs, () => {
      this.delayed.delete(key);
      this.add(key);
    });
    this.delayed.set(key, { readyAt, timer });
  }

  /** Adds `key` after its per-key backoff, which doubles on every call until `forget(key)`. */
  addRateLimited(key: string): void {
    this.addAfter(key, this.backoff.when(key));
  }

  /** Resets the key's backoff; call after a successful reconcile. */
  forget(key: string): void {
    this.backoff.forget(key);
  }

  /** Failures recorded for `key` since its last `forget`. */
  numRequeues(key: string): number {
    return this.backoff.failures(key);
  }

  /**
   * Waits for the next key and marks it as being processed. Resolves `undefined` once the queue shuts
   * down; keys still queued then are dropped (reconciles are level-triggered, the next run finds them).
   * Every key received must be handed back with `done`.
   */
  get(): Promise<string | undefined> {
    if (this.stopping) return Promise.resolve(undefined);
    if (this.len() > 0) return Promise.resolve(this.take());
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Releases a key taken with `get`; if it was re-added meanwhile, queues it again. */
  done(key: string): void {
    const startedAt = this.processing.get(key);
    if (startedAt === undefined) return;
    this.processing.delete(key);
    observe(() => this.observer?.queueWorkDuration?.(this.name, (this.clock.now() - startedAt) / 1000));
    if (this.dirty.has(key) && !this.stopping) this.push(key);
    if (this.processing.size === 0) this.wakeDrainWaiters();
  }

  /**
   * Stops handing out work: pending `get` calls resolve `undefined`, queued and delayed keys are
   * dropped and later adds are ignored. Keys already held by workers stay held until `done`.
   */
  shutDown(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const pending of this.delayed.values()) pending.timer.cancel();
    this.delayed.clear();
    this.ready = [];
    this.head = 0;
    this.dirty.clear();
    this.addedAt.clear();
    this.reportDepth();
    for (const resolve of this.waiters.splice(0)) resolve(undefined);
    if (this.processing.size === 0) this.wakeDrainWaiters();
  }

  /** Resolves once no worker holds a key. Combine with `shutDown` to finish in-flight work. */
  drained(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** `shutDown`, then wait for in-flight keys to be released. */
  async shutDownAndDrain(): Promise<void> {
    this.shutDown();
    await this.drained();
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      // Hand the key straight to a waiting worker; it never sits in the ready list.
      this.ready.push(key);
      waiter(this.take());
      return;
    }
    this.ready.push(key);
    this.reportDepth();
  }

  private take(): string {
    const key = this.ready[this.head];
    if (key === undefined) throw new Error('work queue: take() on an empty queue');
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    this.dirty.delete(key);
    const now = this.clock.now();
    this.processing.set(key, now);
    const addedAt = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (addedAt !== undefined)
      observe(() => this.observer?.queueLatency?.(this.name, (now - addedAt) / 1000));
    this.reportDepth();
    return key;
  }

  private cancelDelay(key: string): void {
    const pending = this.delayed.get(key);
    if (pending === undefined) return;
    pending.timer.cancel();
    this.delayed.delete(key);
  }

  private reportDepth(): void {
    observe(() => this.observer?.queueDepth?.(this.name, this.len()));
  }

  private wakeDrainWaiters(): void {
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}
