// Lifecycle counters the controllers increment: instances created, terminated (with why) and allocation
// failures (with the Azure code). Every live group's series exist from its first scrape, at 0, so rate()
// and increase() work from the start; a deleted group's series are dropped, keeping the series count
// bounded by the groups that exist.
import { Counter, type Registry } from 'prom-client';
import { AzureErrorCode, type Priority } from '../api/index.ts';
import { LIFECYCLE_METRICS } from './definitions.ts';
import { CAPACITY_TYPES, capacityTypeOf, groupKey, type CapacityType, type GroupRef } from './groups.ts';
import type { LiveGroup } from './snapshot.ts';

/** Why an instance went away: the `reason` label of vmfleet_instances_terminated_total. */
export const TERMINATION_REASONS = [
  'scale-in',
  'eviction',
  'failure',
  'upgrade',
  'repair',
  'rebalance',
] as const;
export type TerminationReason = (typeof TERMINATION_REASONS)[number];

/** The Azure codes that may appear as `reason` of vmfleet_allocation_failures_total. */
export const ALLOCATION_FAILURE_REASONS: readonly AzureErrorCode[] = AzureErrorCode.options;

export interface LifecycleMetrics {
  /** After the provider accepted the create (the Instance exists). */
  instanceCreated(group: GroupRef, priority: Priority): void;
  /** When the controller deletes an Instance, or learns the provider removed it (eviction with Delete). */
  instanceTerminated(group: GroupRef, priority: Priority, reason: TerminationReason): void;
  /** When an allocation fails with an Azure error code (the Instance goes Failed). */
  allocationFailure(group: GroupRef, priority: Priority, code: AzureErrorCode): void;
}

type GroupLabels = { namespace: string; kind: string; name: string };

function groupLabels(group: GroupRef): GroupLabels {
  return { namespace: group.namespace, kind: group.kind, name: group.name };
}

export class LifecycleCounters implements LifecycleMetrics {
  private readonly created: Counter;
  private readonly terminated: Counter;
  private readonly failures: Counter;
  /** Every group that has series in these counters, so they can be dropped once it is gone. */
  private readonly known = new Map<string, GroupRef>();

  constructor(registry: Registry, liveGroups: () => readonly LiveGroup[]) {
    const sync = (): void => {
      this.sync(liveGroups());
    };
    const counter = (definition: (typeof LIFECYCLE_METRICS)[keyof typeof LIFECYCLE_METRICS]) =>
      new Counter<string>({
        name: definition.name,
        help: definition.help,
        labelNames: definition.labelNames,
        registers: [registry],
        collect: sync,
      });
    this.created = counter(LIFECYCLE_METRICS.created);
    this.terminated = counter(LIFECYCLE_METRICS.terminated);
    this.failures = counter(LIFECYCLE_METRICS.allocationFailures);
  }

  instanceCreated(group: GroupRef, priority: Priority): void {
    this.known.set(groupKey(group), group);
    this.created.inc({ ...groupLabels(group), capacity_type: capacityTypeOf(priority) });
  }

  instanceTerminated(group: GroupRef, priority: Priority, reason: TerminationReason): void {
    this.known.set(groupKey(group), group);
    this.terminated.inc({ ...groupLabels(group), capacity_type: capacityTypeOf(priority), reason });
  }

  allocationFailure(group: GroupRef, priority: Priority, code: AzureErrorCode): void {
    this.known.set(groupKey(group), group);
    this.failures.inc({ ...groupLabels(group), capacity_type: capacityTypeOf(priority), reason: code });
  }

  /** Zero-fills the series of live groups and drops those of groups that no longer exist. Idempotent. */
  private sync(live: readonly LiveGroup[]): void {
    const liveKeys = new Set(live.map((group) => groupKey(group.ref)));
    for (const [key, group] of this.known) {
      if (liveKeys.has(key)) continue;
      this.forEachSeries(group, CAPACITY_TYPES, (counter, labels) => {
        counter.remove(labels);
      });
      this.known.delete(key);
    }
    for (const group of live) {
      this.known.set(groupKey(group.ref), group.ref);
      this.forEachSeries(group.ref, group.capacityTypes, (counter, labels) => {
        counter.inc(labels, 0);
      });
    }
  }

  private forEachSeries(
    group: GroupRef,
    capacityTypes: readonly CapacityType[],
    visit: (counter: Counter, labels: Record<string, string>) => void,
  ): void {
    const base = groupLabels(group);
    for (const capacityType of capacityTypes) {
      visit(this.created, { ...base, capacity_type: capacityType });
      for (const reason of TERMINATION_REASONS) {
        visit(this.terminated, { ...base, capacity_type: capacityType, reason });
      }
      for (const reason of ALLOCATION_FAILURE_REASONS) {
        visit(this.failures, { ...base, capacity_type: capacityType, reason });
      }
    }
  }
}
