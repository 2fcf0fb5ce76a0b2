// Plans as the engine hands them to the status computation, for the controllers' unit tests.
import type { Plan, PriorityOutcome } from '../../../src/engine/index.ts';

/** One priority's outcome: by default a 10-VM Spot target fully held, nothing to do. */
export function outcome(partial: Partial<PriorityOutcome> = {}): PriorityOutcome {
  return {
    priority: 'Spot',
    unit: 'VM',
    target: 10,
    current: 10,
    achievable: 10,
    shortfall: 0,
    reasons: [],
    adding: 0,
    removing: 0,
    ...partial,
  };
}

/** A plan with nothing to create or delete, proven optimal. */
export function settledPlan(partial: Partial<Plan> = {}): Plan {
  return {
    creates: [],
    deletes: [],
    outcomes: [outcome()],
    hourlyCost: 0,
    spread: { zoneSkew: 0, faultDomainSkew: 0, largestZoneShare: 0 },
    distribution: [],
    stale: [],
    unavailable: [],
    decisions: [],
    provenOptimal: true,
    searchLimitReached: false,
    ...partial,
  };
}
