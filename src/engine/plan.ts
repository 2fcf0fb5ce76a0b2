// plan(input) → Plan: the engine's one entry point. Pure, synchronous, deterministic.
//
// Steps: resolve the allowed sizes; classify the current instances; clean up Failed ones; scale in every
// target above its target (removal.ts); work out what each target still needs; build the candidate pools;
// decide placement exactly (placement.ts, with the BestEffortSingleZone order from zones.ts); refuse to
// create anything when a ComputeFleet minCapacity cannot be met; give each new VM a fault domain; then
// report outcomes, shortfall reasons, cost, spread, stale instances and decisions. Under strict zone balance,
// a result that leaves the zones more than 1 apart takes back VMs that are not running yet and is made again
// without them (removal.ts trimToStrictBalance).
import { classifyCurrent, Occupancy, withUnits, type CountedInstance, type LedgerCell } from './current.ts';
import {
  bounded,
  outcomeSummary,
  removalDecisions,
  sizeDecision,
  staleSummary,
  unitLabel,
  zoneLabel,
} from './explain.ts';
import { assignFaultDomains } from './faultDomains.ts';
import { formatPrice, fromMicros, toMicros } from './money.ts';
import { NO_RELAXATION, place, type Need, type PlacementRequest, type PlacementResult } from './placement.ts';
import { candidatePools, domainsOf, indexPools, poolKey, zoneInfo, type CandidatePool } from './pools.ts';
import { targetsOf, type Target } from './priority.ts';
import { chooseVictims, trimToStrictBalance } from './removal.ts';
import { compareNames, resolveSizes } from './sizes.ts';
import { spreadOf } from './spread.ts';
import {
  placementZones,
  singleZoneRanking,
  zoneMeasure,
  zoneMeasureByPriority,
  type ZoneRanking,
} from './zones.ts';
import type {
  DeleteDecision,
  Plan,
  PlanInput,
  PoolCount,
  Priority,
  PriorityOutcome,
  ShortfallDetail,
  UnavailablePool,
} from './types.ts';

interface TargetState {
  readonly target: Target;
  readonly held: number;
  readonly removed: number;
  readonly protectedExcess: number;
  /** Units kept above target because removing them would break strict zone balance. */
  readonly balanceExcess: number;
  readonly need: number;
}

export function plan(input: PlanInput): Plan {
  const first = planOnce(input);
  const trims = strictTrims(input, first);
  if (trims.length === 0) return first;
  // Plan again without the VMs taken back, so the same plan also places what balance now allows.
  const trimmed = new Set(trims.map((d) => d.id));
  const again = plan({ ...input, current: input.current.filter((c) => !trimmed.has(c.id)) });
  const units = (priority: Priority) =>
    input.current
      .filter((c) => trimmed.has(c.id) && c.priority === priority)
      .reduce((sum, c) => sum + (input.spec.capacityUnit === 'VCpu' ? vCpusIn(input, c.size) : 1), 0);
  return {
    ...again,
    deletes: [...trims, ...again.deletes],
    outcomes: again.outcomes.map((o) => ({
      ...o,
      current: o.current + units(o.priority),
      removing: o.removing + units(o.priority),
    })),
    decisions: bounded([
      `strict zone balance: ${trims.length} VM(s) not yet running taken back (zones left ahead after allocation failures)`,
      ...again.decisions,
    ]),
  };
}

/** The not-yet-running VMs strict balance takes back after `result`, when it leaves the zones apart. */
function strictTrims(input: PlanInput, result: Plan): DeleteDecision[] {
  const { spec } = input;
  const zones = strictZonesOf(spec, placementZones(spec));
  if (zones === undefined) return [];
  const totals = new Map<string, number>();
  for (const cell of result.distribution) totals.set(cell.zone, (totals.get(cell.zone) ?? 0) + cell.count);
  const deleted = new Set(result.deletes.map((d) => d.id));
  return trimToStrictBalance({
    candidates: input.current.filter((c) => !deleted.has(c.id)).sort((a, b) => a.id - b.id),
    strictZones: zones,
    totals,
    rule: spec.scaleInRule,
  });
}

/** The zones strict balance holds within 1 of each other, or undefined without strict balance. */
function strictZonesOf(spec: PlanInput['spec'], zones: readonly string[]): readonly string[] | undefined {
  return spec.zonePolicy.kind === 'Balanced' && spec.zonePolicy.strict && zones.length > 1
    ? zones
    : undefined;
}

function vCpusIn(input: PlanInput, size: string): number {
  return input.region.sizes.find((s) => s.name === size)?.vCPUs ?? 0;
}

function planOnce(input: PlanInput): Plan {
  const { spec, region, now } = input;
  const catalogue = new Map(region.sizes.map((size) => [size.name, size]));
  const sizes = resolveSizes(spec.sizes, region.sizes, spec.limits.maxSizes);
  const active = activeUnavailable(input.unavailable, now);
  const state = classifyCurrent(input.current, spec, sizes.allowed, catalogue);
  const zones = placementZones(spec);
  const zoneSet = new Set(zones);
  const domains = (zone: string) => domainsOf(zoneInfo(region, zone), spec.platformFaultDomainCount);
  const occupancy = Occupancy.of(state.ledger);
  const strictZones = strictZonesOf(spec, zones);

  const deletes: DeleteDecision[] = state.failed
    .filter((instance) => !instance.protectedFromScaleIn && !instance.protectedFromScaleSetActions)
    .map((instance) => ({
      id: instance.id,
      name: instance.name,
      priority: instance.priority,
      rule: 'Failed',
      reason: 'Failed: cleaned up so its replacement can be placed',
    }));

  const targets = targetsOf(spec);
  const cells = state.ledger.cells();
  const victims: CountedInstance[] = [];
  const removeFrom = (target: Target, excess: number) => {
    const taken = new Set(victims.map((v) => v.instance.id));
    const removal = chooseVictims({
      candidates: withUnits(
        state.counted.filter((c) => target.counts.includes(c.priority) && !taken.has(c.id)),
        state.vCpusOf,
        spec.capacityUnit,
      ),
      excess,
      unit: spec.capacityUnit,
      rule: spec.scaleInRule,
      zones: zoneSet,
      occupancy,
      strictZones,
    });
    deletes.push(...removal.deletes);
    victims.push(...removal.victims);
    return removal;
  };
  let targetStates = targets.map((target): TargetState => {
    const held = cells
      .filter((cell) => target.counts.includes(cell.priority))
      .reduce((sum, cell) => sum + cell.count * (spec.capacityUnit === 'VCpu' ? cell.vCPUs : 1), 0);
    if (held <= target.target)
      return { target, held, removed: 0, protectedExcess: 0, balanceExcess: 0, need: target.target - held };
    const removal = removeFrom(target, held - target.target);
    return {
      target,
      held,
      removed: removal.removedUnits,
      protectedExcess: removal.blockedByProtection,
      balanceExcess: removal.blockedByBalance,
      need: 0,
    };
  });
  // Strict balance may refuse one priority's victim until another priority's removal levels the zones: go
  // round the targets again while that makes progress.
  for (let progress = strictZones !== undefined; progress;) {
    progress = false;
    targetStates = targetStates.map((t) => {
      if (t.balanceExcess <= 0) return t;
      const removal = removeFrom(t.target, t.balanceExcess);
      if (removal.removedUnits === 0) return t;
      progress = true;
      return {
        ...t,
        removed: t.removed + removal.removedUnits,
        protectedExcess: t.protectedExcess + removal.blockedByProtection,
        balanceExcess: removal.blockedByBalance,
      };
    });
  }

  const pools = candidatePools({
    targets,
    allowed: sizes.allowed,
    region,
    zones,
    platformFaultDomainCount: spec.platformFaultDomainCount,
    active,
  });
  const needs: Need[] = targetStates
    .filter((t) => t.need > 0)
    .map((t) => ({ priority: t.target.priority, units: t.need, strategy: t.target.strategy }));
  const base: PlacementRequest = {
    pools,
    needs,
    unit: spec.capacityUnit,
    zones,
    zonePolicy: zones.length > 1 ? spec.zonePolicy : undefined,
    zoneCurrent: zoneMeasure(occupancy, zones, spec.capacityUnit),
    zoneCurrentByPriority: zoneMeasureByPriority(afterRemovals(cells, victims), spec.capacityUnit),
    quota: region.quota,
    instanceRoom: spec.limits.maxInstances - occupancy.totalCount(),
    levels: 'All',
    relax: NO_RELAXATION,
    budget: { cells: 0 },
  };
  let ranking: ZoneRanking | undefined;
  let request = base;
  if (needs.length > 0 && base.zonePolicy?.kind === 'SingleZone') {
    ranking = singleZoneRanking(base);
    request = { ...base, zonePolicy: ranking.policy };
  }
  const placement = needs.length > 0 ? place(request) : emptyPlacement(pools);

  // ComputeFleet minCapacity: Azure rejects the whole request, so nothing at all is created.
  const minCapacityMisses = targetStates.filter((t) => {
    const achievable = t.held - t.removed + (placement.placed.get(t.target.priority) ?? 0);
    return t.target.minCapacity > 0 && achievable < t.target.minCapacity;
  });
  const counts = minCapacityMisses.length > 0 ? pools.map(() => 0) : placement.counts;

  const creates = assignFaultDomains({
    placements: pools.map((pool, i) => ({ pool, count: counts[i] ?? 0 })),
    occupancy,
    domains,
  });

  const placedUnits = new Map<Priority, number>();
  pools.forEach((pool, i) => {
    const units = (counts[i] ?? 0) * (spec.capacityUnit === 'VCpu' ? pool.size.vCPUs : 1);
    placedUnits.set(pool.priority, (placedUnits.get(pool.priority) ?? 0) + units);
  });

  const outcomes = targetStates.map((t) =>
    outcomeOf(t, placedUnits.get(t.target.priority) ?? 0, {
      spec,
      base: request,
      placement,
      minCapacityMissed: minCapacityMisses.includes(t),
      pools,
      zones,
      domainsShort: zones.filter((zone) => spec.platformFaultDomainCount > 1 && domains(zone).length === 0),
    }),
  );
  if (strictZones) reportImbalance(outcomes, strictZones, occupancy);

  const ledger = state.ledger;
  for (const victim of victims) ledger.add(victim.instance, victim.vCPUs, -1);
  for (const c of creates) ledger.add(c, catalogue.get(c.size)?.vCPUs ?? 0, c.count);
  const finalCells = ledger.cells();
  const distribution = distributionOf(finalCells);
  const hourlyCost = costOf(finalCells, indexPools(region.pools));

  const decisions = [
    ...sizes.notes,
    ...outcomes.map(outcomeSummary),
    ...outcomes.flatMap((o) => o.reasons.map((r) => `${o.priority} ${r.reason}: ${r.message}`)),
    ...zoneDecisions(spec.zonePolicy, zones, occupancy, ranking, pools, region.zones, spec.capacityUnit),
    ...sizeDecisions(pools, counts, targetStates, spec.capacityUnit, now),
    ...removalDecisions(deletes),
    ...optional(staleSummary(state.stale)),
    ...(placement.proven ? [] : [SEARCH_LIMIT_NOTE]),
    `cost after the plan: ${formatPrice(hourlyCost)} $/h`,
  ];

  return {
    creates,
    deletes,
    outcomes,
    hourlyCost,
    spread: spreadOf(occupancy, zones, domains),
    distribution,
    stale: state.stale,
    unavailable: active,
    decisions: bounded(decisions),
    provenOptimal: placement.proven,
    searchLimitReached: !placement.proven,
  };
}

/**
 * Strict balance the plan cannot restore (running or protected VMs hold the zones apart): say so on the first
 * outcome, unless a shortfall already does, so the group is never Ready with its zones more than 1 apart.
 */
function reportImbalance(outcomes: PriorityOutcome[], strictZones: readonly string[], occupancy: Occupancy) {
  const totals = strictZones.map((zone) => occupancy.count(zone));
  if (Math.max(...totals) - Math.min(...totals) <= 1) return;
  if (outcomes.some((o) => o.reasons.some((r) => r.reason === 'ZoneBalanceBlocked'))) return;
  const first = outcomes[0];
  if (!first) return;
  outcomes[0] = {
    ...first,
    reasons: [
      ...first.reasons,
      {
        reason: 'ZoneBalanceBlocked',
        message: `strict zone balance: zones ${strictZones.join('/')} hold ${totals.join('/')}, more than 1 apart, and no VM that is not running yet can be taken back`,
      },
    ],
  };
}

const SEARCH_LIMIT_NOTE =
  'the optimiser hit its search limit: this is the best placement it found, not proven the cheapest';

function activeUnavailable(entries: readonly UnavailablePool[], now: number): UnavailablePool[] {
  return entries
    .filter((entry) => entry.until > now)
    .sort(
      (a, b) =>
        compareNames(a.size, b.size) ||
        compareNames(a.zone ?? '', b.zone ?? '') ||
        compareNames(a.priority ?? '', b.priority ?? '') ||
        a.until - b.until,
    );
}

/** Ledger cells with the removed instances taken out (cells are copied, the ledger is not touched). */
function afterRemovals(cells: readonly LedgerCell[], victims: readonly CountedInstance[]): LedgerCell[] {
  if (victims.length === 0) return [...cells];
  const copies = cells.map((cell) => ({ ...cell }));
  for (const victim of victims) {
    const { size, zone, faultDomain, priority } = victim.instance;
    const cell = copies.find(
      (c) => c.size === size && c.zone === zone && c.faultDomain === faultDomain && c.priority === priority,
    );
    if (cell) cell.count--;
  }
  return copies;
}

function emptyPlacement(pools: readonly CandidatePool[]): PlacementResult {
  return { feasible: true, counts: pools.map(() => 0), placed: new Map(), costMicros: 0, proven: true };
}

function optional(line: string | undefined): string[] {
  return line === undefined ? [] : [line];
}

interface OutcomeContext {
  readonly spec: PlanInput['spec'];
  readonly base: PlacementRequest;
  readonly placement: PlacementResult;
  readonly minCapacityMissed: boolean;
  readonly pools: readonly CandidatePool[];
  readonly zones: readonly string[];
  readonly domainsShort: readonly string[];
}

function outcomeOf(t: TargetState, placed: number, context: OutcomeContext): PriorityOutcome {
  const priority = t.target.priority;
  const achievable = t.held - t.removed + placed;
  const reasons: ShortfallDetail[] = [];
  if (t.balanceExcess > 0) {
    const held = context.zones.map((zone) => context.base.zoneCurrent.get(zone) ?? 0).join('/');
    reasons.push({
      reason: 'ZoneBalanceBlocked',
      message: `${t.balanceExcess} ${unitLabel(context.spec.capacityUnit)} above target kept: zones ${context.zones.join('/')} hold ${held} and protected instances pin the fullest, so removing more would leave them more than 1 apart`,
    });
  }
  if (t.protectedExcess > 0) {
    reasons.push({
      reason: 'ProtectedInstances',
      message: `${t.protectedExcess} ${unitLabel(context.spec.capacityUnit)} above target are protected from scale-in`,
    });
  }
  const wouldPlace = context.placement.placed.get(priority) ?? 0;
  if (context.minCapacityMissed) {
    reasons.push({
      reason: 'MinCapacityNotMet',
      message: `only ${t.held - t.removed + wouldPlace} of minCapacity ${t.target.minCapacity} can be reached: nothing is created`,
    });
  }
  if (wouldPlace < t.need) {
    // Unproven, the placement may fall short where a better one would not: relaxing a constraint could then
    // "place more" for no reason of its own, so no constraint is blamed.
    if (!context.placement.proven) reasons.push({ reason: 'SearchLimitReached', message: SEARCH_LIMIT_NOTE });
    else reasons.push(...diagnose(priority, wouldPlace, t.need, context));
  }
  return {
    priority,
    unit: context.spec.capacityUnit,
    target: t.target.target,
    current: t.held,
    achievable,
    shortfall: Math.max(0, t.target.target - achievable),
    reasons,
    adding: placed,
    removing: t.removed,
  };
}

/** Why a target falls short: each constraint that, relaxed alone, would let more be placed. */
function diagnose(
  priority: Priority,
  placed: number,
  need: number,
  context: OutcomeContext,
): ShortfallDetail[] {
  const countWith = (relax: Partial<typeof NO_RELAXATION>) =>
    place({ ...context.base, levels: 'Count', relax: { ...NO_RELAXATION, ...relax } }).placed.get(priority) ??
    0;
  const reasons: ShortfallDetail[] = [];
  const policy = context.base.zonePolicy;
  if (policy?.kind === 'Balanced' && policy.strict && countWith({ zoneBalance: true }) > placed) {
    const held = context.zones.map((zone) => context.base.zoneCurrent.get(zone) ?? 0).join('/');
    reasons.push({
      reason: 'ZoneBalanceBlocked',
      message: `strict zone balance: zones ${context.zones.join('/')} hold ${held}; more would leave them more than 1 apart`,
    });
  }
  if (countWith({ quota: true }) > placed) {
    reasons.push({ reason: 'QuotaExceeded', message: quotaMessage(priority, context) });
  }
  if (context.domainsShort.length > 0 && countWith({ faultDomains: true }) > placed) {
    reasons.push({
      reason: 'FaultDomainsUnavailable',
      message: `${context.domainsShort.map(zoneLabel).join(', ')} ha${context.domainsShort.length > 1 ? 've' : 's'} fewer than ${context.spec.platformFaultDomainCount} fault domains`,
    });
  }
  if (countWith({ instanceLimit: true }) > placed) {
    reasons.push({
      reason: 'InstanceLimitReached',
      message: `the group may hold at most ${context.spec.limits.maxInstances} instances`,
    });
  }
  const everything = countWith({ quota: true, zoneBalance: true, faultDomains: true, instanceLimit: true });
  if (everything < need) {
    const own = context.pools.filter((p) => p.priority === priority);
    const anyCapacity = own.some(
      (p) => p.capacity > 0 && p.ineligible.every((r) => r.kind === 'FaultDomains'),
    );
    reasons.push(
      anyCapacity || own.some((p) => p.free > 0)
        ? {
            reason: 'CapacityShortfall',
            message: `the eligible ${priority} pools have room for ${everything} of the ${need} ${unitLabel(context.spec.capacityUnit)} still needed${blockedNote(own)}`,
          }
        : {
            reason: own.length === 0 ? 'NoEligibleSize' : 'CapacityShortfall',
            message:
              own.length === 0
                ? `no allowed size can run as ${priority}`
                : `no ${priority} pool can take new VMs${blockedNote(own)}`,
          },
    );
  }
  return reasons;
}

function blockedNote(pools: readonly CandidatePool[]): string {
  const blocked = pools.filter((p) => p.ineligible.some((r) => r.kind === 'Blocked')).length;
  const unavailable = pools.filter((p) => p.ineligible.some((r) => r.kind === 'ZoneUnavailable')).length;
  const dear = pools.filter((p) => p.ineligible.some((r) => r.kind === 'PriceAboveMax')).length;
  const notes = [
    blocked > 0 ? `${blocked} blocked by recent allocation errors` : '',
    unavailable > 0 ? `${unavailable} in unavailable zones` : '',
    dear > 0 ? `${dear} above the max Spot price` : '',
  ].filter((s) => s !== '');
  return notes.length > 0 ? ` (${notes.join(', ')})` : '';
}

function quotaMessage(priority: Priority, context: OutcomeContext): string {
  const quota = context.base.quota;
  const parts: string[] = [];
  if (quota.regionalVCpus !== undefined) parts.push(`regional ${quota.regionalVCpus} vCPUs left`);
  if (priority === 'Spot' && quota.spotVCpus !== undefined) parts.push(`Spot ${quota.spotVCpus} vCPUs left`);
  if (priority === 'Regular' && quota.familyVCpus) {
    const families = new Set(context.pools.filter((p) => p.priority === priority).map((p) => p.size.family));
    for (const family of [...families].sort(compareNames)) {
      const left = quota.familyVCpus[family];
      if (left !== undefined) parts.push(`family ${family} ${left} vCPUs left`);
    }
  }
  return `vCPU quota before this plan: ${parts.join(', ')}`;
}

function zoneDecisions(
  policy: PlanInput['spec']['zonePolicy'],
  zones: readonly string[],
  occupancy: Occupancy,
  ranking: ZoneRanking | undefined,
  pools: readonly CandidatePool[],
  regionZones: PlanInput['region']['zones'],
  unit: PlanInput['spec']['capacityUnit'],
): string[] {
  const lines: string[] = [];
  for (const zone of zones) {
    if (regionZones.find((z) => z.name === zone)?.available === false) {
      lines.push(`${zoneLabel(zone)} unavailable: no new VMs there`);
    }
    const fd = pools.find((p) => p.zone === zone)?.ineligible.find((r) => r.kind === 'FaultDomains');
    if (fd?.kind === 'FaultDomains') {
      lines.push(`${zoneLabel(zone)} has ${fd.have} fault domains, fewer than ${fd.need}: not eligible`);
    }
  }
  if (zones.length < 2) return lines;
  const totals = zones.map((zone) => occupancy.count(zone)).join('/');
  if (policy.kind === 'Balanced') {
    lines.push(
      `zones ${zones.join('/')} end at ${totals} instances (${policy.strict ? 'strict' : 'best-effort'} balance)`,
    );
  } else if (policy.kind === 'SingleZone' && ranking) {
    const [first, ...rest] = ranking.scores;
    if (first) {
      lines.push(
        `BestEffortSingleZone: ${zoneLabel(first.zone)} first (would hold ${first.holds} ${unitLabel(unit)} on its own)` +
          (rest.length > 0 ? `, spill to ${rest.map((s) => s.zone).join(', ')}` : '') +
          `; zones end at ${totals}`,
      );
    }
  } else if (policy.kind === 'Prioritized') {
    const rank = new Map(policy.ranks.map((r) => [r.zone, r.rank]));
    const ordered = [...zones].sort(
      (a, b) =>
        (rank.get(a) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b) ?? Number.MAX_SAFE_INTEGER) ||
        compareNames(a, b),
    );
    lines.push(`zones by rank: ${ordered.join(', ')}; they end at ${zones.join('/')} = ${totals}`);
  }
  return lines;
}

function sizeDecisions(
  pools: readonly CandidatePool[],
  counts: readonly number[],
  targets: readonly TargetState[],
  unit: PlanInput['spec']['capacityUnit'],
  now: number,
): string[] {
  const lines: string[] = [];
  for (const t of targets) {
    if (t.need <= 0) continue;
    const zones = [...new Set(pools.filter((p) => p.priority === t.target.priority).map((p) => p.zone))];
    for (const zone of zones) {
      const entries = pools.flatMap((pool, i) =>
        pool.priority === t.target.priority && pool.zone === zone ? [{ pool, count: counts[i] ?? 0 }] : [],
      );
      const line = sizeDecision({
        priority: t.target.priority,
        zone,
        strategy: t.target.strategy,
        remaining: t.need,
        unit,
        pools: entries,
        now,
      });
      if (line) lines.push(line);
    }
  }
  return lines;
}

function distributionOf(cells: readonly LedgerCell[]): PoolCount[] {
  return cells
    .map((cell) => ({
      size: cell.size,
      zone: cell.zone,
      faultDomain: cell.faultDomain,
      priority: cell.priority,
      count: cell.count,
    }))
    .sort(
      (a, b) =>
        compareNames(a.priority, b.priority) ||
        compareNames(a.zone, b.zone) ||
        compareNames(a.size, b.size) ||
        a.faultDomain - b.faultDomain,
    );
}

/** USD per hour at the pools' prices; Deallocated instances cost nothing. */
function costOf(cells: readonly LedgerCell[], prices: ReadonlyMap<string, { pricePerHour: number }>): number {
  let micros = 0;
  for (const cell of cells) {
    const price = prices.get(poolKey(cell.size, cell.zone, cell.priority))?.pricePerHour ?? 0;
    micros += toMicros(price) * (cell.count - cell.deallocated);
  }
  return fromMicros(micros);
}
