// The read-only view of the world the state gauges are computed from at scrape time. The controllers
// implement it over their informer caches; tests implement it over plain arrays.
import type { ComputeFleet, Instance, Region, ScaleSet, UnavailableOffering } from '../api/index.ts';
import type { DeepReadonly } from '../runtime/objects.ts';

/** One entry of the unavailable-offerings cache; `region` is optional as the cache may key by pool only. */
export interface UnavailableOfferingEntry extends UnavailableOffering {
  readonly region?: string;
}

/**
 * Parsed objects (zod defaults applied), as the caches hold them. Every call must be cheap and side-effect
 * free: a scrape calls each once.
 */
export interface FleetStateSource {
  scaleSets(): readonly DeepReadonly<ScaleSet>[];
  computeFleets(): readonly DeepReadonly<ComputeFleet>[];
  instances(): readonly DeepReadonly<Instance>[];
  regions(): readonly DeepReadonly<Region>[];
  unavailableOfferings(): readonly DeepReadonly<UnavailableOfferingEntry>[];
}

/** The state before the controllers have wired theirs: no groups, no series. */
export const EMPTY_STATE: FleetStateSource = {
  scaleSets: () => [],
  computeFleets: () => [],
  instances: () => [],
  regions: () => [],
  unavailableOfferings: () => [],
};

/** A state source over fixed arrays (tests, `vmfleet plan`-style tools). */
export function staticState(state: {
  scaleSets?: readonly DeepReadonly<ScaleSet>[];
  computeFleets?: readonly DeepReadonly<ComputeFleet>[];
  instances?: readonly DeepReadonly<Instance>[];
  regions?: readonly DeepReadonly<Region>[];
  unavailableOfferings?: readonly DeepReadonly<UnavailableOfferingEntry>[];
}): FleetStateSource {
  return {
    scaleSets: () => state.scaleSets ?? [],
    computeFleets: () => state.computeFleets ?? [],
    instances: () => state.instances ?? [],
    regions: () => state.regions ?? [],
    unavailableOfferings: () => state.unavailableOfferings ?? [],
  };
}
