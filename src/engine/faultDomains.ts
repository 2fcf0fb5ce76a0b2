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
    const held = available.map((domain) => request.occupancy.domainCount(pool.zone, domain));
    const added = waterFill(held, count);
    added.forEach((n, i) => {
      const faultDomain = available[i] ?? 0;
      if (n === 0) return;
      request.occupancy.add(pool.zone, faultDomain, pool.size.vCPUs, n);
      creates.push({
        size: pool.size.name,
        zone: pool.zone,
        faultDomain,
        priority: pool.priority,
        count: n,
        pricePerHour: pool.pricePerHour,
      });
    });
  }
  return creates;
}

/**
 * Adds `count` to the least-filled entries, ties to the lowest index — the result of placing one VM at a
 * time, computed level by level: raise every entry at the lowest level to the next level while that fits,
 * then share what is left round-robin in index order.
 */
export function waterFill(held: readonly number[], count: number): number[] {
  const level = [...held];
  let left = count;
  while (left > 0) {
    const lowest = Math.min(...level);
    const atLowest = level.flatMap((value, i) => (value === lowest ? [i] : []));
    const higher = level.filter((value) => value > lowest);
    const next = higher.length > 0 ? Math.min(...higher) : Number.POSITIVE_INFINITY;
    const raise = Math.min(next - lowest, Math.floor(left / atLowest.length));
    if (raise > 0) {
      for (const i of atLowest) level[i] = (level[i] ?? 0) + raise;
      left -= raise * atLowest.length;
      continue;
    }
    for (const i of atLowest.slice(0, left)) level[i] = (level[i] ?? 0) + 1;
    left = 0;
  }
  return level.map((value, i) => value - (held[i] ?? 0));
}
