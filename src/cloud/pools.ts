// The region's pools (size × zone × priority) as the strategy engine sees them: price, shape, free
// capacity and quota headroom, computed from the Region and the ledger. Pure.
//
// Quotas are shared by many pools, so they are returned once, by name, and each pool lists the quotas it
// draws on: a planner placing several VMs must subtract from the shared headroom as it goes.
// `quotaHeadroomVMs` is the single-pool bound (how many VMs of this pool the quotas alone still allow).
import type { Architecture, Instance, Priority, RegionSpec, VmCategory } from '../api/index.ts';
import { poolCapacity } from './capacity.ts';
import { ledgerOf, type LedgerEntry } from './ledger.ts';
import { compareText } from './order.ts';
import { poolPrice } from './prices.ts';
import {
  familyQuotaName,
  quotaLimit,
  quotaNamesFor,
  REGIONAL_QUOTA,
  SPOT_QUOTA,
  type QuotaName,
} from './quota.ts';
import type { DeepReadonly } from './readonly.ts';
import { UsageTally } from './tally.ts';

export interface Pool {
  vmSize: string;
  /** Zone name, or "" for the regional pool (VMs with no zone, sharing every zone's room). */
  zone: string;
  priority: Priority;
  family: string;
  vCPUs: number;
  memoryGiB: number;
  architecture: Architecture;
  category: VmCategory;
  burstable: boolean;
  /** USD per hour of one VM here (the zone's Spot price for Spot). */
  pricePerHour: number;
  /** Pay-as-you-go price of the size (what Spot max price -1 caps at). */
  regularPricePerHour: number;
  /** Fault domains of the zone; for the regional pool the largest zone's count. */
  faultDomains: number;
  /** false during a simulated zone outage (free is then 0); the regional pool is available if any zone is. */
  available: boolean;
  capacity: number;
  used: number;
  /** New VMs the pool's capacity takes now. Zonal and regional pools of one size and priority share room. */
  free: number;
  /** Quotas a VM here draws on (names as in Region status.quotaUsage). */
  quotaNames: QuotaName[];
  /** New VMs the quotas alone allow here (Infinity when none is limited). */
  quotaHeadroomVMs: number;
}

export interface QuotaState {
  name: QuotaName;
  /** vCPUs; undefined = unlimited. */
  limit: number | undefined;
  used: number;
  /** vCPUs still available (Infinity when unlimited, never negative). */
  headroomVCPUs: number;
}

export interface RegionPools {
  /** Sorted by size, zone ("" first), priority. Spot pools exist only for Spot-capable sizes. */
  pools: Pool[];
  /** regionalVCPUs, spotVCPUs, then family/<name> for every family in the Region, sorted. */
  quotas: QuotaState[];
}

/** Pools of a Region given its Instances (the ledger). */
export function computePools(
  spec: DeepReadonly<RegionSpec>,
  instances: readonly DeepReadonly<Instance>[],
): RegionPools {
  return computePoolsFromLedger(spec, ledgerOf(instances));
}

export function computePoolsFromLedger(
  spec: DeepReadonly<RegionSpec>,
  ledger: Iterable<LedgerEntry>,
): RegionPools {
  return computePoolsFromTally(spec, new UsageTally(spec, ledger));
}

/** Pools of a Region given its usage, already counted. */
export function computePoolsFromTally(spec: DeepReadonly<RegionSpec>, tally: UsageTally): RegionPools {
  const quotas = quotaHeadrooms(spec, tally);
  const headroom = new Map(quotas.map((q) => [q.name, q.headroomVCPUs]));
  const maxFaultDomains = Math.max(...spec.zones.map((z) => z.faultDomains));
  const available = new Map(spec.zones.map((z) => [z.name, z.available]));
  const pools: Pool[] = [];
  for (const size of spec.vmSizes) {
    const zoneNames = spec.zones.map((z) => z.name).filter((z) => size.capacity.some((c) => c.zone === z));
    if (zoneNames.length === 0) continue;
    const anyZoneAvailable = zoneNames.some((z) => available.get(z) === true);
    for (const priority of ['Regular', 'Spot'] as const) {
      const price = poolPrice(size, '', priority);
      if (priority === 'Spot' && (!size.spotCapable || size.burstable || price === undefined)) continue;
      const quotaNames = quotaNamesFor(size, priority);
      const quotaHeadroomVMs = Math.min(
        ...quotaNames.map((n) => Math.floor((headroom.get(n) ?? Number.POSITIVE_INFINITY) / size.vCPUs)),
      );
      for (const zone of ['', ...zoneNames]) {
        const zoneSpec = spec.zones.find((z) => z.name === zone);
        pools.push({
          vmSize: size.name,
          zone,
          priority,
          family: size.family,
          vCPUs: size.vCPUs,
          memoryGiB: size.memoryGiB,
          architecture: size.architecture,
          category: size.category,
          burstable: size.burstable,
          pricePerHour: poolPrice(size, zone, priority) ?? size.pricePerHour,
          regularPricePerHour: size.pricePerHour,
          faultDomains: zoneSpec?.faultDomains ?? maxFaultDomains,
          available: zoneSpec?.available ?? anyZoneAvailable,
          ...poolCapacity(spec, size, zone, priority, tally),
          quotaNames,
          quotaHeadroomVMs,
        });
      }
    }
  }
  pools.sort(comparePools);
  return { pools, quotas };
}

function comparePools(a: Pool, b: Pool): number {
  return (
    compareText(a.vmSize, b.vmSize) || compareText(a.zone, b.zone) || compareText(a.priority, b.priority)
  );
}

function quotaHeadrooms(spec: DeepReadonly<RegionSpec>, tally: UsageTally): QuotaState[] {
  const families = new Set([
    ...spec.vmSizes.map((s) => s.family),
    ...Object.keys(spec.quotas.families ?? {}),
  ]);
  const names = [REGIONAL_QUOTA, SPOT_QUOTA, ...[...families].sort(compareText).map(familyQuotaName)];
  return names.map((name) => {
    const limit = quotaLimit(spec, name);
    const used = tally.quotaUsed(name);
    return {
      name,
      limit,
      used,
      headroomVCPUs: limit === undefined ? Number.POSITIVE_INFINITY : Math.max(0, limit - used),
    };
  });
}
