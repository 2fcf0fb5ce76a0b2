// Scale-in: protected never; Failed, then not yet Running, Deallocated, outside the zones; then the fullest
// zone(s), the fullest fault domain, and the scale-in rule.
import { describe, expect, test } from 'vitest';
import { plan } from '../../../src/engine/index.ts';
import type { CurrentInstance, ScaleInRule } from '../../../src/engine/types.ts';
import { fleet, input, instance, poolsIn, region, running, scaleSet, size } from './support/fixtures.ts';

const sizes = [size('Standard_D2s_v5', 2), size('Standard_D4s_v5', 4)];
const pools = poolsIn(
  ['1', '2', '3'],
  [
    ['Standard_D2s_v5', 'Regular', 0.096, 100],
    ['Standard_D4s_v5', 'Regular', 0.192, 100],
  ],
);
const scaleIn = (capacity: number, current: CurrentInstance[], rule: ScaleInRule = 'Default') =>
  plan(input({ spec: scaleSet({ capacity, scaleInRule: rule }), region: region({ sizes, pools }), current }));
const ids = (result: ReturnType<typeof plan>) => result.deletes.map((d) => d.id);

describe("Azure's OldestVM walk-through (reference §1.7): Z1{3,4,5,10} Z2{2,6,9,11} Z3{1,7,8}", () => {
  const azure = () => [
    ...running('1', [3, 4, 5, 10]),
    ...running('2', [2, 6, 9, 11]),
    ...running('3', [1, 7, 8]),
  ];

  test('one at a time: 2 (oldest of the tied fullest zones), then 3 (zone 1 now fullest), then 1 (balanced: the oldest)', () => {
    let current = azure();
    const removed: number[] = [];
    for (const capacity of [10, 9, 8]) {
      const result = scaleIn(capacity, current, 'OldestVM');
      expect(result.creates).toEqual([]);
      removed.push(...ids(result));
      current = current.filter((c) => !ids(result).includes(c.id));
    }
    expect(removed).toEqual([2, 3, 1]);
  });

  test('in one plan the same order, each with its rule', () => {
    const result = scaleIn(7, azure(), 'OldestVM');
    expect(ids(result)).toEqual([2, 3, 1, 4]); // then Z1 and Z2 hold 3, Z3 2: the oldest of Z1 ∪ Z2
    expect(result.deletes.every((d) => d.rule === 'OldestVM')).toBe(true);
    expect(result.deletes[0]?.reason).toBe(
      'zone 2 (4, the fullest), fault domain 0 (4, the fullest); OldestVM: lowest instanceId',
    );
  });

  test('Default and NewestVM take the highest instanceId of the fullest zones instead', () => {
    expect(ids(scaleIn(10, azure(), 'Default'))).toEqual([11]);
    expect(ids(scaleIn(10, azure(), 'NewestVM'))).toEqual([11]);
  });
});

test('within the fullest zone, the fullest fault domain', () => {
  const current = [
    ...running('1', [1, 2], { faultDomain: 0 }),
    ...running('1', [3, 4, 5], { faultDomain: 1 }),
    ...running('2', [6, 7]),
    ...running('3', [8, 9]),
  ];
  expect(ids(scaleIn(8, current))).toEqual([5]);
  expect(ids(scaleIn(8, current, 'OldestVM'))).toEqual([3]);
});

test('protected instances are never removed; when only they are left the plan says so', () => {
  const current = [
    ...running('1', [1, 2]),
    instance({ zone: '1', id: 3, protectedFromScaleIn: true }),
    instance({ zone: '1', id: 4, protectedFromScaleSetActions: true, protectedFromScaleIn: true }),
  ];
  const result = scaleIn(1, current);
  expect(ids(result)).toEqual([2, 1]);
  expect(result.outcomes[0]?.reasons.map((r) => r.reason)).toEqual(['ProtectedInstances']);
  expect(result.outcomes[0]?.achievable).toBe(2);
});

test('Failed instances do not count and are always cleaned up; their replacement is placed', () => {
  const current = [
    ...running('1', [1]),
    ...running('2', [2]),
    instance({ zone: '3', id: 3, phase: 'Failed' }),
  ];
  const result = scaleIn(3, current);
  expect(result.deletes).toEqual([expect.objectContaining({ id: 3, rule: 'Failed' })]);
  expect(result.creates).toEqual([expect.objectContaining({ zone: '3', count: 1 })]);
});

test('tiers come before zones: not yet Running, then Deallocated, then outside the zones', () => {
  const current = [
    ...running('1', [1, 2, 3, 4]),
    instance({ zone: '2', id: 5, phase: 'Pending' }),
    instance({ zone: '3', id: 6, phase: 'Deallocated' }),
    instance({ zone: '4', id: 7 }),
  ];
  const result = scaleIn(3, current);
  expect(result.deletes.map((d) => [d.id, d.rule])).toEqual([
    [5, 'NotYetRunning'],
    [6, 'Deallocated'],
    [7, 'OutsideZones'],
    [4, 'Default'],
  ]);
});

test('with VCpu capacity an instance goes only if the rest still meets the target', () => {
  const current = [
    instance({ zone: '1', id: 1, size: 'Standard_D4s_v5' }),
    instance({ zone: '2', id: 2, size: 'Standard_D4s_v5' }),
    instance({ zone: '3', id: 3, size: 'Standard_D2s_v5' }),
    instance({ zone: '1', id: 4, size: 'Standard_D4s_v5' }),
  ];
  // 14 vCPUs held, target 9: removing 4 (4 vCPUs, zone 1 is fullest) leaves 10; nothing else fits in 1.
  const result = plan(
    input({
      spec: fleet({
        capacityUnit: 'VCpu',
        regular: { capacity: 9, minCapacity: 0, allocationStrategy: 'LowestPrice' },
      }),
      region: region({ sizes, pools }),
      current,
    }),
  );
  expect(ids(result)).toEqual([4]);
  expect(result.outcomes[0]).toMatchObject({ target: 9, achievable: 10, removing: 4 });
});
