// Placement: how many new VMs each candidate pool gets, decided exactly.
//
// Why not a greedy per-VM loop. Placing VMs one at a time ("fewest instances first, then cheapest pool")
// is suboptimal as soon as constraints interact: a zone's cheap pool may be worth saving for the balance
// remainder, a vCPU quota shared by all zones makes a big cheap size crowd out two small ones, a strict
// balance level can only be reached by a count a greedy never tries. So the engine writes the whole decision
// as one small integer program over aggregates — one integer column per pool (x_p = new VMs in pool p), never
// one per VM — and solves it exactly with the lexicographic branch and bound in ./solver/.
//
// The model (one priority P per target with units to add, m_p = 1 per VM or the size's vCPUs with VCpu):
//   0 ≤ x_p ≤ free_p                                   capacity (blocked / ineligible pools have free 0)
//   Σ_{p∈P} x_p ≤ need_P       or  y_P ≤ Σ_{p∈P} vCPU_p x_p, 0 ≤ y_P ≤ need_P (VCpu: cover up to the target)
//   Σ vCPU_p x_p ≤ headroom_q                          for each quota q: regional (both priorities),
//                                                      Spot (Spot pools), family F (Regular pools of F)
//   Σ_p x_p ≤ maxInstances − held                      the group's instance limit
//   L ≤ cur_z + Σ_{p∈z} x_p ≤ L + 1  for every zone    strict zone balance only (L integer)
// and the objectives, minimised in this order (each only breaks the ties of the ones before):
//   1. −placed_P for each target in order (Regular first): place as much as possible;
//   2. VCpu only: Prioritized zones first maximise, per rank boundary r, what the zones of rank ≤ r cover of
//      each target (capped at it); then Σ vCPU_p x_p, the tightest cover, so the overshoot stays below every
//      new VM's vCPUs and the zone and size rules compare placements of one total;
//   3. the zone rule: Balanced = leximin of the final zone totals (maximise the smallest, then the sum of
//      the two smallest, …; each "sum of the k smallest" is k·t_k − Σ_z u_kz with u_kz ≥ t_k − n_z, u ≥ 0),
//      which for independent zones is exactly "fewest instances first" and makes skew ≤ 1 whenever any
//      balanced placement exists; Prioritized / SingleZone with VMs = maximise what lands in each zone group
//      in rank order;
//   4. the size rule of each target: Prioritized = per rank boundary r, minimise the units above r (rank 0
//      first, lexicographically); CapacityOptimized / PriceCapacityOptimized Σ position·m·x over the
//      strategy's pool order (LowestPrice needs no level of its own);
//   5. total price Σ price_p x_p in integer micro-dollars (with VCpu that is "price per vCPU": the cover
//      of the target that costs least);
//   6. the name order Σ position·m·x over pools sorted by priority, zone name, size name.
//
// Optimality. For LowestPrice (and Prioritized, whose price level follows its rank level) the plan is a
// lexicographic optimum of this model, so its cost is the minimum over every placement that places as much
// as possible and satisfies the same capacity, quota, instance-limit and zone rules — exactly the MIP a
// general solver is given in the tests. Exactness holds because (a) every objective is integer-valued at
// integer points (counts, vCPUs, ranks, positions, micro-dollars; the leximin sums are integers at their LP
// optimum because their breakpoints are the integer zone totals), so branch and bound may prune on rounded
// bounds, and (b) all columns have finite bounds, so the LP relaxation is never unbounded. When no quota row
// binds, the remaining constraint matrix is a network matrix (each pool column appears in its target's row
// and its zone's rows) whose LP vertices are integral, so branch and bound usually stops at the root.
// With VCpu the zone totals are subset sums of several sizes and the LP cannot see which are reachable: over
// 2–3 Balanced zones the model is solved by exact decomposition instead (vcpuBalanced.ts).
import { solveIntegerProgram } from './solver/branchAndBound.ts';
import type { WorkCounter } from './solver/simplex.ts';
import { ModelBuilder, type LinearModel, type LinearTerm } from './solver/model.ts';
import type { CandidatePool } from './pools.ts';
import { compareNames } from './sizes.ts';
import type { AllocationStrategy, CapacityUnit, Priority, QuotaHeadroom, ZonePolicy } from './types.ts';
import { placeVCpuBalanced } from './vcpuBalanced.ts';

export interface Need {
  readonly priority: Priority;
  /** Capacity units to add (VMs, or vCPUs with VCpu). */
  readonly units: number;
  readonly strategy: AllocationStrategy;
}

export interface Relaxation {
  readonly quota: boolean;
  readonly zoneBalance: boolean;
  readonly faultDomains: boolean;
  readonly instanceLimit: boolean;
}

export const NO_RELAXATION: Relaxation = {
  quota: false,
  zoneBalance: false,
  faultDomains: false,
  instanceLimit: false,
};

export interface PlacementRequest {
  /** Candidate pools in canonical order (priority → zone → size); ineligible ones are skipped. */
  readonly pools: readonly CandidatePool[];
  /** In target order: the first target's count is maximised first. */
  readonly needs: readonly Need[];
  readonly unit: CapacityUnit;
  readonly zones: readonly string[];
  /** Undefined when there is no zone decision to make (regional, or one zone). */
  readonly zonePolicy: ZonePolicy | undefined;
  /** The zone measure now: instances per zone (VM), or vCPUs per zone (VCpu). */
  readonly zoneCurrent: ReadonlyMap<string, number>;
  /** The same per priority, for spreading each priority once the totals are balanced. */
  readonly zoneCurrentByPriority: ReadonlyMap<Priority, ReadonlyMap<string, number>>;
  readonly quota: QuotaHeadroom;
  readonly instanceRoom: number;
  /** Count: only how much fits (diagnosis). CountAndCost: plus price (zone ranking). All: every rule. */
  readonly levels: 'Count' | 'CountAndCost' | 'All';
  readonly relax: Relaxation;
  /** Place in this zone only (the SingleZone ranking asks each zone what it could hold on its own). */
  readonly onlyZone?: string | undefined;
  /** The work budget all of one plan's searches share, so together they stay within the search's limit. */
  readonly budget?: WorkCounter | undefined;
}

export interface PlacementResult {
  readonly feasible: boolean;
  /** New VMs per pool, parallel to `request.pools`. */
  readonly counts: readonly number[];
  /** Units placed per priority. */
  readonly placed: ReadonlyMap<Priority, number>;
  readonly costMicros: number;
  /** false when the search's work limit stopped it first: the best placement found, not proven optimal. */
  readonly proven: boolean;
}

export interface PoolColumn {
  readonly pool: CandidatePool;
  readonly poolIndex: number;
  readonly column: number;
  /** Contribution of one VM to the zone measure and to the capacity units. */
  readonly measure: number;
  readonly upper: number;
}

export function usableCapacity(pool: CandidatePool, relax: Relaxation): number {
  if (pool.free > 0) return pool.free;
  if (
    relax.faultDomains &&
    pool.ineligible.length > 0 &&
    pool.ineligible.every((r) => r.kind === 'FaultDomains')
  ) {
    return pool.capacity;
  }
  return 0;
}

/** The integer program for a request, with the pool column behind each of its first columns. */
export function buildPlacementModel(request: PlacementRequest): {
  model: LinearModel;
  columns: readonly PoolColumn[];
} {
  const builder = new ModelBuilder();
  const columns = addPoolColumns(builder, request);
  addTargetRows(builder, request, columns);
  addLimitRows(builder, request, columns);
  if (!request.relax.quota) addQuotaRows(builder, request, columns);
  const strict =
    request.zonePolicy?.kind === 'Balanced' && request.zonePolicy.strict && !request.relax.zoneBalance;
  const zoneRules = request.zonePolicy !== undefined && request.zones.length > 1;
  const totals =
    zoneRules && (strict || request.levels === 'All')
      ? addZoneTotalColumns(builder, request, columns)
      : undefined;
  if (strict && request.unit === 'VM' && totals) addStrictBalanceRows(builder, request, totals);
  addObjectives(builder, request, columns, strict, totals);
  return { model: builder.build(), columns };
}

export function place(request: PlacementRequest): PlacementResult {
  if (decomposable(request)) {
    const bounds = poolBounds(request);
    const exact = placeVCpuBalanced({
      request,
      bounds,
      sizeLevels: request.needs.map((need) =>
        sizeLevels(
          request,
          need,
          bounds.filter((b) => b.pool.priority === need.priority),
        ),
      ),
    });
    if (exact && satisfiesCrossRows(request, exact)) return exact;
  }
  const { model, columns } = buildPlacementModel(request);
  const result = solveIntegerProgram(model, { counter: request.budget });
  const counts = request.pools.map(() => 0);
  const placed = new Map<Priority, number>(request.needs.map((need) => [need.priority, 0]));
  if (result.status !== 'Optimal') {
    return { feasible: false, counts, placed, costMicros: 0, proven: result.proven };
  }
  let costMicros = 0;
  for (const entry of columns) {
    const count = Math.round(result.values[entry.column] ?? 0);
    counts[entry.poolIndex] = count;
    placed.set(entry.pool.priority, (placed.get(entry.pool.priority) ?? 0) + count * entry.measure);
    costMicros += count * entry.pool.priceMicros;
  }
  return { feasible: true, counts, placed, costMicros, proven: result.proven };
}

/** VCpu over 2–3 Balanced zones: the case vcpuBalanced.ts solves exactly. */
function decomposable(request: PlacementRequest): boolean {
  // Count (the shortfall diagnosis) too: the decomposition's totals are what the count levels want.
  if (request.unit !== 'VCpu' || request.levels === 'CountAndCost' || request.onlyZone !== undefined) {
    return false;
  }
  return request.zonePolicy?.kind === 'Balanced' && request.zones.length >= 2 && request.zones.length <= 3;
}

/**
 * The rows the decomposition leaves out because they cut across zone × priority blocks: the instance limit
 * and family quotas over only some sizes. Its answer is optimal without them; when it also satisfies them,
 * it is optimal with them (the lexicographic optimum of a relaxation that is feasible is the optimum).
 */
function satisfiesCrossRows(request: PlacementRequest, result: PlacementResult): boolean {
  const vms = result.counts.reduce((sum, n) => sum + n, 0);
  if (!request.relax.instanceLimit && vms > request.instanceRoom) return false;
  const families = request.relax.quota ? undefined : request.quota.familyVCpus;
  for (const [family, headroom] of Object.entries(families ?? {})) {
    let used = 0;
    request.pools.forEach((pool, i) => {
      if (pool.priority === 'Regular' && pool.size.family === family)
        used += (result.counts[i] ?? 0) * pool.size.vCPUs;
    });
    if (used > headroom) return false;
  }
  return true;
}

function measureOf(pool: CandidatePool, unit: CapacityUnit): number {
  return unit === 'VCpu' ? pool.size.vCPUs : 1;
}

function quotaCap(pool: CandidatePool, quota: QuotaHeadroom): number {
  const caps: (number | undefined)[] = [quota.regionalVCpus];
  if (pool.priority === 'Spot') caps.push(quota.spotVCpus);
  else caps.push(quota.familyVCpus?.[pool.size.family]);
  let cap = Number.POSITIVE_INFINITY;
  for (const headroom of caps) {
    if (headroom !== undefined) cap = Math.min(cap, Math.floor(Math.max(0, headroom) / pool.size.vCPUs));
  }
  return cap;
}

/** The pools a request may use, each with its measure and how many new VMs it can take at most. */
export function poolBounds(request: PlacementRequest): Omit<PoolColumn, 'column'>[] {
  const needs = new Map(request.needs.map((need) => [need.priority, need.units]));
  const bounds: Omit<PoolColumn, 'column'>[] = [];
  request.pools.forEach((pool, poolIndex) => {
    const need = needs.get(pool.priority) ?? 0;
    if (need <= 0) return;
    if (request.onlyZone !== undefined && pool.zone !== request.onlyZone) return;
    const measure = measureOf(pool, request.unit);
    let upper = Math.min(usableCapacity(pool, request.relax), Math.ceil(need / measure));
    if (!request.relax.instanceLimit) upper = Math.min(upper, Math.max(0, request.instanceRoom));
    if (!request.relax.quota) upper = Math.min(upper, quotaCap(pool, request.quota));
    if (upper <= 0) return;
    bounds.push({ pool, poolIndex, measure, upper });
  });
  return bounds;
}

function addPoolColumns(builder: ModelBuilder, request: PlacementRequest): PoolColumn[] {
  return poolBounds(request).map((bound) => ({
    ...bound,
    column: builder.addColumn(
      `${bound.pool.priority}/${bound.pool.zone}/${bound.pool.size.name}`,
      0,
      bound.upper,
      true,
    ),
  }));
}

function terms(columns: readonly PoolColumn[], weight: (c: PoolColumn) => number): LinearTerm[] {
  return columns.map((c) => ({ column: c.column, coefficient: weight(c) }));
}

function addTargetRows(
  builder: ModelBuilder,
  request: PlacementRequest,
  columns: readonly PoolColumn[],
): void {
  for (const need of request.needs) {
    const own = columns.filter((c) => c.pool.priority === need.priority);
    if (request.unit === 'VM') {
      builder.addRow(
        `target/${need.priority}`,
        terms(own, () => 1),
        Number.NEGATIVE_INFINITY,
        need.units,
      );
    }
  }
}

/** The VCpu cover columns y_P, created lazily so VM models carry none. */
function coverColumns(
  builder: ModelBuilder,
  request: PlacementRequest,
  columns: readonly PoolColumn[],
): Map<Priority, number> {
  const covers = new Map<Priority, number>();
  for (const need of request.needs) {
    const own = columns.filter((c) => c.pool.priority === need.priority);
    const cover = builder.addColumn(`cover/${need.priority}`, 0, Math.max(0, need.units), false);
    builder.addRow(
      `cover/${need.priority}`,
      [{ column: cover, coefficient: 1 }, ...terms(own, (c) => -c.pool.size.vCPUs)],
      Number.NEGATIVE_INFINITY,
      0,
    );
    covers.set(need.priority, cover);
  }
  return covers;
}

function addLimitRows(
  builder: ModelBuilder,
  request: PlacementRequest,
  columns: readonly PoolColumn[],
): void {
  if (request.relax.instanceLimit) return;
  const most = columns.reduce((sum, c) => sum + c.upper, 0);
  if (most > request.instanceRoom) {
    builder.addRow(
      'instanceLimit',
      terms(columns, () => 1),
      Number.NEGATIVE_INFINITY,
      request.instanceRoom,
    );
  }
}

function addQuotaRows(
  builder: ModelBuilder,
  request: PlacementRequest,
  columns: readonly PoolColumn[],
): void {
  const quota = request.quota;
  const addIfBinding = (name: string, members: readonly PoolColumn[], headroom: number | undefined) => {
    if (headroom === undefined || members.length === 0) return;
    const most = members.reduce((sum, c) => sum + c.upper * c.pool.size.vCPUs, 0);
    if (most <= headroom) return; // cannot bind: leaving it out keeps the LP a network problem
    builder.addRow(
      name,
      terms(members, (c) => c.pool.size.vCPUs),
      Number.NEGATIVE_INFINITY,
      headroom,
    );
  };
  addIfBinding('quota/regional', columns, quota.regionalVCpus);
  addIfBinding(
    'quota/spot',
    columns.filter((c) => c.pool.priority === 'Spot'),
    quota.spotVCpus,
  );
  const families = [...new Set(columns.map((c) => c.pool.size.family))].sort(compareNames);
  for (const family of families) {
    addIfBinding(
      `quota/family/${family}`,
      columns.filter((c) => c.pool.priority === 'Regular' && c.pool.size.family === family),
      quota.familyVCpus?.[family],
    );
  }
}

/**
 * Integer zone totals n(z, P) = current + what is placed there, one per zone and priority to place, with the
 * rows that define them. The zone rules are written on these few columns, and branch and bound branches on
 * them first: once every zone total is integral, what is left is splitting each total over the zone's pools,
 * whose LP vertices are integral whenever no quota row binds.
 */
interface ZoneTotals {
  readonly columns: ReadonlyMap<string, ReadonlyMap<Priority, number>>;
  /** Instances of priorities not being placed, which count in the zone totals as constants. */
  readonly offset: ReadonlyMap<string, number>;
  /** No zone total can exceed this. */
  readonly bound: number;
}

const ZONE_TOTAL_BRANCH_PRIORITY = 1;

function addZoneTotalColumns(
  builder: ModelBuilder,
  request: PlacementRequest,
  columns: readonly PoolColumn[],
): ZoneTotals {
  const byZone = new Map<string, Map<Priority, number>>();
  const offset = new Map<string, number>();
  let bound = 0;
  for (const zone of request.zones) {
    let zoneMost = request.zoneCurrent.get(zone) ?? 0;
    const own = new Map<Priority, number>();
    let placedPrioritiesCurrent = 0;
    for (const need of request.needs) {
      const current = request.zoneCurrentByPriority.get(need.priority)?.get(zone) ?? 0;
      placedPrioritiesCurrent += current;
      const pools = columns.filter((c) => c.pool.zone === zone && c.pool.priority === need.priority);
      const most = current + pools.reduce((sum, c) => sum + c.upper * c.measure, 0);
      zoneMost += most - current;
      const total = builder.addColumn(
        `zone/${zone}/${need.priority}`,
        current,
        most,
        true,
        ZONE_TOTAL_BRANCH_PRIORITY,
      );
      builder.addRow(
        `zone/${zone}/${need.priority}`,
        [{ column: total, coefficient: 1 }, ...terms(pools, (c) => -c.measure)],
        current,
        current,
      );
      own.set(need.priority, total);
    }
    byZone.set(zone, own);
    offset.set(zone, (request.zoneCurrent.get(zone) ?? 0) - placedPrioritiesCurrent);
    bound = Math.max(bound, zoneMost);
  }
  return { columns: byZone, offset, bound };
}

/** The zone's total as terms over the zone-total columns (its constant part is `totals.offset`). */
function zoneTerms(totals: ZoneTotals, zone: string, only?: Priority): LinearTerm[] {
  const own = totals.columns.get(zone) ?? new Map<Priority, number>();
  return [...own]
    .filter(([priority]) => only === undefined || priority === only)
    .map(([, column]) => ({ column, coefficient: 1 }));
}

/** Strict balance: every zone's final count within [L, L + 1] for one integer L. */
function addStrictBalanceRows(builder: ModelBuilder, request: PlacementRequest, totals: ZoneTotals): void {
  const most =
    Math.max(...request.zones.map((zone) => request.zoneCurrent.get(zone) ?? 0)) + request.instanceRoom;
  const level = builder.addColumn('balance/level', 0, Math.max(0, most), true);
  for (const zone of request.zones) {
    const constant = totals.offset.get(zone) ?? 0;
    builder.addRow(
      `balance/${zone}`,
      [...zoneTerms(totals, zone), { column: level, coefficient: -1 }],
      -constant,
      1 - constant,
    );
  }
}

function addObjectives(
  builder: ModelBuilder,
  request: PlacementRequest,
  columns: readonly PoolColumn[],
  strict: boolean,
  totals: ZoneTotals | undefined,
): void {
  const covers = request.unit === 'VCpu' ? coverColumns(builder, request, columns) : undefined;
  for (const need of request.needs) {
    const cover = covers?.get(need.priority);
    if (cover !== undefined)
      builder.addObjective(`place/${need.priority}`, [{ column: cover, coefficient: -1 }]);
    else {
      const own = columns.filter((c) => c.pool.priority === need.priority);
      builder.addObjective(
        `place/${need.priority}`,
        terms(own, () => -1),
      );
    }
  }
  if (request.levels === 'Count') return;
  if (request.levels === 'All') {
    if (request.unit === 'VCpu' && request.zonePolicy?.kind === 'Prioritized') {
      addZoneRankCovers(builder, request, columns, request.zonePolicy);
    }
    // VCpu: the tightest cover of the target, so the overshoot stays below every new VM's vCPUs and a
    // re-plan has nothing to scale in; zone and size rules then compare placements of the same total.
    if (request.unit === 'VCpu') {
      builder.addObjective(
        'tightestCover',
        terms(columns, (c) => c.pool.size.vCPUs),
      );
    }
    if (totals) addZoneObjectives(builder, request, totals, strict);
    for (const need of request.needs) {
      const own = columns.filter((c) => c.pool.priority === need.priority);
      for (const level of sizeLevels(request, need, own)) {
        builder.addObjective(level.name, terms(own, level.weight));
      }
    }
  }
  builder.addObjective(
    'price',
    terms(columns, (c) => c.pool.priceMicros),
  );
  // Per capacity unit, so with VCpu two sizes at the same price per vCPU fall to the name order, not to
  // whichever needs fewer VMs.
  builder.addObjective(
    'names',
    terms(columns, (c) => (c.poolIndex + 1) * c.measure),
  );
}

function addZoneObjectives(
  builder: ModelBuilder,
  request: PlacementRequest,
  totals: ZoneTotals,
  strict: boolean,
): void {
  const policy = request.zonePolicy;
  if (!policy || request.zones.length < 2) return;
  if (policy.kind === 'Balanced') {
    // Under strict balance every feasible total vector is already balanced; leximin would add nothing.
    if (!(strict && request.unit === 'VM')) {
      addLeximin(builder, request, totals.bound, 'total', (zone) => ({
        terms: zoneTerms(totals, zone),
        constant: totals.offset.get(zone) ?? 0,
      }));
    }
    // Then each priority on its own, so Regular and Spot are both spread rather than zone-by-zone apart.
    if (request.needs.length > 1) {
      for (const need of request.needs) {
        addLeximin(builder, request, totals.bound, need.priority, (zone) => ({
          terms: zoneTerms(totals, zone, need.priority),
          constant: 0,
        }));
      }
    }
    return;
  }
  if (policy.kind === 'SingleZone') return; // the caller turns it into a zone order (see zones.ts)
  if (request.unit === 'VCpu') return; // zone-rank covers, before the tightest cover (addZoneRankCovers)
  const rankOf = new Map(policy.ranks.map((r) => [r.zone, r.rank]));
  const groups = new Map<number, string[]>();
  for (const zone of request.zones) {
    const rank = rankOf.get(zone) ?? Number.MAX_SAFE_INTEGER;
    groups.set(rank, [...(groups.get(rank) ?? []), zone]);
  }
  for (const rank of [...groups.keys()].sort((a, b) => a - b)) {
    const zones = groups.get(rank) ?? [];
    builder.addObjective(
      `zoneRank/${rank}`,
      zones.flatMap((zone) => zoneTerms(totals, zone).map((t) => ({ column: t.column, coefficient: -1 }))),
    );
  }
}

/**
 * Lexicographically maximises the sorted vector of zone totals via the sums of the k smallest: for each
 * k, maximise k·t − Σ_z u_z with u_z ≥ t − total_z, u ≥ 0.
 */
function addLeximin(
  builder: ModelBuilder,
  request: PlacementRequest,
  bound: number,
  label: string,
  zoneTotal: (zone: string) => { terms: LinearTerm[]; constant: number },
): void {
  for (let k = 1; k < request.zones.length; k++) {
    const threshold = builder.addColumn(`leximin/${label}/${k}/t`, 0, bound, false);
    const objective: LinearTerm[] = [{ column: threshold, coefficient: -k }];
    for (const zone of request.zones) {
      const excess = builder.addColumn(`leximin/${label}/${k}/u/${zone}`, 0, bound, false);
      const total = zoneTotal(zone);
      builder.addRow(
        `leximin/${label}/${k}/${zone}`,
        [{ column: excess, coefficient: 1 }, { column: threshold, coefficient: -1 }, ...total.terms],
        -total.constant,
        Number.POSITIVE_INFINITY,
      );
      objective.push({ column: excess, coefficient: 1 });
    }
    builder.addObjective(`leximin/${label}/${k}`, objective);
  }
}

export interface SizeLevel {
  readonly name: string;
  /** Weight of one VM of the pool at this level (minimised). */
  readonly weight: (c: Omit<PoolColumn, 'column'>) => number;
}

/**
 * The size rule of one target as objective levels over its pools. Prioritized is lexicographic — use the
 * lower ranks as much as possible before any higher one — so it is one level per rank boundary r: minimise
 * the capacity units placed at ranks above r (per VM, or per vCPU with VCpu). A single Σ rank·x level would
 * trade one rank-3 VM for three rank-1 VMs, and with VCpu prefer one big VM to four small ones of the same
 * rank whatever their price.
 */
export function sizeLevels(
  request: PlacementRequest,
  need: Need,
  own: readonly Omit<PoolColumn, 'column'>[],
): SizeLevel[] {
  switch (need.strategy) {
    case 'LowestPrice':
      return [];
    case 'Prioritized': {
      const ranks = [...new Set(own.map((c) => c.pool.rank))].sort((a, b) => a - b);
      return ranks.slice(0, -1).map((rank) => ({
        name: `rank/${need.priority}/${rank}`,
        weight: (c) => (c.pool.rank > rank ? c.measure : 0),
      }));
    }
    case 'CapacityOptimized': {
      const order = [...own].sort(
        (a, b) =>
          usableCapacity(b.pool, request.relax) - usableCapacity(a.pool, request.relax) ||
          byUnitPrice(a, b) ||
          byNames(a, b),
      );
      return [{ name: `capacity/${need.priority}`, weight: positions(order) }];
    }
    case 'PriceCapacityOptimized': {
      const tier = (c: Omit<PoolColumn, 'column'>) =>
        capacityTier(usableCapacity(c.pool, request.relax) * c.measure, need.units);
      const order = [...own].sort((a, b) => tier(b) - tier(a) || byUnitPrice(a, b) || byNames(a, b));
      return [{ name: `priceCapacity/${need.priority}`, weight: positions(order) }];
    }
  }
}

/**
 * Prioritized zones with VCpu: for each rank boundary r, maximise how much of each target the zones of rank
 * ≤ r cover (capped at the target, so overshoot in a preferred zone earns nothing). These come before any
 * tightest-cover rule: a rank-0 zone that can hold the whole target gets it, even when a tighter cover
 * would need a second zone.
 */
function addZoneRankCovers(
  builder: ModelBuilder,
  request: PlacementRequest,
  columns: readonly PoolColumn[],
  policy: Extract<ZonePolicy, { kind: 'Prioritized' }>,
): void {
  const rankOf = new Map(policy.ranks.map((r) => [r.zone, r.rank]));
  const zoneRank = (zone: string) => rankOf.get(zone) ?? Number.MAX_SAFE_INTEGER;
  const ranks = [...new Set(request.zones.map(zoneRank))].sort((a, b) => a - b);
  for (const rank of ranks.slice(0, -1)) {
    const objective: LinearTerm[] = [];
    for (const need of request.needs) {
      const members = columns.filter(
        (c) => c.pool.priority === need.priority && zoneRank(c.pool.zone) <= rank,
      );
      if (members.length === 0) continue;
      const cover = builder.addColumn(
        `zoneCover/${rank}/${need.priority}`,
        0,
        Math.max(0, need.units),
        false,
      );
      builder.addRow(
        `zoneCover/${rank}/${need.priority}`,
        [{ column: cover, coefficient: 1 }, ...terms(members, (c) => -c.measure)],
        Number.NEGATIVE_INFINITY,
        0,
      );
      objective.push({ column: cover, coefficient: -1 });
    }
    builder.addObjective(`zoneRank/${rank}`, objective);
  }
}

/** Capacity tier of a pool for PriceCapacityOptimized: 3 High (holds all that remains), 2 Medium (half), 1 Low. */
export function capacityTier(freeUnits: number, remaining: number): number {
  if (freeUnits >= remaining) return 3;
  if (freeUnits * 2 >= remaining) return 2;
  return freeUnits > 0 ? 1 : 0;
}

/** Price per capacity unit (per VM, or per vCPU with VCpu), cross-multiplied so it stays exact. */
function byUnitPrice(a: Omit<PoolColumn, 'column'>, b: Omit<PoolColumn, 'column'>): number {
  return a.pool.priceMicros * b.measure - b.pool.priceMicros * a.measure;
}

function byNames(a: Omit<PoolColumn, 'column'>, b: Omit<PoolColumn, 'column'>): number {
  return compareNames(a.pool.size.name, b.pool.size.name) || compareNames(a.pool.zone, b.pool.zone);
}

/**
 * Position weights 1, 2, 3, … per capacity unit (strictly positive, so no level ever rewards an extra VM;
 * per vCPU with VCpu, so the order is followed per unit of capacity).
 */
function positions(order: readonly Omit<PoolColumn, 'column'>[]): SizeLevel['weight'] {
  const position = new Map(order.map((c, i) => [c.poolIndex, i + 1]));
  return (c) => (position.get(c.poolIndex) ?? 0) * c.measure;
}
