// Adapters from the cloud layer's view to the strategy engine's input types (src/engine/types.ts), so a
// controller hands the engine `region` and `unavailable` without reshaping anything itself.
import type { RegionSpec, UnavailableOffering } from '../api/index.ts';
import type { QuotaHeadroom, RegionInput, UnavailablePool } from '../engine/types.ts';
import type { RegionPools } from './pools.ts';
import { familyOfQuota, REGIONAL_QUOTA, SPOT_QUOTA } from './quota.ts';
import type { DeepReadonly } from './readonly.ts';

/**
 * The engine's RegionInput: the Region's zones and sizes, every pool with its price and free capacity
 * (regional pools under zone ""), and the headroom of each limited quota (unlimited ones left out).
 */
export function toEngineRegion(spec: DeepReadonly<RegionSpec>, pools: RegionPools): RegionInput {
  const headroom = (name: string): number | undefined => {
    const quota = pools.quotas.find((q) => q.name === name);
    return quota?.limit === undefined ? undefined : quota.headroomVCPUs;
  };
  const familyVCpus: Record<string, number> = {};
  for (const quota of pools.quotas) {
    const family = familyOfQuota(quota.name);
    if (family !== undefined && quota.limit !== undefined) familyVCpus[family] = quota.headroomVCPUs;
  }
  const quota: QuotaHeadroom = {
    regionalVCpus: headroom(REGIONAL_QUOTA),
    spotVCpus: headroom(SPOT_QUOTA),
    familyVCpus,
  };
  return {
    zones: spec.zones.map((z) => ({ name: z.name, faultDomains: z.faultDomains, available: z.available })),
    sizes: spec.vmSizes.map((s) => ({
      name: s.name,
      family: s.family,
      vCPUs: s.vCPUs,
      memoryGiB: s.memoryGiB,
      architecture: s.architecture,
      category: s.category,
      burstable: s.burstable,
      spotCapable: s.spotCapable,
    })),
    pools: pools.pools.map((p) => ({
      size: p.vmSize,
      zone: p.zone,
      priority: p.priority,
      pricePerHour: p.pricePerHour,
      free: p.free,
    })),
    quota,
  };
}

/**
 * The engine's unavailable set. A cache entry with zone "" blocks the size in every zone (see
 * ./unavailable-offerings.ts), which the engine spells as an absent zone.
 */
export function toEngineUnavailable(offerings: readonly UnavailableOffering[]): UnavailablePool[] {
  return offerings.map((o) => ({
    size: o.vmSize,
    ...(o.zone === '' ? {} : { zone: o.zone }),
    priority: o.priority,
    code: o.code,
    until: Date.parse(o.until),
  }));
}
