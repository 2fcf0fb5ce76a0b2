// vCPU quotas: regional (Regular + Spot), Spot, and per family (Regular), decided exactly.
import { expect, test } from 'vitest';
import { plan } from '../../../src/engine/index.ts';
import {
  fleet,
  input,
  perSize,
  perZone,
  pool,
  region,
  scaleSet,
  size,
  totalCreated,
  zones,
} from './support/fixtures.ts';

const list = (...names: string[]) => ({
  kind: 'List' as const,
  sizes: names.map((name) => ({ name, rank: 0 })),
});

test('the regional quota stops the plan with QuotaExceeded', () => {
  const result = plan(
    input({
      spec: scaleSet({ zones: [], capacity: 4, sizes: list('Standard_D4s_v5') }),
      region: region({
        zones: zones(['']),
        sizes: [size('Standard_D4s_v5', 4)],
        pools: [pool('Standard_D4s_v5', '', 'Regular', 0.192, 50)],
        quota: { regionalVCpus: 10 },
      }),
    }),
  );
  expect(totalCreated(result.creates)).toBe(2);
  expect(result.outcomes[0]?.reasons.map((r) => r.reason)).toEqual(['QuotaExceeded']);
});

test('a family quota skips that family for the next cheapest listed size; Spot uses the Spot quota only', () => {
  const sizes = [
    size('Standard_D4s_v5', 4, { family: 'DSv5' }),
    size('Standard_D4as_v5', 4, { family: 'DASv5' }),
  ];
  const result = plan(
    input({
      spec: fleet({
        zones: [],
        sizes: list('Standard_D4s_v5', 'Standard_D4as_v5'),
        regular: { capacity: 5, minCapacity: 0, allocationStrategy: 'LowestPrice' },
        spot: {
          capacity: 3,
          minCapacity: 0,
          allocationStrategy: 'LowestPrice',
          maintain: true,
          lostToEviction: 0,
        },
      }),
      region: region({
        zones: zones(['']),
        sizes,
        pools: [
          pool('Standard_D4s_v5', '', 'Regular', 0.15, 50),
          pool('Standard_D4as_v5', '', 'Regular', 0.172, 50),
          pool('Standard_D4s_v5', '', 'Spot', 0.03, 50),
        ],
        quota: { familyVCpus: { DSv5: 8 }, spotVCpus: 12 },
      }),
    }),
  );
  expect(perSize(result.creates.filter((c) => c.priority === 'Regular'))).toEqual({
    Standard_D4s_v5: 2,
    Standard_D4as_v5: 3,
  });
  expect(perSize(result.creates.filter((c) => c.priority === 'Spot'))).toEqual({ Standard_D4s_v5: 3 });
});

test('quota and balance interact: exact placement fits 4 VMs where a per-VM greedy stops at 3', () => {
  // Regional quota 18 vCPUs, 2 zones, 2 VMs each. Zone 1: A (8 vCPUs, 1.00) or B (2, 1.50); zone 2: C (2,
  // 1.20, one left) or D (8, 1.10). "Fewest first, then cheapest" takes A (8), D (8), C (2) and is out of
  // quota for zone 1's second VM. The engine finds B, B in zone 1 and C, D in zone 2: 14 vCPUs, 5.30 $/h.
  const sizes = [
    size('Standard_A8', 8, { family: 'X' }),
    size('Standard_E2', 2, { family: 'X' }),
    size('Standard_F2', 2, { family: 'X' }),
    size('Standard_G8', 8, { family: 'X' }),
  ];
  const result = plan(
    input({
      spec: scaleSet({
        zones: ['1', '2'],
        capacity: 4,
        zonePolicy: { kind: 'Balanced', strict: true },
        sizes: list('Standard_A8', 'Standard_E2', 'Standard_F2', 'Standard_G8'),
      }),
      region: region({
        zones: zones(['1', '2']),
        sizes,
        pools: [
          pool('Standard_A8', '1', 'Regular', 1.0, 2),
          pool('Standard_E2', '1', 'Regular', 1.5, 2),
          pool('Standard_F2', '2', 'Regular', 1.2, 1),
          pool('Standard_G8', '2', 'Regular', 1.1, 2),
        ],
        quota: { regionalVCpus: 18 },
      }),
    }),
  );
  expect(perZone(result.creates)).toEqual({ '1': 2, '2': 2 });
  expect(perSize(result.creates)).toEqual({ Standard_E2: 2, Standard_F2: 1, Standard_G8: 1 });
  expect(result.hourlyCost).toBeCloseTo(5.3, 9);
});
