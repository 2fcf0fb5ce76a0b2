// The zone decision: balance (best effort and strict), BestEffortSingleZone, Prioritized zones, regional.
import { describe, expect, test } from 'vitest';
import { plan } from '../../../src/engine/index.ts';
import {
  fleet,
  input,
  perZone,
  pool,
  poolsIn,
  region,
  running,
  scaleSet,
  size,
  zones,
} from './support/fixtures.ts';

const sizes = [size('Standard_D2s_v5', 2), size('Standard_D2as_v5', 2)];
const plenty = poolsIn(['1', '2', '3'], [['Standard_D2s_v5', 'Regular', 0.096, 100]]);
const shortfallReasons = (result: ReturnType<typeof plan>) =>
  result.outcomes.flatMap((o) => o.reasons.map((r) => r.reason));

describe('best-effort balance (ScaleSet default, ComputeFleet Balanced)', () => {
  test('fewest instances first: 3/1/1 plus 4 ends at 3/3/3', () => {
    const current = [...running('1', [1, 2, 3]), ...running('2', [4]), ...running('3', [5])];
    const result = plan(
      input({ spec: scaleSet({ capacity: 9 }), region: region({ sizes, pools: plenty }), current }),
    );
    expect(perZone(result.creates)).toEqual({ '2': 2, '3': 2 });
    expect(result.spread.zoneSkew).toBe(0);
  });

  test('a zone outage sends the scale-out to the healthy zones, balanced among them', () => {
    const result = plan(
      input({
        spec: scaleSet({ capacity: 9 }),
        region: region({
          zones: [...zones(['1', '2']), { name: '3', faultDomains: 3, available: false }],
          sizes,
          pools: plenty,
        }),
      }),
    );
    expect(perZone(result.creates)).toEqual({ '1': 5, '2': 4 });
    expect(result.decisions).toContain('zone 3 unavailable: no new VMs there');
  });

  test('the remainder goes where its VM is cheapest, then to the lower zone name', () => {
    const pools = [
      pool('Standard_D2s_v5', '1', 'Regular', 0.096, 100),
      pool('Standard_D2s_v5', '2', 'Regular', 0.096, 100),
      pool('Standard_D2s_v5', '3', 'Regular', 0.09, 100),
    ];
    const result = plan(input({ spec: scaleSet({ capacity: 4 }), region: region({ sizes, pools }) }));
    expect(perZone(result.creates)).toEqual({ '1': 1, '2': 1, '3': 2 });
    const tie = plan(input({ spec: scaleSet({ capacity: 4 }), region: region({ sizes, pools: plenty }) }));
    expect(perZone(tie.creates)).toEqual({ '1': 2, '2': 1, '3': 1 });
  });

  test('zones are decided before sizes, exactly: the cheap pool of zone 1 is saved for the remainder', () => {
    // 2 zones, 3 VMs: one zone gets 2. Zone 1: 1 VM at 1.00 then 10.00; zone 2: 2.00 then 3.00.
    // (1, 2) costs 1 + 2 + 3 = 6; (2, 1) costs 1 + 10 + 2 = 13.
    const pools = [
      pool('Standard_D2as_v5', '1', 'Regular', 1, 1),
      pool('Standard_D2s_v5', '1', 'Regular', 10, 5),
      pool('Standard_D2as_v5', '2', 'Regular', 2, 1),
      pool('Standard_D2s_v5', '2', 'Regular', 3, 5),
    ];
    const result = plan(
      input({
        spec: scaleSet({
          zones: ['1', '2'],
          capacity: 3,
          sizes: { kind: 'List', sizes: sizes.map((s) => ({ name: s.name, rank: 0 })) },
        }),
        region: region({ zones: zones(['1', '2']), sizes, pools }),
      }),
    );
    expect(perZone(result.creates)).toEqual({ '1': 1, '2': 2 });
    expect(result.hourlyCost).toBe(6);
  });
});

describe('strict balance (zoneBalance: true)', () => {
  const strict = { kind: 'Balanced', strict: true } as const;

  test('a zone outage blocks any scale-out that would leave zones more than 1 apart', () => {
    const current = [...running('1', [1, 2]), ...running('2', [3, 4]), ...running('3', [5, 6])];
    const result = plan(
      input({
        spec: scaleSet({ capacity: 9, zonePolicy: strict }),
        region: region({
          zones: [...zones(['1', '2']), { name: '3', faultDomains: 3, available: false }],
          sizes,
          pools: plenty,
        }),
        current,
      }),
    );
    expect(perZone(result.creates)).toEqual({ '1': 1, '2': 1 }); // 3/3/2, never 4/3/2 or 4/4/2
    expect(result.outcomes[0]).toMatchObject({ target: 9, achievable: 8, shortfall: 1 });
    expect(shortfallReasons(result)).toEqual(['ZoneBalanceBlocked']);
  });

  test('an unbalanced set (3/1/1) may grow only to a balanced state: +1 is blocked, +4 gives 3/3/3', () => {
    const current = [...running('1', [1, 2, 3]), ...running('2', [4]), ...running('3', [5])];
    const one = plan(
      input({
        spec: scaleSet({ capacity: 6, zonePolicy: strict }),
        region: region({ sizes, pools: plenty }),
        current,
      }),
    );
    expect(one.creates).toEqual([]);
    expect(shortfallReasons(one)).toContain('ZoneBalanceBlocked');
    const four = plan(
      input({
        spec: scaleSet({ capacity: 9, zonePolicy: strict }),
        region: region({ sizes, pools: plenty }),
        current,
      }),
    );
    expect(perZone(four.creates)).toEqual({ '2': 2, '3': 2 });
  });
});

describe('ComputeFleet BestEffortSingleZone', () => {
  const single = { kind: 'SingleZone' } as const;
  const pools = [
    pool('Standard_D2s_v5', '1', 'Regular', 0.096, 4),
    pool('Standard_D2s_v5', '2', 'Regular', 0.096, 20),
    pool('Standard_D2s_v5', '3', 'Regular', 0.09, 8),
  ];
  const spec = (capacity: number) =>
    fleet({ zonePolicy: single, regular: { capacity, minCapacity: 0, allocationStrategy: 'LowestPrice' } });

  test('everything in the one zone that can hold it all, even if another zone is cheaper', () => {
    const result = plan(input({ spec: spec(10), region: region({ sizes, pools }) }));
    expect(perZone(result.creates)).toEqual({ '2': 10 });
  });

  test('spill only when that zone is full, to the next zone that holds the most', () => {
    const result = plan(input({ spec: spec(26), region: region({ sizes, pools }) }));
    expect(perZone(result.creates)).toEqual({ '2': 20, '3': 6 });
  });

  test('an existing fleet stays in its zone', () => {
    const current = running('3', [1, 2, 3, 4, 5]);
    const result = plan(input({ spec: spec(10), region: region({ sizes, pools }), current }));
    expect(perZone(result.creates)).toEqual({ '3': 5 });
  });
});

test('ComputeFleet Prioritized zones: fill by rank (0 first), spill to the next rank', () => {
  const pools = poolsIn(['1', '2', '3'], [['Standard_D2s_v5', 'Regular', 0.096, 4]]);
  const result = plan(
    input({
      spec: fleet({
        zonePolicy: {
          kind: 'Prioritized',
          ranks: [
            { zone: '3', rank: 0 },
            { zone: '1', rank: 1 },
            { zone: '2', rank: 2 },
          ],
        },
        regular: { capacity: 6, minCapacity: 0, allocationStrategy: 'LowestPrice' },
      }),
      region: region({ sizes, pools }),
    }),
  );
  expect(perZone(result.creates)).toEqual({ '3': 4, '1': 2 });
});

test('a regional group (no zones) places in the regional pseudo-zone and has no zone skew', () => {
  const result = plan(
    input({
      spec: scaleSet({ zones: [], capacity: 4 }),
      region: region({
        zones: zones(['', '1']),
        sizes,
        pools: [pool('Standard_D2s_v5', '', 'Regular', 0.096, 10)],
      }),
    }),
  );
  expect(perZone(result.creates)).toEqual({ '': 4 });
  expect(result.spread.zoneSkew).toBe(0);
  expect(result.spread.largestZoneShare).toBe(1);
});
