// The place step: the engine's plan for the group (engine/plan.ts) from the Region's pools as the provider
// sees them, the group's VMs and the unavailable offerings, with the steps before it taken in: an upgrade's
// surge, a zone move's extra VM, an image's throughput limit. The reconciler applies the plan (deletes and
// creates) once this step returns.
import type { Region } from '../../api/index.ts';
import type { CloudProvider, RegionInstances, UnavailableOfferingsByRegion } from '../../cloud/index.ts';
import { toEngineRegion, toEngineUnavailable } from '../../cloud/index.ts';
import { plan as planPlacement, type Plan } from '../../engine/index.ts';
import type { DeepReadonly } from '../../runtime/index.ts';
import type { GroupAdapter } from '../group.ts';
import { toCurrentInstance } from '../instances.ts';
import type { RebalanceMemory } from './scaleset-memory.ts';
import type { GroupStep, StepInput } from './step.ts';

export interface PlaceStepDeps {
  provider: CloudProvider;
  unavailable: UnavailableOfferingsByRegion;
  /** A region's Instances with the ledger's counts (see cloud/region-instances.ts). */
  regionInstances: (region: string) => RegionInstances;
}

export function placeStep<S, M>(
  adapter: GroupAdapter<S>,
  deps: PlaceStepDeps,
  /** The group's zone move, when it can have one (ScaleSets): its extra VM and an abandoned move's undo. */
  zoneMove?: (memory: M) => RebalanceMemory,
): GroupStep<S, M> {
  return {
    name: 'place',
    async run(input) {
      const move = zoneMove?.(input.memory);
      const { placement, instances } = input.state;
      const spec =
        placement.surge > 0
          ? (adapter.withSurge?.(input.state.spec, placement.surge) ?? input.state.spec)
          : input.state.spec;
      const moveSurge = move?.inFlight !== undefined && !input.paused ? 1 : 0;
      const planned = await makePlan(adapter, deps, input, spec, moveSurge);
      const plan = placement.limit?.(planned, instances) ?? planned;
      const undo = move?.undo;
      return {
        plan: { plan, spec, scaleInUndoes: undo },
        commit: () => {
          if (move !== undefined && undo !== undefined) move.undo = undefined;
        },
      };
    },
  };
}

async function makePlan<S, M>(
  adapter: GroupAdapter<S>,
  deps: PlaceStepDeps,
  input: StepInput<S, M>,
  spec: S,
  moveSurge: number,
): Promise<Plan> {
  const region: DeepReadonly<Region> = input.region;
  const regionName = region.metadata.name;
  const pools = await deps.provider.pools({
    region,
    instances: deps.regionInstances(regionName),
    now: input.now,
  });
  const groupSpec = adapter.groupSpec(spec, input.group, input.state.placement);
  return planPlacement({
    spec:
      moveSurge > 0 && groupSpec.kind === 'ScaleSet'
        ? { ...groupSpec, capacity: groupSpec.capacity + moveSurge }
        : groupSpec,
    region: toEngineRegion(region.spec, pools),
    current: input.state.instances.map(toCurrentInstance),
    unavailable: toEngineUnavailable(deps.unavailable.forRegion(regionName).list(input.now)),
    now: input.now.getTime(),
  });
}
