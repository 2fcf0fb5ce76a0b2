// The simulated cloud's Region controller applies what SimulatedCloud.observe reports: evictions (a
// Deallocate VM keeps its Instance, Deallocated) and health changes go to the Instances, usage to the
// Region's status, and it comes back when the cloud asks to be observed again.
import { describe, expect, it } from 'vitest';
import { REGION_FINALIZER, type Instance, type Region } from '../../../src/api/index.ts';
import { SimulatedCloud } from '../../../src/cloud/index.ts';
import { RegionReconciler } from '../../../src/cloud/simulated/region-controller.ts';
import { INSTANCES, REGIONS } from '../../../src/controllers/resources.ts';
import { KubeApiError, type ReconcileContext } from '../../../src/runtime/index.ts';
import { MemoryCluster } from '../controllers/support/memory-cluster.ts';
import { HOUR, testRegion, vm, type RegionOverrides } from './fixtures.ts';

/**
 * `gone`: the VMs are deleted and released on the server, while the controller's cache still shows them.
 * `stale`: the Region has no finalizer yet and changed on the server since the cache read it, so the
 * finalizer's guarded patch meets a 409.
 */
function world(overrides: RegionOverrides, options: { gone?: boolean; stale?: boolean } = {}) {
  const cluster = new MemoryCluster();
  const cache = options.gone === true ? new MemoryCluster() : cluster;
  const region = testRegion(overrides);
  // In use already: the finalizer is there, so the reconcile only observes (MemoryCluster's merge patch
  // would not keep the metadata a finalizer patch leaves out).
  cluster.add(REGIONS, {
    ...region,
    metadata: { ...region.metadata, finalizers: options.stale === true ? [] : [REGION_FINALIZER] },
  });
  const launchedAt = new Date(cluster.clock.now() - HOUR);
  cache.add(INSTANCES, vm({ name: 's-0', priority: 'Spot', zone: '1', phase: 'Running', launchedAt }));
  cache.add(INSTANCES, vm({ name: 'r-0', zone: '2', phase: 'Running', launchedAt }));
  const client =
    options.stale === true
      ? {
          ...cluster.client,
          patch: () => Promise.reject(new KubeApiError(409, 'Conflict', 'the object has been modified')),
        }
      : cluster.client;
  const reconciler = new RegionReconciler({
    client,
    provider: new SimulatedCloud(),
    regions: cluster.regions,
    instances: cache.instances,
    regionInstances: (region) => cache.regionInstances(region),
    statusWriter: cluster.statusWriter,
    events: cluster.eventRecorder,
    metrics: cluster.metrics.lifecycle,
    evictionLedger: { record: () => undefined },
    fleetMaintains: () => undefined,
    clock: cluster.clock,
  });
  const context: ReconcileContext = {
    logger: cluster.logger,
    signal: new AbortController().signal,
    retries: 0,
  };
  const reconcile = () => reconciler.reconcile({ key: 'testland', name: 'testland' }, context);
  const status = (name: string) => (cluster.instances.get(`default/${name}`) as Instance | undefined)?.status;
  const regionNow = () => cluster.regions.get('testland') as Region | undefined;
  return {
    reconcile,
    status,
    region: regionNow,
    events: () => cluster.events.map((e) => e.reason),
    writes: () => cluster.writes,
  };
}

describe('the simulated Region controller', () => {
  it('deallocates evicted Spot VMs, writes health changes and the Region usage', async () => {
    const { reconcile, status, region } = world({
      capacity: { Standard_D2s_v5: [{ zone: '1', regular: 3, spot: 0 }] },
      healthFaults: [{ zone: '2', reason: 'ZoneDegraded' }],
    });
    expect(await reconcile()).toEqual({});
    expect(status('s-0')).toMatchObject({ phase: 'Deallocated', reason: 'CapacityReduced' });
    expect(status('s-0')?.health).toBeUndefined();
    expect(status('r-0')).toMatchObject({
      phase: 'Running',
      health: 'Unhealthy',
      healthReason: 'ZoneDegraded',
    });
    // Both VMs still exist (a Deallocated one keeps its quota): usage counts them.
    expect(region()?.status?.instances).toBe(2);
    expect(region()?.status?.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True' });
  });

  it('skips a VM deleted and released since the cache showed it: no error, no eviction or health Event', async () => {
    const { reconcile, events } = world(
      {
        capacity: { Standard_D2s_v5: [{ zone: '1', regular: 3, spot: 0 }] },
        healthFaults: [{ zone: '2', reason: 'ZoneDegraded' }],
      },
      { gone: true },
    );
    expect(await reconcile()).toEqual({});
    expect(events()).not.toContain('SpotEvicted');
    expect(events()).not.toContain('InstanceUnhealthy');
  });

  it('a finalizer write that meets a newer Region is retried soon, not a reconcile error', async () => {
    const { reconcile, writes } = world({}, { stale: true });
    expect(await reconcile()).toEqual({ requeueAfterMs: 200 });
    expect(writes().filter((w) => w.startsWith('status'))).toEqual([]);
  });

  it('comes back when the cloud asks to be observed again (a seeded rate)', async () => {
    const { reconcile } = world({ spotEvictionRatePerHour: 0.01 });
    expect(await reconcile()).toEqual({ requeueAfterMs: 10_000 });
  });
});
