// A reflector keeps an in-memory cache of one kind in step with the API server, following client-go's
// contract (tools/cache/reflector.go):
// - list (paged, consistent read), replace the cache, then watch from the list's resourceVersion with
//   bookmarks and a jittered server-side timeout, so watches end and restart regularly;
// - a 410 Gone (the resourceVersion fell out of the server's window) means relist;
// - any other failure backs off exponentially with jitter (800 ms doubling to 30 s) before retrying, and a
//   stream that closes immediately without events is treated like a failure, so a misbehaving server
//   cannot put us in a tight reconnect loop;
// - `synced` turns true only after a list succeeded, never because `start` returned;
// - handlers run synchronously in stream order and must only enqueue keys: anything they throw is caught
//   and logged, never allowed into the stream.
//
// Built on client-node's `Watch` rather than `makeInformer`: the informer in 1.x stops for good on most
// errors, resolves `start()` before it has listed anything and lets a throwing handler crash the process.
// client-node 2.x's `Watch` also aborts a stream that stays silent too long (the client raises that
// limit above the server's bookmark period); we treat it like a normal end of stream and re-watch from the
// last resourceVersion, so it serves as a dead-connection watchdog.

import type { Logger } from 'pino';
import { ExponentialBackoff, randomBetween, type RandomSource } from './backoff.ts';
import {
  KubeApiError,
  toKubeApiError,
  type ListWatchClient,
  type WatchEventType,
  type WatchHandle,
} from './client.ts';
import { isAborted, sleep, systemClock, type Clock } from './clock.ts';
import {
  apiVersionOf,
  deepFreeze,
  objectKey,
  resourceId,
  type DeepReadonly,
  type KubeObject,
  type ResourceType,
} from './objects.ts';
import { observe, type ReflectorObserver } from './observer.ts';
import { diffForReplace, ObjectStore, type IndexFunction, type ReadonlyStore } from './store.ts';

export interface ResourceEventHandler<T extends KubeObject> {
  /** `initial` is true for objects delivered by the first list or replayed to a late handler. */
  onAdd?(object: DeepReadonly<T>, initial: boolean): void;
  onUpdate?(previous: DeepReadonly<T>, current: DeepReadonly<T>): void;
  /**
   * `finalStateUnknown` is true when the delete was inferred from a relist: `object` is then the last
   * state we saw, not the state the object had when it was deleted.
   */
  onDelete?(object: DeepReadonly<T>, finalStateUnknown: boolean): void;
}

export interface ReflectorOptions<T extends KubeObject> {
  resource: ResourceType;
  client: ListWatchClient;
  logger: Logger;
  /** Watch one namespace only (namespaced kinds); all namespaces when omitted. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Runs on every object before it is cached, after `managedFields` have been stripped. Use it to drop
   * fields the controllers never read, which saves memory with thousands of objects.
   */
  transform?: (object: T) => T;
  /** Page size of list calls; 500 like client-go. */
  pageSize?: number;
  /** Bounds of the random server-side watch timeout, in seconds. */
  watchTimeoutSeconds?: { min: number; max: number };
  /** Reconnect backoff; client-go's 800 ms → 30 s by default. */
  backoff?: { initialMs: number; maxMs: number };
  clock?: Clock;
  random?: RandomSource;
  observer?: ReflectorObserver;
}

type WatchOutcome =
  | { kind: 'ended'; events: number; durationMs: number }
  | { kind: 'gone' }
  | { kind: 'error'; error: KubeApiError }
  | { kind: 'stopped' };

/** How long a watch must live (or how many events it must carry) to count as healthy. */
const MIN_HEALTHY_WATCH_MS = 1000;

export class Reflector<T extends KubeObject> {
  readonly resource: ResourceType;
  private readonly client: ListWatchClient;
  private readonly logger: Logger;
  private readonly namespace: string | undefined;
  private readonly labelSelector: string | undefined;
  private readonly fieldSelector: string | undefined;
  private readonly transform: ((object: T) => T) | undefined;
  private readonly pageSize: number;
  private readonly watchTimeout: { min: number; max: number };
  private readonly backoff: ExponentialBackoff;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly observer: ReflectorObserver | undefined;

  private readonly cache = new ObjectStore<T>();
  private readonly handlers = new Set<ResourceEventHandler<T>>();
  private lastResourceVersion = '';
  private hasSynced = false;
  private readonly syncWaiters: (() => void)[] = [];
  private abort: AbortController | undefined;
  private running: Promise<void> | undefined;

  constructor(options: ReflectorOptions<T>) {
    this.resource = options.resource;
    this.client = options.client;
    this.namespace = options.namespace;
    this.labelSelector = options.labelSelector;
    this.fieldSelector = options.fieldSelector;
    this.transform = options.transform;
    this.pageSize = options.pageSize ?? 500;
    this.watchTimeout = options.watchTimeoutSeconds ?? { min: 240, max: 300 };
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.backoff = new ExponentialBackoff({
      initialMs: options.backoff?.initialMs ?? 800,
      maxMs: options.backoff?.maxMs ?? 30_000,
      factor: 2,
      jitter: 1,
      random: this.random,
    });
    this.observer = options.observer;
    this.logger = options.logger.child({ resource: resourceId(this.resource) });
  }

  /** The cache. Objects in it are frozen and shared; clone before modifying. */
  get store(): ReadonlyStore<T> {
    return this.cache;
  }

  /** True once a list has succeeded; stays true across later relists. */
  get synced(): boolean {
    return this.hasSynced;
  }

  /** The resourceVersion the next watch starts from (advanced by events and bookmarks). */
  get resourceVersion(): string {
    return this.lastResourceVersion;
  }

  /** Adds a secondary index to the cache; works before or after start. */
  addIndex(name: string, indexFunction: IndexFunction<T>): void {
    this.cache.addIndex(name, indexFunction);
  }

  /**
   * Registers a handler and returns a function that removes it. A handler registered after the first
   * list receives an `onAdd(object, true)` for every cached object first, so it sees the same world as a
   * handler registered before start.
   */
  addEventHandler(handler: ResourceEventHandler<T>): () => void {
    this.handlers.add(handler);
    if (this.hasSynced) {
      for (const object of this.cache.list()) this.callHandler('onAdd', () => handler.onAdd?.(object, true));
    }
    return () => this.handlers.delete(handler);
  }

  /** Resolves once synced; rejects if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.hasSynced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal?.aborted === true) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** Starts listing and watching in the background. Idempotent. */
  start(): void {
    if (this.running !== undefined) return;
    const abort = new AbortController();
    this.abort = abort;
    this.running = this.run(abort.signal).catch((error: unknown) => {
      this.logger.error({ err: error }, 'reflector stopped unexpectedly');
    });
  }

  /** Stops the watch and waits for the loop to exit. The cache keeps its last content. */
  async stop(): Promise<void> {
    this.abort?.abort(new DOMException('reflector stopped', 'AbortError'));
    await this.running;
    this.running = undefined;
    this.abort = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.listAndReplace(signal);
        this.backoff.reset();
      } catch (error) {
        if (isAborted(signal)) return;
        const delay = this.backoff.next();
        this.logger.warn({ err: toKubeApiError(error, 'list'), retryInMs: Math.round(delay) }, 'list failed');
        if (!(await this.pause(delay, signal))) return;
        continue;
      }
      // Watch until the resourceVersion is gone (relist) or we are stopped.
      for (;;) {
        const outcome = await this.watchOnce(signal);
        if (outcome.kind === 'stopped' || isAborted(signal)) return;
        if (outcome.kind === 'gone') {
          this.logger.info(
            { resourceVersion: this.lastResourceVersion },
            'resourceVersion too old, relisting',
          );
          break;
        }
        if (outcome.kind === 'error') {
          const delay = this.backoff.next();
          this.logger.warn({ err: outcome.error, retryInMs: Math.round(delay) }, 'watch failed');
          if (!(await this.pause(delay, signal))) return;
          continue;
        }
        if (outcome.events === 0 && outcome.durationMs < MIN_HEALTHY_WATCH_MS) {
          const delay = this.backoff.next();
          this.logger.debug({ retryInMs: Math.round(delay) }, 'watch closed at once, backing off');
          if (!(await this.pause(delay, signal))) return;
          continue;
        }
        this.backoff.reset();
      }
    }
  }

  private async pause(delayMs: number, signal: AbortSignal): Promise<boolean> {
    try {
      await sleep(this.clock, delayMs, signal);
      return true;
    } catch {
      return false;
    }
  }

  private async listAndReplace(signal: AbortSignal): Promise<void> {
    const listed: DeepReadonly<T>[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string;
    do {
      observe(() => this.observer?.reflectorList?.(resourceId(this.resource)));
      const page = await this.client.list(this.resource, {
        namespace: this.namespace,
        labelSelector: this.labelSelector,
        fieldSelector: this.fieldSelector,
        limit: this.pageSize,
        continueToken,
        signal,
      });
      for (const item of page.items) {
        const object = this.prepare(item, true);
        if (object !== undefined) listed.push(object);
      }
      continueToken = page.continueToken;
      resourceVersion = page.resourceVersion;
    } while (continueToken !== undefined && !signal.aborted);
    if (signal.aborted) return;
    this.replace(listed, resourceVersion);
  }

  private replace(listed: DeepReadonly<T>[], resourceVersion: string): void {
    const initial = !this.hasSynced;
    const diff = diffForReplace(this.cache, listed);
    for (const object of diff.deleted) this.cache.delete(objectKey(object));
    for (const object of listed) this.cache.set(object);
    this.lastResourceVersion = resourceVersion;
    for (const object of diff.deleted) this.dispatch('onDelete', (h) => h.onDelete?.(object, true));
    for (const object of diff.added) this.dispatch('onAdd', (h) => h.onAdd?.(object, initial));
    for (const { previous, current } of diff.updated)
      this.dispatch('onUpdate', (h) => h.onUpdate?.(previous, current));
    this.logger.debug(
      { objects: listed.length, resourceVersion, added: diff.added.length, deleted: diff.deleted.length },
      'listed',
    );
    if (!this.hasSynced) {
      this.hasSynced = true;
      for (const wake of this.syncWaiters.splice(0)) wake();
    }
  }

  private watchOnce(signal: AbortSignal): Promise<WatchOutcome> {
    // An abort that happened while we were not listening (between list and watch) must still count.
    if (signal.aborted) return Promise.resolve({ kind: 'stopped' });
    return new Promise<WatchOutcome>((resolve) => {
      const startedAt = this.clock.now();
      let events = 0;
      let handle: WatchHandle | undefined;
      let finished = false;
      const finish = (outcome: WatchOutcome): void => {
        if (finished) return;
        finished = true;
        signal.removeEventListener('abort', onAbort);
        handle?.stop();
        resolve(outcome);
      };
      const onAbort = (): void => {
        finish({ kind: 'stopped' });
      };
      signal.addEventListener('abort', onAbort, { once: true });

      const timeoutSeconds = randomBetween(this.watchTimeout.min, this.watchTimeout.max, this.random);
      observe(() => this.observer?.reflectorWatch?.(resourceId(this.resource)));
      this.client
        .watch(
          this.resource,
          {
            namespace: this.namespace,
            labelSelector: this.labelSelector,
            fieldSelector: this.fieldSelector,
            resourceVersion: this.lastResourceVersion,
            timeoutSeconds,
            allowWatchBookmarks: true,
          },
          (type, object) => {
            if (finished) return;
            events++;
            const outcome = this.applyWatchEvent(type, object);
            if (outcome !== undefined) finish(outcome);
          },
          (error) => {
            if (error === null || error.reason === 'Timeout') {
              // A server-side timeout, or client-node's inactivity abort: resume from the last RV.
              finish({ kind: 'ended', events, durationMs: this.clock.now() - startedAt });
            } else if (error.code === 410) {
              finish({ kind: 'gone' });
            } else {
              finish({ kind: 'error', error });
            }
          },
        )
        .then(
          (opened) => {
            handle = opened;
            if (finished) opened.stop();
          },
          (error: unknown) => {
            finish({ kind: 'error', error: toKubeApiError(error, 'watch') });
          },
        );
    });
  }

  /** Applies one watch event to the cache; returns an outcome when the event ends this watch. */
  private applyWatchEvent(type: WatchEventType, raw: unknown): WatchOutcome | undefined {
    switch (type) {
      case 'ADDED':
      case 'MODIFIED': {
        const object = this.prepare(raw, false);
        if (object === undefined) return undefined;
        const previous = this.cache.set(object);
        this.advance(object.metadata.resourceVersion);
        if (previous === undefined) this.dispatch('onAdd', (h) => h.onAdd?.(object, false));
        else this.dispatch('onUpdate', (h) => h.onUpdate?.(previous, object));
        return undefined;
      }
      case 'DELETED': {
        const object = this.prepare(raw, false);
        if (object === undefined) return undefined;
        this.cache.delete(objectKey(object));
        this.advance(object.metadata.resourceVersion);
        this.dispatch('onDelete', (h) => h.onDelete?.(object, false));
        return undefined;
      }
      case 'BOOKMARK': {
        const resourceVersion = (raw as { metadata?: { resourceVersion?: string } } | undefined)?.metadata
          ?.resourceVersion;
        this.advance(resourceVersion);
        return undefined;
      }
      case 'ERROR': {
        const status = raw as { code?: number; reason?: string; message?: string } | undefined;
        // The watch cache answers a too-old resourceVersion with HTTP 200 and this in-stream 410.
        if (status?.code === 410) return { kind: 'gone' };
        const code = status?.code ?? 500;
        const message = `watch ${resourceId(this.resource)}: ${status?.message ?? 'error event'}`;
        return { kind: 'error', error: new KubeApiError(code, status?.reason ?? 'Unknown', message, status) };
      }
      default:
        this.logger.warn({ type: String(type) }, 'unknown watch event type ignored');
        return undefined;
    }
  }

  private advance(resourceVersion: string | undefined): void {
    if (resourceVersion !== undefined && resourceVersion !== '') this.lastResourceVersion = resourceVersion;
  }

  /** Strips managedFields, runs the user transform and freezes the result. */
  private prepare(raw: unknown, fromList: boolean): DeepReadonly<T> | undefined {
    if ((raw as { metadata?: { name?: string } } | undefined)?.metadata?.name === undefined) {
      this.logger.warn({ fromList }, 'object without metadata.name ignored');
      return undefined;
    }
    const object = raw as T;
    delete object.metadata.managedFields;
    if (fromList) {
      // List items carry no apiVersion/kind; fill them in so cached objects look like watched ones.
      object.apiVersion ??= apiVersionOf(this.resource);
      object.kind ??= this.resource.kind;
    }
    let transformed = object;
    if (this.transform !== undefined) {
      try {
        transformed = this.transform(object);
      } catch (error) {
        this.logger.error(
          { err: error, key: objectKey(object) },
          'transform failed; caching the object untransformed',
        );
      }
    }
    return deepFreeze(transformed);
  }

  private dispatch(
    hook: keyof ResourceEventHandler<T>,
    call: (handler: ResourceEventHandler<T>) => void,
  ): void {
    for (const handler of this.handlers)
      this.callHandler(hook, () => {
        call(handler);
      });
  }

  private callHandler(hook: string, call: () => void): void {
    try {
      call();
    } catch (error) {
      this.logger.error({ err: error, hook }, 'event handler threw; handlers must only enqueue keys');
    }
  }
}
