// Decisions in plain words: for each choice, what won and why the best loser lost, e.g.
// "Standard_D2s_v5 zone 2 blocked: ZonalAllocationFailed until 12:01Z → Standard_D2as_v5, next lowest price
// 0.086 $/h". The list is bounded so it fits in status; the most important lines come first.
import { formatPrice } from './money.ts';
import { capacityTier } from './placement.ts';
import type { CandidatePool, Ineligibility } from './pools.ts';
import { compareNames } from './sizes.ts';
import type {
  AllocationStrategy,
  CapacityUnit,
  DeleteDecision,
  Priority,
  PriorityOutcome,
  StaleInstance,
} from './types.ts';

export const MAX_DECISIONS = 20;

export function formatTime(epochMs: number, now: number): string {
  const at = new Date(epochMs).toISOString();
  const sameDay = at.slice(0, 10) === new Date(now).toISOString().slice(0, 10);
  return sameDay ? `${at.slice(11, 16)}Z` : `${at.slice(0, 10)} ${at.slice(11, 16)}Z`;
}

export function zoneLabel(zone: string): string {
  return zone === '' ? 'regional' : `zone ${zone}`;
}

export function unitLabel(unit: CapacityUnit): string {
  return unit === 'VCpu' ? 'vCPUs' : 'VMs';
}

export function describeIneligibility(reason: Ineligibility, now: number): string {
  switch (reason.kind) {
    case 'NotOffered':
      return 'not offered';
    case 'NotSpotCapable':
      return 'cannot run as Spot';
    case 'ZoneUnavailable':
      return 'zone unavailable';
    case 'FaultDomains':
      return `only ${reason.have} fault domains, ${reason.need} required`;
    case 'Blocked':
      return `blocked: ${reason.code} until ${formatTime(reason.until, now)}`;
    case 'PriceAboveMax':
      return `Spot price ${formatPrice(reason.price)} $/h above max ${formatPrice(reason.max)} $/h`;
    case 'NoCapacity':
      return 'no free capacity';
  }
}

/** The strategy's own order over a zone's pools, eligible or not: the "preferred" pool comes first. */
export function strategyOrder(
  pools: readonly CandidatePool[],
  strategy: AllocationStrategy,
  remaining: number,
  unit: CapacityUnit,
): CandidatePool[] {
  const byName = (a: CandidatePool, b: CandidatePool) => compareNames(a.size.name, b.size.name);
  const tier = (p: CandidatePool) =>
    capacityTier(p.capacity * (unit === 'VCpu' ? p.size.vCPUs : 1), remaining);
  // Price per VM, or per vCPU with VCpu (cross-multiplied: exact on integer micro-dollars).
  const byPrice = (a: CandidatePool, b: CandidatePool) =>
    unit === 'VCpu'
      ? a.priceMicros * b.size.vCPUs - b.priceMicros * a.size.vCPUs
      : a.priceMicros - b.priceMicros;
  const sorted = [...pools];
  switch (strategy) {
    case 'LowestPrice':
      return sorted.sort((a, b) => byPrice(a, b) || byName(a, b));
    case 'Prioritized':
      return sorted.sort((a, b) => a.rank - b.rank || byPrice(a, b) || byName(a, b));
    case 'CapacityOptimized':
      return sorted.sort((a, b) => b.capacity - a.capacity || byPrice(a, b) || byName(a, b));
    case 'PriceCapacityOptimized':
      return sorted.sort((a, b) => tier(b) - tier(a) || byPrice(a, b) || byName(a, b));
  }
}

const TIER_NAMES = ['None', 'Low', 'Medium', 'High'] as const;

function why(
  pool: CandidatePool,
  strategy: AllocationStrategy,
  next: boolean,
  remaining: number,
  unit: CapacityUnit,
): string {
  const price =
    unit === 'VCpu'
      ? `${formatPrice(pool.pricePerHour / pool.size.vCPUs)} $/vCPU·h`
      : `${formatPrice(pool.pricePerHour)} $/h`;
  switch (strategy) {
    case 'LowestPrice':
      return `${next ? 'next ' : ''}lowest price ${price}`;
    case 'Prioritized':
      return `${next ? 'next ' : ''}rank ${pool.rank}, ${price}`;
    case 'CapacityOptimized':
      return `${next ? 'next ' : ''}most free capacity (${pool.capacity})`;
    case 'PriceCapacityOptimized': {
      const tier = capacityTier(pool.capacity * (unit === 'VCpu' ? pool.size.vCPUs : 1), remaining);
      return `capacity tier ${TIER_NAMES[tier] ?? 'Low'}, ${price}`;
    }
  }
}

export interface SizeDecisionInput {
  readonly priority: Priority;
  readonly zone: string;
  readonly strategy: AllocationStrategy;
  readonly remaining: number;
  readonly unit: CapacityUnit;
  /** The zone's candidate pools for this priority with their new-VM counts. */
  readonly pools: readonly { readonly pool: CandidatePool; readonly count: number }[];
  readonly now: number;
}

/** One line per priority × zone that receives VMs. */
export function sizeDecision(input: SizeDecisionInput): string | undefined {
  const counts = new Map(input.pools.map((entry) => [entry.pool, entry.count]));
  const ordered = strategyOrder(
    input.pools.map((entry) => entry.pool),
    input.strategy,
    input.remaining,
    input.unit,
  );
  const chosen = ordered.filter((pool) => (counts.get(pool) ?? 0) > 0);
  const winner = chosen[0];
  const preferred = ordered[0];
  if (!winner || !preferred) return undefined;
  const placed = chosen.map((pool) => `${counts.get(pool) ?? 0} × ${pool.size.name}`).join(', ');
  const where = `${input.priority} ${zoneLabel(input.zone)}`;
  // The next sizes in the strategy's order that could not be used, so a shortfall explains itself.
  const unused = ordered
    .filter((pool) => pool !== preferred && (counts.get(pool) ?? 0) === 0 && pool.ineligible.length > 0)
    .slice(0, 2)
    .map(
      (pool) =>
        `${pool.size.name} ${describeIneligibility(pool.ineligible[0] ?? { kind: 'NoCapacity' }, input.now)}`,
    );
  const notUsed = unused.length > 0 ? `; not used: ${unused.join('; ')}` : '';
  if (winner === preferred) {
    return `${where}: ${placed} (${why(winner, input.strategy, false, input.remaining, input.unit)})${notUsed}`;
  }
  const lostBecause =
    preferred.ineligible.length > 0
      ? preferred.ineligible.map((reason) => describeIneligibility(reason, input.now)).join(', ')
      : 'not chosen: quota, balance or a cheaper overall plan';
  return (
    `${preferred.size.name} ${zoneLabel(input.zone)} ${lostBecause} → ${winner.size.name}, ` +
    `${why(winner, input.strategy, true, input.remaining, input.unit)}; ${where}: ${placed}${notUsed}`
  );
}

export function removalDecisions(deletes: readonly DeleteDecision[]): string[] {
  const groups = new Map<string, DeleteDecision[]>();
  for (const decision of deletes) {
    const key = `${decision.priority}\u0000${decision.rule}`;
    groups.set(key, [...(groups.get(key) ?? []), decision]);
  }
  const lines: string[] = [];
  for (const group of groups.values()) {
    const first = group[0];
    if (!first) continue;
    const ids = group.slice(0, 6).map((d) => d.id);
    const more = group.length > ids.length ? `, … (${group.length - ids.length} more)` : '';
    const detail = first.rule === 'Failed' ? 'Failed instances are cleaned up' : `first: ${first.reason}`;
    lines.push(
      `${first.priority}: removing ${group.length} (${first.rule}): instances ${ids.join(', ')}${more} — ${detail}`,
    );
  }
  return lines;
}

export function outcomeSummary(outcome: PriorityOutcome): string {
  const unit = unitLabel(outcome.unit);
  const change = [
    outcome.adding > 0 ? `+${outcome.adding}` : '',
    outcome.removing > 0 ? `−${outcome.removing}` : '',
  ]
    .filter((s) => s !== '')
    .join(' ');
  return (
    `${outcome.priority}: target ${outcome.target} ${unit}, held ${outcome.current}` +
    (change === '' ? ', no change' : `, ${change}`) +
    (outcome.shortfall > 0 ? `, short by ${outcome.shortfall}` : '')
  );
}

export function staleSummary(stale: readonly StaleInstance[]): string | undefined {
  if (stale.length === 0) return undefined;
  const byReason = new Map<string, number>();
  for (const s of stale)
    for (const reason of s.reasons) byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  const parts = [...byReason].map(([reason, n]) => `${reason} ${n}`).join(', ');
  return `${stale.length} stale instance(s) (${parts}): counted, left to the upgrade logic`;
}

/** Keeps the first MAX_DECISIONS − 1 lines and says how many were left out. */
export function bounded(lines: readonly string[]): string[] {
  if (lines.length <= MAX_DECISIONS) return [...lines];
  const kept = lines.slice(0, MAX_DECISIONS - 1);
  kept.push(`… and ${lines.length - kept.length} more decisions`);
  return kept;
}
