// Region status: what the ledger (the Instances) uses of the Region. Pure; the Region controller writes it.
import type { z } from 'zod';
import type { Instance, PoolUsage, QuotaUsage, RegionSpec, RegionStatus } from '../api/index.ts';
import { ledgerOf, type LedgerEntry } from './ledger.ts';
import { compareText } from './order.ts';
import { familyQuotaName, quotaLimit, REGIONAL_QUOTA, SPOT_QUOTA } from './quota.ts';
import type { DeepReadonly } from './readonly.ts';
import { poolKey, UsageTally } from './tally.ts';

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
  instances: readonly DeepReadonly<Instance>[],
): RegionUsage {
  const ledger = ledgerOf(instances);
  const tally = new UsageTally(spec, ledger);
  return {
    instances: ledger.length,
    usage: poolUsage(spec, ledger),
    quotaUsage: quotaUsage(spec, tally),
  };
}

function poolUsage(spec: DeepReadonly<RegionSpec>, ledger: readonly LedgerEntry[]): PoolUsageRow[] {
  const vCPUs = new Map(spec.vmSizes.map((s) => [s.name, s.vCPUs]));
  const rows = new Map<string, PoolUsageRow>();
  for (const entry of ledger) {
    if (!entry.holdsCapacity) continue;
    const key = poolKey(entry.vmSize, entry.zone, entry.priority);
    const row = rows.get(key) ?? {
      vmSize: entry.vmSize,
      zone: entry.zone,
      priority: entry.priority,
      count: 0,
      vCPUs: 0,
    };
    row.count += 1;
    row.vCPUs += vCPUs.get(entry.vmSize) ?? 0;
    rows.set(key, row);
  }
  return [...rows.values()].sort(
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
