// status.plan as the group reconcilers publish it: the search-limit flag (issue #14) only when set, and the
// Degraded reason it gives a shortfall.
import { describe, expect, it } from 'vitest';
import { groupConditions, planSummary } from '../../../src/controllers/group-status.ts';
import type { Plan } from '../../../src/engine/index.ts';
import { outcome, settledPlan } from './plans.ts';

const base = settledPlan({ outcomes: [], hourlyCost: 6032.3550000000005 / 730 });

describe('status.plan', () => {
  it('has no searchLimitReached field for a proven plan, and the hourly cost to the micro-dollar', () => {
    const summary = planSummary(base);
    expect('searchLimitReached' in summary).toBe(false);
    expect(summary.projectedHourlyCost).toBe(8.2635);
  });

  it('says searchLimitReached: true, and a shortfall from it makes Degraded with reason SearchLimitReached', () => {
    const limited: Plan = {
      ...base,
      provenOptimal: false,
      searchLimitReached: true,
      outcomes: [
        outcome({
          priority: 'Regular',
          unit: 'VCpu',
          current: 0,
          achievable: 8,
          shortfall: 2,
          reasons: [{ reason: 'SearchLimitReached', message: 'the optimiser hit its search limit' }],
          adding: 8,
        }),
      ],
    };
    expect(planSummary(limited).searchLimitReached).toBe(true);
    const conditions = groupConditions(
      undefined,
      { plan: limited, paused: false, notReady: 0, failed: 0, deallocated: 0 },
      { generation: 1, now: new Date(0) },
    );
    const degraded = conditions.find((c) => c.type === 'Degraded');
    expect(degraded?.status).toBe('True');
    expect(degraded?.reason).toBe('SearchLimitReached');
  });
});
