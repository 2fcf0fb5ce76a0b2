// The parts of a ScaleSet's and a ComputeFleet's status that describe the same things: where the
// instances are, what they cost, how they are spread, what the engine wants next, and the conditions.
// Pure: computed from the instances, the plan and the previous status, so an unchanged world gives a
// byte-identical status and therefore no write.
import type {
  Condition as ApiCondition,
  FieldError,
  Instance,
  PlanSummary,
  Region,
  UnavailableOffering,
} from '../api/index.ts';
import { roundHourly, type Plan, type PriorityOutcome, type ShortfallReason } from '../engine/index.ts';
import { eligibleCells, placementGrid, spreadOf } from '../metrics/spread.ts';
import {
  computeConditions,
  type Condition,
  type ConditionUpdate,
  type DeepReadonly,
} from '../runtime/index.ts';
import { phaseOf } from './instances.ts';

const MAX_LISTED_DELETES = 50;
const MAX_CREATE_GROUPS = 100;

export interface PlacementCounts {
  byZone: { zone: string; count: number }[];
  byFaultDomain: { zone: string; faultDomain: number; count: number }[];
  bySize: { vmSize: string; count: number }[];
  spread: { zoneSkew: number; faultDomainSkew: number; largestZoneShare: number };
  hourlyCost: number;
  readyInstances: number;
}

export function placementCounts(
  instances: readonly DeepReadonly<Instance>[],
  policy: { zones: readonly string[]; platformFaultDomainCount: number },
  region: DeepReadonly<Region> | undefined,
): PlacementCounts {
  const grid = placementGrid(
    eligibleCells(policy, region?.spec),
    instances.map((i) => ({ zone: i.spec.zone, faultDomain: i.spec.faultDomain })),
  );
  const bySize = new Map<string, number>();
  let hourlyCost = 0;
  let readyInstances = 0;
  for (const instance of instances) {
    bySize.set(instance.spec.vmSize, (bySize.get(instance.spec.vmSize) ?? 0) + 1);
    if (phaseOf(instance) === 'Running') {
      readyInstances += 1;
      hourlyCost += instance.status?.pricePerHour ?? 0;
    }
  }
  const byZone = [...grid].map(([zone, domains]) => ({
    zone,
    count: [...domains.values()].reduce((a, b) => a + b, 0),
  }));
  const byFaultDomain = [...grid].flatMap(([zone, domains]) =>
    [...domains].sort(([a], [b]) => a - b).map(([faultDomain, count]) => ({ zone, faultDomain, count })),
  );
  const spread = spreadOf(grid);
  return {
    byZone,
    byFaultDomain,
    bySize: [...bySize].sort(([a], [b]) => (a < b ? -1 : 1)).map(([vmSize, count]) => ({ vmSize, count })),
    spread: { ...spread, largestZoneShare: Math.round(spread.largestZoneShare * 1e4) / 1e4 },
    hourlyCost: roundHourly(hourlyCost),
    readyInstances,
  };
}

export function planSummary(plan: Plan): PlanSummary {
  return {
    creates: plan.creates.slice(0, MAX_CREATE_GROUPS).map((c) => ({
      vmSize: c.size,
      zone: c.zone,
      faultDomain: c.faultDomain,
      priority: c.priority,
      count: c.count,
    })),
    deletes: plan.deletes
      .slice(0, MAX_LISTED_DELETES)
      .map((d) => ({ name: d.name ?? String(d.id), rule: `${d.rule}: ${d.reason}` })),
    shortfall: plan.outcomes
      .filter((o) => o.shortfall > 0)
      .map((o) => ({
        priority: o.priority,
        count: o.shortfall,
        reason: o.reasons[0]?.reason ?? 'CapacityShortfall',
        message: o.reasons.map((r) => r.message).join('; '),
      })),
    projectedHourlyCost: roundHourly(plan.hourlyCost),
    decisions: [...plan.decisions],
    ...(plan.searchLimitReached ? { searchLimitReached: true } : {}),
  };
}

/** Reasons that make a shortfall a Degraded condition, most specific first. */
const DEGRADED_REASONS: readonly ShortfallReason[] = [
  'MinCapacityNotMet',
  'QuotaExceeded',
  'FaultDomainsUnavailable',
  'ZoneBalanceBlocked',
  'NoEligibleSize',
  'InstanceLimitReached',
  'ProtectedInstances',
  'SearchLimitReached',
  'CapacityShortfall',
];

function firstShortfall(
  outcomes: readonly PriorityOutcome[],
): { reason: ShortfallReason; message: string } | undefined {
  // A target is missed when it is short, or when the engine gives a reason with no shortfall: protected
  // instances hold it above its target, or strict zone balance cannot be kept.
  const missed = (o: PriorityOutcome) => o.shortfall > 0 || o.reasons.length > 0;
  const all = outcomes.flatMap((o) =>
    missed(o) ? o.reasons.map((r) => ({ ...r, priority: o.priority })) : [],
  );
  for (const reason of DEGRADED_REASONS) {
    const found = all.find((r) => r.reason === reason);
    if (found) return { reason, message: `${found.priority}: ${found.message}` };
  }
  const shortOutcome = outcomes.find((o) => o.shortfall > 0);
  return shortOutcome
    ? {
        reason: 'CapacityShortfall',
        message: `${shortOutcome.priority}: ${shortOutcome.shortfall} short of target`,
      }
    : undefined;
}

export interface ConditionInputs {
  plan: Plan;
  paused: boolean;
  /** Instances not yet Running (Pending, Provisioning) among the live ones. */
  notReady: number;
  failed: number;
  /** Spot VMs evicted with Deallocate: they count toward capacity (as in Azure) but do not run. */
  deallocated: number;
}

export function groupConditions(
  previous: readonly Condition[] | undefined,
  inputs: ConditionInputs,
  context: { generation: number; now: Date },
): Condition[] {
  const { plan } = inputs;
  const shortfall = firstShortfall(plan.outcomes);
  const changing = plan.creates.length > 0 || plan.deletes.length > 0;
  const minNotMet = shortfall?.reason === 'MinCapacityNotMet';
  const ready: ConditionUpdate = minNotMet
    ? { type: 'Ready', status: 'False', reason: 'MinCapacityNotMet', message: shortfall.message }
    : inputs.paused && changing
      ? {
          type: 'Ready',
          status: 'False',
          reason: 'Paused',
          message: 'paused: the plan in status is not acted on',
        }
      : changing || inputs.notReady > 0
        ? {
            type: 'Ready',
            status: 'False',
            reason: 'Provisioning',
            message: `${inputs.notReady} instance(s) not running yet, ${plan.creates.reduce((n, c) => n + c.count, 0)} to create, ${plan.deletes.length} to delete`,
          }
        : shortfall
          ? { type: 'Ready', status: 'False', reason: shortfall.reason, message: shortfall.message }
          : inputs.deallocated > 0
            ? {
                type: 'Ready',
                status: 'False',
                reason: DEALLOCATED,
                message: deallocatedMessage(inputs.deallocated),
              }
            : {
                type: 'Ready',
                status: 'True',
                reason: 'AllInstancesRunning',
                message: 'every target is met by running instances',
              };
  const progressing: ConditionUpdate =
    changing && !inputs.paused
      ? { type: 'Progressing', status: 'True', reason: 'Scaling', message: 'creating or deleting instances' }
      : inputs.notReady > 0
        ? {
            type: 'Progressing',
            status: 'True',
            reason: 'Provisioning',
            message: `${inputs.notReady} instance(s) provisioning`,
          }
        : { type: 'Progressing', status: 'False', reason: 'Stable', message: '' };
  const degraded: ConditionUpdate = shortfall
    ? { type: 'Degraded', status: 'True', reason: shortfall.reason, message: shortfall.message }
    : inputs.failed > 0
      ? {
          type: 'Degraded',
          status: 'True',
          reason: 'AllocationFailed',
          message: `${inputs.failed} instance(s) failed to allocate; replacing them`,
        }
      : inputs.deallocated > 0
        ? {
            type: 'Degraded',
            status: 'True',
            reason: DEALLOCATED,
            message: deallocatedMessage(inputs.deallocated),
          }
        : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' };
  return computeConditions(previous, [ready, progressing, degraded], context);
}

const DEALLOCATED = 'InstancesDeallocated';

function deallocatedMessage(count: number): string {
  return `${count} Spot instance(s) evicted and deallocated: they count toward capacity but do not run until restored`;
}

/** Status conditions of a group whose spec cannot be acted on; its instances are left untouched. */
export function invalidSpecConditions(
  previous: readonly Condition[] | undefined,
  errors: readonly FieldError[],
  context: { generation: number; now: Date },
  reason = 'InvalidSpec',
): Condition[] {
  const message = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return computeConditions(
    previous,
    [
      { type: 'Ready', status: 'False', reason, message },
      {
        type: 'Progressing',
        status: 'False',
        reason,
        message: 'nothing is created or deleted until the spec is fixed',
      },
      { type: 'Degraded', status: 'True', reason, message },
    ],
    context,
  );
}

/** Conditions as the cache holds them (the API type) in the runtime helpers' shape. */
export function asConditions(
  conditions: readonly DeepReadonly<ApiCondition>[] | undefined,
): readonly Condition[] | undefined {
  return conditions?.map((c) => ({ ...c, observedGeneration: c.observedGeneration ?? 0 }));
}

export function unavailableForStatus(offerings: readonly UnavailableOffering[]): UnavailableOffering[] {
  return offerings.slice(0, 500).map((o) => ({ ...o }));
}
