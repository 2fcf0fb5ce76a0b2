import { describe, expect, it } from 'vitest';
import type { ScaleSet } from '../../../src/api/index.ts';
import {
  ALLOCATION_FAILURE_REASONS,
  TERMINATION_REASONS,
  createMetrics,
  staticState,
  type FleetStateSource,
} from '../../../src/metrics/index.ts';
import { JOBS, REGION, WEB } from './fixtures.ts';
import { samplesOf, sumOf, valueOf } from './support.ts';

const web = { namespace: 'default', kind: 'ScaleSet', name: 'web' } as const;
const jobs = { namespace: 'batch', kind: 'ComputeFleet', name: 'jobs' } as const;

describe('lifecycle counters', () => {
  it('count creations, terminations by reason and allocation failures by Azure code', async () => {
    const metrics = createMetrics({
      state: staticState({ scaleSets: [WEB], computeFleets: [JOBS], regions: [REGION] }),
      defaultMetrics: false,
    });
    const { lifecycle, registry } = metrics;
    lifecycle.instanceCreated(web, 'Regular');
    lifecycle.instanceCreated(web, 'Regular');
    lifecycle.instanceCreated(jobs, 'Spot');
    lifecycle.instanceTerminated(jobs, 'Spot', 'eviction');
    lifecycle.instanceTerminated(web, 'Regular', 'scale-in');
    lifecycle.allocationFailure(jobs, 'Spot', 'ZonalAllocationFailed');

    const created = await samplesOf(registry, 'vmfleet_instances_created_total');
    expect(valueOf(created, { ...web, capacity_type: 'regular' })).toBe(2);
    expect(valueOf(created, { ...jobs, capacity_type: 'spot' })).toBe(1);
    const terminated = await samplesOf(registry, 'vmfleet_instances_terminated_total');
    expect(valueOf(terminated, { ...jobs, capacity_type: 'spot', reason: 'eviction' })).toBe(1);
    expect(valueOf(terminated, { ...web, capacity_type: 'regular', reason: 'scale-in' })).toBe(1);
    const failures = await samplesOf(registry, 'vmfleet_allocation_failures_total');
    expect(valueOf(failures, { ...jobs, capacity_type: 'spot', reason: 'ZonalAllocationFailed' })).toBe(1);
    expect(sumOf(failures)).toBe(1);
  });

  it('pre-initialise every reason and code at 0 for each live group and capacity type it uses', async () => {
    const { registry } = createMetrics({
      state: staticState({ scaleSets: [WEB], computeFleets: [JOBS] }),
      defaultMetrics: false,
    });
    const terminated = await samplesOf(registry, 'vmfleet_instances_terminated_total');
    // web is Regular only; jobs uses both capacity types.
    expect(terminated).toHaveLength((1 + 2) * TERMINATION_REASONS.length);
    expect(terminated.every((s) => s.value === 0)).toBe(true);
    const failures = await samplesOf(registry, 'vmfleet_allocation_failures_total');
    expect(failures).toHaveLength((1 + 2) * ALLOCATION_FAILURE_REASONS.length);
    expect(new Set(failures.map((s) => s.labels.reason))).toEqual(
      new Set([
        'AllocationFailed',
        'ZonalAllocationFailed',
        'SkuNotAvailable',
        'OverconstrainedAllocationRequest',
        'OperationNotAllowed',
      ]),
    );
    expect(await samplesOf(registry, 'vmfleet_instances_created_total')).toHaveLength(3);
  });

  it('drop a group’s series once the group is gone, so deleted groups do not accumulate', async () => {
    let scaleSets: ScaleSet[] = [WEB];
    const state: FleetStateSource = { ...staticState({ computeFleets: [JOBS] }), scaleSets: () => scaleSets };
    const { lifecycle, registry } = createMetrics({ state, defaultMetrics: false });
    lifecycle.instanceTerminated(web, 'Spot', 'eviction');
    expect(sumOf(await samplesOf(registry, 'vmfleet_instances_terminated_total'), web)).toBe(1);
    scaleSets = [];
    const after = await samplesOf(registry, 'vmfleet_instances_terminated_total');
    expect(after.filter((s) => s.labels.name === 'web')).toEqual([]);
    expect(after.filter((s) => s.labels.name === 'jobs')).toHaveLength(2 * TERMINATION_REASONS.length);
  });
});
