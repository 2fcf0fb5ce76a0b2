// Hard limits of the two group kinds (reference/azure-domain.md §1.6, §1.12, §2.5), as the engine input's
// `limits` expects them.
import type { GroupLimits } from './types.ts';

export const SCALESET_MAX_INSTANCES = 1000;
export const SCALESET_MAX_INSTANCES_MANAGED_IMAGE = 600;
export const SCALESET_MAX_INSTANCES_SINGLE_PLACEMENT_GROUP = 100;
export const SCALESET_FLEXIBLE_MAX_SIZES = 5;
export const FLEET_MAX_INSTANCES = 10_000;
export const FLEET_MAX_SIZES = 15;

export function scaleSetLimits(options: {
  orchestrationMode: 'Uniform' | 'Flexible';
  imageSource: 'Marketplace' | 'Gallery' | 'ManagedImage';
  singlePlacementGroup: boolean;
}): GroupLimits {
  let maxInstances = SCALESET_MAX_INSTANCES;
  if (options.imageSource === 'ManagedImage') maxInstances = SCALESET_MAX_INSTANCES_MANAGED_IMAGE;
  if (options.singlePlacementGroup) {
    maxInstances = Math.min(maxInstances, SCALESET_MAX_INSTANCES_SINGLE_PLACEMENT_GROUP);
  }
  return {
    maxInstances,
    maxSizes: options.orchestrationMode === 'Uniform' ? 1 : SCALESET_FLEXIBLE_MAX_SIZES,
  };
}

export function fleetLimits(): GroupLimits {
  return { maxInstances: FLEET_MAX_INSTANCES, maxSizes: FLEET_MAX_SIZES };
}
