// Candidate pools (size × zone × priority) for new VMs, each either eligible with its free capacity or
// ineligible with every reason why — the reasons feed the explanations and the shortfall diagnosis.
import { toMicros } from './money.ts';
import type { SpotPriceCap, Target } from './priority.ts';
import { canRunSpot, compareNames, type AllowedSize } from './sizes.ts';
import type { PoolInfo, Priority, RegionInput, SizeInfo, UnavailablePool, ZoneInfo } from './types.ts';

export type Ineligibility =
  | { readonly kind: 'NotOffered' }
  | { readonly kind: 'NotSpotCapable' }
  | { readonly kind: 'ZoneUnavailable' }
  | { readonly kind: 'FaultDomains'; readonly have: number; readonly need: number }
  | { readonly kind: 'Blocked'; readonly code: string; readonly until: number }
  | { readonly kind: 'PriceAboveMax'; readonly price: number; readonly max: number }
  | { readonly kind: 'NoCapacity' };

export interface CandidatePool {
  readonly size: SizeInfo;
  readonly rank: number;
  readonly zone: string;
  readonly priority: Priority;
  readonly pricePerHour: number;
  readonly priceMicros: number;
  /** Free capacity in the region, whatever else applies. */
  readonly capacity: number;
  /** What the plan may use: `capacity` when eligible, else 0. */
  readonly free: number;
  readonly ineligible: readonly Ineligibility[];
}

export function poolKey(size: string, zone: string, priority: Priority): string {
  return `${priority}\u0000${zone}\u0000${size}`;
}

export function indexPools(pools: readonly PoolInfo[]): Map<string, PoolInfo> {
  return new Map(pools.map((pool) => [poolKey(pool.size, pool.zone, pool.priority), pool]));
}

/** Zone facts; the regional pseudo-zone defaults to the region's widest fault-domain count. */
export function zoneInfo(region: RegionInput, zone: string): ZoneInfo {
  const known = region.zones.find((z) => z.name === zone);
  if (known) return known;
  const widest = Math.max(1, ...region.zones.map((z) => z.faultDomains));
  return { name: zone, faultDomains: zone === '' ? widest : 1, available: zone === '' };
}

/**
 * The fault domains new VMs may use in a zone: all of them with max spreading (1), exactly N with fixed
 * spreading (N > 1; empty when the zone has fewer).
 */
export function domainsOf(zone: ZoneInfo, platformFaultDomainCount: number): number[] {
  const count = platformFaultDomainCount > 1 ? platformFaultDomainCount : zone.faultDomains;
  if (count > zone.faultDomains) return [];
  return Array.from({ length: count }, (_, i) => i);
}

/** An unavailable entry applies to its size, its zone (or every zone when absent) and priority. */
export function blockingEntry(
  active: readonly UnavailablePool[],
  size: string,
  zone: string,
  priority: Priority,
): UnavailablePool | undefined {
  return active.find(
    (entry) =>
      entry.size === size &&
      (entry.zone === undefined || entry.zone === zone) &&
      (entry.priority === undefined || entry.priority === priority),
  );
}

export interface CandidateRequest {
  readonly targets: readonly Target[];
  readonly allowed: readonly AllowedSize[];
  readonly region: RegionInput;
  readonly zones: readonly string[];
  readonly platformFaultDomainCount: number;
  readonly active: readonly UnavailablePool[];
}

/** Every (priority to place, zone, allowed size) combination, in the canonical order priority → zone → size. */
export function candidatePools(request: CandidateRequest): CandidatePool[] {
  const byKey = indexPools(request.region.pools);
  const zones = [...request.zones].sort(compareNames);
  const result: CandidatePool[] = [];
  for (const target of request.targets) {
    for (const zone of zones) {
      const info = zoneInfo(request.region, zone);
      for (const allowed of request.allowed) {
        const pool = byKey.get(poolKey(allowed.info.name, zone, target.priority));
        result.push(candidate(target.priority, target.spotPriceCap, info, allowed, pool, request));
      }
    }
  }
  return result;
}

function candidate(
  priority: Priority,
  cap: SpotPriceCap,
  zone: ZoneInfo,
  allowed: AllowedSize,
  pool: PoolInfo | undefined,
  request: CandidateRequest,
): CandidatePool {
  const reasons: Ineligibility[] = [];
  const price = pool?.pricePerHour ?? 0;
  if (!pool) reasons.push({ kind: 'NotOffered' });
  if (priority === 'Spot' && !canRunSpot(allowed.info)) reasons.push({ kind: 'NotSpotCapable' });
  if (!zone.available) reasons.push({ kind: 'ZoneUnavailable' });
  if (request.platformFaultDomainCount > 1 && zone.faultDomains < request.platformFaultDomainCount) {
    reasons.push({ kind: 'FaultDomains', have: zone.faultDomains, need: request.platformFaultDomainCount });
  }
  const blocked = blockingEntry(request.active, allowed.info.name, zone.name, priority);
  if (blocked) reasons.push({ kind: 'Blocked', code: blocked.code, until: blocked.until });
  if (priority === 'Spot' && pool) {
    const max = maxSpotPrice(cap, allowed.info.name, zone.name, request);
    if (price > max) reasons.push({ kind: 'PriceAboveMax', price, max });
  }
  const capacity = Math.max(0, pool?.free ?? 0);
  if (pool && capacity === 0) reasons.push({ kind: 'NoCapacity' });
  return {
    size: allowed.info,
    rank: allowed.rank,
    zone: zone.name,
    priority,
    pricePerHour: price,
    priceMicros: toMicros(price),
    capacity,
    free: reasons.length === 0 ? capacity : 0,
    ineligible: reasons,
  };
}

function maxSpotPrice(cap: SpotPriceCap, size: string, zone: string, request: CandidateRequest): number {
  switch (cap.kind) {
    case 'None':
      return Number.POSITIVE_INFINITY;
    case 'Fixed':
      return cap.value;
    case 'RegularPrice': {
      // The size's Regular price in the same zone; any zone's when that zone has no Regular pool.
      const regular = request.region.pools.filter((p) => p.size === size && p.priority === 'Regular');
      const sameZone = regular.find((p) => p.zone === zone);
      return (sameZone ?? regular[0])?.pricePerHour ?? Number.POSITIVE_INFINITY;
    }
  }
}
