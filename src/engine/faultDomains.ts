// The last decision for every VM: its fault domain. Max spreading (platformFaultDomainCount 1) uses all of
// the zone's fault domains, fixed spreading exactly N (zones with fewer were ineligible); each new VM goes
// to the least-filled domain, counting every instance of the group there, ties to the lowest index.
import type { Occupancy } from './current.ts';
import type { CandidatePool } from './pools.ts';
import type { CreateGroup } from './types.ts';

export interface FaultDomainRequest {
  /** Pools with their new-VM counts, in canonical order (priority → zone → size). */
  readonly placements: readonly { readonly pool: CandidatePool; readonly count: number }[];
  readonly occupancy: Occupancy;
  readonly domains: (zone: string) => readonly number[];
}

export function assignFaultDomains(request: FaultDomainRequest): CreateGroup[] {
  const creates: CreateGroup[] = [];
  for (const { pool, count } of request.placements) {
    if (count <= 0) continue;
    const domains = request.domains(pool.zone);
    const available = domains.length > 0 ? domains : [0];
    const perDomain = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      let best = available[0] ?? 0;
      let bestCount = Number.POSITIVE_INFINITY;
      for (const domain of available) {
        const held = request.occupancy.domainCount(pool.zone, domain);
        if (held < bestCount) {
          best = domain;
          bestCount = held;
        }
      }
      request.occupancy.add(pool.zone, best, pool.size.vCPUs, 1);
      perDomain.set(best, (perDomain.get(best) ?? 0) + 1);
    }
    for (const [faultDomain, domainCount] of [...perDomain].sort((a, b) => a[0] - b[0])) {
      creates.push({
        size: pool.size.name,
        zone: pool.zone,
        faultDomain,
        priority: pool.priority,
        count: domainCount,
        pricePerHour: pool.pricePerHour,
      });
    }
  }
  return creates;
}
