// The Instance controller learns that a Provisioning VM runs from the provider (`get`), and looks again
// when the provider expects it to run: the timing the simulated cloud's provisioningDelay gave before.
import { describe, expect, it } from 'vitest';
import type { Instance, ScaleSet } from '../../../src/api/index.ts';
import { INSTANCE_FINALIZER } from '../../../src/api/index.ts';
import {
  SimulatedCloud,
  type CloudProvider,
  type ObservedVm,
  type VmRequest,
} from '../../../src/cloud/index.ts';
import { InstanceReconciler } from '../../../src/controllers/instance.ts';
import { INSTANCES, REGIONS } from '../../../src/controllers/resources.ts';
import { KubeApiError, ObjectStore, type ReconcileContext } from '../../../src/runtime/index.ts';
import { testRegion, vm } from '../cloud/fixtures.ts';
import { MemoryCluster } from './support/memory-cluster.ts';

const SECOND = 1_000;

function world(provider: CloudProvider, options: { conflicts?: boolean } = {}) {
  const cluster = new MemoryCluster();
  cluster.add(REGIONS, testRegion()); // VMs boot in 5 s
  const launched = vm({ name: 'a-0', phase: 'Provisioning', launchedAt: new Date(cluster.clock.now()) });
  launched.metadata.finalizers = [INSTANCE_FINALIZER];
  cluster.add(INSTANCES, launched);
  const reconciler = new InstanceReconciler({
    // `conflicts`: every guarded patch meets a newer Instance (409), as during concurrent label edits.
    client:
      options.conflicts === true
        ? { patch: () => Promise.reject(new KubeApiError(409, 'Conflict', 'the object has been modified')) }
        : cluster.client,
    provider,
    unavailable: cluster.unavailable,
    instances: cluster.instances,
    regions: cluster.regions,
    scaleSets: new ObjectStore<ScaleSet>(),
    regionInstances: (region) => cluster.regionInstances(region),
    statusWriter: cluster.statusWriter,
    events: cluster.eventRecorder,
    metrics: cluster.metrics.lifecycle,
    clock: cluster.clock,
  });
  const context: ReconcileContext = {
    logger: cluster.logger,
    signal: new AbortController().signal,
    retries: 0,
  };
  const reconcile = () =>
    reconciler.reconcile({ key: 'default/a-0', namespace: 'default', name: 'a-0' }, context);
  const phase = () => (cluster.instances.get('default/a-0') as Instance | undefined)?.status?.phase;
  return { cluster, reconcile, phase };
}

/** The simulated cloud, counting the `get` calls. */
class CountingCloud extends SimulatedCloud {
  gets = 0;

  override get(request: VmRequest): Promise<ObservedVm> {
    this.gets += 1;
    return super.get(request);
  }
}

/** A cloud that reports every VM Provisioning, with `readyAt` as given. */
class SlowCloud extends SimulatedCloud {
  private readonly readyAt: Date | undefined;

  constructor(readyAt: Date | undefined) {
    super();
    this.readyAt = readyAt;
  }

  override get(request: VmRequest): Promise<ObservedVm> {
    const { name } = request.instance.metadata;
    return Promise.resolve({ namespace: 'default', name, phase: 'Provisioning', readyAt: this.readyAt });
  }
}

describe('InstanceReconciler: Provisioning → Running', () => {
  it('asks the provider, waits until the VM is due to run, then writes Running', async () => {
    const cloud = new CountingCloud();
    const { cluster, reconcile, phase } = world(cloud);
    cluster.clock.advance(2 * SECOND);
    expect(await reconcile()).toEqual({ requeueAfterMs: 3 * SECOND });
    expect(phase()).toBe('Provisioning');
    cluster.clock.advance(3 * SECOND);
    expect(await reconcile()).toEqual({});
    expect(phase()).toBe('Running');
    expect(cloud.gets).toBe(2);
  });

  it('polls a VM whose provider cannot say when it will run, or is late', async () => {
    for (const readyAt of [undefined, new Date(0)]) {
      const { cluster, reconcile, phase } = world(new SlowCloud(readyAt));
      cluster.clock.advance(60 * SECOND);
      expect(await reconcile()).toEqual({ requeueAfterMs: 10 * SECOND });
      expect(phase()).toBe('Provisioning');
    }
  });
});

describe('InstanceReconciler: deletion', () => {
  it('a finalizer write that meets a newer Instance is retried soon, not a reconcile error', async () => {
    const { cluster, reconcile } = world(new SimulatedCloud(), { conflicts: true });
    await cluster.client.delete(INSTANCES, { namespace: 'default', name: 'a-0' });
    expect(cluster.instances.get('default/a-0')?.metadata.deletionTimestamp).toBeDefined();
    expect(await reconcile()).toEqual({ requeueAfterMs: 200 });
  });
});
