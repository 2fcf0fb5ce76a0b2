// Spread and cost of the group once the plan is realised.
import type { Occupancy } from './current.ts';
import type { Spread } from './types.ts';

export function spreadOf(
  occupancy: Occupancy,
  zones: readonly string[],
  domains: (zone: string) => readonly number[],
): Spread {
  const total = occupancy.totalCount();
  const counts = zones.map((zone) => occupancy.count(zone));
  const zoneSkew = zones.length > 1 ? Math.max(...counts) - Math.min(...counts) : 0;
  let faultDomainSkew = 0;
  for (const zone of zones) {
    const spreadOver = domains(zone);
    if (spreadOver.length < 2) continue;
    const held = spreadOver.map((domain) => occupancy.domainCount(zone, domain));
    faultDomainSkew = Math.max(faultDomainSkew, Math.max(...held) - Math.min(...held));
  }
  const fullest = Math.max(0, ...occupancy.zones().map((zone) => occupancy.count(zone)));
  return { zoneSkew, faultDomainSkew, largestZoneShare: total > 0 ? fullest / total : 0 };
}
