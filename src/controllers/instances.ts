// Instances as the group controllers create and read them: deterministic names, labels, owner reference,
// finalizer, and the engine's view of one.
import {
  API_GROUP_VERSION,
  INSTANCE_FINALIZER,
  INSTANCE_LABELS,
  type Image,
  type Instance,
  type Priority,
} from '../api/index.ts';
import type { CreateGroup, CurrentInstance } from '../engine/index.ts';
import { isBeingDeleted, isNotFound, type DeepReadonly, type ResourceClient } from '../runtime/index.ts';
import { INSTANCES } from './resources.ts';

export type GroupKind = 'ScaleSet' | 'ComputeFleet';

/** Index of the Instance cache: `<Kind>/<namespace>/<name>` of the controlling group. */
export const OWNER_INDEX = 'owner';
/** Index of the Instance cache: the Region name (the simulated cloud's ledger is per region). */
export const REGION_INDEX = 'region';

export function ownerIndexValue(kind: GroupKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export function ownerOf(instance: DeepReadonly<Instance>): string[] {
  const owner = instance.metadata.ownerReferences?.find((ref) => ref.controller === true);
  if (owner === undefined || (owner.kind !== 'ScaleSet' && owner.kind !== 'ComputeFleet')) return [];
  return [ownerIndexValue(owner.kind, instance.metadata.namespace ?? '', owner.name)];
}

export function regionOf(instance: DeepReadonly<Instance>): string[] {
  return [instance.spec.region];
}

/**
 * `<owner>-<instanceId>`: a create repeated after a crash answers AlreadyExists instead of making a
 * duplicate.
 */
export function instanceName(owner: string, instanceId: number): string {
  return `${owner}-${instanceId}`;
}

export interface GroupRef {
  kind: GroupKind;
  name: string;
  namespace: string;
  uid: string;
  region: string;
}

/** What every new instance of the group shares (the instance model), besides its placement. */
export interface InstanceModel {
  image: Image;
  modelHash: string;
  /** Spot only. */
  evictionPolicy?: 'Deallocate' | 'Delete' | undefined;
  maxPricePerHour?: number | undefined;
}

export function newInstance(
  group: GroupRef,
  placement: Pick<CreateGroup, 'size' | 'zone' | 'faultDomain' | 'priority'>,
  instanceId: number,
  model: InstanceModel,
): Instance {
  const ownerLabel = group.kind === 'ScaleSet' ? INSTANCE_LABELS.scaleSet : INSTANCE_LABELS.computeFleet;
  const spot = placement.priority === 'Spot';
  return {
    apiVersion: API_GROUP_VERSION,
    kind: 'Instance',
    metadata: {
      name: instanceName(group.name, instanceId),
      namespace: group.namespace,
      labels: {
        [ownerLabel]: group.name,
        [INSTANCE_LABELS.vmSize]: placement.size,
        [INSTANCE_LABELS.zone]: placement.zone,
        [INSTANCE_LABELS.priority]: placement.priority,
        [INSTANCE_LABELS.modelHash]: model.modelHash,
      },
      ownerReferences: [
        {
          apiVersion: API_GROUP_VERSION,
          kind: group.kind,
          name: group.name,
          uid: group.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      // Created with the finalizer so the VM is always released in the provider before the object goes,
      // without a second write to add it.
      finalizers: [INSTANCE_FINALIZER],
    },
    spec: {
      region: group.region,
      instanceId,
      vmSize: placement.size,
      zone: placement.zone,
      faultDomain: placement.faultDomain,
      priority: placement.priority,
      ...(spot && model.evictionPolicy !== undefined ? { evictionPolicy: model.evictionPolicy } : {}),
      ...(spot && model.maxPricePerHour !== undefined ? { maxPricePerHour: model.maxPricePerHour } : {}),
      image: model.image,
      protection: { fromScaleIn: false, fromScaleSetActions: false },
    },
  };
}

export function phaseOf(instance: DeepReadonly<Instance>): NonNullable<Instance['status']>['phase'] & string {
  return instance.status?.phase ?? 'Pending';
}

/** Instances that still belong to the group's picture: not on their way out. */
export function liveInstances(instances: readonly DeepReadonly<Instance>[]): DeepReadonly<Instance>[] {
  return instances.filter((instance) => !isBeingDeleted(instance));
}

export function toCurrentInstance(instance: DeepReadonly<Instance>): CurrentInstance {
  return {
    id: instance.spec.instanceId,
    name: instance.metadata.name,
    size: instance.spec.vmSize,
    zone: instance.spec.zone,
    faultDomain: instance.spec.faultDomain,
    priority: instance.spec.priority,
    phase: phaseOf(instance),
    protectedFromScaleIn: instance.spec.protection.fromScaleIn,
    protectedFromScaleSetActions: instance.spec.protection.fromScaleSetActions,
    modelHash: instance.metadata.labels?.[INSTANCE_LABELS.modelHash] ?? '',
  };
}

export function countByPriority(instances: readonly DeepReadonly<Instance>[]): Record<Priority, number> {
  const counts: Record<Priority, number> = { Regular: 0, Spot: 0 };
  for (const instance of instances) counts[instance.spec.priority] += 1;
  return counts;
}

/** Deletes this very VM (uid precondition, so a recreated namesake is safe); already gone is fine. */
export async function deleteExactly(
  client: Pick<ResourceClient, 'delete'>,
  instance: DeepReadonly<Instance>,
): Promise<void> {
  try {
    await client.delete(
      INSTANCES,
      { namespace: instance.metadata.namespace ?? '', name: instance.metadata.name },
      instance.metadata.uid === undefined ? {} : { preconditions: { uid: instance.metadata.uid } },
    );
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
