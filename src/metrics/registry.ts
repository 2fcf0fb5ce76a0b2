// Assembles vmfleet's own prom-client Registry (never the global one): state gauges, lifecycle counters,
// controller-runtime metrics, build info and the process/nodejs defaults.
import { readFileSync } from 'node:fs';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { RuntimeObserver } from '../runtime/observer.ts';
import { ControllerRuntimeMetrics } from './controller-runtime.ts';
import { BUILD_INFO } from './definitions.ts';
import { LifecycleCounters, type LifecycleMetrics } from './lifecycle.ts';
import { registerStateGauges, stateSnapshotProvider } from './state-gauges.ts';
import { EMPTY_STATE, type FleetStateSource } from './state.ts';

/**
 * prom-client defaults that break `promtool check metrics` ("non-counter metrics should not have _total
 * suffix"). Their information is also in nodejs_active_handles / _requests / _resources.
 */
export const LINT_FAILING_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

export interface MetricsOptions {
  /** The caches to compute state gauges from; can also be set later with `setStateSource`. */
  state?: FleetStateSource;
  /** Controllers whose series exist at 0 from the start (others appear on their first event). */
  controllers?: readonly string[];
  /** `version` label of vmfleet_build_info; defaults to package.json's version. */
  version?: string;
  /** process_* and nodejs_* metrics; default true. Tests of exact output turn them off. */
  defaultMetrics?: boolean;
  /** Clock for expiring unavailable offerings; default Date.now. */
  now?: () => number;
  /** Called when the state snapshot throws; the scrape then carries no state gauges. Default: ignore. */
  onCollectError?: (error: unknown) => void;
}

export interface VmfleetMetrics {
  readonly registry: Registry;
  /** Counters for the controllers: instances created, terminated, allocation failures. */
  readonly lifecycle: LifecycleMetrics;
  /** Pass as the runtime Manager's `observer`. */
  readonly observer: RuntimeObserver;
  /**
   * Sets the caches the state gauges are computed from (once the controllers' reflectors exist). With leader
   * election (the observer's leaderStatus hook), only the leader exports state gauges and lifecycle series;
   * a standby exports controller and process metrics only. Without it, state is always exported.
   */
  setStateSource(state: FleetStateSource): void;
}

function packageVersion(): string {
  try {
    // src/metrics and dist/metrics both sit two levels below the package root.
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const parsed = JSON.parse(text) as { version?: unknown };
    return typeof parsed.version === 'string' ? parsed.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function createMetrics(options: MetricsOptions = {}): VmfleetMetrics {
  const registry = new Registry();
  let state = options.state ?? EMPTY_STATE;
  // Undefined until leader election reports; then only the leader exports state. Every replica sees the
  // same caches, so two exporting replicas would double every sum on the dashboard.
  let leading: boolean | undefined;
  const now = options.now ?? Date.now;
  const snapshot = stateSnapshotProvider({
    state: () => (leading === false ? EMPTY_STATE : state),
    now,
    onError: options.onCollectError ?? (() => undefined),
  });

  registerStateGauges(registry, snapshot);
  const lifecycle = new LifecycleCounters(registry, () => snapshot().groups);
  const observer = new ControllerRuntimeMetrics(registry, options.controllers ?? [], (isLeader) => {
    leading = isLeader;
  });
  const buildInfo = new Gauge({ ...BUILD_INFO, labelNames: BUILD_INFO.labelNames, registers: [registry] });
  buildInfo.set({ version: options.version ?? packageVersion(), node_version: process.version }, 1);

  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    for (const name of LINT_FAILING_DEFAULT_METRICS) registry.removeSingleMetric(name);
  }

  return {
    registry,
    lifecycle,
    observer,
    setStateSource(source) {
      state = source;
    },
  };
}
