// The group's conditions from the plan and the instances' phases: Ready means every target is met by
// Running instances, so Deallocated Spot VMs (counted toward capacity, as in Azure) keep it False, and a
// strict-balance problem without a shortfall is never Ready either.
import { describe, expect, test } from 'vitest';
import { groupConditions, type ConditionInputs } from '../../../src/controllers/group-status.ts';
import { outcome, settledPlan } from './plans.ts';

const context = { generation: 3, now: new Date('2026-12-03T08:00:00Z') };

function conditionsOf(inputs: Partial<ConditionInputs>) {
  const conditions = groupConditions(
    undefined,
    { plan: settledPlan(), paused: false, notReady: 0, failed: 0, deallocated: 0, ...inputs },
    context,
  );
  return Object.fromEntries(conditions.map((c) => [c.type, { status: c.status, reason: c.reason }]));
}

describe('Ready', () => {
  test('True when every target is met and every instance runs', () => {
    expect(conditionsOf({}).Ready).toEqual({ status: 'True', reason: 'AllInstancesRunning' });
  });

  test('False (InstancesDeallocated) while Deallocated Spot VMs hold part of the capacity, and Degraded says so', () => {
    const conditions = conditionsOf({ deallocated: 2 });
    expect(conditions.Ready).toEqual({ status: 'False', reason: 'InstancesDeallocated' });
    expect(conditions.Degraded).toEqual({ status: 'True', reason: 'InstancesDeallocated' });
    expect(conditions.Progressing?.status).toBe('False');
  });

  test('False (ZoneBalanceBlocked) when the engine reports strict balance broken with nothing short', () => {
    const reasons = [{ reason: 'ZoneBalanceBlocked' as const, message: 'zones 1/2/3 hold 2/0/1' }];
    const conditions = conditionsOf({
      plan: settledPlan({ outcomes: [outcome({ priority: 'Regular', reasons })] }),
    });
    expect(conditions.Ready).toEqual({ status: 'False', reason: 'ZoneBalanceBlocked' });
    expect(conditions.Degraded).toEqual({ status: 'True', reason: 'ZoneBalanceBlocked' });
  });
});
