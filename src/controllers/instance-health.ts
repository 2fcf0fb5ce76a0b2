// The Region controller's health pass: asks the simulated cloud which VMs changed health (faults, the
// random rate, finished restarts) and writes that to the Instances' status, with an Event on the owner.
import type { Instance, InstanceStatus, Region } from '../api/index.ts';
import { repairDueAt, type CloudProvider, type HealthChange } from '../cloud/index.ts';
import { formatTime, type DeepReadonly, type EventRecorder, type StatusWriter } from '../runtime/index.ts';
import { INSTANCES } from './resources.ts';

export interface HealthPassDeps {
  provider: CloudProvider;
  statusWriter: StatusWriter;
  events: EventRecorder;
}

/** With a random unhealthy rate, health is drawn this often. */
const RANDOM_HEALTH_PERIOD_MS = 10_000;

/**
 * Runs one health pass over the region's VMs; returns when to look again (a restart finishing, the next
 * random draw), or undefined when only an Instance or Region change can alter health.
 */
export async function runHealthPass(
  deps: HealthPassDeps,
  region: DeepReadonly<Region>,
  instances: readonly DeepReadonly<Instance>[],
  now: Date,
  lastEvaluatedAt: Date | undefined,
): Promise<number | undefined> {
  if (deps.provider.healthChanges === undefined) return undefined;
  const restartDelayMs = deps.provider.provisioningDelayMs(region);
  const changes = await deps.provider.healthChanges({
    simulation: region.spec.simulation,
    instances,
    now,
    lastEvaluatedAt,
    restartDelayMs,
  });
  const byKey = new Map(instances.map((i) => [`${i.metadata.namespace ?? ''}/${i.metadata.name}`, i]));
  for (const change of changes) {
    const instance = byKey.get(`${change.namespace}/${change.name}`);
    if (instance !== undefined) await write(deps, instance, change);
  }
  let next: number | undefined =
    region.spec.simulation.unhealthyRatePerHour > 0 ? RANDOM_HEALTH_PERIOD_MS : undefined;
  const done = new Set(changes.filter((c) => c.repairCompleted).map((c) => c.name));
  for (const instance of instances) {
    if (done.has(instance.metadata.name)) continue;
    const due = repairDueAt(instance, restartDelayMs);
    if (due !== undefined) next = Math.min(next ?? Infinity, Math.max(100, due - now.getTime()));
  }
  return next;
}

async function write(
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
  await deps.statusWriter.update(INSTANCES, instance, status);
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
