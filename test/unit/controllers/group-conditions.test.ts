// The group's conditions from the plan and the instances' phases: Ready means every target is met by
// Running instances, so Deallocated Spot VMs (counted toward capacity, as in Azure) keep it False, and a
// strict-balance problem without a shortfall is never Ready either.
import { describe, expect, test } from 'vitest';
import { groupConditions } from '../../../src/controllers/group-status.ts';
import type { Plan, PriorityOutcome } from '../../../src/engine/index.ts';

const context = { generation: 3, now: new Date('2026-12-03T08:00:00Z') };

function outcome(partial: Partial<PriorityOutcome> = {}): PriorityOutcome {
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

function settledPlan(outcomes: PriorityOutcome[] = [outcome()]): Plan {
  return {
    creates: [],
    deletes: [],
    outcomes,
    hourlyCost: 0,
    spread: { zoneSkew: 0, faultDomainSkew: 0, largestZoneShare: 0 },
    distribution: [],
    stale: [],
    unavailable: [],
    decisions: [],
    provenOptimal: true,
    searchLimitReached: false,
  };
}

const byType = (conditions: ReturnType<typeof groupConditions>) =>
  Object.fromEntries(conditions.map((c) => [c.type, { status: c.status, reason: c.reason }]));

describe('Ready', () => {
  test('True when every target is met and every instance runs', () => {
    const conditions = byType(
      groupConditions(
        undefined,
        { plan: settledPlan(), paused: false, notReady: 0, failed: 0, deallocated: 0 },
        context,
      ),
    );
    expect(conditions.Ready).toEqual({ status: 'True', reason: 'AllInstancesRunning' });
  });

  test('False (InstancesDeallocated) while Deallocated Spot VMs hold part of the capacity, and Degraded says so', () => {
    const conditions = byType(
      groupConditions(
        undefined,
        { plan: settledPlan(), paused: false, notReady: 0, failed: 0, deallocated: 2 },
        context,
      ),
    );
    expect(conditions.Ready).toEqual({ status: 'False', reason: 'InstancesDeallocated' });
    expect(conditions.Degraded).toEqual({ status: 'True', reason: 'InstancesDeallocated' });
    expect(conditions.Progressing?.status).toBe('False');
  });

  test('False (ZoneBalanceBlocked) when the engine reports strict balance broken with nothing short', () => {
    const plan = settledPlan([
      outcome({
        priority: 'Regular',
        reasons: [{ reason: 'ZoneBalanceBlocked', message: 'zones 1/2/3 hold 2/0/1' }],
      }),
    ]);
    const conditions = byType(
      groupConditions(undefined, { plan, paused: false, notReady: 0, failed: 0, deallocated: 0 }, context),
    );
    expect(conditions.Ready).toEqual({ status: 'False', reason: 'ZoneBalanceBlocked' });
    expect(conditions.Degraded).toEqual({ status: 'True', reason: 'ZoneBalanceBlocked' });
  });
});
