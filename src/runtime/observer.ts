// Hooks through which the runtime reports what it does. The metrics module implements them with
// prom-client under controller-runtime's metric names; the runtime itself depends on no metrics library.
// Every hook is optional and must not throw (a throwing hook is caught and ignored).

export type ReconcileResultLabel = 'success' | 'error' | 'requeue' | 'requeue_after';

export interface WorkQueueObserver {
  /** `workqueue_depth{name}`: keys ready to be handed to a worker. */
  queueDepth?(queue: string, depth: number): void;
  /** `workqueue_adds_total{name}`: every add that was not a duplicate of a queued key. */
  queueAdd?(queue: string): void;
  /** `workqueue_queue_duration_seconds{name}`: how long a key waited between add and a worker taking it. */
  queueLatency?(queue: string, seconds: number): void;
  /** `workqueue_work_duration_seconds{name}`: how long a worker held the key. */
  queueWorkDuration?(queue: string, seconds: number): void;
  /** `workqueue_retries_total{name}`: every delayed add (rate-limited retry or requeueAfter). */
  queueRetry?(queue: string): void;
}

export interface ControllerObserver extends WorkQueueObserver {
  /**
   * `controller_runtime_reconcile_total{controller,result}` and
   * `controller_runtime_reconcile_time_seconds{controller}`.
   */
  reconcileDone?(controller: string, result: ReconcileResultLabel, seconds: number): void;
  /** `controller_runtime_reconcile_errors_total{controller}` (plus the terminal variant). */
  reconcileError?(controller: string, terminal: boolean): void;
  /** `controller_runtime_active_workers{controller}`. */
  activeWorkers?(controller: string, count: number): void;
}

export interface LeaderElectionObserver {
  /** `leader_election_master_status{name}`: 1 while this process holds the lease. */
  leaderStatus?(lease: string, isLeader: boolean): void;
  /** `leader_election_slowpath_total{name}`: a leader's direct renewal conflicted and it had to re-read. */
  leaderSlowPath?(lease: string): void;
}

export interface ReflectorObserver {
  /** Counts list calls (initial, 410 relists) per resource, useful to spot relist storms. */
  reflectorList?(resource: string): void;
  /** Counts watch requests per resource. */
  reflectorWatch?(resource: string): void;
}

export type RuntimeObserver = ControllerObserver & LeaderElectionObserver & ReflectorObserver;

/**
 * Runs an observer call, swallowing anything it throws: metrics must never break the control loop.
 * Takes a closure rather than the hook itself so observers written as classes keep their `this`.
 */
export function observe(call: () => void): void {
  try {
    call();
  } catch {
    // A broken metrics hook is not worth a failed reconcile.
  }
}
