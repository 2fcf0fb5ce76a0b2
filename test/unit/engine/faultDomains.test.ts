// The fault-domain decision: max spreading (least-filled domain) and fixed spreading (exactly N domains).
import { describe, expect, test } from 'vitest';
import { waterFill } from '../../../src/engine/faultDomains.ts';
import { plan } from '../../../src/engine/index.ts';
import { input, perZone, poolsIn, region, running, scaleSet, size, zones } from './support/fixtures.ts';

const sizes = [size('Standard_D2s_v5', 2)];
const pools = poolsIn(['1', '2', '3'], [['Standard_D2s_v5', 'Regular', 0.096, 100]]);

test('least-filled first, ties to the lowest index (one VM at a time, computed level by level)', () => {
  expect(waterFill([2, 0, 1], 4)).toEqual([1, 2, 1]); // 2/0/1 → 2/1/1 → 2/2/1 → 2/2/2 → 3/2/2
  expect(waterFill([0, 0, 0, 0, 0], 7)).toEqual([2, 2, 1, 1, 1]);
  expect(waterFill([5, 5], 0)).toEqual([0, 0]);
});

test('max spreading (platformFaultDomainCount 1) uses all of a zone’s fault domains, least-filled first', () => {
  const current = [...running('1', [1, 2], { faultDomain: 0 }), ...running('1', [3], { faultDomain: 2 })];
  const result = plan(
    input({
      spec: scaleSet({ zones: ['1'], capacity: 7 }),
      region: region({ zones: zones(['1'], 3), sizes, pools }),
      current,
    }),
  );
  const byDomain = Object.fromEntries(result.creates.map((c) => [c.faultDomain, c.count]));
  expect(byDomain).toEqual({ 0: 1, 1: 2, 2: 1 });
  expect(result.spread.faultDomainSkew).toBe(1);
});

describe('fixed spreading (platformFaultDomainCount N > 1)', () => {
  const fiveFiveThree = [
    { name: '1', faultDomains: 5, available: true },
    { name: '2', faultDomains: 5, available: true },
    { name: '3', faultDomains: 3, available: true },
  ];

  test('exactly N domains per zone; a zone with fewer is not eligible (best effort places elsewhere)', () => {
    const result = plan(
      input({
        spec: scaleSet({ capacity: 10, platformFaultDomainCount: 5 }),
        region: region({ zones: fiveFiveThree, sizes, pools }),
      }),
    );
    expect(perZone(result.creates)).toEqual({ '1': 5, '2': 5 });
    expect(new Set(result.creates.map((c) => c.faultDomain))).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(result.decisions).toContain('zone 3 has 3 fault domains, fewer than 5: not eligible');
  });

  test('with strict balance the shortfall says FaultDomainsUnavailable', () => {
    const result = plan(
      input({
        spec: scaleSet({
          capacity: 10,
          platformFaultDomainCount: 5,
          zonePolicy: { kind: 'Balanced', strict: true },
        }),
        region: region({ zones: fiveFiveThree, sizes, pools }),
      }),
    );
    expect(result.outcomes[0]?.achievable).toBe(2); // 1/1/0 is as far as strict balance goes
    expect(result.outcomes[0]?.reasons.map((r) => r.reason)).toEqual([
      'ZoneBalanceBlocked',
      'FaultDomainsUnavailable',
    ]);
  });

  test('a regional set with 2 fault domains alternates between domains 0 and 1', () => {
    const result = plan(
      input({
        spec: scaleSet({ zones: [], capacity: 5, platformFaultDomainCount: 2 }),
        region: region({
          zones: zones([''], 5),
          sizes,
          pools: poolsIn([''], [['Standard_D2s_v5', 'Regular', 0.096, 10]]),
        }),
      }),
    );
    expect(Object.fromEntries(result.creates.map((c) => [c.faultDomain, c.count]))).toEqual({ 0: 3, 1: 2 });
  });
});
