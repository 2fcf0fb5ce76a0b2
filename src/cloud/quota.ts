// vCPU quotas of a region and which of them a VM draws on, as the Region API documents them
// (src/api/region.ts Quotas): `regionalVCPUs` is the Total Regional Cores quota of Regular *and* Spot VMs;
// `spotVCPUs` is the Low-priority ("LowPriorityCores") quota of Spot VMs; `families` are per-family quotas
// of Regular VMs ("standardDSv5Family"). The strategy engine counts the same way (engine/placement.ts).
// Azure itself keeps Spot out of Total Regional Cores (reference/azure-domain.md §1.10); to follow it,
// change `quotaNamesFor` together with the API description and the engine. An absent limit is unlimited.
import type { Priority, RegionSpec, RegionVmSize } from '../api/index.ts';
import type { DeepReadonly } from './readonly.ts';

export const REGIONAL_QUOTA = 'regionalVCPUs';
export const SPOT_QUOTA = 'spotVCPUs';
const FAMILY_PREFIX = 'family/';

/** Names as shown in Region status.quotaUsage: regionalVCPUs, spotVCPUs, family/<name>. */
export type QuotaName = string;

export function familyQuotaName(family: string): QuotaName {
  return `${FAMILY_PREFIX}${family}`;
}

/** The family a quota name refers to, or undefined for the regional and Spot quotas. */
export function familyOfQuota(name: QuotaName): string | undefined {
  return name.startsWith(FAMILY_PREFIX) ? name.slice(FAMILY_PREFIX.length) : undefined;
}

/** The quotas a VM of this size and priority uses up, in the order they are checked. */
export function quotaNamesFor(size: DeepReadonly<RegionVmSize>, priority: Priority): QuotaName[] {
  return priority === 'Spot' ? [SPOT_QUOTA, REGIONAL_QUOTA] : [REGIONAL_QUOTA, familyQuotaName(size.family)];
}

/** The limit of a quota in vCPUs; undefined when the Region sets none (unlimited). */
export function quotaLimit(spec: DeepReadonly<RegionSpec>, name: QuotaName): number | undefined {
  if (name === REGIONAL_QUOTA) return spec.quotas.regionalVCPUs;
  if (name === SPOT_QUOTA) return spec.quotas.spotVCPUs;
  const family = familyOfQuota(name);
  return family === undefined ? undefined : spec.quotas.families?.[family];
}

/** How Azure names a quota in its OperationNotAllowed message. */
export function azureQuotaName(name: QuotaName): string {
  if (name === REGIONAL_QUOTA) return 'Total Regional Cores';
  if (name === SPOT_QUOTA) return 'LowPriorityCores';
  return `standard${familyOfQuota(name) ?? name}Family Cores`;
}
