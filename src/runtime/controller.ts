// The controller loop: events from reflectors become keys in a work queue, N workers take keys and call
// the reconciler, and the result decides what happens to the key next (controller-runtime's contract):
// - resolves with `{}`                 → done, the key's backoff is reset;
// - resolves with `{ requeueAfterMs }` → run again after that delay (backoff reset);
// - throws `TerminalError`             → logged and counted, not retried until the next event;
// - throws anything else               → retried with per-key exponential backoff (5 ms → 1000 s).
// Reconcile is level-triggered: the request names an object, never what happened to it, so the
// reconciler reads the cache and works out what to do from the state of the world.

import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.ts';
import {
  controllerOwner,
  groupOf,
  keyOf,
  objectKey,
  parseKey,
  type DeepReadonly,
  type KubeObject,
  type ObjectRef,
} from './objects.ts';
import { observe, type ControllerObserver, type ReconcileResultLabel } from './observer.ts';
import type { Reflector, ResourceEventHandler } from './reflector.ts';
import { WorkQueue } from './workqueue.ts';
import { PerKeyBackoff } from './backoff.ts';

export interface ReconcileRequest extends ObjectRef {
  /** `namespace/name`, or `name` for cluster-scoped objects. */
  key: string;
}

export interface ReconcileResult {
  /** Reconcile this key again after this many milliseconds, even if nothing changes. */
  requeueAfterMs?: number;
}

export interface ReconcileContext {
  /** Carries `{controller, key}`; use it for every log line of this reconcile. */
  logger: Logger;
  /** Aborts when the controller is forced to stop (drain timeout or lost leadership). */
  signal: AbortSignal;
  /** Failed attempts for this key since its last success. */
  retries: number;
}

/** Return `{}` when done, `{ requeueAfterMs }` to look again later; throw to retry with backoff. */
export type Reconciler = (request: ReconcileRequest, context: ReconcileContext) => Promise<ReconcileResult>;

/** A failure that retrying cannot fix (e.g. an invalid spec): counted and logged, not requeued. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** Turns an event's object into the keys to reconcile. */
export type MapFunction<S extends KubeObject> = (object: DeepReadonly<S>) => Iterable<string>;

/** Decides whether an update is worth a reconcile. Adds and deletes always are. */
export type UpdatePredicate<S extends KubeObject> = (
  previous: DeepReadonly<S>,
  current: DeepReadonly<S>,
) => boolean;

/** Skips updates that only touched status or metadata (controller-runtime's `GenerationChangedPredicate`). */
export function generationChanged<S extends KubeObject>(
  previous: DeepReadonly<S>,
  current: DeepReadonly<S>,
): boolean {
  return (
    previous.metadata.generation !== current.metadata.generation ||
    previous.metadata.deletionTimestamp !== current.metadata.deletionTimestamp
  );
}

/** Maps an object to its own key: the watch of the controller's primary kind. */
export function mapToSelf<S extends KubeObject>(object: DeepReadonly<S>): string[] {
  return [objectKey(object)];
}

/**
 * Maps a child to its controlling owner of the given kind and group, via the ownerReference marked
 * `controller: true` (controller-runtime's `EnqueueRequestForOwner` with `OnlyControllerOwner`). The owner is
 * assumed to live in the child's namespace, which Kubernetes requires for namespaced owners.
 */
export function mapToControllerOwner<S extends KubeObject>(owner: {
  group: string;
  kind: string;
}): MapFunction<S> {
  return (object) => {
    const reference = controllerOwner(object);
    if (reference === undefined) return [];
    if (reference.kind !== owner.kind || groupOf(reference.apiVersion) !== owner.group) return [];
    return [keyOf({ namespace: object.metadata.namespace, name: reference.name })];
  };
}

/**
 * Maps an object to `namespace/<value of label>`: finds the owner of a child that carries its owner's
 * name in a label, which still works before the ownerReference is set or after it was removed.
 */
export function mapByLabel<S extends KubeObject>(label: string): MapFunction<S> {
  return (object) => {
    const value = object.metadata.labels?.[label];
    return value === undefined || value === ''
      ? []
      : [keyOf({ namespace: object.metadata.namespace, name: value })];
  };
}

/** The union of several mappings, each key once. */
export function mapAll<S extends KubeObject>(...mappers: MapFunction<S>[]): MapFunction<S> {
  return (object) => {
    const keys = new Set<string>();
    for (const mapper of mappers) for (const key of mapper(object)) keys.add(key);
    return keys;
  };
}

export interface ControllerOptions {
  /** Names the controller in logs and metrics (`controller` label) and names its queue. */
  name: string;
  reconcile: Reconciler;
  logger: Logger;
  /** Concurrent reconciles (never two for one key). Defaults to 1. */
  workers?: number;
  /** Every key of the primary kind is enqueued this often, a safety net for missed events. 0 disables. */
  resyncPeriodMs?: number;
  /** How long `start` waits for the caches before failing. Defaults to 2 min. */
  cacheSyncTimeoutMs?: number;
  clock?: Clock;
  observer?: ControllerObserver;
  /** Per-key retry backoff; 5 ms doubling to 1000 s by default. */
  backoff?: PerKeyBackoff;
}

interface WatchRegistration {
  reflector: Reflector<KubeObject>;
  handler: ResourceEventHandler<KubeObject>;
  unregister: (() => void) | undefined;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly reconcile: Reconciler;
  private readonly logger: Logger;
  private readonly workerCount: number;
  private readonly resyncPeriodMs: number;
  private readonly cacheSyncTimeoutMs: number;
  private readonly clock: Clock;
  private readonly observer: ControllerObserver | undefined;
  private readonly watches: WatchRegistration[] = [];
  private primary: Reflector<KubeObject> | undefined;
  private readonly forceStop = new AbortController();
  private workers: Promise<void>[] = [];
  private resyncTimer: { cancel(): void } | undefined;
  private active = 0;
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.reconcile = options.reconcile;
    this.logger = options.logger.child({ controller: options.name });
    this.workerCount = Math.max(1, options.workers ?? 1);
    this.resyncPeriodMs = options.resyncPeriodMs ?? 10 * 60_000;
    this.cacheSyncTimeoutMs = options.cacheSyncTimeoutMs ?? 120_000;
    this.clock = options.clock ?? systemClock;
    this.observer = options.observer;
    this.queue = new WorkQueue({
      name: options.name,
      clock: this.clock,
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      ...(options.observer === undefined ? {} : { observer: options.observer }),
    });
  }

  /**
   * Watches the controller's own kind ("For" in controller-runtime): every event enqueues the object's
   * key, and periodic resyncs enqueue every cached key.
   */
  watchPrimary<S extends KubeObject>(
    reflector: Reflector<S>,
    options: { predicate?: UpdatePredicate<S> } = {},
  ): this {
    if (this.primary !== undefined) throw new Error(`${this.name}: primary kind already set`);
    this.primary = reflector as unknown as Reflector<KubeObject>;
    return this.watch(reflector, mapToSelf, options);
  }

  /**
   * Watches a related kind; `map` names the keys to reconcile for each event (owner mapping, fan-out).
   * On an update both the previous and the current object are mapped, so moving a child from one owner to
   * another reconciles both owners.
   */
  watch<S extends KubeObject>(
    reflector: Reflector<S>,
    map: MapFunction<S>,
    options: { predicate?: UpdatePredicate<S> } = {},
  ): this {
    if (this.state !== 'new') throw new Error(`${this.name}: watches must be declared before start`);
    const predicate = options.predicate;
    const enqueueMapped = (object: DeepReadonly<S>): void => {
      for (const key of map(object)) this.queue.add(key);
    };
    const handler: ResourceEventHandler<S> = {
      onAdd: (object) => {
        enqueueMapped(object);
      },
      onUpdate: (previous, current) => {
        if (predicate !== undefined && !predicate(previous, current)) return;
        enqueueMapped(previous);
        enqueueMapped(current);
      },
      onDelete: (object) => {
        enqueueMapped(object);
      },
    };
    this.watches.push({
      reflector: reflector as unknown as Reflector<KubeObject>,
      handler: handler,
      unregister: undefined,
    });
    return this;
  }

  /** Enqueues a key by hand (e.g. from a timer or another subsystem). */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  /**
   * Waits until every watched cache has synced, then starts the workers and the resync timer. Rejects if
   * the caches do not sync within the timeout or `signal` aborts.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.state !== 'new') throw new Error(`${this.name}: already started`);
    this.state = 'starting';
    const timeout = AbortSignal.timeout(this.cacheSyncTimeoutMs);
    const waitSignal = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    const reflectors = new Set(this.watches.map((w) => w.reflector));
    try {
      await Promise.all([...reflectors].map((reflector) => reflector.waitForSync(waitSignal)));
    } catch (error) {
      this.state = 'stopped';
      this.queue.shutDown();
      const unsynced = [...reflectors].filter((r) => !r.synced).map((r) => r.resource.plural);
      throw new Error(`${this.name}: caches did not sync (${unsynced.join(', ')})`, { cause: error });
    }
    if (this.isStopped()) return;
    // Register after sync: each handler first receives every cached object, so the queue starts with
    // the full set of keys; from then on the stream keeps it current.
    for (const registration of this.watches) {
      registration.unregister = registration.reflector.addEventHandler(registration.handler);
    }
    this.state = 'running';
    for (let i = 0; i < this.workerCount; i++) this.workers.push(this.runWorker());
    this.scheduleResync();
    this.logger.info({ workers: this.workerCount }, 'controller started');
  }

  /**
   * Stops taking work and waits for in-flight reconciles to finish. After `drainTimeoutMs` their signal
   * is aborted and `stop` returns without waiting further.
   */
  async stop(options: { drainTimeoutMs?: number } = {}): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.resyncTimer?.cancel();
    for (const registration of this.watches) registration.unregister?.();
    const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
    let timer: { cancel(): void } | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = this.clock.setTimer(drainTimeoutMs, () => {
        resolve('timeout');
      });
    });
    const drained = this.queue
      .shutDownAndDrain()
      .then(() => Promise.all(this.workers))
      .then(() => 'drained' as const);
    const outcome = await Promise.race([drained, timedOut]);
    timer?.cancel();
    if (outcome === 'timeout') {
      this.logger.warn(
        { inFlight: this.queue.processingCount() },
        'reconciles still running after the drain timeout; aborting them',
      );
      this.forceStop.abort(new Error('controller stopped'));
    } else {
      this.logger.info('controller stopped');
    }
  }

  private isStopped(): boolean {
    return this.state === 'stopped';
  }

  /** Aborts in-flight reconciles' signal at once (used when leadership is lost). */
  abortInFlight(): void {
    this.forceStop.abort(new Error('controller aborted'));
  }

  private scheduleResync(): void {
    if (this.resyncPeriodMs <= 0 || this.primary === undefined) return;
    const primary = this.primary;
    this.resyncTimer = this.clock.setTimer(this.resyncPeriodMs, () => {
      if (this.state !== 'running') return;
      for (const key of primary.store.keys()) this.queue.add(key);
      this.scheduleResync();
    });
  }

  private async runWorker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.reconcileKey(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async reconcileKey(key: string): Promise<void> {
    const startedAt = this.clock.now();
    this.active++;
    observe(() => this.observer?.activeWorkers?.(this.name, this.active));
    const logger = this.logger.child({ key });
    const retries = this.queue.numRequeues(key);
    let result: ReconcileResultLabel;
    try {
      const outcome = await this.reconcile(
        { key, ...parseKey(key) },
        { logger, signal: this.forceStop.signal, retries },
      );
      this.queue.forget(key);
      const requeueAfterMs = outcome.requeueAfterMs ?? 0;
      if (requeueAfterMs > 0) {
        this.queue.addAfter(key, requeueAfterMs);
        result = 'requeue_after';
      } else {
        result = 'success';
      }
      logger.debug(
        { durationMs: this.clock.now() - startedAt, requeueAfterMs: requeueAfterMs || undefined },
        'reconciled',
      );
    } catch (error) {
      result = 'error';
      if (error instanceof TerminalError) {
        this.queue.forget(key);
        observe(() => this.observer?.reconcileError?.(this.name, true));
        logger.error({ err: error }, 'reconcile failed permanently; waiting for the next change');
      } else {
        this.queue.addRateLimited(key);
        observe(() => this.observer?.reconcileError?.(this.name, false));
        logger.error({ err: error, retries: retries + 1 }, 'reconcile failed; retrying with backoff');
      }
    } finally {
      this.active--;
      observe(() => this.observer?.activeWorkers?.(this.name, this.active));
    }
    const seconds = (this.clock.now() - startedAt) / 1000;
    observe(() => this.observer?.reconcileDone?.(this.name, result, seconds));
  }
}
