// Which group an Instance belongs to and how it counts. Shared by the state gauges and (recommended) by the
// controllers' status, so "placed", "ready" and "billed" mean the same thing in both.
import { INSTANCE_LABELS, type Instance, type Priority } from '../api/index.ts';
import type { DeepReadonly } from '../runtime/objects.ts';

export type GroupKind = 'ScaleSet' | 'ComputeFleet';

/** A ScaleSet or ComputeFleet, as the `namespace`, `kind`, `name` labels name it. */
export interface GroupRef {
  readonly namespace: string;
  readonly kind: GroupKind;
  readonly name: string;
}

/** The `capacity_type` label: Karpenter's spelling, lower case (Karpenter says `on-demand` for regular). */
export type CapacityType = 'regular' | 'spot';

export const CAPACITY_TYPES: readonly CapacityType[] = ['regular', 'spot'];

export function capacityTypeOf(priority: Priority): CapacityType {
  return priority === 'Spot' ? 'spot' : 'regular';
}

export function groupKey(group: GroupRef): string {
  return `${group.kind}/${group.namespace}/${group.name}`;
}

/** The owning group, from the owner label the controllers stamp, else from the controller ownerReference. */
export function groupOfInstance(instance: DeepReadonly<Instance>): GroupRef | undefined {
  const namespace = instance.metadata.namespace ?? '';
  const labels = instance.metadata.labels ?? {};
  const scaleSet = labels[INSTANCE_LABELS.scaleSet];
  if (scaleSet !== undefined) return { namespace, kind: 'ScaleSet', name: scaleSet };
  const fleet = labels[INSTANCE_LABELS.computeFleet];
  if (fleet !== undefined) return { namespace, kind: 'ComputeFleet', name: fleet };
  const owner = instance.metadata.ownerReferences?.find((ref) => ref.controller === true);
  if (owner?.kind === 'ScaleSet' || owner?.kind === 'ComputeFleet') {
    return { namespace, kind: owner.kind, name: owner.name };
  }
  return undefined;
}

function isBeingDeleted(instance: DeepReadonly<Instance>): boolean {
  return instance.metadata.deletionTimestamp !== undefined;
}

/**
 * Placed: holds a place in the group's zones and fault domains. Every phase counts, as the engine and the
 * group status count them (a Failed VM until it is replaced, a Deallocated Spot VM as Azure does); an
 * Instance being deleted does not (counting it would make scale-in remove two).
 */
export function isPlaced(instance: DeepReadonly<Instance>): boolean {
  return !isBeingDeleted(instance);
}

/** Ready: Running and not being deleted (status.readyInstances). */
export function isReady(instance: DeepReadonly<Instance>): boolean {
  return instance.status?.phase === 'Running' && !isBeingDeleted(instance);
}

/** Billed: the instances status.hourlyCost sums, Running and not being deleted. */
export function isBilled(instance: DeepReadonly<Instance>): boolean {
  return isReady(instance);
}
