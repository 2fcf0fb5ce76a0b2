// The steps of each group kind, in the order they run.
import type { ComputeFleetSpec, GalleryImage, ScaleSetSpec } from '../../api/index.ts';
import type { EvictionLedger } from '../eviction-ledger.ts';
import type { EventRecorder, ReadonlyStore } from '../../runtime/index.ts';
import type { GroupAdapter, GroupSteps } from '../group.ts';
import { autoscaleStep } from './autoscale.ts';
import { imageStep } from './image.ts';
import { placeStep, type PlaceStepDeps } from './place.ts';
import { rebalanceStep } from './rebalance.ts';
import { repairStep } from './repair.ts';
import { seedScaleSetMemory, type ScaleSetMemory } from './scaleset-memory.ts';
import { spotEvictionsStep } from './spot-evictions.ts';
import { upgradeStep } from './upgrade.ts';

export interface ScaleSetStepDeps extends PlaceStepDeps {
  events: EventRecorder;
  galleryImages: ReadonlyStore<GalleryImage>;
}

/**
 * Autoscale sets the capacity the rest works from; the image is resolved before the upgrade judges VMs
 * against it; the upgrade's deletes and surge shape the placement; repairs and zone moves act only on a
 * set the plan left settled.
 */
export function scaleSetSteps(
  adapter: GroupAdapter<ScaleSetSpec>,
  deps: ScaleSetStepDeps,
): GroupSteps<ScaleSetSpec, ScaleSetMemory> {
  return {
    steps: [
      autoscaleStep(deps),
      imageStep(deps),
      upgradeStep(deps),
      placeStep<ScaleSetSpec, ScaleSetMemory>(adapter, deps, (memory) => memory.rebalance),
      repairStep(deps),
      rebalanceStep(deps),
    ],
    seed: seedScaleSetMemory,
  };
}

/** A ComputeFleet counts the Spot capacity evictions took, then places. */
export function computeFleetSteps(
  adapter: GroupAdapter<ComputeFleetSpec>,
  deps: PlaceStepDeps & { evictionLedger: EvictionLedger },
): GroupSteps<ComputeFleetSpec, object> {
  return {
    steps: [spotEvictionsStep(deps.evictionLedger), placeStep<ComputeFleetSpec, object>(adapter, deps)],
    seed: () => ({}),
  };
}

export type { ScaleSetMemory } from './scaleset-memory.ts';
export { placeableZones, rebalancingApplies } from './rebalance.ts';
