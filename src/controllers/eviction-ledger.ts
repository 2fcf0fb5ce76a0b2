// Spot capacity a ComputeFleet without `maintain` lost to evictions that deleted its VMs. Azure does not
// replace those VMs, so the fleet's effective Spot target shrinks by them; the count is kept in the fleet's
// status (`spot.lostToEviction`). The Region controller learns of evictions and the fleet controller writes
// status, so the count travels between them here until a status write carries it. The cache may still
// show an older status right after that write, so the last written total is remembered until it shows up.
// A crash between an eviction and the next fleet status write loses that eviction's count (documented).
//
// An eviction counts only once the Instance cache no longer shows its VM live. The Region controller
// records it before the delete reaches the cache; counting it then would subtract the VM from the target
// while the plan still sees it running, and the plan would scale in one healthy VM too many.

interface Entry {
  /** Evicted instances (`namespace/name`) whose count no status write has carried yet. */
  pending: Set<string>;
  /** The ones the last computed status counted (one reconcile per key at a time). */
  carried: Set<string>;
  written: number | undefined;
}

export class EvictionLedger {
  private readonly entries = new Map<string, Entry>();
  private readonly stillLive: (instanceKey: string) => boolean;

  /** `stillLive`: whether the Instance cache shows this VM live (present, not being deleted). */
  constructor(stillLive: (instanceKey: string) => boolean = () => false) {
    this.stillLive = stillLive;
  }

  record(ownerKey: string, instanceKey: string): void {
    const entry = this.entries.get(ownerKey) ?? {
      pending: new Set(),
      carried: new Set(),
      written: undefined,
    };
    entry.pending.add(instanceKey);
    this.entries.set(ownerKey, entry);
  }

  /**
   * The total for this reconcile's plan and status, given what the cached status says. Remembers which
   * recorded evictions it carries, for `written`.
   */
  total(ownerKey: string, cached: number): number {
    const entry = this.entries.get(ownerKey);
    if (entry === undefined) return cached;
    if (entry.written !== undefined && cached >= entry.written) entry.written = undefined;
    if (entry.pending.size === 0 && entry.written === undefined) {
      this.entries.delete(ownerKey);
      return cached;
    }
    entry.carried = new Set(this.counted(entry));
    return base(entry, cached) + entry.carried.size;
  }

  /** After a status write that carried `total` (as computed by the last `total` call for this key). */
  written(ownerKey: string, total: number): void {
    const entry = this.entries.get(ownerKey);
    if (entry === undefined) return;
    // Evictions recorded (or not yet gone from the cache) while the write was in flight stay pending.
    for (const key of entry.carried) entry.pending.delete(key);
    entry.carried = new Set();
    entry.written = total;
  }

  private counted(entry: Entry): string[] {
    return [...entry.pending].filter((key) => !this.stillLive(key));
  }
}

/** What the cached status says, or the total written last while the cache does not show it yet. */
function base(entry: Entry, cached: number): number {
  return entry.written !== undefined && cached < entry.written ? entry.written : cached;
}
