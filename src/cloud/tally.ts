// Usage counted from the ledger: VMs holding capacity per pool, and vCPUs per quota.
import type { Priority, RegionSpec, RegionVmSize } from '../api/index.ts';
import type { LedgerEntry, Placement } from './ledger.ts';
import { quotaNamesFor, type QuotaName } from './quota.ts';
import type { DeepReadonly } from './readonly.ts';

export function poolKey(vmSize: string, zone: string, priority: Priority): string {
  return `${vmSize}\u0000${zone}\u0000${priority}`;
}

/** One pool's usage as region-instances.ts counts it (that module's PoolCount fits this). */
export interface PoolCounts {
  readonly placement: Placement;
  readonly capacity: number;
  readonly quota: number;
  readonly requested: number;
}

export class UsageTally {
  private readonly capacityByPool = new Map<string, number>();
  private readonly quotaByName = new Map<QuotaName, number>();

  /**
   * Entries whose size the Region no longer offers still hold their pool's capacity, but add no vCPUs to
   * any quota (their vCPU count is unknown): removing a size from a Region is an operator's edit, not a
   * state a real cloud can reach.
   */
  private readonly sizes: ReadonlyMap<string, DeepReadonly<RegionVmSize>>;

  constructor(spec: DeepReadonly<RegionSpec>, entries: Iterable<LedgerEntry>) {
    this.sizes = new Map(spec.vmSizes.map((s) => [s.name, s]));
    for (const entry of entries) this.add(entry);
  }

  /**
   * Counts one more VM (a batch of allocations adds each accepted one before checking the next); `times`
   * -1 takes one out again.
   */
  add(entry: LedgerEntry, times = 1): void {
    this.addCounts(entry, entry.holdsCapacity ? times : 0, entry.holdsQuota ? times : 0);
  }

  /** Adds VMs of one pool at once: `capacity` of them hold its capacity, `quota` of them hold quota. */
  addCounts(placement: Placement, capacity: number, quota: number): void {
    if (capacity !== 0) this.addCapacity(placement.vmSize, placement.zone, placement.priority, capacity);
    const size = this.sizes.get(placement.vmSize);
    if (quota !== 0 && size) this.addQuota(size, placement.priority, quota);
  }

  /**
   * Adds a region's usage counted per pool (see region-instances.ts). With `requestedHold`, the VMs asked
   * for and not answered yet (Pending) count as holding their pool's capacity and quota too, as a plan must
   * assume. Returns the tally, so it reads as one expression with the constructor.
   */
  addPools(pools: Iterable<PoolCounts>, requestedHold = false): this {
    for (const pool of pools) {
      const requested = requestedHold ? pool.requested : 0;
      this.addCounts(pool.placement, pool.capacity + requested, pool.quota + requested);
    }
    return this;
  }

  /** VMs holding capacity in exactly this pool (zone "" = the regional VMs only). */
  capacityUsed(vmSize: string, zone: string, priority: Priority): number {
    return this.capacityByPool.get(poolKey(vmSize, zone, priority)) ?? 0;
  }

  quotaUsed(name: QuotaName): number {
    return this.quotaByName.get(name) ?? 0;
  }

  /** Every quota name with non-zero usage, sorted. */
  quotaNamesInUse(): QuotaName[] {
    return [...this.quotaByName.entries()]
      .filter(([, used]) => used > 0)
      .map(([name]) => name)
      .sort();
  }

  private addCapacity(vmSize: string, zone: string, priority: Priority, count: number): void {
    const key = poolKey(vmSize, zone, priority);
    this.capacityByPool.set(key, (this.capacityByPool.get(key) ?? 0) + count);
  }

  private addQuota(size: DeepReadonly<RegionVmSize>, priority: Priority, count: number): void {
    for (const name of quotaNamesFor(size, priority)) {
      this.quotaByName.set(name, (this.quotaByName.get(name) ?? 0) + count * size.vCPUs);
    }
  }
}
