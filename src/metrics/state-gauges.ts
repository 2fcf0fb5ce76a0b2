// The state gauges: prom-client gauges whose collect() resets them and copies the samples of the current
// snapshot, so a deleted group's series vanish at the next scrape without any bookkeeping.
import { Gauge, type Registry } from 'prom-client';
import { STATE_METRICS } from './definitions.ts';
import { computeStateSnapshot, type StateSnapshot } from './snapshot.ts';
import type { FleetStateSource } from './state.ts';

/**
 * Computes the snapshot once per scrape: prom-client invokes every metric's collect() synchronously in one
 * pass of `registry.metrics()`, so a value cached until the next microtask is shared by exactly that pass.
 */
export function oncePerScrape<T>(compute: () => T): () => T {
  let cached: { value: T } | undefined;
  return () => {
    if (cached === undefined) {
      cached = { value: compute() };
      queueMicrotask(() => {
        cached = undefined;
      });
    }
    return cached.value;
  };
}

const EMPTY_SNAPSHOT: StateSnapshot = {
  series: Object.fromEntries(
    Object.keys(STATE_METRICS).map((key) => [key, []]),
  ) as unknown as StateSnapshot['series'],
  groups: [],
};

export interface StateSnapshotOptions {
  state: () => FleetStateSource;
  now: () => number;
  /** A broken snapshot must not fail the scrape (controller health would vanish with it): report and skip. */
  onError: (error: unknown) => void;
}

export function stateSnapshotProvider(options: StateSnapshotOptions): () => StateSnapshot {
  return oncePerScrape(() => {
    try {
      return computeStateSnapshot(options.state(), options.now());
    } catch (error) {
      options.onError(error);
      return EMPTY_SNAPSHOT;
    }
  });
}

export function registerStateGauges(registry: Registry, snapshot: () => StateSnapshot): void {
  for (const key of Object.keys(STATE_METRICS) as (keyof typeof STATE_METRICS)[]) {
    const definition = STATE_METRICS[key];
    new Gauge<string>({
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const sample of snapshot().series[key]) this.set(sample.labels, sample.value);
      },
    });
  }
}
