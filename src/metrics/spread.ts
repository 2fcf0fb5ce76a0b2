// Spread of a group over its zones and fault domains: the arithmetic behind status.spread and the
// vmfleet_zone_skew / vmfleet_fault_domain_skew / vmfleet_largest_zone_share gauges. Pure, so the
// controllers can write status with the same functions the metrics use and the two never disagree.
import type { Spread } from '../api/index.ts';

/** Regional groups (no zones) place VMs with zone "": the whole region is one placement scope. */
export const REGIONAL_ZONE = '';

/** Instance counts per zone and, inside each zone, per fault domain. Eligible cells are present with 0. */
export type PlacementGrid = ReadonlyMap<string, ReadonlyMap<number, number>>;

/** The group fields that decide where it may place VMs. */
export interface SpreadPolicy {
  readonly zones: readonly string[];
  readonly platformFaultDomainCount: number;
}

/** The region fields that decide how many fault domains a zone has. */
export interface RegionTopology {
  readonly zones: readonly { readonly name: string; readonly faultDomains: number }[];
}

function range(count: number): number[] {
  return Array.from({ length: Math.max(0, count) }, (_, i) => i);
}

/**
 * The eligible cells of a group: its declared zones (all of them, available or not, because an outage
 * is exactly the imbalance users need to see), or the regional scope "" when it declares none; and in
 * each zone the fault domains it may use: exactly N with fixed spreading (N > 1), otherwise as many as
 * the Region's zone has. A regional group with max spreading gets the smallest fault-domain count of
 * the region's zones, the count every zone can offer. Without a known region a max-spreading zone has
 * no eligible fault domains; cells that hold instances are always added by `placementGrid`.
 */
export function eligibleCells(
  policy: SpreadPolicy,
  region: RegionTopology | undefined,
): Map<string, number[]> {
  const zones = policy.zones.length > 0 ? policy.zones : [REGIONAL_ZONE];
  const cells = new Map<string, number[]>();
  for (const zone of zones) {
    if (policy.platformFaultDomainCount > 1) {
      cells.set(zone, range(policy.platformFaultDomainCount));
      continue;
    }
    const faultDomains =
      zone === REGIONAL_ZONE
        ? Math.min(...(region?.zones.map((z) => z.faultDomains) ?? [0]))
        : (region?.zones.find((z) => z.name === zone)?.faultDomains ?? 0);
    cells.set(zone, range(Number.isFinite(faultDomains) ? faultDomains : 0));
  }
  return cells;
}

/** Fills the eligible cells with 0, then counts each placed instance into its cell (adding the cell if new). */
export function placementGrid(
  cells: ReadonlyMap<string, readonly number[]>,
  placed: Iterable<{ readonly zone: string; readonly faultDomain: number }>,
): Map<string, Map<number, number>> {
  const grid = new Map<string, Map<number, number>>();
  for (const [zone, faultDomains] of cells) grid.set(zone, new Map(faultDomains.map((fd) => [fd, 0])));
  for (const { zone, faultDomain } of placed) {
    let domains = grid.get(zone);
    if (domains === undefined) {
      domains = new Map();
      grid.set(zone, domains);
    }
    domains.set(faultDomain, (domains.get(faultDomain) ?? 0) + 1);
  }
  return grid;
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** max − min of the values; 0 for none. */
function skew(values: readonly number[]): number {
  return values.length === 0 ? 0 : Math.max(...values) - Math.min(...values);
}

export function zoneCounts(grid: PlacementGrid): Map<string, number> {
  return new Map([...grid].map(([zone, domains]) => [zone, sum(domains.values())]));
}

/**
 * zoneSkew = max − min instances over the eligible zones (Kubernetes maxSkew, Azure's "balanced" ±1);
 * faultDomainSkew = the worst zone's max − min over its fault domains;
 * largestZoneShare = the fullest zone's count / all instances (0 when there are none).
 */
export function spreadOf(grid: PlacementGrid): Spread {
  const perZone = [...zoneCounts(grid).values()];
  const total = sum(perZone);
  const faultDomainSkew = Math.max(0, ...[...grid.values()].map((domains) => skew([...domains.values()])));
  return {
    zoneSkew: skew(perZone),
    faultDomainSkew,
    largestZoneShare: total === 0 ? 0 : Math.max(...perZone) / total,
  };
}
