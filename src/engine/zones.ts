// The zone decision's inputs: which zones the group places in, what "current" means per zone, and the
// ComputeFleet BestEffortSingleZone order, which is turned into a zone ranking before placement.
import type { LedgerCell, Occupancy } from './current.ts';
import { place, type PlacementRequest } from './placement.ts';
import { compareNames } from './sizes.ts';
import type { CapacityUnit, GroupSpec, Priority, ZonePolicy } from './types.ts';

/** The zones new VMs go to: the spec's zones, or the regional pseudo-zone "". */
export function placementZones(spec: GroupSpec): string[] {
  return spec.zones.length === 0 ? [''] : [...new Set(spec.zones)].sort(compareNames);
}

/** The zone measure balance and ranking work on: instances per zone, or vCPUs per zone with VCpu. */
export function zoneMeasure(
  occupancy: Occupancy,
  zones: readonly string[],
  unit: CapacityUnit,
): Map<string, number> {
  return new Map(
    zones.map((zone) => [zone, unit === 'VCpu' ? occupancy.vCpus(zone) : occupancy.count(zone)]),
  );
}

/** The zone measure of each priority alone, from ledger cells. */
export function zoneMeasureByPriority(
  cells: readonly LedgerCell[],
  unit: CapacityUnit,
): Map<Priority, Map<string, number>> {
  const byPriority = new Map<Priority, Map<string, number>>();
  for (const cell of cells) {
    let zones = byPriority.get(cell.priority);
    if (!zones) {
      zones = new Map();
      byPriority.set(cell.priority, zones);
    }
    const units = cell.count * (unit === 'VCpu' ? cell.vCPUs : 1);
    zones.set(cell.zone, (zones.get(cell.zone) ?? 0) + units);
  }
  return byPriority;
}

export interface ZoneRanking {
  readonly policy: ZonePolicy;
  /** For the explanation: zone → what it would end up holding on its own, and at what price. */
  readonly scores: readonly { zone: string; holds: number; costMicros: number }[];
}

/**
 * BestEffortSingleZone: rank zones by how much of the group each would end up holding if it were filled
 * first on its own (current + what fits there, capped at what is needed), then by the price of that
 * placement, then by zone name; the winner is filled first and the others take the spill in the same order.
 * Counting current instances keeps an existing fleet in its zone instead of starting a second one.
 */
export function singleZoneRanking(request: PlacementRequest): ZoneRanking {
  const scores = request.zones.map((zone) => {
    const alone = place({ ...request, levels: 'CountAndCost', zonePolicy: undefined, onlyZone: zone });
    let placed = 0;
    for (const units of alone.placed.values()) placed += units;
    return { zone, holds: (request.zoneCurrent.get(zone) ?? 0) + placed, costMicros: alone.costMicros };
  });
  const ordered = [...scores].sort(
    (a, b) => b.holds - a.holds || a.costMicros - b.costMicros || compareNames(a.zone, b.zone),
  );
  return {
    policy: { kind: 'Prioritized', ranks: ordered.map((score, rank) => ({ zone: score.zone, rank })) },
    scores: ordered,
  };
}
