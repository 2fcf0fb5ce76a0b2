// Scale-in: which instances go when a priority holds more than its target.
//
// Order (DESIGN §4, reference §1.7): protected instances never; then by tier — not yet Running (Pending,
// Provisioning), Deallocated, outside the group's zones (leftovers after a zone change), then the rest; within
// a tier, only the zone(s) holding the most instances are candidates, within those the fault domain(s)
// holding the most, and finally the scale-in rule: Default and NewestVM take the highest instanceId,
// OldestVM the lowest. Zone and fault-domain fullness count every instance of the group (both priorities,
// protected ones included), recounted after each removal.
//
// Strict zone balance (Azure: a scaling operation that would leave the set unbalanced is blocked) adds one
// guard: a victim may only come from a zone whose removal keeps the group's zones within 1 of each other (or
// no further apart than they already are). When protected VMs pin a zone, scale-in stops short instead of
// emptying the others, and the plan says ZoneBalanceBlocked.
import type { CountedInstance, Occupancy } from './current.ts';
import type { CapacityUnit, CurrentInstance, DeleteDecision, RemovalRule, ScaleInRule } from './types.ts';

export interface RemovalRequest {
  /** Ascending instanceId (as classifyCurrent returns them). */
  readonly candidates: readonly CountedInstance[];
  /** Units above the target; with VCpu an instance is removed only if the rest still meets the target. */
  readonly excess: number;
  readonly unit: CapacityUnit;
  readonly rule: ScaleInRule;
  readonly zones: ReadonlySet<string>;
  readonly occupancy: Occupancy;
  /** The zones strict balance holds within 1 of each other; absent without strict balance. */
  readonly strictZones?: readonly string[] | undefined;
}

export interface RemovalResult {
  readonly deletes: DeleteDecision[];
  /** The removed instances, parallel to `deletes`. */
  readonly victims: CountedInstance[];
  readonly removedUnits: number;
  /** Units still above target because only protected instances are left. */
  readonly blockedByProtection: number;
  /** Units still above target because removing more would break strict zone balance. */
  readonly blockedByBalance: number;
}

export function isProtected(c: CountedInstance): boolean {
  return c.instance.protectedFromScaleIn || c.instance.protectedFromScaleSetActions;
}

export function chooseVictims(request: RemovalRequest): RemovalResult {
  const deletes: DeleteDecision[] = [];
  const victims: CountedInstance[] = [];
  let excess = request.excess;
  let removedUnits = 0;
  const tiers = tiersOf(request);
  // Strict balance can refuse a tier's zone until a later tier has taken from another: go round again.
  for (let progress = true; progress && excess > 0;) {
    progress = false;
    for (const tier of tiers) {
      while (excess > 0) {
        const victim = pickVictim(tier.buckets, request, excess);
        if (!victim) break;
        progress = true;
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
  }
  const taken = new Set(victims);
  const left = request.candidates.filter((c) => !taken.has(c));
  const protectedUnits = left.filter(isProtected).reduce((sum, c) => sum + c.units, 0);
  const removableUnits = left.filter((c) => !isProtected(c)).reduce((sum, c) => sum + c.units, 0);
  const blockedByBalance = excess > 0 ? Math.min(excess, removableUnits) : 0;
  return {
    deletes,
    victims,
    removedUnits,
    blockedByProtection: excess > 0 ? Math.min(excess - blockedByBalance, protectedUnits) : 0,
    blockedByBalance,
  };
}

/**
 * Whether taking one VM out of `zone` keeps strict balance: the zone is above the least-filled one (the
 * spread cannot grow), or every zone holds the same (the spread becomes 1). Zones outside the strict set
 * (leftovers after a zone change) are always free to shrink.
 */
export function keepsBalance(occupancy: Occupancy, strictZones: readonly string[] | undefined, zone: string) {
  if (strictZones === undefined || strictZones.length < 2 || !strictZones.includes(zone)) return true;
  const counts = strictZones.map((z) => occupancy.count(z));
  const least = Math.min(...counts);
  return occupancy.count(zone) > least || Math.max(...counts) === least;
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
  const live = buckets.filter(
    (bucket) =>
      bucket.members.some(fits) && keepsBalance(request.occupancy, request.strictZones, bucket.zone),
  );
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

export interface TrimRequest {
  /** The instances left after the plan's own deletes, ascending instanceId. */
  readonly candidates: readonly CurrentInstance[];
  readonly strictZones: readonly string[];
  /** Instances per zone once the plan is carried out. */
  readonly totals: ReadonlyMap<string, number>;
  readonly rule: ScaleInRule;
}

/**
 * Strict balance after the fact: a scale-out planned balanced whose VMs in one zone then failed to allocate
 * (that zone now blocked) leaves the others ahead. Its VMs there that are not running yet are taken back,
 * fullest zone first, until the zones are within 1 again — Azure blocks such an operation as a whole.
 * Running VMs are never taken: if they alone keep the zones apart, the plan only says so.
 */
export function trimToStrictBalance(request: TrimRequest): DeleteDecision[] {
  const totals = new Map(request.strictZones.map((zone) => [zone, request.totals.get(zone) ?? 0]));
  const pending = request.candidates.filter(
    (c) =>
      !c.protectedFromScaleIn &&
      !c.protectedFromScaleSetActions &&
      (c.phase === 'Pending' || c.phase === 'Provisioning') &&
      totals.has(c.zone),
  );
  // Default and NewestVM take the newest first, OldestVM the oldest, as scale-in would.
  if (request.rule !== 'OldestVM') pending.reverse();
  const deletes: DeleteDecision[] = [];
  for (;;) {
    const least = Math.min(...totals.values());
    const most = Math.max(...totals.values());
    if (most - least <= 1) break;
    // The fullest zone first; if none of its VMs can go, any zone still more than 1 ahead.
    const ahead = (c: CurrentInstance, level: number) => (totals.get(c.zone) ?? 0) >= level;
    let index = pending.findIndex((c) => ahead(c, most));
    if (index < 0) index = pending.findIndex((c) => ahead(c, least + 2));
    const [victim] = index >= 0 ? pending.splice(index, 1) : [];
    if (!victim) break;
    const held = totals.get(victim.zone) ?? 0;
    deletes.push({
      id: victim.id,
      name: victim.name,
      priority: victim.priority,
      rule: 'ZoneBalance',
      reason: `not yet Running; zone ${victim.zone} (${held}) is more than 1 above the least-filled zone (${least}) and strict balance cannot raise that one`,
    });
    totals.set(victim.zone, held - 1);
  }
  return deletes;
}
