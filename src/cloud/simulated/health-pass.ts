// The Region controller's health writes: the health changes SimulatedCloud.observe reports (faults, the
// seeded rate, finished restarts and reimages) go to the Instances' status, with an Event on the owner.
// The simulated cloud's health lives in the Instances themselves (it has no VMs of its own), so these
// writes are what the next observation reads back.
import type { Instance, InstanceStatus } from '../../api/index.ts';
import {
  formatTime,
  isNotFound,
  type DeepReadonly,
  type EventRecorder,
  type StatusWriter,
} from '../../runtime/index.ts';
import { INSTANCES } from '../../controllers/resources.ts';
import type { HealthChange } from '../provider.ts';

export interface HealthPassDeps {
  statusWriter: StatusWriter;
  events: EventRecorder;
}

export async function writeHealthChange(
  deps: HealthPassDeps,
  instance: DeepReadonly<Instance>,
  change: HealthChange,
): Promise<void> {
  const {
    observedGeneration: _generation,
    repair: _repair,
    ...rest
  } = structuredClone(instance.status ?? {}) as InstanceStatus;
  const status: InstanceStatus = {
    ...rest,
    ...(change.repairCompleted ? { repairedAt: formatTime(change.at) } : {}),
    ...(instance.status?.repair !== undefined && !change.repairCompleted
      ? { repair: structuredClone(instance.status.repair) }
      : {}),
    health: change.health,
    healthReason: change.reason,
    healthChangedAt: formatTime(change.at),
  };
  try {
    await deps.statusWriter.update(INSTANCES, instance, status);
  } catch (error) {
    // Deleted and released since the cache showed it: no VM left to report on.
    if (isNotFound(error)) return;
    throw error;
  }
  const owner = instance.metadata.ownerReferences?.find((ref) => ref.controller === true);
  if (owner === undefined) return;
  deps.events.record(
    {
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      metadata: { name: owner.name, namespace: instance.metadata.namespace ?? '', uid: owner.uid },
    },
    change.health === 'Unhealthy'
      ? {
          type: 'Warning',
          reason: 'InstanceUnhealthy',
          action: 'Probe',
          note: `${instance.metadata.name} (zone ${instance.spec.zone || '-'}) is Unhealthy: ${change.reason}`,
        }
      : {
          type: 'Normal',
          reason: change.repairCompleted ? 'InstanceRepaired' : 'InstanceHealthy',
          action: 'Probe',
          note: `${instance.metadata.name} is Healthy again (${change.reason})`,
        },
  );
}
