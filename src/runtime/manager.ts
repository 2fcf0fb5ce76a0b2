// The Manager owns everything with a lifecycle: reflectors (shared per kind), controllers, the leader
// elector, the event recorder and the health server.
//
// Start order: health server → reflectors (standbys keep warm caches too) → campaign for the lease →
// once leading, controllers (each waits for its caches, then starts workers).
// Graceful stop (SIGTERM): controllers stop taking work and finish in-flight reconciles → pending events
// are flushed → the lease is released → reflectors and the health server stop → `done` resolves with
// `'stopped'`, and the CLI exits 0. Losing the lease is different: in-flight reconciles are aborted, the
// manager shuts down and `done` resolves with `'leadership-lost'`; the process should exit non-zero and
// be restarted, as controller-runtime does, rather than risk acting next to the new leader.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { KubeClient } from './client.ts';
import { systemClock, type Clock } from './clock.ts';
import { Controller, type ControllerOptions } from './controller.ts';
import { EventRecorder } from './events.ts';
import { HealthServer } from './health.ts';
import { LeaderElector, type LeaderElectionTiming } from './leader-election.ts';
import { resourceId, type KubeObject, type ResourceType } from './objects.ts';
import type { RuntimeObserver } from './observer.ts';
import { Reflector, type ReflectorOptions } from './reflector.ts';
import { StatusWriter } from './status.ts';

export interface LeaderElectionConfig extends Partial<LeaderElectionTiming> {
  /** Lease name in the manager's namespace. */
  leaseName: string;
}

export interface ManagerOptions {
  client: KubeClient;
  logger: Logger;
  /** The operator's namespace: holds the Lease. */
  namespace: string;
  /** SSA field manager for status writes. Defaults to `vmfleet`. */
  fieldManager?: string;
  /** `reportingController` of Events. Defaults to `vmfleet.io/operator`. */
  reportingController?: string;
  /** Unique name of this process: lease holder and events' reportingInstance. Defaults to `<hostname>_<uuid>`. */
  identity?: string;
  /** `false` runs controllers at once (a single replica, tests). */
  leaderElection: LeaderElectionConfig | false;
  /** `false` serves no probes. Defaults to port 8081. */
  health?: { port?: number; host?: string } | false;
  /** How long a graceful stop waits for in-flight reconciles. Defaults to 30 s. */
  gracefulShutdownTimeoutMs?: number;
  clock?: Clock;
  observer?: RuntimeObserver;
}

export type ManagerExitReason = 'stopped' | 'leadership-lost' | 'failed';

export interface ManagerExit {
  reason: ManagerExitReason;
  error?: unknown;
}

type SharedReflectorOptions<T extends KubeObject> = Omit<
  ReflectorOptions<T>,
  'resource' | 'client' | 'logger' | 'clock' | 'observer'
>;

export class Manager {
  /**
   * The client controllers write through: with leader election, every request but a read first checks
   * that this process still holds a fresh lease (`KubeClient.fenced`). Reads and watches are unaffected;
   * the elector itself campaigns through the unfenced client.
   */
  readonly client: KubeClient;
  readonly logger: Logger;
  readonly namespace: string;
  readonly identity: string;
  readonly statusWriter: StatusWriter;
  readonly events: EventRecorder;
  readonly health: HealthServer | undefined;
  readonly elector: LeaderElector | undefined;
  readonly observer: RuntimeObserver | undefined;
  private readonly clock: Clock;
  private readonly gracefulShutdownTimeoutMs: number;
  private readonly reflectors = new Map<string, Reflector<KubeObject>>();
  private readonly controllers: Controller[] = [];
  private readonly electionAbort = new AbortController();
  private election: Promise<unknown> | undefined;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopping: Promise<void> | undefined;
  private resolveDone: (exit: ManagerExit) => void = () => undefined;
  /** Resolves once the manager has fully stopped, saying why. */
  readonly done: Promise<ManagerExit>;

  constructor(options: ManagerOptions) {
    this.client =
      options.leaderElection === false
        ? options.client
        : options.client.fenced(() => this.elector?.holdsFreshLease() === true);
    this.logger = options.logger;
    this.namespace = options.namespace;
    this.identity = options.identity ?? `${hostname()}_${randomUUID()}`;
    this.clock = options.clock ?? systemClock;
    this.observer = options.observer;
    this.gracefulShutdownTimeoutMs = options.gracefulShutdownTimeoutMs ?? 30_000;
    this.statusWriter = new StatusWriter({
      client: this.client,
      fieldManager: options.fieldManager ?? 'vmfleet',
      logger: options.logger,
    });
    this.events = new EventRecorder({
      client: this.client,
      reportingController: options.reportingController ?? 'vmfleet.io/operator',
      reportingInstance: hostname(),
      logger: options.logger,
      clock: this.clock,
    });
    this.health = options.health === false ? undefined : new HealthServer(options.health ?? {});
    this.health?.addReadyzCheck('caches-synced', () => {
      const unsynced = [...this.reflectors.values()].filter((r) => !r.synced).map((r) => r.resource.plural);
      return unsynced.length === 0 ? true : `waiting for ${unsynced.join(', ')}`;
    });
    this.elector =
      options.leaderElection === false
        ? undefined
        : new LeaderElector({
            client: options.client,
            namespace: options.namespace,
            name: options.leaderElection.leaseName,
            identity: this.identity,
            logger: options.logger,
            clock: this.clock,
            ...(options.observer === undefined ? {} : { observer: options.observer }),
            ...pickTiming(options.leaderElection),
          });
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /** True while this process may act: it holds the lease, or runs without leader election. */
  get isLeader(): boolean {
    return this.elector === undefined ? this.state === 'running' : this.elector.isLeader;
  }

  /**
   * The reflector for a kind, shared by every controller that asks for the same resource, namespace and
   * selectors, so each kind is listed and watched once.
   */
  reflector<T extends KubeObject>(
    resource: ResourceType,
    options: SharedReflectorOptions<T> = {},
  ): Reflector<T> {
    const key = JSON.stringify([
      resourceId(resource),
      options.namespace,
      options.labelSelector,
      options.fieldSelector,
    ]);
    const existing = this.reflectors.get(key);
    if (existing !== undefined) return existing as unknown as Reflector<T>;
    const reflector = new Reflector<T>({
      ...options,
      resource,
      client: this.client,
      logger: this.logger,
      clock: this.clock,
      ...(this.observer === undefined ? {} : { observer: this.observer }),
    });
    this.reflectors.set(key, reflector as unknown as Reflector<KubeObject>);
    if (this.state === 'running') reflector.start();
    return reflector;
  }

  addController(controller: Controller): void {
    if (this.state !== 'new') throw new Error('controllers must be added before start');
    this.controllers.push(controller);
  }

  /** Creates a controller wired to this manager's logger, clock and observer, and adds it. */
  createController(options: Omit<ControllerOptions, 'logger' | 'clock' | 'observer'>): Controller {
    const controller = new Controller({
      ...options,
      logger: this.logger,
      clock: this.clock,
      ...(this.observer === undefined ? {} : { observer: this.observer }),
    });
    this.addController(controller);
    return controller;
  }

  /** True when every reflector has synced (what `/readyz` reports). */
  get cachesSynced(): boolean {
    return [...this.reflectors.values()].every((reflector) => reflector.synced);
  }

  /**
   * Starts the health server and the reflectors and begins campaigning (or starts the controllers when
   * leader election is off). Resolves once that is under way; follow `done` for the end.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('manager already started');
    this.state = 'running';
    const port = await this.health?.start();
    if (port !== undefined) this.logger.info({ port }, 'health probes listening');
    for (const reflector of this.reflectors.values()) reflector.start();
    if (this.elector === undefined) {
      this.startControllers(new AbortController().signal);
      return;
    }
    const elector = this.elector;
    this.election = elector
      .run(this.electionAbort.signal, {
        onStartedLeading: (leadership) => {
          this.startControllers(leadership);
        },
        onStoppedLeading: (reason) => {
          if (reason === 'lost') void this.shutdown({ reason: 'leadership-lost' });
        },
      })
      .catch((error: unknown) => {
        this.logger.error({ err: error }, 'leader election failed');
        void this.shutdown({ reason: 'failed', error });
      });
  }

  /** Graceful stop; resolves when everything has stopped. Safe to call more than once. */
  async stop(): Promise<void> {
    await this.shutdown({ reason: 'stopped' });
  }

  /**
   * Stops gracefully on SIGTERM or SIGINT. Returns a function removing the handlers. A second signal
   * during shutdown is ignored; the pod's terminationGracePeriodSeconds is the hard limit.
   */
  handleSignals(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): () => void {
    const onSignal = (signal: NodeJS.Signals): void => {
      this.logger.info({ signal }, 'shutdown requested');
      void this.stop();
    };
    for (const signal of signals) process.on(signal, onSignal);
    return () => {
      for (const signal of signals) process.off(signal, onSignal);
    };
  }

  private startControllers(leadership: AbortSignal): void {
    for (const controller of this.controllers) {
      controller.start(leadership).catch((error: unknown) => {
        if (leadership.aborted || this.state !== 'running') return;
        this.logger.error({ err: error, controller: controller.name }, 'controller failed to start');
        void this.shutdown({ reason: 'failed', error });
      });
    }
  }

  private shutdown(exit: ManagerExit): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    this.state = 'stopping';
    this.stopping = this.runShutdown(exit);
    return this.stopping;
  }

  private async runShutdown(exit: ManagerExit): Promise<void> {
    const lost = exit.reason === 'leadership-lost';
    this.logger.info({ reason: exit.reason }, 'manager stopping');
    if (lost) for (const controller of this.controllers) controller.abortInFlight();
    // 1. Stop taking work; let in-flight reconciles finish (bounded).
    await Promise.all(
      this.controllers.map((controller) =>
        controller.stop({ drainTimeoutMs: lost ? 0 : this.gracefulShutdownTimeoutMs }),
      ),
    );
    // 2. Events recorded by those last reconciles.
    await this.events.stop().catch(() => undefined);
    // 3. Hand the lease over only now that nothing acts any more.
    this.electionAbort.abort(new Error('manager stopping'));
    await this.election;
    // 4. Caches and probes.
    await Promise.all([...this.reflectors.values()].map((reflector) => reflector.stop()));
    await this.health?.stop();
    this.state = 'stopped';
    this.logger.info({ reason: exit.reason }, 'manager stopped');
    this.logger.flush();
    this.resolveDone(exit);
  }
}

function pickTiming(config: LeaderElectionConfig): Partial<LeaderElectionTiming> {
  const timing: Partial<LeaderElectionTiming> = {};
  if (config.leaseDurationMs !== undefined) timing.leaseDurationMs = config.leaseDurationMs;
  if (config.renewDeadlineMs !== undefined) timing.renewDeadlineMs = config.renewDeadlineMs;
  if (config.retryPeriodMs !== undefined) timing.retryPeriodMs = config.retryPeriodMs;
  return timing;
}
