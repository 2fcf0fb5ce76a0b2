// The controllers the simulated cloud brings into the operator (CloudProvider.controllers): the Region
// controller, with the watches it had when the operator wired it itself. Every Instance change reaches its
// Region (usage, the in-use finalizer); only a Region's spec changes reach it, not its own status writes.
import { Controller, generationChanged } from '../../runtime/index.ts';
import { regionOf } from '../../controllers/instances.ts';
import type { CloudProvider } from '../provider.ts';
import type { ProviderControllerDeps, ProviderControllers } from '../provider-controllers.ts';
import { RegionReconciler } from './region-controller.ts';

export function simulatedControllers(
  provider: Pick<CloudProvider, 'observe'>,
  deps: ProviderControllerDeps,
): ProviderControllers {
  const reconciler = new RegionReconciler({
    ...deps,
    provider,
    regions: deps.regions.store,
    instances: deps.instances.store,
  });
  const region = new Controller({
    ...deps.controllerOptions('region'),
    workers: 1,
    reconcile: reconciler.reconcile,
  })
    .watchPrimary(deps.regions, { predicate: generationChanged })
    .watch(deps.instances, (instance) => regionOf(instance));
  return [region];
}
