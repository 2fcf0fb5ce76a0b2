// Exact placement for VCpu fleets over Balanced zones, by decomposition instead of branch and bound.
//
// Why. With VCpu every pool contributes its size's vCPUs to its zone, so each zone's total is a bounded
// subset sum of several sizes: the LP relaxation cannot see which totals are reachable, and branch and bound
// spent its whole budget proving that zone totals of 29/29/28 vCPUs cannot be made from 8- and 16-vCPU VMs
// (issue #14: empty plans, false shortfall reasons, overshoot, up to 2× the cost). Here the same lexicographic
// model as placement.ts is solved in three exact steps:
//   1. Per block (zone × priority), a dynamic program over the block's vCPU total t gives every reachable
//      total and, for each, the cheapest way to make it under the levels that are sums over pools (size rule,
//      price, names) — vectors compared lexicographically.
//   2. Per priority, the reachable totals over all zones (a bitset sum of the blocks') give what the first
//      levels want: as much of each target as possible within the quotas, then the tightest cover.
//   3. With those totals fixed, the zone levels (leximin of the zone totals, then of each priority's) depend
//      only on the blocks' totals, and fix the sorted vector of zone totals; so the zone vectors are walked in
//      leximin order and the first reachable one wins, with every permutation of it compared on cost.
// The levels and their order are placement.ts's, so the result is that model's lexicographic optimum (the
// optimality test checks it against HiGHS). It applies with 2–3 zones. The instance limit and family quotas
// over only some sizes cut across blocks and are left out: the caller keeps the answer when it satisfies
// them (then it is also their optimum) and otherwise, or past the probe budget, falls back to branch and
// bound.
import type { PoolColumn, PlacementRequest, PlacementResult, SizeLevel } from './placement.ts';
import type { Priority } from './types.ts';

type Bound = Omit<PoolColumn, 'column'>;

/**
 * Table cells (targets × pools × additive levels) past which branch and bound decides instead: 2.5 times the
 * 40,000-vCPU bench fleet (2.9e7 cells, 0.25–0.45 s), so about 1 s at most.
 */
const MAX_TABLE_CELLS = 72_000_000;

/** Totals up to which a zone vector's split is checked exactly before the walk (see below). */
const EXACT_SPLIT_CHECK_MAX = 4096;

/** Candidate zone vectors the walk may test before it gives up (a few ms of work). */
const PROBE_BUDGET = 2_000_000;

interface Block {
  readonly zone: string;
  readonly priority: Priority;
  readonly pools: readonly Bound[];
  readonly cap: number;
  /** (cap + 1) × K: the cheapest cost vector of each total, Infinity when unreachable. */
  readonly cost: Float64Array;
  /** Per pool, per total: VMs of that pool in the cheapest way to reach the total. */
  readonly choices: readonly Int32Array[];
}

export interface DecompositionInput {
  readonly request: PlacementRequest;
  readonly bounds: readonly Bound[];
  /** Per need (in order), its size levels over its own pools. */
  readonly sizeLevels: readonly (readonly SizeLevel[])[];
}

export function placeVCpuBalanced(input: DecompositionInput): PlacementResult | undefined {
  const { request, bounds } = input;
  const zones = request.zones;
  if (zones.length < 2 || zones.length > 3) return undefined;
  const { vectors: vectorOf, width: K } = costVectors(input);
  // The tables grow with the targets: past MAX_TABLE_CELLS branch and bound, within its work limit, decides.
  let cells = 0;
  for (const need of request.needs) {
    const own = bounds.filter((b) => b.pool.priority === need.priority);
    cells += (need.units + 16) * own.length * K;
  }
  if (cells > MAX_TABLE_CELLS) return undefined;
  const blocks = new Map<string, Block>();
  const totals = new Map<Priority, number>();
  let regionalLeft = request.relax.quota ? undefined : request.quota.regionalVCpus;
  for (const need of request.needs) {
    const own = bounds.filter((b) => b.pool.priority === need.priority);
    const cap = own.length === 0 ? 0 : need.units + Math.max(...own.map((b) => b.measure)) - 1;
    for (const zone of zones) {
      const block = blockTable(
        zone,
        need.priority,
        own.filter((b) => b.pool.zone === zone),
        K,
        cap,
        vectorOf,
      );
      blocks.set(key(zone, need.priority), block);
    }
    // The totals all zones together can make: the same subset sums over all the priority's pools.
    const sums = reachableSums(own, cap);
    let limit = cap;
    if (regionalLeft !== undefined) limit = Math.min(limit, Math.max(0, regionalLeft));
    const spotQuota = request.relax.quota ? undefined : request.quota.spotVCpus;
    if (need.priority === 'Spot' && spotQuota !== undefined) limit = Math.min(limit, Math.max(0, spotQuota));
    if (need.priority === 'Regular') limit = Math.min(limit, familyBound(request, own));
    let most = 0;
    for (let t = limit; t >= 0; t--) {
      if (has(sums, t)) {
        most = t;
        break;
      }
    }
    const covered = Math.min(need.units, most);
    let total = covered;
    while (!has(sums, total)) total++; // the tightest cover: the smallest reachable total ≥ covered
    totals.set(need.priority, total);
    if (regionalLeft !== undefined) regionalLeft -= total;
  }

  const current = zones.map((zone) => request.zoneCurrent.get(zone) ?? 0);
  const currentOf = (priority: Priority) =>
    zones.map((zone) => request.zoneCurrentByPriority.get(priority)?.get(zone) ?? 0);
  let grandTotal = current.reduce((a, b) => a + b, 0);
  for (const total of totals.values()) grandTotal += total;
  const [first, second] = request.needs;
  if (!first) return undefined;
  const reachable = (zone: number, priority: Priority, t: number): boolean => {
    const block = blocks.get(key(zones[zone] ?? '', priority));
    return block !== undefined && t >= 0 && t <= block.cap && block.cost[t * K] !== Infinity;
  };

  const probes = { left: PROBE_BUDGET };
  const most = (zone: number, priority: Priority): number => {
    const block = blocks.get(key(zones[zone] ?? '', priority));
    if (!block) return 0;
    for (let t = block.cap; t > 0; t--) if (block.cost[t * K] !== Infinity) return t;
    return 0;
  };
  const range = (base: readonly number[], priorities: readonly Priority[]): Range => {
    const hi = base.map((b, z) => b + priorities.reduce((sum, p) => sum + most(z, p), 0));
    return { aMax: Math.min(...hi), cMin: Math.max(...base), cMax: Math.max(...hi) };
  };
  const overallRange = range(
    current,
    request.needs.map((n) => n.priority),
  );
  // Two priorities: the totals a zone can add with both together, to skip impossible overall vectors fast.
  const pairSums = second
    ? zones.map((zone) => {
        const a = blocks.get(key(zone, first.priority));
        const b = blocks.get(key(zone, second.priority));
        return reachableSums([...(a?.pools ?? []), ...(b?.pools ?? [])], (a?.cap ?? 0) + (b?.cap ?? 0));
      })
    : undefined;
  interface Choice {
    readonly split: readonly (readonly number[])[]; // per need, per zone: the block total
  }
  let winners: Choice[] = [];
  // Overall zone totals, in leximin order; the first with any feasible split wins.
  for (const overall of sortedVectors(grandTotal, zones.length, overallRange, probes)) {
    for (const zoneTotals of permutations(overall)) {
      const room = zoneTotals.map((n, z) => n - (current[z] ?? 0));
      if (room.some((r) => r < 0)) continue;
      if (pairSums && room.some((r, z) => !has(pairSums[z] ?? new Uint32Array(1), r))) continue;
      if (!second) {
        if (room.every((t, z) => reachable(z, first.priority, t))) winners.push({ split: [room] });
        continue;
      }
      // Two priorities: is there any split of these zone totals at all (one bitset sum)? Then the first
      // priority's zone totals in leximin order; the second's follow.
      const firstCap = blocks.get(key(zones[0] ?? '', first.priority))?.cap ?? 0;
      // Only for small totals: on large ones the bitset sum costs more than the walk it saves.
      const firstSets = (firstCap <= EXACT_SPLIT_CHECK_MAX ? room : []).map((r, z) => {
        const cap = blocks.get(key(zones[z] ?? '', first.priority))?.cap ?? 0;
        const bits = new Uint32Array((cap >>> 5) + 1);
        for (let t = 0; t <= Math.min(cap, r); t++) {
          if (reachable(z, first.priority, t) && reachable(z, second.priority, r - t)) {
            bits[t >>> 5] = (bits[t >>> 5] ?? 0) | (1 << (t & 31));
          }
        }
        return bits;
      });
      if (
        firstCap <= EXACT_SPLIT_CHECK_MAX &&
        !has(minkowski(firstSets, firstCap), totals.get(first.priority) ?? 0)
      ) {
        continue;
      }
      const own = currentOf(first.priority);
      const firstTotal = own.reduce((a, b) => a + b, 0) + (totals.get(first.priority) ?? 0);
      const firstRange = range(own, [first.priority]);
      for (const mine of sortedVectors(firstTotal, zones.length, firstRange, probes)) {
        const found: Choice[] = [];
        for (const perm of permutations(mine)) {
          const a = perm.map((n, z) => n - (own[z] ?? 0));
          const b = room.map((r, z) => r - (a[z] ?? 0));
          if (
            a.every((t, z) => reachable(z, first.priority, t)) &&
            b.every((t, z) => reachable(z, second.priority, t))
          ) {
            found.push({ split: [a, b] });
          }
        }
        if (found.length > 0) {
          winners.push(...found);
          break;
        }
        if (probes.left <= 0) return undefined;
      }
    }
    if (winners.length > 0) break;
    if (probes.left <= 0) return undefined;
  }
  if (probes.left <= 0) return undefined;
  if (winners.length === 0) return undefined;

  if (second) {
    // Of the overall permutations, keep those whose first priority is best spread, then the second's.
    const own = [currentOf(first.priority), currentOf(second.priority)];
    for (const index of [0, 1]) {
      const sortedOf = (c: Choice) =>
        (c.split[index] ?? []).map((t, z) => t + (own[index]?.[z] ?? 0)).sort((x, y) => x - y);
      let best: number[] | undefined;
      for (const c of winners) {
        const s = sortedOf(c);
        if (!best || compareVectors(s, best) > 0) best = s;
      }
      winners = winners.filter((c) => best !== undefined && compareVectors(sortedOf(c), best) === 0);
    }
  }

  // The cheapest of the remaining splits under the additive levels.
  let chosen: Choice | undefined;
  let chosenCost: number[] | undefined;
  for (const c of winners) {
    const sum = new Array<number>(K).fill(0);
    request.needs.forEach((need, i) => {
      zones.forEach((zone, z) => {
        const block = blocks.get(key(zone, need.priority));
        const t = c.split[i]?.[z] ?? 0;
        for (let k = 0; k < K; k++) sum[k] = (sum[k] ?? 0) + (block?.cost[t * K + k] ?? 0);
      });
    });
    if (!chosenCost || compareVectors(sum, chosenCost) < 0) {
      chosen = c;
      chosenCost = sum;
    }
  }
  if (!chosen) return undefined;

  const counts = request.pools.map(() => 0);
  const placed = new Map<Priority, number>(request.needs.map((need) => [need.priority, 0]));
  let costMicros = 0;
  request.needs.forEach((need, i) => {
    zones.forEach((zone, z) => {
      const block = blocks.get(key(zone, need.priority));
      if (!block) return;
      let t = chosen.split[i]?.[z] ?? 0;
      for (let p = block.pools.length - 1; p >= 0; p--) {
        const pool = block.pools[p];
        const n = block.choices[p]?.[t] ?? 0;
        if (!pool || n === 0) continue;
        counts[pool.poolIndex] = n;
        placed.set(need.priority, (placed.get(need.priority) ?? 0) + n * pool.measure);
        costMicros += n * pool.pool.priceMicros;
        t -= n * pool.measure;
      }
    });
  });
  return { feasible: true, counts, placed, costMicros, proven: true };
}

/**
 * The Regular total's bound from family quotas that cover every Regular pool (the caller sends any other
 * binding family quota to branch and bound).
 */
function familyBound(request: PlacementRequest, regular: readonly Bound[]): number {
  const families = request.relax.quota ? undefined : request.quota.familyVCpus;
  let bound = Number.POSITIVE_INFINITY;
  if (!families || regular.length === 0) return bound;
  for (const [family, headroom] of Object.entries(families)) {
    if (regular.every((b) => b.pool.size.family === family)) bound = Math.min(bound, Math.max(0, headroom));
  }
  return bound;
}

function key(zone: string, priority: Priority): string {
  return `${priority}\u0000${zone}`;
}

/**
 * Each pool's cost vector, one entry per additive level in the model's order: every need's size levels, then
 * the price (micro-dollars) and the name order.
 */
function costVectors(input: DecompositionInput): { vectors: Map<number, number[]>; width: number } {
  const width = input.sizeLevels.reduce((sum, levels) => sum + levels.length, 0) + 2;
  const vectors = new Map<number, number[]>();
  for (const bound of input.bounds) vectors.set(bound.poolIndex, new Array<number>(width).fill(0));
  let offset = 0;
  input.request.needs.forEach((need, i) => {
    const levels = input.sizeLevels[i] ?? [];
    for (const bound of input.bounds) {
      if (bound.pool.priority !== need.priority) continue;
      const vector = vectors.get(bound.poolIndex);
      levels.forEach((level, l) => {
        if (vector) vector[offset + l] = level.weight(bound);
      });
    }
    offset += levels.length;
  });
  for (const bound of input.bounds) {
    const vector = vectors.get(bound.poolIndex);
    if (!vector) continue;
    vector[offset] = bound.pool.priceMicros;
    vector[offset + 1] = (bound.poolIndex + 1) * bound.measure;
  }
  return { vectors, width };
}

/**
 * Bounded knapsack to exact totals 0…cap with lexicographic cost vectors: per pool, per residue of the
 * pool's vCPUs, a monotone queue over how many of the pool to take (O(cap) per pool).
 */
function blockTable(
  zone: string,
  priority: Priority,
  pools: readonly Bound[],
  K: number,
  cap: number,
  vectorOf: ReadonlyMap<number, readonly number[]>,
): Block {
  let cost = new Float64Array((cap + 1) * K).fill(Infinity);
  cost.fill(0, 0, K);
  const choices: Int32Array[] = [];
  const keyAt = new Float64Array(K);
  const other = new Float64Array(K);
  for (const pool of pools) {
    const m = pool.measure;
    const u = pool.upper;
    const c = vectorOf.get(pool.poolIndex) ?? [];
    const next = new Float64Array((cap + 1) * K).fill(Infinity);
    const choice = new Int32Array(cap + 1);
    const compareKeys = (i: number, j: number, ri: number): number => {
      // key(i) = cost[r + i·m] − i·c, compared lexicographically with key(j)
      for (let k = 0; k < K; k++) {
        keyAt[k] = (cost[(ri + i * m) * K + k] ?? 0) - i * (c[k] ?? 0);
        other[k] = (cost[(ri + j * m) * K + k] ?? 0) - j * (c[k] ?? 0);
        if (keyAt[k] !== other[k]) return (keyAt[k] ?? 0) - (other[k] ?? 0);
      }
      return 0;
    };
    for (let r = 0; r < m && r <= cap; r++) {
      const queue: number[] = [];
      let head = 0;
      for (let j = 0, s = r; s <= cap; j++, s += m) {
        if (cost[s * K] !== Infinity) {
          while (queue.length > head && compareKeys(queue[queue.length - 1] ?? 0, j, r) >= 0) queue.pop();
          queue.push(j);
        }
        while (queue.length > head && (queue[head] ?? 0) < j - u) head++;
        if (queue.length === head) continue;
        const i = queue[head] ?? 0;
        const from = (r + i * m) * K;
        for (let k = 0; k < K; k++) next[s * K + k] = (cost[from + k] ?? 0) + (j - i) * (c[k] ?? 0);
        choice[s] = j - i;
      }
    }
    cost = next;
    choices.push(choice);
  }
  return { zone, priority, pools, cap, cost, choices };
}

/** Totals 0…cap reachable from the pools (each at most its upper bound of VMs), as a bitset; O(cap) per pool. */
function reachableSums(pools: readonly Bound[], cap: number): Uint32Array {
  const reach = new Uint8Array(cap + 1);
  const used = new Int32Array(cap + 1);
  reach[0] = 1;
  for (const pool of pools) {
    const m = pool.measure;
    for (let s = 0; s <= cap; s++) {
      if (reach[s]) used[s] = 0;
      else if (s >= m && reach[s - m] && (used[s - m] ?? 0) < pool.upper) {
        reach[s] = 1;
        used[s] = (used[s - m] ?? 0) + 1;
      }
    }
  }
  const bits = new Uint32Array((cap >>> 5) + 1);
  for (let t = 0; t <= cap; t++) if (reach[t]) bits[t >>> 5] = (bits[t >>> 5] ?? 0) | (1 << (t & 31));
  return bits;
}

function has(bits: Uint32Array, t: number): boolean {
  return t >= 0 && t >>> 5 < bits.length && ((bits[t >>> 5] ?? 0) & (1 << (t & 31))) !== 0;
}

/** The totals reachable as a sum of one reachable total per block, up to cap (bitset shift-or). */
function minkowski(sets: readonly Uint32Array[], cap: number): Uint32Array {
  const words = (cap >>> 5) + 1;
  let acc = new Uint32Array(words);
  acc[0] = 1;
  for (const set of sets) {
    const next = new Uint32Array(words);
    for (let a = 0; a <= cap; a++) {
      if (!has(set, a)) continue;
      const wordShift = a >>> 5;
      const bitShift = a & 31;
      for (let w = words - 1; w >= wordShift; w--) {
        const low = acc[w - wordShift] ?? 0;
        const carry =
          bitShift === 0 || w - wordShift - 1 < 0 ? 0 : (acc[w - wordShift - 1] ?? 0) >>> (32 - bitShift);
        next[w] = (next[w] ?? 0) | ((low << bitShift) | carry);
      }
    }
    acc = next;
  }
  const extra = 31 - (cap & 31);
  if (extra > 0) acc[words - 1] = ((acc[words - 1] ?? 0) << extra) >>> extra; // drop sums above cap
  return acc;
}

/** What any zone vector can look like: its smallest entry at most aMax, its largest within [cMin, cMax]. */
interface Range {
  readonly aMax: number;
  readonly cMin: number;
  readonly cMax: number;
}

/**
 * Sorted zone vectors (ascending) with the given sum, in leximin order: the largest smallest zone first,
 * then (3 zones) the smallest largest one. Each vector costs a probe.
 */
function* sortedVectors(
  sum: number,
  zones: number,
  range: Range,
  probes: { left: number },
): Generator<number[]> {
  if (zones === 2) {
    for (let a = Math.min(Math.floor(sum / 2), range.aMax); a >= 0; a--) {
      if (sum - a > range.cMax) return;
      if (--probes.left < 0) return;
      yield [a, sum - a];
    }
    return;
  }
  for (let a = Math.min(Math.floor(sum / 3), range.aMax); a >= 0; a--) {
    const from = Math.max(a, Math.ceil((sum - a) / 2), range.cMin);
    const to = Math.min(sum - 2 * a, range.cMax);
    for (let c = from; c <= to; c++) {
      if (--probes.left < 0) return;
      yield [a, sum - a - c, c];
    }
  }
}

const ORDERS: Readonly<Record<number, readonly (readonly number[])[]>> = {
  2: [
    [0, 1],
    [1, 0],
  ],
  3: [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ],
};

/** The distinct orderings of a sorted vector of 2 or 3 entries, in a fixed order. */
function permutations(sorted: readonly number[]): number[][] {
  const out: number[][] = [];
  for (const order of ORDERS[sorted.length] ?? [[0]]) {
    const candidate = order.map((i) => sorted[i] ?? 0);
    if (!out.some((seen) => seen.every((v, i) => v === candidate[i]))) out.push(candidate);
  }
  return out;
}

function compareVectors(a: readonly number[], b: readonly number[]): number {
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    const d = (a[k] ?? 0) - (b[k] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
