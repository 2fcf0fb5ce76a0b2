import { describe, expect, it } from 'vitest';
import { computePools, type Pool } from '../../../src/cloud/pools.ts';
import { computeRegionUsage } from '../../../src/cloud/region-usage.ts';
import { toEngineRegion, toEngineUnavailable } from '../../../src/cloud/engine-input.ts';
import { UnavailableOfferingsCache } from '../../../src/cloud/unavailable-offerings.ts';
import { EASTUS } from '../../../src/api/index.ts';
import { HOUR, T0, at, testRegion, vm, vms } from './fixtures.ts';

function pool(pools: Pool[], vmSize: string, zone: string, priority: 'Regular' | 'Spot'): Pool {
  const found = pools.find(
    (p) => p.vmSize === `Standard_${vmSize}` && p.zone === zone && p.priority === priority,
  );
  if (!found) throw new Error(`no pool ${vmSize}/${zone}/${priority}`);
  return found;
}

describe('computePools', () => {
  it('describes every pool with price, shape, capacity and quota headroom, in a stable order', () => {
    const region = testRegion({ quotas: { regionalVCPUs: 20, spotVCPUs: 6, families: { DSv5: 8 } } });
    const instances = [
      ...vms('d', 2, { zone: '1', phase: 'Running' }), // D2s_v5 Regular zone 1: 4 vCPUs
      vm({ name: 's-0', zone: '3', priority: 'Spot', phase: 'Provisioning' }), // 2 vCPUs
      vm({ name: 'p-0', zone: '1', phase: 'Pending' }), // holds nothing
    ];
    const { pools, quotas } = computePools(region.spec, instances);
    expect(quotas).toEqual([
      { name: 'regionalVCPUs', limit: 20, used: 6, headroomVCPUs: 14 },
      { name: 'spotVCPUs', limit: 6, used: 2, headroomVCPUs: 4 },
      { name: 'family/BS', limit: undefined, used: 0, headroomVCPUs: Infinity },
      { name: 'family/DSv5', limit: 8, used: 4, headroomVCPUs: 4 },
      { name: 'family/ESv5', limit: undefined, used: 0, headroomVCPUs: Infinity },
    ]);
    expect(pool(pools, 'D2s_v5', '1', 'Regular')).toEqual({
      vmSize: 'Standard_D2s_v5',
      zone: '1',
      priority: 'Regular',
      family: 'DSv5',
      vCPUs: 2,
      memoryGiB: 8,
      architecture: 'x64',
      category: 'GeneralPurpose',
      burstable: false,
      pricePerHour: 0.1,
      regularPricePerHour: 0.1,
      faultDomains: 5,
      available: true,
      capacity: 3,
      used: 2,
      free: 1,
      quotaNames: ['regionalVCPUs', 'family/DSv5'],
      quotaHeadroomVMs: 2,
    });
    expect(pool(pools, 'D2s_v5', '3', 'Spot')).toMatchObject({
      pricePerHour: 0.03,
      faultDomains: 3,
      used: 1,
      free: 1,
    });
    expect(pool(pools, 'D2s_v5', '3', 'Spot').quotaNames).toEqual(['spotVCPUs', 'regionalVCPUs']);
    expect(pool(pools, 'D4s_v5', '1', 'Regular').quotaHeadroomVMs).toBe(1);
    // Regional pools share every zone's room.
    expect(pool(pools, 'D2s_v5', '', 'Regular')).toMatchObject({
      capacity: 9,
      used: 2,
      free: 7,
      faultDomains: 5,
    });
    // B-series has no Spot pools; D4s_v5 has no zone-3 pools.
    expect(pools.some((p) => p.vmSize === 'Standard_B2s' && p.priority === 'Spot')).toBe(false);
    expect(pools.some((p) => p.vmSize === 'Standard_D4s_v5' && p.zone === '3')).toBe(false);
    const keys = pools.map((p) => `${p.vmSize}\u0000${p.zone}\u0000${p.priority}`);
    expect(keys).toEqual([...keys].sort());
  });

  it('shows a zone outage as unavailable with no free capacity', () => {
    const region = testRegion({
      zones: [
        { name: '1', faultDomains: 5, available: true },
        { name: '2', faultDomains: 5, available: false },
        { name: '3', faultDomains: 3, available: true },
      ],
    });
    const { pools } = computePools(region.spec, []);
    expect(pool(pools, 'E4s_v5', '2', 'Regular')).toMatchObject({ available: false, capacity: 2, free: 0 });
    expect(pool(pools, 'E4s_v5', '', 'Regular')).toMatchObject({ available: true, capacity: 6, free: 4 });
  });

  it('runs on the built-in eastus catalogue', () => {
    const { pools } = computePools(EASTUS.spec, []);
    // 13 sizes × (1 regional + 3 zones) × 2 priorities, minus B2s Spot's 4 pools.
    expect(pools).toHaveLength(13 * 4 * 2 - 4);
    expect(pool(pools, 'D2s_v5', '3', 'Spot')).toMatchObject({ pricePerHour: 0.02112, free: 400 });
  });
});

describe('computeRegionUsage', () => {
  it('counts pools holding capacity, quota vCPUs (Deallocated included) and VMs that exist', () => {
    const region = testRegion({ quotas: { regionalVCPUs: 100, families: { ESv5: 8 } } });
    const instances = [
      ...vms('d', 2, { zone: '1', phase: 'Running' }),
      vm({ name: 'e-0', size: 'Standard_E4s_v5', zone: '2', phase: 'Provisioning' }),
      vm({ name: 's-0', zone: '1', priority: 'Spot', phase: 'Running' }),
      vm({ name: 's-1', zone: '1', priority: 'Spot', phase: 'Deallocated' }),
      vm({ name: 'r-0', zone: '', phase: 'Running' }),
      vm({ name: 'p-0', zone: '1', phase: 'Pending' }),
      vm({ name: 'f-0', zone: '1', phase: 'Failed' }),
      vm({ name: 'n-0', zone: '1' }),
    ];
    expect(computeRegionUsage(region.spec, instances)).toEqual({
      instances: 6,
      usage: [
        { vmSize: 'Standard_D2s_v5', zone: '', priority: 'Regular', count: 1, vCPUs: 2 },
        { vmSize: 'Standard_D2s_v5', zone: '1', priority: 'Regular', count: 2, vCPUs: 4 },
        { vmSize: 'Standard_D2s_v5', zone: '1', priority: 'Spot', count: 1, vCPUs: 2 },
        { vmSize: 'Standard_E4s_v5', zone: '2', priority: 'Regular', count: 1, vCPUs: 4 },
      ],
      quotaUsage: [
        { name: 'regionalVCPUs', used: 14, limit: 100 },
        { name: 'spotVCPUs', used: 4 },
        { name: 'family/DSv5', used: 6 },
        { name: 'family/ESv5', used: 4, limit: 8 },
      ],
    });
  });

  it('returns to zero when the Instances are gone', () => {
    expect(computeRegionUsage(testRegion().spec, [])).toEqual({
      instances: 0,
      usage: [],
      quotaUsage: [
        { name: 'regionalVCPUs', used: 0 },
        { name: 'spotVCPUs', used: 0 },
      ],
    });
  });
});

describe('engine adapters', () => {
  it('turns pools into the engine’s RegionInput, leaving unlimited quotas out', () => {
    const region = testRegion({ quotas: { spotVCPUs: 10, families: { DSv5: 8 } } });
    const input = toEngineRegion(
      region.spec,
      computePools(region.spec, [vm({ name: 'd-0', phase: 'Running' })]),
    );
    expect(input.quota).toEqual({ regionalVCpus: undefined, spotVCpus: 10, familyVCpus: { DSv5: 6 } });
    expect(input.zones).toEqual([
      { name: '1', faultDomains: 5, available: true },
      { name: '2', faultDomains: 5, available: true },
      { name: '3', faultDomains: 3, available: true },
    ]);
    expect(input.sizes.map((s) => s.name)).toEqual(region.spec.vmSizes.map((s) => s.name));
    expect(input.pools).toContainEqual({
      size: 'Standard_D2s_v5',
      zone: '1',
      priority: 'Regular',
      pricePerHour: 0.1,
      free: 2,
    });
  });

  it('turns cache entries into the engine’s unavailable set (region-wide entries have no zone)', () => {
    const cache = new UnavailableOfferingsCache();
    const spec = testRegion().spec;
    cache.record(
      { vmSize: 'Standard_D2s_v5', zone: '2', priority: 'Spot', code: 'ZonalAllocationFailed' },
      spec,
      T0,
    );
    cache.record(
      { vmSize: 'Standard_E4s_v5', zone: '1', priority: 'Spot', code: 'SkuNotAvailable' },
      spec,
      T0,
    );
    expect(toEngineUnavailable(cache.list(T0))).toEqual([
      {
        size: 'Standard_D2s_v5',
        zone: '2',
        priority: 'Regular',
        code: 'ZonalAllocationFailed',
        until: at(HOUR).getTime(),
      },
      {
        size: 'Standard_D2s_v5',
        zone: '2',
        priority: 'Spot',
        code: 'ZonalAllocationFailed',
        until: at(HOUR).getTime(),
      },
      { size: 'Standard_E4s_v5', priority: 'Spot', code: 'SkuNotAvailable', until: at(HOUR).getTime() },
    ]);
  });
});
