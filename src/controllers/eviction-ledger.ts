// Spot capacity a ComputeFleet without `maintain` lost to evictions that deleted its VMs. Azure does not
// replace those VMs, so the fleet's effective Spot target shrinks by them; the count is kept in the fleet's
// status (`spot.lostToEviction`). The Region controller learns of evictions and the fleet controller writes
// status, so the count travels between them here until a status write carries it. The cache may still
// show an older status right after that write, so the last written total is remembered until it shows up.
// A crash between an eviction and the next fleet status write loses that eviction's count (documented).

interface Entry {
  pending: number;
  /** The part of `pending` the last computed status carried (one reconcile per key at a time). */
  carried: number;
  written: number | undefined;
}

export class EvictionLedger {
  private readonly entries = new Map<string, Entry>();

  record(ownerKey: string, units: number): void {
    const entry = this.entries.get(ownerKey) ?? { pending: 0, carried: 0, written: undefined };
    entry.pending += units;
    this.entries.set(ownerKey, entry);
  }

  /**
   * The total for the status being computed now, given what the cached status says. Remembers how many
   * recorded evictions it carries, for `written`.
   */
  total(ownerKey: string, cached: number): number {
    const entry = this.entries.get(ownerKey);
    if (entry === undefined) return cached;
    if (entry.written !== undefined && cached >= entry.written) entry.written = undefined;
    if (entry.pending === 0 && entry.written === undefined) {
      this.entries.delete(ownerKey);
      return cached;
    }
    entry.carried = entry.pending;
    return this.peek(ownerKey, cached);
  }

  /** The total `total` would give, taking no note of it: for the plan, computed before the status. */
  peek(ownerKey: string, cached: number): number {
    const entry = this.entries.get(ownerKey);
    if (entry === undefined) return cached;
    // A total written but not in the cache yet stands until the cache shows it.
    const base = entry.written !== undefined && cached < entry.written ? entry.written : cached;
    return base + entry.pending;
  }

  /** After a status write that carried `total` (as computed by the last `total` call for this key). */
  written(ownerKey: string, total: number): void {
    const entry = this.entries.get(ownerKey);
    if (entry === undefined) return;
    // Evictions recorded while the write was in flight were not in it: they stay pending.
    entry.pending -= entry.carried;
    entry.carried = 0;
    entry.written = total;
  }
}
