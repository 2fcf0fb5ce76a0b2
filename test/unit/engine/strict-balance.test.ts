// Strict zoneBalance never leaves the zones more than 1 apart: scale-in stops where protected VMs would
// make it unbalanced, and VMs of a scale-out whose other zones failed to allocate are trimmed back before
// they run. Where it cannot hold, the plan says ZoneBalanceBlocked.
import { describe, expect, test } from 'vitest';
import { plan } from '../../../src/engine/index.ts';
import type { CurrentInstance, Plan, UnavailablePool } from '../../../src/engine/types.ts';
import { input, poolsIn, region, running, scaleSet, size } from './support/fixtures.ts';

const sizes = [size('Standard_D2s_v5', 2)];
const pools = poolsIn(['1', '2', '3'], [['Standard_D2s_v5', 'Regular', 0.096, 100]]);
const strict = (capacity: number, current: CurrentInstance[], unavailable: UnavailablePool[] = []) =>
  plan(
    input({
      spec: scaleSet({ capacity, zonePolicy: { kind: 'Balanced', strict: true } }),
      region: region({ sizes, pools }),
      current,
      unavailable,
    }),
  );

/** Zone totals after the plan: the current instances, less the deletes, plus the creates. */
function finalZones(current: readonly CurrentInstance[], result: Plan): number[] {
  const deleted = new Set(result.deletes.map((d) => d.id));
  return ['1', '2', '3'].map(
    (zone) =>
      current.filter((c) => c.zone === zone && !deleted.has(c.id) && c.phase !== 'Failed').length +
      result.creates.filter((c) => c.zone === zone).reduce((n, c) => n + c.count, 0),
  );
}
const skew = (zones: readonly number[]) => Math.max(...zones) - Math.min(...zones);
const reasons = (result: Plan) => result.outcomes.flatMap((o) => o.reasons.map((r) => r.reason));

describe('strict zoneBalance with protected VMs', () => {
  // 2/2/2, both zone-1 VMs protected from scale-in, scale to 3.
  const current = () => [
    ...running('1', [1, 2], { protectedFromScaleIn: true }),
    ...running('2', [3, 4]),
    ...running('3', [5, 6]),
  ];

  test('scale-in stops at 2/1/1 instead of leaving 2/0/1, and says ZoneBalanceBlocked', () => {
    const result = strict(3, current());
    expect(finalZones(current(), result)).toEqual([2, 1, 1]);
    expect(reasons(result)).toContain('ZoneBalanceBlocked');
    expect(result.outcomes[0]?.reasons.find((r) => r.reason === 'ZoneBalanceBlocked')?.message).toMatch(
      /1 VMs above target kept/,
    );
  });

  test('best-effort balance still scales in to the target (2/0/1 or 2/1/0)', () => {
    const result = plan(
      input({ spec: scaleSet({ capacity: 3 }), region: region({ sizes, pools }), current: current() }),
    );
    expect(finalZones(current(), result).reduce((a, b) => a + b, 0)).toBe(3);
  });

  test('protection beyond any balance: 3 protected in zone 1 of 3/1/1 → ZoneBalanceBlocked, never Ready material', () => {
    const unbalanced = [
      ...running('1', [1, 2, 3], { protectedFromScaleIn: true }),
      ...running('2', [4]),
      ...running('3', [5]),
    ];
    const result = strict(5, unbalanced, []);
    expect(result.deletes).toEqual([]);
    expect(reasons(result)).toContain('ZoneBalanceBlocked');
  });
});

describe('strict zoneBalance when a zone fails to allocate during a scale-out', () => {
  // 4 → 9 from 2/1/1 planned 3/3/3; zone 2's creates failed (ZonalAllocationFailed), so zone 2 is blocked.
  const blockedZone2 = [
    {
      size: 'Standard_D2s_v5',
      zone: '2',
      priority: 'Regular' as const,
      code: 'ZonalAllocationFailed',
      until: Date.parse('2030-01-01T00:00:00Z'),
    },
  ];
  const afterFailure = () => [
    ...running('1', [1, 2]),
    ...running('2', [3]),
    ...running('3', [4]),
    ...running('1', [5], { phase: 'Provisioning' }),
    ...running('2', [6, 7], { phase: 'Failed' }),
    ...running('3', [8, 9], { phase: 'Provisioning' }),
  ];

  test('the new VMs of the other zones that are not running yet are trimmed to 2/1/2', () => {
    const result = strict(9, afterFailure(), blockedZone2);
    const zones = finalZones(afterFailure(), result);
    expect(zones).toEqual([2, 1, 2]);
    expect(skew(zones)).toBeLessThanOrEqual(1);
    expect(
      result.deletes
        .filter((d) => d.rule !== 'Failed')
        .map((d) => d.id)
        .sort(),
    ).toEqual([5, 9]);
    expect(reasons(result)).toContain('ZoneBalanceBlocked');
  });

  test('running VMs are never trimmed: 3/1/3 all running stays, and says ZoneBalanceBlocked', () => {
    const current = [...running('1', [1, 2, 5]), ...running('2', [3]), ...running('3', [4, 8, 9])];
    const result = strict(9, current, blockedZone2);
    expect(result.deletes).toEqual([]);
    expect(result.creates).toEqual([]);
    expect(reasons(result)).toContain('ZoneBalanceBlocked');
  });

  test('with zone 2 healthy again the same state is completed to 3/3/3', () => {
    const current = afterFailure().filter((c) => c.phase !== 'Failed');
    const result = strict(9, current);
    expect(finalZones(current, result)).toEqual([3, 3, 3]);
    expect(result.deletes).toEqual([]);
  });
});
