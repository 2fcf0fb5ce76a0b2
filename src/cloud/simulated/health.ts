// Application health in the simulated cloud (the health probe / Application Health extension analogue).
// Pure: SimulatedCloud.observe calls it with the Region's simulation settings and its Instances; the Region
// controller (./region-controller.ts) writes the changes to the Instances' status (./health-pass.ts). Only
// Running VMs that are not being deleted are probed.
//
// For each VM, the first rule that applies:
//   1. A repair in progress (status.repair, requested by the owner's automatic repairs) completes once the
//      simulated restart/reimage took `restartDelayMs` (the Region's provisioningDelay): Healthy again,
//      healthReason Restarted/Reimaged, status.repairedAt set (the repair stays in status until then).
//   2. Health faults (spec.simulation.healthFaults): a Healthy VM selected by a fault — by name, or by zone
//      — turns Unhealthy with the fault's reason. A VM repaired since (repairedAt) is fixed: faults no longer
//      select it. An Unhealthy VM whose fault was removed recovers (healthReason FaultCleared).
//   3. unhealthyRatePerHour: as for random Spot evictions (./evictions.ts), a keyed hash of (seed, VM, hour)
//      decides whether and when in each clock hour a Healthy VM turns Unhealthy (RandomHealthFailure), drawn
//      over (lastEvaluatedAt, now] after its launch or last repair. It stays Unhealthy until repaired.
import type { HealthFault, Instance, InstanceHealth } from '../../api/index.ts';
import { instanceKey } from '../ledger.ts';
import { compareText } from '../order.ts';
import { unitHash } from '../random.ts';
import type { HealthChange } from '../provider.ts';
import type { DeepReadonly } from '../readonly.ts';

type Vm = DeepReadonly<Instance>;

export const RANDOM_HEALTH_REASON = 'RandomHealthFailure';
export const FAULT_CLEARED_REASON = 'FaultCleared';

export interface HealthRequest {
  simulation: DeepReadonly<{
    seed: number;
    unhealthyRatePerHour: number;
    healthFaults: readonly HealthFault[];
  }>;
  instances: readonly Vm[];
  now: Date;
  lastEvaluatedAt?: Date | undefined;
  restartDelayMs: number;
}

const HOUR_MS = 3_600_000;
const MAX_LOOKBACK_HOURS = 7 * 24;

function ms(stamp: string | undefined): number | undefined {
  if (stamp === undefined) return undefined;
  const value = Date.parse(stamp);
  return Number.isNaN(value) ? undefined : value;
}

function selects(fault: DeepReadonly<HealthFault>, vm: Vm): boolean {
  if (fault.instance !== undefined && fault.instance !== vm.metadata.name) return false;
  if (fault.zone !== undefined && fault.zone !== vm.spec.zone) return false;
  return true;
}

/** When a repair requested on the VM completes (ms), if one is in progress. */
export function repairDueAt(vm: Vm, restartDelayMs: number): number | undefined {
  const requested = ms(vm.status?.repair?.requestedAt);
  return requested === undefined ? undefined : requested + restartDelayMs;
}

export function findHealthChanges(request: HealthRequest): HealthChange[] {
  const { simulation, now } = request;
  const changes: HealthChange[] = [];
  const change = (vm: Vm, health: InstanceHealth, reason: string, at: Date, repairCompleted = false) => {
    changes.push({
      namespace: vm.metadata.namespace ?? '',
      name: vm.metadata.name,
      health,
      reason,
      at,
      repairCompleted,
    });
  };
  for (const vm of request.instances) {
    if (vm.metadata.deletionTimestamp !== undefined || vm.status?.phase !== 'Running') continue;
    const repair = vm.status.repair;
    if (repair !== undefined) {
      const due = repairDueAt(vm, request.restartDelayMs) ?? now.getTime();
      if (due <= now.getTime()) {
        change(vm, 'Healthy', repair.action === 'Restart' ? 'Restarted' : 'Reimaged', now, true);
      }
      continue;
    }
    const unhealthy = vm.status.health === 'Unhealthy';
    const repaired = vm.status.repairedAt !== undefined;
    const fault = repaired ? undefined : simulation.healthFaults.find((f) => selects(f, vm));
    if (!unhealthy) {
      if (fault !== undefined) {
        change(vm, 'Unhealthy', fault.reason, now);
        continue;
      }
      const at = randomFailureTime(
        simulation.seed,
        simulation.unhealthyRatePerHour,
        vm,
        request.lastEvaluatedAt,
        now,
      );
      if (at !== undefined) change(vm, 'Unhealthy', RANDOM_HEALTH_REASON, at);
      continue;
    }
    if (fault === undefined && vm.status.healthReason !== RANDOM_HEALTH_REASON) {
      change(vm, 'Healthy', FAULT_CLEARED_REASON, now);
    }
  }
  return changes.sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.name, b.name));
}

/** The instant in (from, to] at which a Healthy VM turns Unhealthy at `rate` per hour, if any. */
export function randomFailureTime(
  seed: number,
  rate: number,
  vm: Vm,
  from: Date | undefined,
  to: Date,
): Date | undefined {
  if (rate <= 0 || from === undefined) return undefined;
  const startMs = Math.max(
    from.getTime(),
    ms(vm.status?.launchedAt) ?? from.getTime(),
    ms(vm.status?.repairedAt) ?? from.getTime(),
    to.getTime() - MAX_LOOKBACK_HOURS * HOUR_MS,
  );
  const endMs = to.getTime();
  if (endMs <= startMs) return undefined;
  const key = instanceKey(vm);
  for (let hour = Math.floor(startMs / HOUR_MS); hour * HOUR_MS < endMs; hour++) {
    if (unitHash(seed, 'health', key, hour, 0) >= rate) continue;
    const at = hour * HOUR_MS + Math.floor(unitHash(seed, 'health', key, hour, 1) * HOUR_MS);
    if (at > startMs && at <= endMs) return new Date(at);
  }
  return undefined;
}
