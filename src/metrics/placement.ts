// A group's placement in the shape its status reports it (byZone, byFaultDomain, spread), computed with
// exactly the rules the gauges use. Controllers that write status with this keep status and metrics equal.
import type { Instance, Spread } from '../api/index.ts';
import type { DeepReadonly } from '../runtime/objects.ts';
import { isPlaced } from './groups.ts';
import {
  eligibleCells,
  placementGrid,
  spreadOf,
  zoneCounts,
  type RegionTopology,
  type SpreadPolicy,
} from './spread.ts';

export interface GroupPlacement {
  byZone: { zone: string; count: number }[];
  byFaultDomain: { zone: string; faultDomain: number; count: number }[];
  spread: Spread;
}

/**
 * `instances` are the group's Instances (any phase; only placed ones count). Zones and fault domains are
 * listed in name / number order, eligible ones with 0 included.
 */
export function groupPlacement(
  policy: SpreadPolicy,
  region: RegionTopology | undefined,
  instances: readonly DeepReadonly<Instance>[],
): GroupPlacement {
  const grid = placementGrid(
    eligibleCells(policy, region),
    instances.filter(isPlaced).map((instance) => instance.spec),
  );
  const zones = [...grid.keys()].sort();
  const perZone = zoneCounts(grid);
  return {
    byZone: zones.map((zone) => ({ zone, count: perZone.get(zone) ?? 0 })),
    byFaultDomain: zones.flatMap((zone) =>
      [...(grid.get(zone) ?? new Map<number, number>())]
        .sort(([a], [b]) => a - b)
        .map(([faultDomain, count]) => ({ zone, faultDomain, count })),
    ),
    spread: spreadOf(grid),
  };
}
