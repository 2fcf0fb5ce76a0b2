// Plan-wide behaviour: minimal churn and stale instances, the unavailable set and its expiry, explanations,
// limits, cost and spread, determinism.
import { describe, expect, test } from 'vitest';
import { MAX_DECISIONS, plan, scaleSetLimits } from '../../../src/engine/index.ts';
import {
  NOW,
  fleet,
  input,
  instance,
  perSize,
  perZone,
  pool,
  poolsIn,
  region,
  running,
  scaleSet,
  size,
  totalCreated,
} from './support/fixtures.ts';

const sizes = [size('Standard_D2s_v5', 2), size('Standard_D2as_v5', 2)];
const both = { kind: 'List' as const, sizes: sizes.map((s) => ({ name: s.name, rank: 0 })) };
const pools = poolsIn(
  ['1', '2', '3'],
  [
    ['Standard_D2s_v5', 'Regular', 0.08, 100],
    ['Standard_D2as_v5', 'Regular', 0.086, 100],
  ],
);

describe('minimal churn', () => {
  test('a plan at target does nothing, and Running instances never move to a cheaper or better spot', () => {
    // All in zone 1 on the dearer size: unbalanced and not the cheapest, but at target.
    const current = running('1', [1, 2, 3], { size: 'Standard_D2as_v5' });
    const result = plan(
      input({ spec: scaleSet({ capacity: 3, sizes: both }), region: region({ sizes, pools }), current }),
    );
    expect(result.creates).toEqual([]);
    expect(result.deletes).toEqual([]);
    expect(result.spread).toEqual({ zoneSkew: 3, faultDomainSkew: 3, largestZoneShare: 1 });
  });

  test('stale instances (model changed, size dropped) are counted, listed, and not replaced here', () => {
    const current = [
      instance({ zone: '1', id: 1, modelHash: 'm0' }),
      instance({ zone: '2', id: 2, size: 'Standard_D2as_v5' }),
      instance({ zone: '3', id: 3 }),
    ];
    const result = plan(
      input({
        spec: scaleSet({
          capacity: 4,
          sizes: { kind: 'List', sizes: [{ name: 'Standard_D2s_v5', rank: 0 }] },
        }),
        region: region({ sizes, pools }),
        current,
      }),
    );
    expect(totalCreated(result.creates)).toBe(1);
    expect(result.deletes).toEqual([]);
    expect(result.stale).toEqual([
      { id: 1, name: undefined, reasons: ['ModelChanged'] },
      { id: 2, name: undefined, reasons: ['SizeNotAllowed'] },
    ]);
  });
});

describe('the unavailable set', () => {
  const blocked = [
    { size: 'Standard_D2s_v5', zone: '2', code: 'ZonalAllocationFailed', until: NOW + 60_000 },
  ];

  test('a blocked pool is skipped until its expiry, and the decision names what won instead and why', () => {
    const result = plan(
      input({
        spec: scaleSet({ capacity: 9, sizes: both }),
        region: region({ sizes, pools }),
        unavailable: blocked,
      }),
    );
    expect(perSize(result.creates.filter((c) => c.zone === '2'))).toEqual({ Standard_D2as_v5: 3 });
    expect(result.decisions).toContain(
      'Standard_D2s_v5 zone 2 blocked: ZonalAllocationFailed until 12:01Z → Standard_D2as_v5, next lowest price 0.086 $/h; Regular zone 2: 3 × Standard_D2as_v5',
    );
    expect(result.unavailable).toEqual(blocked);
  });

  test('after the expiry the pool is used again and the entry is gone', () => {
    const result = plan(
      input({
        spec: scaleSet({ capacity: 9, sizes: both }),
        region: region({ sizes, pools }),
        unavailable: blocked,
        now: NOW + 60_000,
      }),
    );
    expect(perSize(result.creates)).toEqual({ Standard_D2s_v5: 9 });
    expect(result.unavailable).toEqual([]);
  });

  test('an entry without zone or priority blocks the size everywhere', () => {
    const result = plan(
      input({
        spec: scaleSet({ capacity: 3, sizes: both }),
        region: region({ sizes, pools }),
        unavailable: [{ size: 'Standard_D2s_v5', code: 'SkuNotAvailable', until: NOW + 1 }],
      }),
    );
    expect(perSize(result.creates)).toEqual({ Standard_D2as_v5: 3 });
  });
});

describe('limits', () => {
  test('a single placement group caps a ScaleSet at 100, a ManagedImage at 600', () => {
    const big = poolsIn(['1', '2', '3'], [['Standard_D2s_v5', 'Regular', 0.08, 1000]]);
    const single = plan(
      input({
        spec: scaleSet({
          capacity: 150,
          limits: scaleSetLimits({
            orchestrationMode: 'Uniform',
            imageSource: 'Marketplace',
            singlePlacementGroup: true,
          }),
        }),
        region: region({ sizes, pools: big }),
      }),
    );
    expect(totalCreated(single.creates)).toBe(100);
    expect(single.outcomes[0]?.reasons.map((r) => r.reason)).toEqual(['InstanceLimitReached']);
    expect(
      scaleSetLimits({
        orchestrationMode: 'Flexible',
        imageSource: 'ManagedImage',
        singlePlacementGroup: false,
      }),
    ).toEqual({
      maxInstances: 600,
      maxSizes: 5,
    });
  });
});

describe('cost and spread', () => {
  test('hourly cost counts every instance once realised, Deallocated ones as free', () => {
    const current = [instance({ zone: '1', id: 1 }), instance({ zone: '2', id: 2, phase: 'Deallocated' })];
    const result = plan(
      input({ spec: scaleSet({ capacity: 4, sizes: both }), region: region({ sizes, pools }), current }),
    );
    expect(result.hourlyCost).toBeCloseTo(0.08 * 3, 9); // 1 Running + 2 new D2s_v5; the Deallocated one is free
    expect(perZone(result.creates)).toEqual({ '1': 1, '3': 1 }); // 1/1/0: zone 3, then the tie by name
    expect(result.spread).toEqual({ zoneSkew: 1, faultDomainSkew: 1, largestZoneShare: 0.5 });
  });

  test('distribution lists the group per size × zone × fault domain × priority after the plan', () => {
    const result = plan(input({ spec: scaleSet({ capacity: 3 }), region: region({ sizes, pools }) }));
    expect(result.distribution).toEqual(
      ['1', '2', '3'].map((zone) => ({
        size: 'Standard_D2s_v5',
        zone,
        faultDomain: 0,
        priority: 'Regular',
        count: 1,
      })),
    );
  });
});

describe('explanations', () => {
  test('the decision list is bounded', () => {
    const many = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];
    const result = plan(
      input({
        spec: fleet({
          zones: many,
          regular: { capacity: 24, minCapacity: 0, allocationStrategy: 'LowestPrice' },
          spot: {
            capacity: 24,
            minCapacity: 0,
            allocationStrategy: 'LowestPrice',
            maintain: true,
            lostToEviction: 0,
          },
        }),
        region: region({
          zones: many.map((name) => ({ name, faultDomains: 2, available: true })),
          sizes,
          pools: poolsIn(many, [
            ['Standard_D2s_v5', 'Regular', 0.08, 10],
            ['Standard_D2s_v5', 'Spot', 0.02, 10],
          ]),
        }),
      }),
    );
    expect(result.decisions).toHaveLength(MAX_DECISIONS);
    expect(result.decisions.at(-1)).toMatch(/^… and \d+ more decisions$/);
  });
});

test('same input, same plan — whatever the order of the input lists', () => {
  const current = [
    ...running('1', [5, 1]),
    instance({ zone: '2', id: 3, phase: 'Failed' }),
    ...running('3', [4]),
  ];
  const unavailable = [
    { size: 'Standard_D2s_v5', zone: '1', code: 'ZonalAllocationFailed', until: NOW + 5 },
    { size: 'Standard_D2as_v5', zone: '3', code: 'AllocationFailed', until: NOW + 5 },
  ];
  const base = input({
    spec: scaleSet({ capacity: 10, sizes: both }),
    region: region({ sizes, pools }),
    current,
    unavailable,
  });
  const shuffled = input({
    spec: scaleSet({ capacity: 10, sizes: { kind: 'List', sizes: [...both.sizes].reverse() } }),
    region: region({ sizes: [...sizes].reverse(), pools: [...pools].reverse() }),
    current: [...current].reverse(),
    unavailable: [...unavailable].reverse(),
  });
  expect(plan(shuffled)).toEqual(plan(base));
  expect(plan(base)).toEqual(plan(base));
});

test('a plan with pools that do not exist in the region reports NoEligibleSize-free shortfall', () => {
  const result = plan(
    input({
      spec: scaleSet({
        capacity: 2,
        sizes: { kind: 'List', sizes: [{ name: 'Standard_Missing', rank: 0 }] },
      }),
      region: region({ sizes, pools: [pool('Standard_D2s_v5', '1', 'Regular', 0.08, 10)] }),
    }),
  );
  expect(result.creates).toEqual([]);
  expect(result.decisions[0]).toBe('Standard_Missing is not offered in this region');
  expect(result.outcomes[0]?.reasons.map((r) => r.reason)).toEqual(['NoEligibleSize']);
});
