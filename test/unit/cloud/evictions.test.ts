import { describe, expect, it } from 'vitest';
import type { Instance } from '../../../src/api/index.ts';
import { findEvictions } from '../../../src/cloud/simulated/evictions.ts';
import { HOUR, MINUTE, T0, at, testRegion, vm } from './fixtures.ts';

const spot = (name: string, extra: Partial<Parameters<typeof vm>[0]> = {}): Instance =>
  vm({ name, priority: 'Spot', zone: '1', phase: 'Running', launchedAt: T0, ...extra });

const names = (notices: { name: string }[]) => notices.map((n) => n.name);

describe('findEvictions: capacity cut', () => {
  const cutTo = (spotInZone1: number) =>
    testRegion({
      capacity: {
        Standard_E4s_v5: [
          { zone: '1', regular: 2, spot: spotInZone1 },
          { zone: '2', regular: 2, spot: 2 },
        ],
      },
    });
  const fleet = [
    spot('web-0', { size: 'Standard_E4s_v5', launchedAt: at(0) }),
    spot('web-1', { size: 'Standard_E4s_v5', launchedAt: at(2 * MINUTE) }),
    spot('web-2', { size: 'Standard_E4s_v5', zone: '2', launchedAt: at(3 * MINUTE) }),
    spot('web-3', { size: 'Standard_E4s_v5', launchedAt: at(1 * MINUTE) }),
    vm({ name: 'reg-0', size: 'Standard_E4s_v5', zone: '1', phase: 'Running' }),
  ];

  it('evicts exactly the excess, newest first, and never Regular VMs', () => {
    // Zone 1 holds web-0, web-1, web-3 (3 Spot) against new capacity 1: evict 2, the newest two.
    const notices = findEvictions({ region: cutTo(1), instances: fleet, now: at(HOUR) });
    expect(names(notices)).toEqual(['web-1', 'web-3']);
    expect(notices[0]).toMatchObject({ namespace: 'default', reason: 'CapacityReduced', at: at(HOUR) });
    expect(notices[0]?.message).toBe(
      'Spot VM evicted: the platform needs the capacity back (Standard_E4s_v5 zone 1 Spot capacity 1, 3 in use)',
    );
    expect(names(findEvictions({ region: cutTo(0), instances: fleet, now: at(HOUR) }))).toEqual([
      'web-0',
      'web-1',
      'web-3',
    ]);
    expect(findEvictions({ region: cutTo(3), instances: fleet, now: at(HOUR) })).toEqual([]);
  });

  it('breaks age ties by the higher instanceId, and gives the same answer whatever the input order', () => {
    const same = [spot('a-1'), spot('a-10'), spot('a-2'), spot('a-3')];
    const region = testRegion({ capacity: { Standard_D2s_v5: [{ zone: '1', regular: 3, spot: 1 }] } });
    const forward = findEvictions({ region, instances: same, now: T0 });
    expect(names(forward)).toEqual(['a-10', 'a-2', 'a-3']);
    expect(findEvictions({ region, instances: [...same].reverse(), now: T0 })).toEqual(forward);
  });

  it('evicts every Spot VM of a size the Region stops offering', () => {
    const region = testRegion();
    region.spec.vmSizes = region.spec.vmSizes.filter((s) => s.name !== 'Standard_E4s_v5');
    expect(names(findEvictions({ region, instances: fleet, now: T0 }))).toEqual([
      'web-0',
      'web-1',
      'web-2',
      'web-3',
    ]);
  });

  it('does not evict for a zone outage, nor pick VMs already being deleted (they free their room)', () => {
    const outage = testRegion({
      zones: [
        { name: '1', faultDomains: 5, available: false },
        { name: '2', faultDomains: 5, available: true },
        { name: '3', faultDomains: 3, available: true },
      ],
    });
    expect(findEvictions({ region: outage, instances: [spot('a-0'), spot('a-1')], now: T0 })).toEqual([]);
    const region = testRegion({ capacity: { Standard_D2s_v5: [{ zone: '1', regular: 3, spot: 1 }] } });
    const leaving = [spot('a-0'), spot('a-1', { deleting: true })];
    expect(findEvictions({ region, instances: leaving, now: T0 })).toEqual([]);
  });

  it('fits regional Spot VMs into what the zones leave after their own VMs', () => {
    // D4s_v5 Spot: zone 1 → 1, zone 2 → 0 after the cut; one zonal VM fills zone 1, so of three regional VMs
    // none fit.
    const region = testRegion({
      capacity: {
        Standard_D4s_v5: [
          { zone: '1', regular: 2, spot: 1 },
          { zone: '2', regular: 2, spot: 0 },
        ],
      },
    });
    const instances = [
      spot('z-0', { size: 'Standard_D4s_v5', zone: '1' }),
      spot('r-0', { size: 'Standard_D4s_v5', zone: '', launchedAt: at(1) }),
      spot('r-1', { size: 'Standard_D4s_v5', zone: '', launchedAt: at(2) }),
    ];
    expect(names(findEvictions({ region, instances, now: T0 }))).toEqual(['r-0', 'r-1']);
    const roomy = testRegion({
      capacity: {
        Standard_D4s_v5: [
          { zone: '1', regular: 2, spot: 2 },
          { zone: '2', regular: 2, spot: 0 },
        ],
      },
    });
    expect(names(findEvictions({ region: roomy, instances, now: T0 }))).toEqual(['r-1']);
  });
});

describe('findEvictions: price', () => {
  it('evicts only the VMs whose max price is below the new Spot price; -1 and no max never', () => {
    const region = testRegion({
      capacity: {
        Standard_D2s_v5: [
          { zone: '1', regular: 3, spot: 10, spotPricePerHour: 0.05 },
          { zone: '2', regular: 3, spot: 10 },
        ],
      },
    });
    const instances = [
      spot('cheap-0', { maxPricePerHour: 0.04 }),
      spot('exact-0', { maxPricePerHour: 0.05 }),
      spot('capped-0', { maxPricePerHour: -1 }),
      spot('default-0'),
      spot('other-zone-0', { zone: '2', maxPricePerHour: 0.04 }), // zone 2 stays at 0.02
    ];
    const notices = findEvictions({ region, instances, now: T0 });
    expect(notices).toEqual([
      {
        namespace: 'default',
        name: 'cheap-0',
        reason: 'PriceAboveMax',
        message: 'Spot VM evicted: the Spot price 0.05 USD/hour rose above its max price 0.04 USD/hour',
        at: T0,
      },
    ]);
  });

  it('takes price victims first, so a capacity cut evicts only what is still in excess', () => {
    const region = testRegion({
      capacity: { Standard_D2s_v5: [{ zone: '1', regular: 3, spot: 2, spotPricePerHour: 0.05 }] },
    });
    const instances = [
      spot('a-0', { launchedAt: at(0), maxPricePerHour: 0.01 }),
      spot('a-1', { launchedAt: at(1) }),
      spot('a-2', { launchedAt: at(2) }),
    ];
    expect(findEvictions({ region, instances, now: T0 }).map((n) => [n.name, n.reason])).toEqual([
      ['a-0', 'PriceAboveMax'],
    ]);
  });
});

describe('findEvictions: random evictions at spotEvictionRatePerHour', () => {
  const roomy = (rate: number, seed = 7) =>
    testRegion({
      spotEvictionRatePerHour: rate,
      seed,
      capacity: { Standard_D2s_v5: [{ zone: '1', regular: 3, spot: 100_000 }] },
    });
  const fleet = Array.from({ length: 10_000 }, (_, i) =>
    spot(`web-${i}`, { instanceId: i, launchedAt: at(-HOUR) }),
  );

  it('evicts about rate × VMs × hours, reproducibly with the seed', () => {
    const region = roomy(0.1);
    const notices = findEvictions({ region, instances: fleet, now: at(HOUR), lastEvaluatedAt: T0 });
    // Binomial(10,000, 0.1): mean 1,000, σ = 30. The seed fixes the draw; the bound documents it is fair.
    expect(notices.length).toBeGreaterThan(910);
    expect(notices.length).toBeLessThan(1090);
    expect(notices.every((n) => n.reason === 'RandomEviction' && n.at > T0 && n.at <= at(HOUR))).toBe(true);
    expect(findEvictions({ region, instances: fleet, now: at(HOUR), lastEvaluatedAt: T0 })).toEqual(notices);
    const otherSeed = findEvictions({
      region: roomy(0.1, 8),
      instances: fleet,
      now: at(HOUR),
      lastEvaluatedAt: T0,
    });
    expect(names(otherSeed)).not.toEqual(names(notices));
  });

  it('does not depend on how often it is evaluated', () => {
    const region = roomy(0.5);
    const sample = fleet.slice(0, 500);
    const once = findEvictions({ region, instances: sample, now: at(3 * HOUR), lastEvaluatedAt: T0 });
    const everyTenMinutes: string[] = [];
    let remaining = sample;
    for (let t = 10 * MINUTE; t <= 3 * HOUR; t += 10 * MINUTE) {
      const step = findEvictions({
        region,
        instances: remaining,
        now: at(t),
        lastEvaluatedAt: at(t - 10 * MINUTE),
      });
      const gone = new Set(names(step));
      everyTenMinutes.push(...gone);
      remaining = remaining.filter((i) => !gone.has(i.metadata.name));
    }
    expect(everyTenMinutes.sort()).toEqual(names(once).sort());
  });

  it('draws nothing without a previous evaluation, at rate 0, or for VMs not yet Running', () => {
    expect(findEvictions({ region: roomy(1), instances: fleet.slice(0, 50), now: at(HOUR) })).toEqual([]);
    expect(
      findEvictions({ region: roomy(0), instances: fleet.slice(0, 50), now: at(HOUR), lastEvaluatedAt: T0 }),
    ).toEqual([]);
    const provisioning = fleet
      .slice(0, 50)
      .map((i) => ({ ...i, status: { phase: 'Provisioning' as const } }));
    expect(
      findEvictions({ region: roomy(1), instances: provisioning, now: at(HOUR), lastEvaluatedAt: T0 }),
    ).toEqual([]);
  });

  it('at rate 1 evicts every VM within an hour, never before it was launched, and never Regular VMs', () => {
    const region = roomy(1);
    const launched = spot('late-0', { launchedAt: at(30 * MINUTE) });
    const regular = vm({ name: 'reg-0', zone: '1', phase: 'Running' });
    const sample = [...fleet.slice(0, 20), launched, regular];
    const notices = findEvictions({ region, instances: sample, now: at(2 * HOUR), lastEvaluatedAt: T0 });
    expect(notices).toHaveLength(21);
    expect(notices.find((n) => n.name === 'late-0')?.at.getTime()).toBeGreaterThan(at(30 * MINUTE).getTime());
  });
});
