// A region's Instances as the simulated cloud reads them: a lookup by key, the full list (evictions walk
// it), and the ledger's usage already counted per pool.
//
// Why counts per pool: every allocation batch and every group plan needs the region's usage. Recounting
// thousands of Instances for each of them made a scale-out quadratic (about 50 ms per batch at 11,000 VMs).
// The operator keeps the counts up to date from its Instance cache's events (`LedgerCounts`), so a check
// costs O(pools); a plain array (tests, the CLI) is counted once when it is wrapped.
import type { Instance } from '../api/index.ts';
import { holdsCapacity, holdsQuota, instanceKey, type Placement } from './ledger.ts';
import type { DeepReadonly } from './readonly.ts';
import { poolKey } from './tally.ts';

/** Usage of one pool (size × zone × priority). */
export interface PoolCount {
  readonly placement: Placement;
  /** VMs holding the pool's capacity (Provisioning, Running). */
  capacity: number;
  /** VMs holding vCPU quota (Provisioning, Running, Deallocated). */
  quota: number;
  /** VMs asked for and not answered yet (Pending, not being deleted). */
  requested: number;
}

export interface RegionInstances {
  /** The Instance under `namespace/name`, as the caller's cache shows it. */
  get(key: string): DeepReadonly<Instance> | undefined;
  list(): readonly DeepReadonly<Instance>[];
  /** How many Instances the region has (every phase), without building the list. */
  size(): number;
  /** Pools with any VM counted; a pool with all counts 0 may or may not appear. */
  counts(): Iterable<PoolCount>;
}

/** What callers hand the provider: their cache's live view, or a plain list. */
export type RegionInstancesSource = readonly DeepReadonly<Instance>[] | RegionInstances;

/** Pending and not being deleted: about to take its pool's capacity and quota. */
export function isRequested(instance: DeepReadonly<Instance>): boolean {
  return (
    (instance.status?.phase ?? 'Pending') === 'Pending' && instance.metadata.deletionTimestamp === undefined
  );
}

/** What one Instance counts for in its pool. */
interface Contribution {
  pool: PoolCount;
  capacity: number;
  quota: number;
  requested: number;
}

function poolIn(pools: Map<string, PoolCount>, placement: Placement): PoolCount {
  const key = poolKey(placement.vmSize, placement.zone, placement.priority);
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = { placement, capacity: 0, quota: 0, requested: 0 };
    pools.set(key, pool);
  }
  return pool;
}

/** Counts one Instance into its pool and returns what it added (undefined when it counts for nothing). */
function count(pools: Map<string, PoolCount>, instance: DeepReadonly<Instance>): Contribution | undefined {
  const phase = instance.status?.phase;
  const capacity = holdsCapacity(phase) ? 1 : 0;
  const quota = holdsQuota(phase) ? 1 : 0;
  const requested = isRequested(instance) ? 1 : 0;
  if (capacity === 0 && quota === 0 && requested === 0) return undefined;
  const { vmSize, zone, priority } = instance.spec;
  const pool = poolIn(pools, { vmSize, zone, priority });
  pool.capacity += capacity;
  pool.quota += quota;
  pool.requested += requested;
  return { pool, capacity, quota, requested };
}

function uncount(contribution: Contribution): void {
  contribution.pool.capacity -= contribution.capacity;
  contribution.pool.quota -= contribution.quota;
  contribution.pool.requested -= contribution.requested;
}

/** Wraps a plain list (counted once, O(N)). A live view is returned as it is. */
export function regionInstances(source: RegionInstancesSource): RegionInstances {
  if (!Array.isArray(source)) return source as RegionInstances;
  const list = source as readonly DeepReadonly<Instance>[];
  const byKey = new Map(list.map((i) => [instanceKey(i), i]));
  const pools = new Map<string, PoolCount>();
  for (const instance of list) count(pools, instance);
  return {
    get: (key) => byKey.get(key),
    list: () => list,
    size: () => list.length,
    counts: () => pools.values(),
  };
}

/** Where the live view reads the Instances themselves: the operator's cache. */
export interface InstanceLookup {
  get(key: string): DeepReadonly<Instance> | undefined;
  /** The Instances of one region. */
  inRegion(region: string): readonly DeepReadonly<Instance>[];
  /** How many they are, when the cache can say without building the list (an index's size). */
  countInRegion?(region: string): number;
}

/**
 * Pool counts of every region, kept in step with an Instance cache: call `set` for every added or updated
 * Instance and `delete` for every deleted one, from the cache's event handlers (they run right after the
 * cache changed, so counts and cache agree at every await point). What each Instance added is remembered
 * by key, so a delete takes out exactly that, whatever state the delete event carries.
 */
export class LedgerCounts {
  private readonly byRegion = new Map<string, Map<string, PoolCount>>();
  private readonly contributions = new Map<string, Contribution>();
  private readonly lookup: InstanceLookup;

  constructor(lookup: InstanceLookup) {
    this.lookup = lookup;
  }

  set(instance: DeepReadonly<Instance>): void {
    const key = instanceKey(instance);
    this.delete(key);
    const contribution = count(this.poolsOf(instance.spec.region), instance);
    if (contribution !== undefined) this.contributions.set(key, contribution);
  }

  delete(key: string): void {
    const contribution = this.contributions.get(key);
    if (contribution === undefined) return;
    uncount(contribution);
    this.contributions.delete(key);
  }

  /** The live view of one region. */
  region(name: string): RegionInstances {
    return {
      get: (key) => this.lookup.get(key),
      list: () => this.lookup.inRegion(name),
      size: () => this.lookup.countInRegion?.(name) ?? this.lookup.inRegion(name).length,
      counts: () => this.poolsOf(name).values(),
    };
  }

  private poolsOf(region: string): Map<string, PoolCount> {
    let pools = this.byRegion.get(region);
    if (pools === undefined) {
      pools = new Map();
      this.byRegion.set(region, pools);
    }
    return pools;
  }
}
