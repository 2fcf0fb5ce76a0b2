// Issue #14: worked examples of the rules an independent integer-programming check found broken — Prioritized
// sizes (rank 0 first, then price, then name), Prioritized zones with VCpu, and VCpu fleets over Balanced
// zones that ran out of search.
import { describe, expect, test } from 'vitest';
import { plan } from '../../../src/engine/index.ts';
import type { PoolInfo, SizeInfo } from '../../../src/engine/types.ts';
import { fleet, input, perSize, perZone, pool, region, size, zones } from './support/fixtures.ts';

const regional = region({ zones: zones(['']), sizes: [], pools: [] });

/** A regional VCpu fleet of Prioritized sizes: `[name, vCPUs, rank, price, free]` per size. */
function prioritizedVCpu(capacity: number, offers: readonly [string, number, number, number, number][]) {
  return plan(
    input({
      spec: fleet({
        zones: [],
        capacityUnit: 'VCpu',
        sizes: { kind: 'List', sizes: offers.map(([name, , rank]) => ({ name, rank })) },
        regular: { capacity, minCapacity: 0, allocationStrategy: 'Prioritized' },
      }),
      region: {
        ...regional,
        sizes: offers.map(([name, vCPUs]) => size(name, vCPUs)),
        pools: offers.map(([name, , , price, free]) => pool(name, '', 'Regular', price, free)),
      },
    }),
  );
}

describe('Prioritized sizes: rank 0 first, then price, then name', () => {
  test('VCpu: four 4-vCPU VMs at 0.80 $/h in all beat one 16-vCPU VM at 1.60 $/h of the same rank', () => {
    const result = prioritizedVCpu(16, [
      ['Standard_D16', 16, 1, 1.6, 5],
      ['Standard_D4', 4, 1, 0.2, 10],
    ]);
    expect(perSize(result.creates)).toEqual({ Standard_D4: 4 });
    expect(result.hourlyCost).toBe(0.8);
  });

  test('VCpu: a rank-3 size is not used while a rank-1 size has room', () => {
    const result = prioritizedVCpu(8, [
      ['Standard_D2', 2, 1, 0.1, 10],
      ['Standard_D8', 8, 3, 0.1, 10],
    ]);
    expect(perSize(result.creates)).toEqual({ Standard_D2: 4 });
  });

  test('VMs under a shared quota: one rank-0 VM and one rank-3 beat two rank-1 VMs (Σ rank·x chose those)', () => {
    // One VM per zone. Family F (the rank-0 and rank-1 sizes) has 4 vCPUs of quota, so the rank-0 VM in
    // zone 1 rules out the rank-1 VM in zone 2: it is {rank 0, rank 3} (rank sum 3) or {rank 1, rank 1} (2).
    const sizes = [
      size('Standard_A0', 4, { family: 'F' }),
      size('Standard_B1', 2, { family: 'F' }),
      size('Standard_C3', 2, { family: 'G' }),
    ];
    const result = plan(
      input({
        spec: fleet({
          zones: ['1', '2'],
          sizes: {
            kind: 'List',
            sizes: [
              { name: 'Standard_A0', rank: 0 },
              { name: 'Standard_B1', rank: 1 },
              { name: 'Standard_C3', rank: 3 },
            ],
          },
          regular: { capacity: 2, minCapacity: 0, allocationStrategy: 'Prioritized' },
        }),
        region: region({
          zones: zones(['1', '2']),
          sizes,
          quota: { familyVCpus: { F: 4 } },
          pools: [
            pool('Standard_A0', '1', 'Regular', 0.1, 1),
            pool('Standard_B1', '1', 'Regular', 0.1, 1),
            pool('Standard_B1', '2', 'Regular', 0.1, 1),
            pool('Standard_C3', '2', 'Regular', 0.1, 1),
          ],
        }),
      }),
    );
    expect(perSize(result.creates)).toEqual({ Standard_A0: 1, Standard_C3: 1 });
  });
});

describe('Prioritized zones with VCpu', () => {
  test('the rank-0 zone takes the whole target when it can hold it, even with a tighter cover elsewhere', () => {
    const sizes = [size('Standard_D8', 8), size('Standard_D2', 2)];
    const result = plan(
      input({
        spec: fleet({
          capacityUnit: 'VCpu',
          zonePolicy: {
            kind: 'Prioritized',
            ranks: [
              { zone: '1', rank: 1 },
              { zone: '2', rank: 0 },
              { zone: '3', rank: 2 },
            ],
          },
          sizes: {
            kind: 'List',
            sizes: [
              { name: 'Standard_D8', rank: 0 },
              { name: 'Standard_D2', rank: 0 },
            ],
          },
          regular: { capacity: 10, minCapacity: 0, allocationStrategy: 'LowestPrice' },
        }),
        region: region({
          sizes,
          pools: [
            pool('Standard_D8', '2', 'Regular', 0.4, 5),
            pool('Standard_D2', '1', 'Regular', 0.1, 10),
            pool('Standard_D8', '1', 'Regular', 0.4, 5),
            pool('Standard_D2', '3', 'Regular', 0.1, 10),
          ],
        }),
      }),
    );
    expect(perZone(result.creates)).toEqual({ '2': 2 });
  });
});

describe('VCpu fleets over Balanced zones', () => {
  // A case the branch and bound could not finish (issue #14): 78 Regular + 32 Spot vCPUs over 3 zones
  // from 1- to 16-vCPU sizes with uneven capacity.
  const vCPUs = [8, 16, 4, 1, 2, 8];
  const sizes: SizeInfo[] = vCPUs.map((n, i) => size(`Standard_S${i}`, n, { family: i % 2 ? 'A' : 'B' }));
  const pools: PoolInfo[] = [];
  let k = 0;
  for (const priority of ['Regular', 'Spot'] as const) {
    for (const zone of ['1', '2', '3']) {
      for (const s of sizes) {
        k++;
        pools.push(pool(s.name, zone, priority, ((((k * 37) % 89) + 1) / 1000) * s.vCPUs, (k * 7) % 13));
      }
    }
  }
  const spec = fleet({
    capacityUnit: 'VCpu',
    sizes: { kind: 'List', sizes: sizes.map((s, i) => ({ name: s.name, rank: i % 3 })) },
    regular: { capacity: 78, minCapacity: 0, allocationStrategy: 'Prioritized' },
    spot: {
      capacity: 29,
      minCapacity: 0,
      allocationStrategy: 'LowestPrice',
      maintain: true,
      lostToEviction: 0,
    },
  });

  test('the plan is proven optimal within the search limit, meets each target with overshoot below one VM, and is balanced', () => {
    const result = plan(input({ spec, region: region({ sizes, pools }) }));
    expect(result.searchLimitReached).toBe(false);
    expect(result.provenOptimal).toBe(true);
    for (const outcome of result.outcomes) {
      expect(outcome.shortfall).toBe(0);
      expect(outcome.reasons).toEqual([]);
      const smallest = Math.min(
        ...result.creates
          .filter((c) => c.priority === outcome.priority)
          .map((c) => sizes.find((s) => s.name === c.size)?.vCPUs ?? 0),
      );
      expect(outcome.achievable - outcome.target).toBeLessThan(smallest);
    }
    const byZone = new Map<string, number>();
    for (const c of result.creates) {
      const units = c.count * (sizes.find((s) => s.name === c.size)?.vCPUs ?? 0);
      byZone.set(c.zone, (byZone.get(c.zone) ?? 0) + units);
    }
    expect(Math.max(...byZone.values()) - Math.min(...byZone.values())).toBeLessThanOrEqual(16);
  });
});
