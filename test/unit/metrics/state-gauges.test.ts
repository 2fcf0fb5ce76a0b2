import { describe, expect, it } from 'vitest';
import { ComputeFleet, ScaleSet, type Instance } from '../../../src/api/index.ts';
import {
  createMetrics,
  groupPlacement,
  staticState,
  type FleetStateSource,
  type UnavailableOfferingEntry,
} from '../../../src/metrics/index.ts';
import { INSTANCES, JOBS, REGION, WEB, instanceOf } from './fixtures.ts';
import { samplesOf, sumOf, valueOf } from './support.ts';

const NOW = Date.parse('2026-11-01T12:00:00Z');
const web = { namespace: 'default', kind: 'ScaleSet', name: 'web' };
const jobs = { namespace: 'batch', kind: 'ComputeFleet', name: 'jobs' };

function metricsFor(state: FleetStateSource) {
  return createMetrics({ state, defaultMetrics: false, now: () => NOW, version: 'test' }).registry;
}

const world = () =>
  staticState({ scaleSets: [WEB], computeFleets: [JOBS], instances: INSTANCES, regions: [REGION] });

describe('cost gauges', () => {
  it('vmfleet_hourly_cost sums to the Running instances’ prices (not being deleted: as status.hourlyCost)', async () => {
    const cost = await samplesOf(metricsFor(world()), 'vmfleet_hourly_cost');
    const running = INSTANCES.filter((i) => i.status?.phase === 'Running' && !i.metadata.deletionTimestamp);
    const expected = running.reduce((total, i) => total + (i.status?.pricePerHour ?? 0), 0);
    expect(sumOf(cost)).toBeCloseTo(expected, 9);
    expect(Math.abs(sumOf(cost) - expected)).toBeLessThan(1e-9);
    expect(sumOf(cost, web)).toBeCloseTo(4 * 0.096, 9);
    expect(sumOf(cost, { ...jobs, capacity_type: 'regular' })).toBeCloseTo(2 * 0.192, 9);
    expect(sumOf(cost, { ...jobs, capacity_type: 'spot' })).toBeCloseTo(3 * 0.0192, 9);
  });

  it('reports every eligible zone × used capacity type, 0 included', async () => {
    const cost = await samplesOf(metricsFor(world()), 'vmfleet_hourly_cost');
    const zonesOf = (group: Record<string, string>, capacityType: string) =>
      cost
        .filter((s) => s.labels.name === group.name && s.labels.capacity_type === capacityType)
        .map((s) => s.labels.zone)
        .sort();
    expect(zonesOf(web, 'regular')).toEqual(['1', '2', '3']);
    expect(zonesOf(web, 'spot')).toEqual([]);
    expect(zonesOf(jobs, 'spot')).toEqual(['1', '2']);
    expect(valueOf(cost, { ...jobs, zone: '1', capacity_type: 'spot' })).toBe(0);
  });

  it('prices a Running instance without status.pricePerHour at its catalogue price', async () => {
    const unpriced = instanceOf(WEB, 9, { zone: '3', faultDomain: 1, priority: 'Regular' });
    const spot = instanceOf(JOBS, 9, { zone: '1', faultDomain: 0, priority: 'Spot' });
    const state = staticState({
      scaleSets: [WEB],
      computeFleets: [JOBS],
      instances: [unpriced, spot],
      regions: [REGION],
    });
    const cost = await samplesOf(metricsFor(state), 'vmfleet_hourly_cost');
    expect(sumOf(cost, web)).toBeCloseTo(0.096, 9);
    expect(sumOf(cost, jobs)).toBeCloseTo(0.0192, 9);
  });

  it('vmfleet_regular_equivalent_hourly_cost prices the same VMs at the Regular price', async () => {
    const registry = metricsFor(world());
    const equivalent = await samplesOf(registry, 'vmfleet_regular_equivalent_hourly_cost');
    expect(sumOf(equivalent, web)).toBeCloseTo(4 * 0.096, 9);
    expect(sumOf(equivalent, { ...jobs, capacity_type: 'spot' })).toBeCloseTo(3 * 0.096, 9);
    const cost = await samplesOf(registry, 'vmfleet_hourly_cost');
    expect(sumOf(equivalent) - sumOf(cost)).toBeCloseTo(3 * (0.096 - 0.0192), 9);
  });
});

describe('instance gauges', () => {
  it('vmfleet_instances zero-fills every eligible zone and fault domain of the region', async () => {
    const instances = await samplesOf(metricsFor(world()), 'vmfleet_instances');
    const webSeries = instances.filter((s) => s.labels.name === 'web');
    // zones 1 and 2 have 5 fault domains, zone 3 has 3; one capacity type.
    expect(webSeries).toHaveLength(5 + 5 + 3);
    const cell = (zone: string, fd: number) =>
      valueOf(webSeries, { zone, fault_domain: String(fd), capacity_type: 'regular' });
    expect([0, 1, 2, 3, 4].map((fd) => cell('1', fd))).toEqual([2, 1, 0, 0, 0]);
    expect([0, 1, 2, 3, 4].map((fd) => cell('2', fd))).toEqual([1, 1, 0, 0, 0]);
    expect([0, 1, 2].map((fd) => cell('3', fd))).toEqual([0, 0, 1]);
    // The Failed instance counts until it is replaced; the one being deleted does not.
    expect(sumOf(webSeries)).toBe(6);
    // jobs: 2 zones × 5 fault domains × 2 capacity types; the Deallocated Spot VM still counts.
    const jobSeries = instances.filter((s) => s.labels.name === 'jobs');
    expect(jobSeries).toHaveLength(2 * 5 * 2);
    expect(sumOf(jobSeries, { capacity_type: 'spot' })).toBe(4);
    expect(valueOf(jobSeries, { zone: '1', fault_domain: '2', capacity_type: 'spot' })).toBe(1);
  });

  it('ready, desired and vCPU gauges', async () => {
    const registry = metricsFor(world());
    const ready = await samplesOf(registry, 'vmfleet_ready_instances');
    expect(valueOf(ready, { ...web, capacity_type: 'regular' })).toBe(4);
    expect(valueOf(ready, { ...jobs, capacity_type: 'regular' })).toBe(2);
    expect(valueOf(ready, { ...jobs, capacity_type: 'spot' })).toBe(3);
    const desired = await samplesOf(registry, 'vmfleet_desired_instances');
    expect(valueOf(desired, web)).toBe(6);
    expect(valueOf(desired, jobs)).toBe(6);
    const vcpus = await samplesOf(registry, 'vmfleet_vcpus');
    expect(valueOf(vcpus, { ...web, capacity_type: 'regular' })).toBe(6 * 2);
    expect(valueOf(vcpus, { ...jobs, capacity_type: 'regular' })).toBe(2 * 4);
    expect(valueOf(vcpus, { ...jobs, capacity_type: 'spot' })).toBe(4 * 2);
  });

  it('a VCpu fleet reports its target as vmfleet_desired_vcpus, not as instances', async () => {
    const vcpuFleet = ComputeFleet.parse({
      ...JOBS,
      metadata: { name: 'cores', namespace: 'batch' },
      spec: { ...JOBS.spec, capacityType: 'VCpu', regular: { capacity: 16 }, spot: { capacity: 32 } },
    });
    const registry = metricsFor(staticState({ computeFleets: [vcpuFleet], regions: [REGION] }));
    expect(await samplesOf(registry, 'vmfleet_desired_instances')).toEqual([]);
    expect(valueOf(await samplesOf(registry, 'vmfleet_desired_vcpus'), { name: 'cores' })).toBe(48);
  });
});

describe('spread gauges', () => {
  it('match the status arithmetic: max − min over zones, worst zone over fault domains, largest share', async () => {
    const registry = metricsFor(world());
    const [zoneSkew, fdSkew, share] = await Promise.all([
      samplesOf(registry, 'vmfleet_zone_skew'),
      samplesOf(registry, 'vmfleet_fault_domain_skew'),
      samplesOf(registry, 'vmfleet_largest_zone_share'),
    ]);
    // web: zones 3/2/1 → skew 2, share 3/6; zone 1's fault domains 2/1/0/0/0 → 2.
    expect(valueOf(zoneSkew, web)).toBe(2);
    expect(valueOf(fdSkew, web)).toBe(2);
    expect(valueOf(share, web)).toBeCloseTo(0.5, 12);
    // jobs: zones 3/3 → 0 and 0.5; each zone 1/1/1/0/0 → 1.
    expect(valueOf(zoneSkew, jobs)).toBe(0);
    expect(valueOf(fdSkew, jobs)).toBe(1);
    expect(valueOf(share, jobs)).toBe(0.5);
    // The same numbers a controller gets for status from groupPlacement.
    const status = groupPlacement(
      WEB.spec,
      REGION.spec,
      INSTANCES.filter((i) => i.metadata.labels?.['vmfleet.io/scaleset'] === 'web'),
    );
    expect(status.spread).toEqual({
      zoneSkew: valueOf(zoneSkew, web),
      faultDomainSkew: valueOf(fdSkew, web),
      largestZoneShare: valueOf(share, web),
    });
    expect(status.byZone).toEqual([
      { zone: '1', count: 3 },
      { zone: '2', count: 2 },
      { zone: '3', count: 1 },
    ]);
  });

  it('an empty zone makes the skew its neighbours’ count, and an empty group reports 0 share', async () => {
    const twoInZoneOne = [
      instanceOf(WEB, 0, { zone: '1', faultDomain: 0 }),
      instanceOf(WEB, 1, { zone: '1', faultDomain: 1 }),
    ];
    const skewed = metricsFor(staticState({ scaleSets: [WEB], instances: twoInZoneOne, regions: [REGION] }));
    expect(valueOf(await samplesOf(skewed, 'vmfleet_zone_skew'), web)).toBe(2);
    expect(valueOf(await samplesOf(skewed, 'vmfleet_largest_zone_share'), web)).toBe(1);
    const empty = metricsFor(staticState({ scaleSets: [WEB], regions: [REGION] }));
    expect(valueOf(await samplesOf(empty, 'vmfleet_zone_skew'), web)).toBe(0);
    expect(valueOf(await samplesOf(empty, 'vmfleet_largest_zone_share'), web)).toBe(0);
  });

  it('a regional group is one scope, zone "", over the fault domains every zone offers', async () => {
    const regional = ScaleSet.parse({
      ...WEB,
      metadata: { name: 'flat', namespace: 'default' },
      spec: { ...WEB.spec, zones: [] },
    });
    const vms = [
      instanceOf(regional, 0, { zone: '', faultDomain: 0 }),
      instanceOf(regional, 1, { zone: '', faultDomain: 0 }),
    ];
    const registry = metricsFor(staticState({ scaleSets: [regional], instances: vms, regions: [REGION] }));
    const instances = await samplesOf(registry, 'vmfleet_instances');
    expect(instances.map((s) => s.labels.fault_domain).sort()).toEqual(['0', '1', '2']);
    expect(valueOf(await samplesOf(registry, 'vmfleet_zone_skew'), { name: 'flat' })).toBe(0);
    expect(valueOf(await samplesOf(registry, 'vmfleet_fault_domain_skew'), { name: 'flat' })).toBe(2);
    expect(valueOf(await samplesOf(registry, 'vmfleet_largest_zone_share'), { name: 'flat' })).toBe(1);
  });
});

describe('offering gauges', () => {
  it('price per size × zone × capacity type, zone Spot overrides applied, no Spot for burstable sizes', async () => {
    const prices = await samplesOf(metricsFor(world()), 'vmfleet_offering_hourly_price');
    const price = (vm_size: string, zone: string, capacity_type: string) =>
      valueOf(prices, { kind: 'Region', name: 'eastus', vm_size, zone, capacity_type });
    expect(price('Standard_D2s_v5', '1', 'regular')).toBe(0.096);
    expect(price('Standard_D2s_v5', '1', 'spot')).toBe(0.0192);
    expect(price('Standard_D2s_v5', '3', 'spot')).toBe(0.02112);
    expect(price('Standard_B2s', '1', 'regular')).toBe(0.0416);
    expect(price('Standard_B2s', '1', 'spot')).toBeUndefined();
    expect(prices).toHaveLength(3 * 2 + 2 * 2 + 1);
  });

  it('available capacity is capacity minus usage, from status.usage when the region reports it, 0 in an outage', async () => {
    const counted = await samplesOf(metricsFor(world()), 'vmfleet_offering_available_capacity');
    const free = (samples: typeof counted, vm_size: string, zone: string, capacity_type: string) =>
      valueOf(samples, { name: 'eastus', vm_size, zone, capacity_type });
    // Counted from Instances: web's 3 placed VMs in zone 1; jobs' Deallocated Spot VM holds no compute.
    expect(free(counted, 'Standard_D2s_v5', '1', 'regular')).toBe(97);
    expect(free(counted, 'Standard_D2s_v5', '1', 'spot')).toBe(50);
    expect(free(counted, 'Standard_D2s_v5', '2', 'spot')).toBe(47);
    expect(free(counted, 'Standard_D4s_v5', '1', 'regular')).toBe(8);

    const reported = {
      ...REGION,
      spec: {
        ...REGION.spec,
        zones: REGION.spec.zones.map((z) => (z.name === '2' ? { ...z, available: false } : z)),
      },
      status: {
        usage: [{ vmSize: 'Standard_D2s_v5', zone: '1', priority: 'Spot' as const, count: 60, vCPUs: 120 }],
      },
    };
    const fromStatus = await samplesOf(
      metricsFor(staticState({ instances: INSTANCES, regions: [reported] })),
      'vmfleet_offering_available_capacity',
    );
    expect(free(fromStatus, 'Standard_D2s_v5', '1', 'spot')).toBe(0);
    expect(free(fromStatus, 'Standard_D2s_v5', '1', 'regular')).toBe(100);
    expect(free(fromStatus, 'Standard_D2s_v5', '2', 'regular')).toBe(0);
  });

  it('unavailable offerings: one series per blocked pool with the Azure code, expired entries dropped', async () => {
    const offerings: UnavailableOfferingEntry[] = [
      {
        region: 'eastus',
        vmSize: 'Standard_D2s_v5',
        zone: '2',
        priority: 'Spot',
        code: 'ZonalAllocationFailed',
        until: '2026-11-01T13:00:00Z',
      },
      {
        region: 'eastus',
        vmSize: 'Standard_D4s_v5',
        zone: '1',
        priority: 'Regular',
        code: 'OperationNotAllowed',
        until: '2026-11-01T11:00:00Z',
      },
    ];
    const registry = metricsFor(staticState({ regions: [REGION], unavailableOfferings: offerings }));
    const blocked = await samplesOf(registry, 'vmfleet_unavailable_offerings');
    expect(blocked).toEqual([
      {
        labels: {
          kind: 'Region',
          name: 'eastus',
          vm_size: 'Standard_D2s_v5',
          zone: '2',
          capacity_type: 'spot',
          reason: 'ZonalAllocationFailed',
        },
        value: 1,
      },
    ]);
    const expiry = await samplesOf(registry, 'vmfleet_unavailable_offering_expiry_timestamp_seconds');
    expect(expiry.map((s) => s.value)).toEqual([Date.parse('2026-11-01T13:00:00Z') / 1000]);
  });
});

describe('scrape-time recomputation', () => {
  it('series follow the caches: a deleted group disappears, a new instance shows up at the next scrape', async () => {
    let scaleSets: ScaleSet[] = [WEB];
    let instances: Instance[] = INSTANCES;
    const state: FleetStateSource = {
      ...staticState({ computeFleets: [JOBS], regions: [REGION] }),
      scaleSets: () => scaleSets,
      instances: () => instances,
    };
    const registry = metricsFor(state);
    expect(sumOf(await samplesOf(registry, 'vmfleet_instances'), web)).toBe(6);
    instances = [...INSTANCES, instanceOf(WEB, 7, { zone: '2', faultDomain: 3 })];
    expect(sumOf(await samplesOf(registry, 'vmfleet_instances'), web)).toBe(7);
    scaleSets = [];
    instances = INSTANCES.filter((i) => i.metadata.labels?.['vmfleet.io/scaleset'] !== 'web');
    const after = await samplesOf(registry, 'vmfleet_instances');
    expect(after.filter((s) => s.labels.name === 'web')).toEqual([]);
    expect(await samplesOf(registry, 'vmfleet_zone_skew')).toHaveLength(1);
  });

  it('instances of a group no longer in the cache still count and cost, without spread series', async () => {
    const registry = metricsFor(staticState({ instances: INSTANCES, regions: [REGION] }));
    expect(sumOf(await samplesOf(registry, 'vmfleet_hourly_cost'), web)).toBeCloseTo(4 * 0.096, 9);
    expect(sumOf(await samplesOf(registry, 'vmfleet_instances'), web)).toBe(6);
    expect(await samplesOf(registry, 'vmfleet_zone_skew')).toEqual([]);
  });

  it('a throwing state source costs the scrape its state gauges, not the scrape', async () => {
    const errors: unknown[] = [];
    const broken: FleetStateSource = {
      ...staticState({}),
      scaleSets: () => {
        throw new Error('cache gone');
      },
    };
    const metrics = createMetrics({
      state: broken,
      defaultMetrics: false,
      onCollectError: (e) => errors.push(e),
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('controller_runtime_reconcile_total');
    expect(text).toContain('vmfleet_build_info');
    expect(errors).toHaveLength(1);
  });
});

describe('replicas', () => {
  it('with leader election only the leader exports state, so sums over replicas are not doubled', async () => {
    const metrics = createMetrics({ state: world(), defaultMetrics: false, now: () => NOW });
    const cost = async () => sumOf(await samplesOf(metrics.registry, 'vmfleet_hourly_cost'));
    expect(await cost()).toBeGreaterThan(0);
    metrics.observer.leaderStatus?.('vmfleet', false);
    expect(await samplesOf(metrics.registry, 'vmfleet_hourly_cost')).toEqual([]);
    expect(await samplesOf(metrics.registry, 'vmfleet_instances_terminated_total')).toEqual([]);
    expect(await samplesOf(metrics.registry, 'vmfleet_offering_hourly_price')).toEqual([]);
    metrics.observer.leaderStatus?.('vmfleet', true);
    expect(await cost()).toBeGreaterThan(0);
  });
});
