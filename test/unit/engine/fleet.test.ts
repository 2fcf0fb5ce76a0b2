// ComputeFleet targets: independent Regular and Spot, minCapacity, maintain, the 10,000-VM limit.
import { expect, test } from 'vitest';
import { plan } from '../../../src/engine/index.ts';
import { fleet, input, poolsIn, region, running, size, totalCreated } from './support/fixtures.ts';

const sizes = [size('Standard_D2s_v5', 2)];
const spotProfile = (capacity: number, extra: object = {}) => ({
  capacity,
  minCapacity: 0,
  allocationStrategy: 'LowestPrice' as const,
  maintain: true,
  lostToEviction: 0,
  ...extra,
});
const regularProfile = (capacity: number, minCapacity = 0) => ({
  capacity,
  minCapacity,
  allocationStrategy: 'LowestPrice' as const,
});

test('Regular and Spot targets are independent: a Spot shortfall never spills into Regular', () => {
  const pools = poolsIn(
    ['1', '2', '3'],
    [
      ['Standard_D2s_v5', 'Regular', 0.096, 100],
      ['Standard_D2s_v5', 'Spot', 0.0192, 1],
    ],
  );
  const result = plan(
    input({
      spec: fleet({ regular: regularProfile(4), spot: spotProfile(6) }),
      region: region({ sizes, pools }),
    }),
  );
  expect(totalCreated(result.creates.filter((c) => c.priority === 'Regular'))).toBe(4);
  expect(totalCreated(result.creates.filter((c) => c.priority === 'Spot'))).toBe(3);
  expect(result.outcomes.find((o) => o.priority === 'Spot')).toMatchObject({
    shortfall: 3,
    reasons: [expect.objectContaining({ reason: 'CapacityShortfall' })],
  });
});

test('minCapacity that cannot be met: nothing at all is created, and the reason says why', () => {
  const pools = poolsIn(
    ['1', '2', '3'],
    [
      ['Standard_D2s_v5', 'Regular', 0.096, 100],
      ['Standard_D2s_v5', 'Spot', 0.0192, 1],
    ],
  );
  const result = plan(
    input({
      spec: fleet({ regular: regularProfile(4), spot: spotProfile(10, { minCapacity: 5 }) }),
      region: region({ sizes, pools }),
    }),
  );
  expect(result.creates).toEqual([]);
  const spot = result.outcomes.find((o) => o.priority === 'Spot');
  expect(spot?.reasons[0]).toEqual({
    reason: 'MinCapacityNotMet',
    message: 'only 3 of minCapacity 5 can be reached: nothing is created',
  });
});

test('without maintain, Spot capacity lost to evictions is not replaced; with it, it is', () => {
  const pools = poolsIn(['1', '2', '3'], [['Standard_D2s_v5', 'Spot', 0.0192, 100]]);
  const current = running('1', [1, 2, 3, 4, 5, 6, 7], { priority: 'Spot' }); // 3 of 10 were evicted and deleted
  const without = plan(
    input({
      spec: fleet({ spot: spotProfile(10, { maintain: false, lostToEviction: 3 }) }),
      region: region({ sizes, pools }),
      current,
    }),
  );
  expect(without.creates).toEqual([]);
  expect(without.outcomes[0]?.target).toBe(7);
  const maintained = plan(
    input({
      spec: fleet({ spot: spotProfile(10, { lostToEviction: 3 }) }),
      region: region({ sizes, pools }),
      current,
    }),
  );
  expect(totalCreated(maintained.creates)).toBe(3);
});

test('the fleet holds at most 10,000 VMs', () => {
  const pools = poolsIn(
    ['1', '2', '3'],
    [
      ['Standard_D2s_v5', 'Regular', 0.096, 5000],
      ['Standard_D2s_v5', 'Spot', 0.0192, 5000],
    ],
  );
  const result = plan(
    input({
      spec: fleet({ regular: regularProfile(9000), spot: spotProfile(2000) }),
      region: region({ sizes, pools }),
    }),
  );
  expect(totalCreated(result.creates)).toBe(10_000);
  expect(result.outcomes.find((o) => o.priority === 'Spot')?.reasons.map((r) => r.reason)).toEqual([
    'InstanceLimitReached',
  ]);
});
