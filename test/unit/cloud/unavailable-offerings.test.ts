import { describe, expect, it } from 'vitest';
import type { Priority } from '../../../src/api/index.ts';
import type { AllocationErrorCode, FailedOffering } from '../../../src/cloud/errors.ts';
import {
  UnavailableOfferingsByRegion,
  UnavailableOfferingsCache,
} from '../../../src/cloud/unavailable-offerings.ts';
import { HOUR, MINUTE, T0, at, testRegion } from './fixtures.ts';

const spec = testRegion().spec;

function failed(
  code: AllocationErrorCode,
  zone = '1',
  priority: Priority = 'Regular',
  vmSize = 'Standard_D2s_v5',
): FailedOffering {
  return { vmSize, zone, priority, code };
}

/** The pools blocked at `now`, as "size/zone/priority" strings (zone "*" for region-wide entries). */
function blocked(cache: UnavailableOfferingsCache, now: Date): string[] {
  return cache
    .list(now)
    .map((o) => `${o.vmSize.replace('Standard_', '')}/${o.zone === '' ? '*' : o.zone}/${o.priority}`);
}

describe('UnavailableOfferingsCache: scope and TTL per code', () => {
  it('ZonalAllocationFailed: size × zone, both priorities, 1 hour', () => {
    const cache = new UnavailableOfferingsCache();
    const entries = cache.record(failed('ZonalAllocationFailed', '2', 'Spot'), spec, T0);
    expect(entries).toEqual([
      {
        vmSize: 'Standard_D2s_v5',
        zone: '2',
        priority: 'Regular',
        code: 'ZonalAllocationFailed',
        until: at(HOUR).toISOString(),
      },
      {
        vmSize: 'Standard_D2s_v5',
        zone: '2',
        priority: 'Spot',
        code: 'ZonalAllocationFailed',
        until: at(HOUR).toISOString(),
      },
    ]);
    expect(cache.isBlocked('Standard_D2s_v5', '2', 'Regular', at(HOUR - 1))).toBeDefined();
    expect(cache.isBlocked('Standard_D2s_v5', '2', 'Regular', at(HOUR))).toBeUndefined();
    expect(cache.isBlocked('Standard_D2s_v5', '1', 'Regular', T0)).toBeUndefined();
    expect(cache.isBlocked('Standard_D2s_v5', '', 'Regular', T0)).toBeUndefined();
  });

  it('AllocationFailed: size × attempted scope, both priorities, 1 hour; the regional scope blocks every zone', () => {
    const cache = new UnavailableOfferingsCache();
    cache.record(failed('AllocationFailed', '3'), spec, T0);
    expect(blocked(cache, T0)).toEqual(['D2s_v5/3/Regular', 'D2s_v5/3/Spot']);
    cache.record(failed('AllocationFailed', '', 'Regular', 'Standard_E4s_v5'), spec, T0);
    expect(cache.isBlocked('Standard_E4s_v5', '1', 'Spot', T0)?.code).toBe('AllocationFailed');
    expect(cache.isBlocked('Standard_E4s_v5', '', 'Regular', at(HOUR - 1))).toBeDefined();
    expect(cache.isBlocked('Standard_E4s_v5', '', 'Regular', at(HOUR))).toBeUndefined();
  });

  it('OverconstrainedAllocationRequest: size × priority in every zone, 1 hour', () => {
    const cache = new UnavailableOfferingsCache();
    cache.record(failed('OverconstrainedAllocationRequest', '2', 'Spot'), spec, T0);
    expect(blocked(cache, T0)).toEqual(['D2s_v5/*/Spot']);
    expect(cache.isBlocked('Standard_D2s_v5', '3', 'Spot', T0)?.until).toBe(at(HOUR).toISOString());
    expect(cache.isBlocked('Standard_D2s_v5', '3', 'Regular', T0)).toBeUndefined();
  });

  it('SkuNotAvailable: size × priority in every zone, 1 hour for Spot, 23 hours for Regular', () => {
    const cache = new UnavailableOfferingsCache();
    cache.record(failed('SkuNotAvailable', '1', 'Spot', 'Standard_B2s'), spec, T0);
    cache.record(failed('SkuNotAvailable', '1', 'Regular', 'Standard_M128s'), spec, T0);
    expect(cache.isBlocked('Standard_B2s', '2', 'Spot', at(HOUR - 1))).toBeDefined();
    expect(cache.isBlocked('Standard_B2s', '2', 'Spot', at(HOUR))).toBeUndefined();
    expect(cache.isBlocked('Standard_M128s', '3', 'Regular', at(23 * HOUR - 1))).toBeDefined();
    expect(cache.isBlocked('Standard_M128s', '3', 'Regular', at(23 * HOUR))).toBeUndefined();
  });

  it('regional-cores quota: every size, both priorities, 10 minutes', () => {
    const cache = new UnavailableOfferingsCache();
    cache.record(
      {
        ...failed('OperationNotAllowed'),
        quota: { name: 'regionalVCPUs', limit: 10, used: 10, required: 2 },
      },
      spec,
      T0,
    );
    expect(cache.list(T0)).toHaveLength(spec.vmSizes.length * 2);
    expect(cache.isBlocked('Standard_E4s_v5', '3', 'Spot', at(10 * MINUTE - 1))?.code).toBe(
      'OperationNotAllowed',
    );
    expect(cache.list(at(10 * MINUTE))).toEqual([]);
  });

  it('Spot quota (LowPriorityCores): every Spot-capable size, Spot only, 10 minutes', () => {
    const cache = new UnavailableOfferingsCache();
    cache.record(
      {
        ...failed('OperationNotAllowed', '1', 'Spot'),
        quota: { name: 'spotVCPUs', limit: 8, used: 8, required: 2 },
      },
      spec,
      T0,
    );
    expect(blocked(cache, T0)).toEqual(['D2s_v5/*/Spot', 'D4s_v5/*/Spot', 'E4s_v5/*/Spot']);
    expect(cache.isBlocked('Standard_D2s_v5', '1', 'Regular', T0)).toBeUndefined();
  });

  it('family quota: every size of the family, Regular only; a zero limit blocks for an hour', () => {
    const cache = new UnavailableOfferingsCache();
    cache.record(
      {
        ...failed('OperationNotAllowed', '1'),
        quota: { name: 'family/DSv5', limit: 6, used: 4, required: 4 },
      },
      spec,
      T0,
    );
    expect(blocked(cache, T0)).toEqual(['D2s_v5/*/Regular', 'D4s_v5/*/Regular']);
    expect(cache.list(at(10 * MINUTE))).toEqual([]);
    cache.record(
      {
        ...failed('OperationNotAllowed', '1', 'Regular', 'Standard_E4s_v5'),
        quota: { name: 'family/ESv5', limit: 0, used: 0, required: 4 },
      },
      spec,
      T0,
    );
    expect(cache.isBlocked('Standard_E4s_v5', '2', 'Regular', at(HOUR - 1))).toBeDefined();
  });

  it('does not cache SpotPriceGreaterThanProvidedMaxPrice (it is about one VM’s max price)', () => {
    const cache = new UnavailableOfferingsCache();
    expect(cache.record(failed('SpotPriceGreaterThanProvidedMaxPrice', '1', 'Spot'), spec, T0)).toEqual([]);
    expect(cache.size).toBe(0);
  });
});

describe('UnavailableOfferingsCache: bookkeeping', () => {
  it('keeps the later expiry when a pool fails again', () => {
    const cache = new UnavailableOfferingsCache();
    cache.record(failed('SkuNotAvailable'), spec, T0); // Regular: 23 h
    cache.record(failed('OverconstrainedAllocationRequest'), spec, at(HOUR)); // 1 h from then: shorter
    expect(cache.list(at(HOUR))).toEqual([
      expect.objectContaining({ zone: '', code: 'SkuNotAvailable', until: at(23 * HOUR).toISOString() }),
    ]);
    cache.record(failed('OverconstrainedAllocationRequest'), spec, at(23 * HOUR));
    expect(cache.list(at(23 * HOUR))).toEqual([
      expect.objectContaining({
        code: 'OverconstrainedAllocationRequest',
        until: at(24 * HOUR).toISOString(),
      }),
    ]);
  });

  it('reports the longer of a zonal and a region-wide block', () => {
    const cache = new UnavailableOfferingsCache();
    cache.record(failed('ZonalAllocationFailed', '1'), spec, T0);
    cache.record(failed('OverconstrainedAllocationRequest', '2'), spec, at(30 * MINUTE));
    expect(cache.isBlocked('Standard_D2s_v5', '1', 'Regular', at(40 * MINUTE))?.code).toBe(
      'OverconstrainedAllocationRequest',
    );
  });

  it('lists in a stable order and prunes expired entries', () => {
    const cache = new UnavailableOfferingsCache();
    cache.record(failed('ZonalAllocationFailed', '3', 'Regular', 'Standard_E4s_v5'), spec, T0);
    cache.record(failed('ZonalAllocationFailed', '2'), spec, at(30 * MINUTE));
    cache.record(failed('OverconstrainedAllocationRequest', '1', 'Spot'), spec, T0);
    expect(blocked(cache, T0)).toEqual([
      'D2s_v5/*/Spot',
      'D2s_v5/2/Regular',
      'D2s_v5/2/Spot',
      'E4s_v5/3/Regular',
      'E4s_v5/3/Spot',
    ]);
    expect(cache.prune(at(HOUR))).toBe(3);
    expect(blocked(cache, at(HOUR))).toEqual(['D2s_v5/2/Regular', 'D2s_v5/2/Spot']);
    expect(cache.size).toBe(2);
  });

  it('keeps one cache per region', () => {
    const caches = new UnavailableOfferingsByRegion();
    caches.forRegion('a').record(failed('ZonalAllocationFailed'), spec, T0);
    expect(caches.forRegion('a').size).toBe(2);
    expect(caches.forRegion('b').size).toBe(0);
    caches.deleteRegion('a');
    expect(caches.forRegion('a').size).toBe(0);
  });
});

describe('UnavailableOfferingsCache: a Region change that explains a block lifts it', () => {
  const withSpot = (zone: string, spot: number) =>
    testRegion({
      capacity: {
        Standard_D2s_v5: ['1', '2', '3'].map((z) => ({ zone: z, regular: 3, spot: z === zone ? spot : 2 })),
      },
    }).spec;

  it('Spot capacity given back in a zone lifts that zone’s Spot block, not its Regular one or other zones', () => {
    const cache = new UnavailableOfferingsCache();
    cache.record(failed('ZonalAllocationFailed', '2', 'Spot'), spec, T0);
    cache.record(failed('ZonalAllocationFailed', '3', 'Spot'), spec, T0);
    expect(cache.liftRaised(spec, withSpot('2', 5))).toBe(1);
    expect(blocked(cache, T0)).toEqual(['D2s_v5/2/Regular', 'D2s_v5/3/Regular', 'D2s_v5/3/Spot']);
  });

  it('lowering capacity or changing nothing lifts nothing', () => {
    const cache = new UnavailableOfferingsCache();
    cache.record(failed('ZonalAllocationFailed', '2', 'Spot'), spec, T0);
    expect(cache.liftRaised(spec, withSpot('2', 1))).toBe(0);
    expect(cache.liftRaised(spec, spec)).toBe(0);
    expect(cache.size).toBe(2);
  });

  it('a region-wide block lifts when any zone of its size gains capacity of its priority', () => {
    const cache = new UnavailableOfferingsCache();
    cache.record(failed('OverconstrainedAllocationRequest', '1', 'Spot'), spec, T0);
    cache.record(failed('OverconstrainedAllocationRequest', '1', 'Spot', 'Standard_E4s_v5'), spec, T0);
    expect(cache.liftRaised(spec, withSpot('3', 9))).toBe(1);
    expect(blocked(cache, T0)).toEqual(['E4s_v5/*/Spot']);
  });

  it('a zone that comes back lifts the blocks in it', () => {
    const down = testRegion({
      zones: [
        { name: '1', faultDomains: 5, available: true },
        { name: '2', faultDomains: 5, available: false },
        { name: '3', faultDomains: 3, available: true },
      ],
    }).spec;
    const cache = new UnavailableOfferingsCache();
    cache.record(failed('ZonalAllocationFailed', '2'), down, T0);
    cache.record(failed('ZonalAllocationFailed', '1'), down, T0);
    expect(cache.liftRaised(down, spec)).toBe(2);
    expect(blocked(cache, T0)).toEqual(['D2s_v5/1/Regular', 'D2s_v5/1/Spot']);
  });

  it('a quota block lifts when a limit rises or is removed, not when another one falls', () => {
    const limited = { ...spec, quotas: { spotVCPUs: 8, families: { DSv5: 6 } } };
    const spotQuota = {
      ...failed('OperationNotAllowed', '1', 'Spot'),
      quota: { name: 'spotVCPUs', limit: 8, used: 8, required: 2 },
    };
    const cache = new UnavailableOfferingsCache();
    cache.record(spotQuota, limited, T0);
    expect(cache.liftRaised(limited, { ...limited, quotas: { spotVCPUs: 4, families: { DSv5: 6 } } })).toBe(
      0,
    );
    expect(cache.liftRaised(limited, { ...limited, quotas: { spotVCPUs: 16, families: { DSv5: 6 } } })).toBe(
      3,
    );
    cache.record(spotQuota, limited, T0);
    expect(cache.liftRaised(limited, { ...limited, quotas: { spotVCPUs: 8 } })).toBe(3);
    expect(cache.size).toBe(0);
  });
});
