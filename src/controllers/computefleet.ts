// ComputeFleet specifics for the group reconciler: independent Regular and Spot targets (in VMs or
// vCPUs), the Spot capacity lost to evictions without `maintain` (counted by the evictions step, see
// steps/spot-evictions.ts; status keeps it), and per-priority fulfilment in status.
import {
  ComputeFleetSpec,
  parseWith,
  validateComputeFleet,
  type ComputeFleetSpec as ComputeFleetSpecType,
  type Priority,
} from '../api/index.ts';
import { normalizeComputeFleet } from '../engine/normalize.ts';
import type { DeepReadonly } from '../runtime/index.ts';
import { specCheckOf, type GroupAdapter, type GroupObject } from './group.ts';
import { phaseOf } from './instances.ts';
import { COMPUTEFLEETS } from './resources.ts';

/** What the fleet's status says it lost to evictions (the evictions step adds what status does not show yet). */
export function cachedLostToEviction(group: DeepReadonly<GroupObject>): number {
  const spot = group.status?.spot as { lostToEviction?: unknown } | undefined;
  return typeof spot?.lostToEviction === 'number' ? spot.lostToEviction : 0;
}

export const computeFleetAdapter: GroupAdapter<ComputeFleetSpecType> = {
  kind: 'ComputeFleet',
  resource: COMPUTEFLEETS,
  parse: (spec) => specCheckOf(parseWith(ComputeFleetSpec, spec)),
  regionName: (spec) => spec.region,
  validate: (spec, region) => validateComputeFleet(spec, region.spec, region.metadata.name),
  paused: (spec) => spec.paused,
  zones: (spec) => spec.zones,
  platformFaultDomainCount: (spec) => spec.platformFaultDomainCount,
  groupSpec: (spec, group, placement) =>
    normalizeComputeFleet(spec, placement?.lostToEviction ?? cachedLostToEviction(group)),
  model(spec, priority, groupSpec) {
    return {
      image: spec.image,
      modelHash: groupSpec.modelHash,
      ...(priority === 'Spot' && spec.spot !== undefined ? { evictionPolicy: spec.spot.evictionPolicy } : {}),
      ...(priority === 'Spot' && spec.spot?.maxPricePerVM !== undefined
        ? { maxPricePerHour: spec.spot.maxPricePerVM }
        : {}),
    };
  },
  status({ spec, group, instances, plan, region, placement }) {
    const vCpus = new Map(region.spec.vmSizes.map((size) => [size.name, size.vCPUs]));
    const perPriority = (priority: Priority) => {
      const mine = instances.filter((i) => i.spec.priority === priority);
      // Capacity held: Running VMs, plus Deallocated Spot VMs (they still count toward the target).
      const holding = mine.filter((i) => ['Running', 'Deallocated'].includes(phaseOf(i)));
      const vCpusOf = (list: typeof mine) =>
        list.reduce((sum, i) => sum + (vCpus.get(i.spec.vmSize) ?? 0), 0);
      return {
        target: plan.outcomes.find((o) => o.priority === priority)?.target ?? 0,
        fulfilled: spec.capacityType === 'VM' ? holding.length : vCpusOf(holding),
        instances: mine.length,
        vCPUs: vCpusOf(mine),
      };
    };
    const lostToEviction = placement.lostToEviction ?? cachedLostToEviction(group);
    return {
      ...(spec.regular === undefined ? {} : { regular: perPriority('Regular') }),
      ...(spec.spot === undefined ? {} : { spot: { ...perPriority('Spot'), lostToEviction } }),
    };
  },
};
