// Region status: what the ledger (the Instances) uses of the Region. Pure; the Region controller writes it.
import type { z } from 'zod';
import type { PoolUsage, QuotaUsage, RegionSpec, RegionStatus } from '../api/index.ts';
import { compareText } from './order.ts';
import { familyQuotaName, quotaLimit, REGIONAL_QUOTA, SPOT_QUOTA } from './quota.ts';
import type { DeepReadonly } from './readonly.ts';
import { regionInstances, type PoolCount, type RegionInstancesSource } from './region-instances.ts';
import { UsageTally } from './tally.ts';

type PoolUsageRow = z.output<typeof PoolUsage>;
type QuotaUsageRow = z.output<typeof QuotaUsage>;

export type RegionUsage = Required<Pick<RegionStatus, 'instances' | 'usage' | 'quotaUsage'>>;

/**
 * - `instances`: VMs that exist in the cloud — Provisioning, Running and Deallocated (a deallocated VM
 *   still exists and holds quota); Pending (not created yet) and Failed (never created) are not counted.
 * - `usage`: VMs holding capacity (Provisioning, Running) per size × zone × priority, non-zero pools only,
 *   sorted by size, zone, priority, so it compares directly with the Region's capacity.
 * - `quotaUsage`: vCPUs against regionalVCPUs (all VMs), spotVCPUs (Spot VMs) and every family that has a
 *   limit or is in use (Regular VMs), Deallocated VMs included, as Azure counts them (see ./quota.ts).
 */
export function computeRegionUsage(
  spec: DeepReadonly<RegionSpec>,
  instances: RegionInstancesSource,
): RegionUsage {
  const counts = [...regionInstances(instances).counts()];
  const tally = new UsageTally(spec, []).addPools(counts);
  return {
    instances: counts.reduce((sum, pool) => sum + pool.quota, 0),
    usage: poolUsage(spec, counts),
    quotaUsage: quotaUsage(spec, tally),
  };
}

function poolUsage(spec: DeepReadonly<RegionSpec>, counts: readonly PoolCount[]): PoolUsageRow[] {
  const vCPUs = new Map(spec.vmSizes.map((s) => [s.name, s.vCPUs]));
  return counts
    .filter((pool) => pool.capacity > 0)
    .map(({ placement, capacity }) => ({
      vmSize: placement.vmSize,
      zone: placement.zone,
      priority: placement.priority,
      count: capacity,
      vCPUs: capacity * (vCPUs.get(placement.vmSize) ?? 0),
    }))
    .sort(
      (a, b) =>
        compareText(a.vmSize, b.vmSize) || compareText(a.zone, b.zone) || compareText(a.priority, b.priority),
    );
}

function quotaUsage(spec: DeepReadonly<RegionSpec>, tally: UsageTally): QuotaUsageRow[] {
  const families = new Set([
    ...Object.keys(spec.quotas.families ?? {}).map(familyQuotaName),
    ...tally.quotaNamesInUse().filter((n) => n !== REGIONAL_QUOTA && n !== SPOT_QUOTA),
  ]);
  return [REGIONAL_QUOTA, SPOT_QUOTA, ...[...families].sort(compareText)].map((name) => {
    const limit = quotaLimit(spec, name);
    return { name, used: tally.quotaUsed(name), ...(limit === undefined ? {} : { limit }) };
  });
}
