// The runtime's observer hooks (src/runtime/observer.ts) implemented with controller-runtime's metric names,
// labels and buckets, so kubebuilder's and Karpenter's controller dashboards work on vmfleet unchanged.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ReconcileResultLabel, RuntimeObserver } from '../runtime/observer.ts';
import {
  CONTROLLER_METRICS,
  RECONCILE_TIME_BUCKETS,
  WORKQUEUE_BUCKETS,
  type MetricDefinition,
} from './definitions.ts';

const RECONCILE_RESULTS: readonly ReconcileResultLabel[] = ['success', 'error', 'requeue', 'requeue_after'];

function base(definition: MetricDefinition, registry: Registry) {
  return {
    name: definition.name,
    help: definition.help,
    labelNames: definition.labelNames,
    registers: [registry],
  };
}

export class ControllerRuntimeMetrics implements RuntimeObserver {
  private readonly reconcileTotal: Counter;
  private readonly reconcileErrors: Counter;
  private readonly terminalReconcileErrors: Counter;
  private readonly reconcileTime: Histogram;
  private readonly activeWorkersGauge: Gauge;
  private readonly depth: Gauge;
  private readonly adds: Counter;
  private readonly queueDuration: Histogram;
  private readonly workDuration: Histogram;
  private readonly retries: Counter;
  private readonly leader: Gauge;
  private readonly initialised = new Set<string>();

  private readonly onLeadership: ((leading: boolean) => void) | undefined;

  /**
   * `controllers` are pre-initialised (all series at 0) before their first reconcile; others on first sight.
   * `onLeadership` hears every leader-election change (the registry uses it to export state only when leading).
   */
  constructor(
    registry: Registry,
    controllers: readonly string[] = [],
    onLeadership?: (leading: boolean) => void,
  ) {
    this.onLeadership = onLeadership;
    const m = CONTROLLER_METRICS;
    this.reconcileTotal = new Counter(base(m.reconcileTotal, registry));
    this.reconcileErrors = new Counter(base(m.reconcileErrors, registry));
    this.terminalReconcileErrors = new Counter(base(m.terminalReconcileErrors, registry));
    this.reconcileTime = new Histogram({
      ...base(m.reconcileTime, registry),
      buckets: [...RECONCILE_TIME_BUCKETS],
    });
    this.activeWorkersGauge = new Gauge(base(m.activeWorkers, registry));
    this.depth = new Gauge(base(m.queueDepth, registry));
    this.adds = new Counter(base(m.queueAdds, registry));
    this.queueDuration = new Histogram({ ...base(m.queueLatency, registry), buckets: WORKQUEUE_BUCKETS });
    this.workDuration = new Histogram({ ...base(m.workDuration, registry), buckets: WORKQUEUE_BUCKETS });
    this.retries = new Counter(base(m.queueRetries, registry));
    this.leader = new Gauge(base(m.leaderStatus, registry));
    for (const controller of controllers) this.initialise(controller);
  }

  /**
   * controller-runtime creates every series of a controller at 0 when it starts, so rate() and the error
   * ratio have data before the first error. The queue of a controller carries its name.
   */
  private initialise(controller: string): void {
    if (this.initialised.has(controller)) return;
    this.initialised.add(controller);
    for (const result of RECONCILE_RESULTS) this.reconcileTotal.inc({ controller, result }, 0);
    this.reconcileErrors.inc({ controller }, 0);
    this.terminalReconcileErrors.inc({ controller }, 0);
    this.activeWorkersGauge.set({ controller }, 0);
    this.reconcileTime.zero({ controller });
    const queue = { name: controller, controller };
    this.depth.set(queue, 0);
    this.adds.inc(queue, 0);
    this.retries.inc(queue, 0);
    this.queueDuration.zero(queue);
    this.workDuration.zero(queue);
  }

  private queueLabels(queue: string): { name: string; controller: string } {
    this.initialise(queue);
    return { name: queue, controller: queue };
  }

  queueDepth(queue: string, depth: number): void {
    this.depth.set(this.queueLabels(queue), depth);
  }

  queueAdd(queue: string): void {
    this.adds.inc(this.queueLabels(queue));
  }

  queueLatency(queue: string, seconds: number): void {
    this.queueDuration.observe(this.queueLabels(queue), seconds);
  }

  queueWorkDuration(queue: string, seconds: number): void {
    this.workDuration.observe(this.queueLabels(queue), seconds);
  }

  queueRetry(queue: string): void {
    this.retries.inc(this.queueLabels(queue));
  }

  reconcileDone(controller: string, result: ReconcileResultLabel, seconds: number): void {
    this.initialise(controller);
    this.reconcileTotal.inc({ controller, result });
    this.reconcileTime.observe({ controller }, seconds);
  }

  /** Every error counts in reconcile_errors_total; terminal ones (not retried) also in the terminal counter. */
  reconcileError(controller: string, terminal: boolean): void {
    this.initialise(controller);
    this.reconcileErrors.inc({ controller });
    if (terminal) this.terminalReconcileErrors.inc({ controller });
  }

  activeWorkers(controller: string, count: number): void {
    this.initialise(controller);
    this.activeWorkersGauge.set({ controller }, count);
  }

  leaderStatus(lease: string, isLeader: boolean): void {
    this.leader.set({ name: lease }, isLeader ? 1 : 0);
    this.onLeadership?.(isLeader);
  }
}
