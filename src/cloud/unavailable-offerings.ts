// The unavailable-offerings cache (reference/azure-domain.md §4.5): pools that recently failed an
// allocation are skipped until a time that depends on the Azure error code. One cache per region; the
// operator keeps it in memory (after a restart, the next failure fills it again). Its content is shown in
// group status, exported as a metric, and handed to the engine as its "unavailable set".
//
// Key: (size, zone, priority). Zone "" is the whole region: it blocks the size at that priority in every
// zone and for regional VMs, while a zonal entry blocks only its zone.
//
// Scope and TTL by code (§4.1, §4.2):
//   AllocationFailed                 size × attempted zone (or region) × both priorities      1 h
//   ZonalAllocationFailed            size × zone × both priorities                            1 h
//   OverconstrainedAllocationRequest size × priority, every zone                              1 h
//   SkuNotAvailable                  size × priority, every zone                 Spot 1 h, Regular 23 h
//   OperationNotAllowed (quota)      regionalVCPUs → every size, both priorities             10 min
//                                    spotVCPUs ("LowPriorityCores") → every size, Spot       10 min
//                                    family/<f> → every size of family f, Regular            10 min
//                                    (a limit of 0 will not change soon: 1 h)
//   SpotPriceGreaterThanProvidedMaxPrice  not cached (it is about one VM's max price, not the pool)
// Quota blocks are short because quotas are the user's to raise (kubectl edit region) and no other size
// helps once the regional quota is reached. Azure's capacity errors do not say which priority ran out, so
// ZonalAllocationFailed blocks both.
//
// The TTL stands for "we cannot see when capacity comes back", which holds for Azure. The simulated cloud's
// Region does say it: when its spec raises a pool's capacity, brings a zone back or raises a quota, the
// blocks that change explains are lifted at once (liftRaised), so given-back capacity is used without
// waiting out the hour. Other blocks keep their TTL.
import type { AzureErrorCode, Priority, RegionSpec, UnavailableOffering } from '../api/index.ts';
import type { FailedOffering } from './errors.ts';
import type { Placement } from './ledger.ts';
import { compareText } from './order.ts';
import { familyOfQuota, REGIONAL_QUOTA, SPOT_QUOTA, familyQuotaName } from './quota.ts';
import type { DeepReadonly } from './readonly.ts';
import { poolKey } from './tally.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const UNAVAILABLE_TTL_MS = {
  capacity: HOUR,
  skuNotAvailableSpot: HOUR,
  skuNotAvailableRegular: 23 * HOUR,
  quota: 10 * MINUTE,
  quotaZeroLimit: HOUR,
} as const;

const BOTH: readonly Priority[] = ['Regular', 'Spot'];

export interface BlockScope {
  offerings: Placement[];
  ttlMs: number;
}

/** What a failure blocks, and for how long. Sizes are taken from the Region for quota scopes. */
export function blockScope(failure: FailedOffering, spec: DeepReadonly<RegionSpec>): BlockScope {
  const { vmSize, zone, priority } = failure;
  switch (failure.code) {
    case 'AllocationFailed':
    case 'ZonalAllocationFailed':
      return {
        offerings: BOTH.map((p) => ({ vmSize, zone, priority: p })),
        ttlMs: UNAVAILABLE_TTL_MS.capacity,
      };
    case 'OverconstrainedAllocationRequest':
      return { offerings: [{ vmSize, zone: '', priority }], ttlMs: UNAVAILABLE_TTL_MS.capacity };
    case 'SkuNotAvailable':
      return {
        offerings: [{ vmSize, zone: '', priority }],
        ttlMs:
          priority === 'Spot'
            ? UNAVAILABLE_TTL_MS.skuNotAvailableSpot
            : UNAVAILABLE_TTL_MS.skuNotAvailableRegular,
      };
    case 'OperationNotAllowed':
      return quotaScope(failure, spec);
    case 'SpotPriceGreaterThanProvidedMaxPrice':
      return { offerings: [], ttlMs: 0 };
  }
}

function quotaScope(failure: FailedOffering, spec: DeepReadonly<RegionSpec>): BlockScope {
  const name =
    failure.quota?.name ??
    (failure.priority === 'Spot'
      ? SPOT_QUOTA
      : familyQuotaName(spec.vmSizes.find((s) => s.name === failure.vmSize)?.family ?? failure.vmSize));
  const ttlMs = failure.quota?.limit === 0 ? UNAVAILABLE_TTL_MS.quotaZeroLimit : UNAVAILABLE_TTL_MS.quota;
  const everywhere = (vmSize: string, priority: Priority): Placement => ({ vmSize, zone: '', priority });
  if (name === SPOT_QUOTA) {
    const sizes = spec.vmSizes.filter((s) => s.spotCapable && !s.burstable).map((s) => s.name);
    return { offerings: sizes.map((s) => everywhere(s, 'Spot')), ttlMs };
  }
  if (name === REGIONAL_QUOTA) {
    return { offerings: spec.vmSizes.flatMap((s) => BOTH.map((p) => everywhere(s.name, p))), ttlMs };
  }
  const family = familyOfQuota(name);
  const sizes = spec.vmSizes.filter((s) => s.family === family).map((s) => s.name);
  // A size the Region does not list still gets blocked itself.
  const scoped = sizes.length > 0 ? sizes : [failure.vmSize];
  return { offerings: scoped.map((s) => everywhere(s, 'Regular')), ttlMs };
}

interface Entry {
  offering: Placement;
  code: AzureErrorCode;
  untilMs: number;
}

export class UnavailableOfferingsCache {
  private readonly entries = new Map<string, Entry>();

  /**
   * Blocks what the failure's code says (see the table above) until now + TTL. An entry that already
   * runs longer is kept. Returns the entries as they stand after recording (empty when nothing is cached).
   */
  record(failure: FailedOffering, spec: DeepReadonly<RegionSpec>, now: Date): UnavailableOffering[] {
    const code = failure.code;
    if (code === 'SpotPriceGreaterThanProvidedMaxPrice') return [];
    const { offerings, ttlMs } = blockScope(failure, spec);
    const untilMs = now.getTime() + ttlMs;
    return offerings.map((offering) => {
      const key = poolKey(offering.vmSize, offering.zone, offering.priority);
      const existing = this.entries.get(key);
      const entry = existing && existing.untilMs >= untilMs ? existing : { offering, code, untilMs };
      this.entries.set(key, entry);
      return toOffering(entry);
    });
  }

  /** The entry blocking this pool at `now` (its own, or its size's region-wide one), if any. */
  isBlocked(vmSize: string, zone: string, priority: Priority, now: Date): UnavailableOffering | undefined {
    const nowMs = now.getTime();
    const candidates = [this.entries.get(poolKey(vmSize, zone, priority))];
    if (zone !== '') candidates.push(this.entries.get(poolKey(vmSize, '', priority)));
    const live = candidates.filter((e): e is Entry => e !== undefined && e.untilMs > nowMs);
    // The longer block is the one that matters to a caller deciding when to retry.
    live.sort((a, b) => b.untilMs - a.untilMs);
    return live[0] ? toOffering(live[0]) : undefined;
  }

  /** Entries still in force, sorted by size, zone, priority: stable for status and metrics. */
  list(now: Date): UnavailableOffering[] {
    this.prune(now);
    return [...this.entries.values()]
      .map(toOffering)
      .sort(
        (a, b) =>
          compareText(a.vmSize, b.vmSize) ||
          compareText(a.zone, b.zone) ||
          compareText(a.priority, b.priority),
      );
  }

  /** Drops expired entries; returns how many. */
  prune(now: Date): number {
    const nowMs = now.getTime();
    let dropped = 0;
    for (const [key, entry] of this.entries) {
      if (entry.untilMs <= nowMs) {
        this.entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /**
   * Lifts the entries that a Region spec change from `previous` to `current` makes out of date: a capacity
   * block (any code but OperationNotAllowed) when its priority's capacity rose for its size in its zone (any
   * zone for a region-wide entry) or that zone came back; a quota block when any quota limit rose or went.
   * Returns how many entries were lifted.
   */
  liftRaised(previous: DeepReadonly<RegionSpec>, current: DeepReadonly<RegionSpec>): number {
    const quotaRaised = quotasRaised(previous.quotas, current.quotas);
    let lifted = 0;
    for (const [key, entry] of this.entries) {
      const { vmSize, zone, priority } = entry.offering;
      const stale =
        entry.code === 'OperationNotAllowed'
          ? quotaRaised
          : poolRaised(previous, current, vmSize, zone, priority);
      if (stale) {
        this.entries.delete(key);
        lifted++;
      }
    }
    return lifted;
  }

  /** Forgets everything (e.g. when the Region is deleted). */
  clear(): void {
    this.entries.clear();
  }

  /** Number of entries, expired ones included until the next prune. */
  get size(): number {
    return this.entries.size;
  }
}

/** A zone of `spec` that takes new VMs (listed and not marked unavailable). */
function zoneOpen(spec: DeepReadonly<RegionSpec>, zone: string): boolean {
  return spec.zones.some((z) => z.name === zone && z.available);
}

function capacityOf(
  spec: DeepReadonly<RegionSpec>,
  vmSize: string,
  zone: string,
  priority: Priority,
): number {
  const cell = spec.vmSizes.find((s) => s.name === vmSize)?.capacity.find((c) => c.zone === zone);
  if (cell === undefined) return 0;
  return priority === 'Spot' ? cell.spot : cell.regular;
}

/** Did this pool (every zone of the size, for zone "") gain capacity, or a zone come back, between specs? */
function poolRaised(
  previous: DeepReadonly<RegionSpec>,
  current: DeepReadonly<RegionSpec>,
  vmSize: string,
  zone: string,
  priority: Priority,
): boolean {
  const zones = zone === '' ? current.zones.map((z) => z.name) : [zone];
  return zones.some(
    (z) =>
      (zoneOpen(current, z) && !zoneOpen(previous, z)) ||
      capacityOf(current, vmSize, z, priority) > capacityOf(previous, vmSize, z, priority),
  );
}

/** A limit that rose or was removed (absent means unlimited). */
function quotasRaised(
  previous: DeepReadonly<RegionSpec['quotas']>,
  current: DeepReadonly<RegionSpec['quotas']>,
): boolean {
  const raised = (before: number | undefined, after: number | undefined): boolean =>
    before !== undefined && (after === undefined || after > before);
  const families = new Set([...Object.keys(previous.families ?? {}), ...Object.keys(current.families ?? {})]);
  return (
    raised(previous.regionalVCPUs, current.regionalVCPUs) ||
    raised(previous.spotVCPUs, current.spotVCPUs) ||
    [...families].some((f) => raised(previous.families?.[f], current.families?.[f]))
  );
}

function toOffering(entry: Entry): UnavailableOffering {
  return { ...entry.offering, code: entry.code, until: new Date(entry.untilMs).toISOString() };
}

/** One cache per region, created on first use. */
export class UnavailableOfferingsByRegion {
  private readonly caches = new Map<string, UnavailableOfferingsCache>();

  forRegion(regionName: string): UnavailableOfferingsCache {
    let cache = this.caches.get(regionName);
    if (!cache) {
      cache = new UnavailableOfferingsCache();
      this.caches.set(regionName, cache);
    }
    return cache;
  }

  deleteRegion(regionName: string): void {
    this.caches.delete(regionName);
  }
}
