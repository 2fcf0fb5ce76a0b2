// From the API's specs (zod-parsed, defaults applied) to the engine's group spec. The one place that says
// how each ScaleSet / ComputeFleet field maps onto the engine's rules, used by the controllers and by
// `vmfleet plan` alike.
import { createHash } from 'node:crypto';
import type { ComputeFleetSpec, ScaleSetSpec } from '../api/index.ts';
import { fleetLimits, scaleSetLimits } from './limits.ts';
import type { ComputeFleetGroupSpec, ScaleSetGroupSpec, SizeSelection, ZonePolicy } from './types.ts';

/**
 * Hash of what an instance is made from (a single-size set's size, image, priority and eviction settings): a VM
 * whose hash differs from its group's is stale and is replaced by the upgrade logic, never moved by
 * placement. Short, label-safe and stable for equal inputs.
 */
export function modelHash(model: unknown): string {
  return createHash('sha256').update(JSON.stringify(model)).digest('hex').slice(0, 10);
}

export function scaleSetModel(spec: ScaleSetSpec): unknown {
  return {
    // A single-size set's size is part of its model, so resizing it (vertical scaling) marks every VM stale.
    vmSize: spec.vmSize ?? null,
    image: spec.image,
    evictionPolicy: spec.priority === 'Spot' ? (spec.spot?.evictionPolicy ?? 'Deallocate') : null,
    maxPricePerHour: spec.priority === 'Spot' ? (spec.spot?.maxPricePerHour ?? -1) : null,
  };
}

export function computeFleetModel(spec: ComputeFleetSpec): unknown {
  return { image: spec.image, evictionPolicy: spec.spot?.evictionPolicy ?? null };
}

export function normalizeScaleSet(spec: ScaleSetSpec): ScaleSetGroupSpec {
  const sizes: SizeSelection = spec.skuProfile
    ? { kind: 'List', sizes: spec.skuProfile.vmSizes.map((s) => ({ name: s.name, rank: s.rank })) }
    : { kind: 'List', sizes: spec.vmSize === undefined ? [] : [{ name: spec.vmSize, rank: 0 }] };
  return {
    kind: 'ScaleSet',
    zones: spec.zones,
    zonePolicy: { kind: 'Balanced', strict: spec.zoneBalance },
    sizes,
    capacityUnit: 'VM',
    platformFaultDomainCount: spec.platformFaultDomainCount,
    scaleInRule: spec.scaleInPolicy.rules[0] ?? 'Default',
    limits: scaleSetLimits({
      orchestrationMode: spec.orchestrationMode,
      imageSource: spec.image.source,
      singlePlacementGroup: spec.singlePlacementGroup,
    }),
    modelHash: modelHash(scaleSetModel(spec)),
    capacity: spec.capacity,
    priority: spec.priority,
    allocationStrategy: spec.skuProfile?.allocationStrategy ?? 'LowestPrice',
    spotMaxPricePerHour: spec.spot?.maxPricePerHour ?? -1,
    priorityMix: spec.priorityMix,
  };
}

function fleetZonePolicy(spec: ComputeFleetSpec): ZonePolicy {
  const policy = spec.zoneAllocationPolicy;
  switch (policy.distributionStrategy) {
    case 'Balanced':
      return { kind: 'Balanced', strict: false };
    case 'Prioritized':
      return {
        kind: 'Prioritized',
        ranks: (policy.zonePreferences ?? []).map((p) => ({ zone: p.zone, rank: p.rank })),
      };
    case 'BestEffortSingleZone':
      return { kind: 'SingleZone' };
  }
}

function fleetSizes(spec: ComputeFleetSpec): SizeSelection {
  if (spec.vmAttributes === undefined) {
    return { kind: 'List', sizes: (spec.vmSizes ?? []).map((s) => ({ name: s.name, rank: s.rank })) };
  }
  const a = spec.vmAttributes;
  return {
    kind: 'Attributes',
    attributes: {
      vCpuCount: a.vCpuCount,
      memoryGiB: a.memoryGiB,
      architectures: a.architectures,
      categories: a.categories,
      burstable: a.burstable,
      excludedSizes: a.excludedVMSizes ?? [],
    },
  };
}

/**
 * `lostToEviction`: Spot capacity units a fleet without `maintain` lost to evictions that deleted VMs
 * (kept in the fleet's status by the controller); the engine aims at the Spot target minus it.
 */
export function normalizeComputeFleet(spec: ComputeFleetSpec, lostToEviction = 0): ComputeFleetGroupSpec {
  return {
    kind: 'ComputeFleet',
    zones: spec.zones,
    zonePolicy: fleetZonePolicy(spec),
    sizes: fleetSizes(spec),
    capacityUnit: spec.capacityType,
    platformFaultDomainCount: spec.platformFaultDomainCount,
    scaleInRule: 'Default',
    limits: fleetLimits(),
    modelHash: modelHash(computeFleetModel(spec)),
    regular: spec.regular,
    spot:
      spec.spot === undefined
        ? undefined
        : {
            capacity: spec.spot.capacity,
            minCapacity: spec.spot.minCapacity,
            allocationStrategy: spec.spot.allocationStrategy,
            maxPricePerVM: spec.spot.maxPricePerVM,
            maintain: spec.spot.maintain,
            lostToEviction: spec.spot.maintain ? 0 : lostToEviction,
          },
  };
}
