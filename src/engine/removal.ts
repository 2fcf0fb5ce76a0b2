// Scale-in: which instances go when a priority holds more than its target.
//
// Order (DESIGN §4, reference §1.7): protected instances never; then by tier — not yet Running (Pending,
// Provisioning), Deallocated, outside the group's zones (leftovers after a zone change), then the rest; within
// a tier, only the zone(s) holding the most instances are candidates, within those the fault domain(s)
// holding the most, and finally the scale-in rule: Default and NewestVM take the highest instanceId,
// OldestVM the lowest. Zone and fault-domain fullness count every instance of the group (both priorities,
// protected ones included), recounted after each removal.
import type { CountedInstance, Occupancy } from './current.ts';
import type { CapacityUnit, DeleteDecision, RemovalRule, ScaleInRule } from './types.ts';

export interface RemovalRequest {
  /** Ascending instanceId (as classifyCurrent returns them). */
  readonly candidates: readonly CountedInstance[];
  /** Units above the target; with VCpu an instance is removed only if the rest still meets the target. */
  readonly excess: number;
  readonly unit: CapacityUnit;
  readonly rule: ScaleInRule;
  readonly zones: ReadonlySet<string>;
  readonly occupancy: Occupancy;
}

export interface RemovalResult {
  readonly deletes: DeleteDecision[];
  /** The removed instances, parallel to `deletes`. */
  readonly victims: CountedInstance[];
  readonly removedUnits: number;
  /** Units still above target because only protected instances are left. */
  readonly blockedByProtection: number;
}

export function isProtected(c: CountedInstance): boolean {
  return c.instance.protectedFromScaleIn || c.instance.protectedFromScaleSetActions;
}

export function chooseVictims(request: RemovalRequest): RemovalResult {
  const deletes: DeleteDecision[] = [];
  const victims: CountedInstance[] = [];
  let excess = request.excess;
  let removedUnits = 0;
  for (const tier of tiersOf(request)) {
    while (excess > 0) {
      const victim = pickVictim(tier.buckets, request, excess);
      if (!victim) break;
      const { instance } = victim.member;
      deletes.push({
        id: instance.id,
        name: instance.name,
        priority: instance.priority,
        rule: tier.rule,
        reason: describe(tier.rule, victim, request.rule),
      });
      victims.push(victim.member);
      request.occupancy.remove(instance.zone, instance.faultDomain, victim.member.vCPUs);
      excess -= victim.member.units;
      removedUnits += victim.member.units;
    }
  }
  const protectedUnits = request.candidates.filter(isProtected).reduce((sum, c) => sum + c.units, 0);
  return {
    deletes,
    victims,
    removedUnits,
    blockedByProtection: excess > 0 ? Math.min(excess, protectedUnits) : 0,
  };
}

interface Tier {
  readonly rule: RemovalRule;
  readonly buckets: Bucket[];
}

interface Bucket {
  readonly zone: string;
  readonly faultDomain: number;
  /** Ascending instanceId. */
  readonly members: CountedInstance[];
}

/** One pass over the candidates: each unprotected one into its tier's zone × fault-domain bucket. */
function tiersOf(request: RemovalRequest): Tier[] {
  const rules: RemovalRule[] = ['NotYetRunning', 'Deallocated', 'OutsideZones', request.rule];
  const byTier = rules.map(() => new Map<string, Bucket[]>());
  const tiers: Tier[] = rules.map((rule) => ({ rule, buckets: [] }));
  for (const candidate of request.candidates) {
    if (isProtected(candidate)) continue;
    const { phase, zone, faultDomain } = candidate.instance;
    const index =
      phase === 'Pending' || phase === 'Provisioning'
        ? 0
        : phase === 'Deallocated'
          ? 1
          : request.zones.has(zone)
            ? 3
            : 2;
    const zones = byTier[index];
    const tier = tiers[index];
    if (!zones || !tier) continue;
    let domains = zones.get(zone);
    if (!domains) {
      domains = [];
      zones.set(zone, domains);
    }
    let bucket = domains[faultDomain];
    if (!bucket) {
      bucket = { zone, faultDomain, members: [] };
      domains[faultDomain] = bucket;
      tier.buckets.push(bucket);
    }
    bucket.members.push(candidate);
  }
  return tiers;
}

interface Victim {
  readonly member: CountedInstance;
  readonly zoneCount: number;
  readonly domainCount: number;
  readonly zone: string;
  readonly faultDomain: number;
}

function pickVictim(buckets: readonly Bucket[], request: RemovalRequest, excess: number): Victim | undefined {
  const fits = (member: CountedInstance) => member.units <= excess;
  const live = buckets.filter((bucket) => bucket.members.some(fits));
  if (live.length === 0) return undefined;
  const zoneCount = Math.max(...live.map((b) => request.occupancy.count(b.zone)));
  const inFullestZones = live.filter((b) => request.occupancy.count(b.zone) === zoneCount);
  const domainCount = Math.max(
    ...inFullestZones.map((b) => request.occupancy.domainCount(b.zone, b.faultDomain)),
  );
  const inFullestDomains = inFullestZones.filter(
    (b) => request.occupancy.domainCount(b.zone, b.faultDomain) === domainCount,
  );
  const oldest = request.rule === 'OldestVM';
  let chosen: { bucket: Bucket; index: number } | undefined;
  for (const bucket of inFullestDomains) {
    const index = oldest ? bucket.members.findIndex(fits) : bucket.members.findLastIndex(fits);
    const member = bucket.members[index];
    if (!member) continue;
    const best = chosen ? chosen.bucket.members[chosen.index] : undefined;
    if (!best || (oldest ? member.instance.id < best.instance.id : member.instance.id > best.instance.id)) {
      chosen = { bucket, index };
    }
  }
  if (!chosen) return undefined;
  const [member] = chosen.bucket.members.splice(chosen.index, 1);
  if (!member) return undefined;
  return { member, zoneCount, domainCount, zone: chosen.bucket.zone, faultDomain: chosen.bucket.faultDomain };
}

function describe(rule: RemovalRule, victim: Victim, scaleInRule: ScaleInRule): string {
  const where =
    `zone ${victim.zone === '' ? '(regional)' : victim.zone} (${victim.zoneCount}, the fullest), ` +
    `fault domain ${victim.faultDomain} (${victim.domainCount}, the fullest)`;
  const which = scaleInRule === 'OldestVM' ? 'lowest instanceId' : 'highest instanceId';
  switch (rule) {
    case 'NotYetRunning':
      return `not yet Running; ${where}; ${which}`;
    case 'Deallocated':
      return `Deallocated; ${where}; ${which}`;
    case 'OutsideZones':
      return `outside the group's zones; ${where}; ${which}`;
    default:
      return `${where}; ${rule}: ${which}`;
  }
}
