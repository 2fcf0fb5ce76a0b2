// The size decision within a zone, one worked example per allocation strategy and size rule.
import { describe, expect, test } from 'vitest';
import { plan } from '../../../src/engine/index.ts';
import type { SizeChoice } from '../../../src/engine/types.ts';
import {
  fleet,
  input,
  perSize,
  pool,
  region,
  scaleSet,
  size,
  totalCreated,
  zones,
} from './support/fixtures.ts';

const list = (...sizes: (string | [string, number])[]) => ({
  kind: 'List' as const,
  sizes: sizes.map((s): SizeChoice =>
    typeof s === 'string' ? { name: s, rank: 0 } : { name: s[0], rank: s[1] },
  ),
});

// One regional pseudo-zone keeps these examples about sizes only.
const regional = { zones: [] as string[] };
const oneZone = (pools: ReturnType<typeof pool>[], sizes = SIZES) =>
  region({ zones: zones(['']), sizes, pools });

const SIZES = [
  size('Standard_D2s_v5', 2, { family: 'DSv5' }),
  size('Standard_D2as_v5', 2, { family: 'DASv5' }),
  size('Standard_D4s_v5', 4, { family: 'DSv5' }),
  size('Standard_D4as_v5', 4, { family: 'DASv5' }),
  size('Standard_B2s', 2, { family: 'BS', burstable: true, spotCapable: false }),
];

describe('LowestPrice', () => {
  test('per VM: the cheapest size until its capacity runs out, then the next cheapest', () => {
    const result = plan(
      input({
        spec: scaleSet({ ...regional, capacity: 10, sizes: list('Standard_D2s_v5', 'Standard_D2as_v5') }),
        region: oneZone([
          pool('Standard_D2s_v5', '', 'Regular', 0.096, 50),
          pool('Standard_D2as_v5', '', 'Regular', 0.086, 6),
        ]),
      }),
    );
    expect(perSize(result.creates)).toEqual({ Standard_D2as_v5: 6, Standard_D2s_v5: 4 });
    expect(result.hourlyCost).toBeCloseTo(6 * 0.086 + 4 * 0.096, 9);
  });

  test('per vCPU with capacityType VCpu: the cheapest cover of the target, overshoot below one VM', () => {
    // 4-vCPU size at 0.040 $/vCPU, 2-vCPU size at 0.050 $/vCPU.
    const pools = [
      pool('Standard_D4s_v5', '', 'Regular', 0.16, 50),
      pool('Standard_D2s_v5', '', 'Regular', 0.1, 50),
    ];
    const cover = (capacity: number) =>
      plan(
        input({
          spec: fleet({
            ...regional,
            capacityUnit: 'VCpu',
            sizes: list('Standard_D4s_v5', 'Standard_D2s_v5'),
            regular: { capacity, minCapacity: 0, allocationStrategy: 'LowestPrice' },
          }),
          region: oneZone(pools),
        }),
      );
    expect(perSize(cover(10).creates)).toEqual({ Standard_D4s_v5: 2, Standard_D2s_v5: 1 }); // 10 vCPUs, 0.42 $/h
    expect(perSize(cover(6).creates)).toEqual({ Standard_D4s_v5: 1, Standard_D2s_v5: 1 }); // 6 vCPUs, 0.26 $/h
    const seven = cover(7);
    expect(perSize(seven.creates)).toEqual({ Standard_D4s_v5: 2 }); // 8 vCPUs at 0.32 beats 4+2+2 at 0.36
    expect(seven.outcomes[0]).toMatchObject({ target: 7, achievable: 8, shortfall: 0 }); // overshoot 1 < 4
  });

  test('equal prices fall to the name order', () => {
    const result = plan(
      input({
        spec: scaleSet({ ...regional, capacity: 3, sizes: list('Standard_D2s_v5', 'Standard_D2as_v5') }),
        region: oneZone([
          pool('Standard_D2s_v5', '', 'Regular', 0.09, 50),
          pool('Standard_D2as_v5', '', 'Regular', 0.09, 50),
        ]),
      }),
    );
    expect(perSize(result.creates)).toEqual({ Standard_D2as_v5: 3 }); // "D2as" < "D2s"
  });
});

describe('Prioritized', () => {
  const pools = [
    pool('Standard_D4s_v5', '', 'Regular', 0.192, 3),
    pool('Standard_D4as_v5', '', 'Regular', 0.172, 50),
    pool('Standard_D2s_v5', '', 'Regular', 0.096, 50),
    pool('Standard_D2as_v5', '', 'Regular', 0.086, 50),
  ];
  test('rank 0 first even when dearer, then the next rank when it is full', () => {
    const result = plan(
      input({
        spec: scaleSet({
          ...regional,
          capacity: 5,
          allocationStrategy: 'Prioritized',
          sizes: list(['Standard_D4s_v5', 0], ['Standard_D4as_v5', 1], ['Standard_D2as_v5', 2]),
        }),
        region: oneZone(pools),
      }),
    );
    expect(perSize(result.creates)).toEqual({ Standard_D4s_v5: 3, Standard_D4as_v5: 2 });
  });

  test('within a rank the price decides, then the name', () => {
    const result = plan(
      input({
        spec: scaleSet({
          ...regional,
          capacity: 2,
          allocationStrategy: 'Prioritized',
          sizes: list(['Standard_D4s_v5', 1], ['Standard_D2s_v5', 0], ['Standard_D2as_v5', 0]),
        }),
        region: oneZone(pools),
      }),
    );
    expect(perSize(result.creates)).toEqual({ Standard_D2as_v5: 2 });
  });
});

describe('CapacityOptimized', () => {
  test('the size with the most free capacity, whatever its price', () => {
    const result = plan(
      input({
        spec: scaleSet({
          ...regional,
          capacity: 4,
          allocationStrategy: 'CapacityOptimized',
          sizes: list('Standard_D2s_v5', 'Standard_D2as_v5'),
        }),
        region: oneZone([
          pool('Standard_D2s_v5', '', 'Regular', 0.096, 80),
          pool('Standard_D2as_v5', '', 'Regular', 0.086, 20),
        ]),
      }),
    );
    expect(perSize(result.creates)).toEqual({ Standard_D2s_v5: 4 });
  });
});

describe('PriceCapacityOptimized (Spot)', () => {
  test('the cheapest pool among those that can hold everything (tier High), not the cheapest overall', () => {
    const result = plan(
      input({
        spec: fleet({
          ...regional,
          sizes: list('Standard_D2s_v5', 'Standard_D2as_v5', 'Standard_D4as_v5'),
          spot: {
            capacity: 10,
            minCapacity: 0,
            allocationStrategy: 'PriceCapacityOptimized',
            maintain: true,
            lostToEviction: 0,
          },
        }),
        region: oneZone([
          pool('Standard_D2s_v5', '', 'Spot', 0.05, 20), // High, dearer
          pool('Standard_D2as_v5', '', 'Spot', 0.03, 12), // High, cheapest High → wins
          pool('Standard_D4as_v5', '', 'Spot', 0.01, 6), // Medium (6 ≥ 10/2), cheapest overall
        ]),
      }),
    );
    expect(perSize(result.creates)).toEqual({ Standard_D2as_v5: 10 });
    expect(result.decisions.join('\n')).toContain('capacity tier High');
  });
});

describe('eligibility', () => {
  test('B-series never run as Spot, even when the catalogue says they can', () => {
    const sizes = [
      size('Standard_B2s', 2, { burstable: false, spotCapable: true }),
      size('Standard_D2s_v5', 2),
    ];
    const result = plan(
      input({
        spec: fleet({
          ...regional,
          sizes: list('Standard_B2s', 'Standard_D2s_v5'),
          spot: {
            capacity: 3,
            minCapacity: 0,
            allocationStrategy: 'LowestPrice',
            maintain: true,
            lostToEviction: 0,
          },
          regular: { capacity: 2, minCapacity: 0, allocationStrategy: 'LowestPrice' },
        }),
        region: oneZone(
          [
            pool('Standard_B2s', '', 'Spot', 0.005, 50),
            pool('Standard_D2s_v5', '', 'Spot', 0.0192, 50),
            pool('Standard_B2s', '', 'Regular', 0.0416, 50),
            pool('Standard_D2s_v5', '', 'Regular', 0.096, 50),
          ],
          sizes,
        ),
      }),
    );
    const spot = result.creates.filter((c) => c.priority === 'Spot');
    expect(perSize(spot)).toEqual({ Standard_D2s_v5: 3 });
    const regular = result.creates.filter((c) => c.priority === 'Regular');
    expect(perSize(regular)).toEqual({ Standard_B2s: 2 }); // Regular B-series is fine
  });

  test('ScaleSet Spot max price −1 caps at the Regular price; a fixed cap excludes dearer pools', () => {
    const pools = [
      pool('Standard_D2s_v5', '', 'Regular', 0.096, 50),
      pool('Standard_D2s_v5', '', 'Spot', 0.03, 2),
      pool('Standard_D2as_v5', '', 'Regular', 0.086, 50),
      pool('Standard_D2as_v5', '', 'Spot', 0.05, 50),
    ];
    const spec = (spotMaxPricePerHour: number) =>
      scaleSet({
        ...regional,
        capacity: 5,
        priority: 'Spot',
        spotMaxPricePerHour,
        sizes: list('Standard_D2s_v5', 'Standard_D2as_v5'),
      });
    expect(perSize(plan(input({ spec: spec(-1), region: oneZone(pools) })).creates)).toEqual({
      Standard_D2s_v5: 2,
      Standard_D2as_v5: 3,
    });
    const capped = plan(input({ spec: spec(0.04), region: oneZone(pools) }));
    expect(perSize(capped.creates)).toEqual({ Standard_D2s_v5: 2 });
    expect(capped.outcomes[0]?.shortfall).toBe(3);
    expect(capped.decisions.join('\n')).toContain('Spot price 0.05 $/h above max 0.04 $/h');
  });

  test('ComputeFleet maxPricePerVM keeps dearer Spot sizes out', () => {
    const result = plan(
      input({
        spec: fleet({
          ...regional,
          sizes: list('Standard_D2s_v5', 'Standard_D4s_v5'),
          spot: {
            capacity: 4,
            minCapacity: 0,
            allocationStrategy: 'CapacityOptimized',
            maxPricePerVM: 0.03,
            maintain: true,
            lostToEviction: 0,
          },
        }),
        region: oneZone([
          pool('Standard_D2s_v5', '', 'Spot', 0.02, 10),
          pool('Standard_D4s_v5', '', 'Spot', 0.04, 99),
        ]),
      }),
    );
    expect(perSize(result.creates)).toEqual({ Standard_D2s_v5: 4 });
  });

  test('attribute-based selection: vCPU and memory ranges, architecture, category, burstable, exclusions', () => {
    const sizes = [
      size('Standard_D2s_v5', 2), // 8 GiB
      size('Standard_D4s_v5', 4), // 16 GiB
      size('Standard_D8s_v5', 8), // too many vCPUs
      size('Standard_D4ps_v5', 4, { architecture: 'Arm64' }),
      size('Standard_F4s_v2', 4, { category: 'ComputeOptimized' }),
      size('Standard_B4ms', 4, { burstable: true, spotCapable: false }),
      size('Standard_D4as_v5', 4),
    ];
    const pools = sizes.map((s, i) => pool(s.name, '', 'Regular', 0.01 + i * 0.001, 1));
    const result = plan(
      input({
        spec: fleet({
          ...regional,
          sizes: {
            kind: 'Attributes',
            attributes: {
              vCpuCount: { min: 2, max: 4 },
              memoryGiB: { min: 8 },
              architectures: ['x64'],
              burstable: 'Excluded',
              excludedSizes: ['Standard_D4as_v5'],
            },
          },
          regular: { capacity: 10, minCapacity: 0, allocationStrategy: 'LowestPrice' },
        }),
        region: oneZone(pools, sizes),
      }),
    );
    expect(Object.keys(perSize(result.creates)).sort()).toEqual(['Standard_D2s_v5', 'Standard_D4s_v5']);
  });

  test('a size list over the limit keeps the most preferred sizes (rank, then name) and says so', () => {
    const names = [
      'Standard_D2s_v5',
      'Standard_D2as_v5',
      'Standard_D4s_v5',
      'Standard_D4as_v5',
      'Standard_E2',
      'Standard_E4',
    ];
    const sizes = names.map((n) => size(n, 2));
    const result = plan(
      input({
        spec: scaleSet({
          ...regional,
          capacity: 6,
          sizes: list(...names.map((n, i): [string, number] => [n, i])),
        }),
        region: oneZone(
          names.map((n, i) => pool(n, '', 'Regular', 0.2 - i * 0.01, 1)),
          sizes,
        ),
      }),
    );
    expect(totalCreated(result.creates)).toBe(5);
    expect(perSize(result.creates).Standard_E4).toBeUndefined();
    expect(result.decisions[0]).toContain('the limit is 5');
  });
});

test('CapacityOptimized breaks equal free capacity by price, then name', () => {
  const result = plan(
    input({
      spec: scaleSet({
        zones: [],
        capacity: 3,
        allocationStrategy: 'CapacityOptimized',
        sizes: list('Standard_D2s_v5', 'Standard_D2as_v5'),
      }),
      region: region({
        zones: zones(['']),
        sizes: SIZES,
        pools: [
          pool('Standard_D2s_v5', '', 'Regular', 0.08, 50),
          pool('Standard_D2as_v5', '', 'Regular', 0.086, 50),
        ],
      }),
    }),
  );
  expect(perSize(result.creates)).toEqual({ Standard_D2s_v5: 3 });
});
