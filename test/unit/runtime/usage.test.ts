// The wiring a controller author writes, as documented in src/runtime/index.ts. It builds everything
// but starts nothing (no cluster needed); its value is that it compiles against the public API.
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  computeConditions,
  controllerOwner,
  generationChanged,
  keyOf,
  KubeClient,
  Manager,
  mapAll,
  mapByLabel,
  mapToControllerOwner,
  objectKey,
  type Condition,
  type DeepReadonly,
  type KubeObject,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
  type ResourceType,
  type RuntimeObserver,
} from '../../../src/runtime/index.ts';

const group = 'compute.vmfleet.io';
const scaleSets: ResourceType = {
  group,
  version: 'v1alpha1',
  plural: 'scalesets',
  kind: 'ScaleSet',
  namespaced: true,
};
const instances: ResourceType = {
  group,
  version: 'v1alpha1',
  plural: 'instances',
  kind: 'Instance',
  namespaced: true,
};
const regions: ResourceType = {
  group,
  version: 'v1alpha1',
  plural: 'regions',
  kind: 'Region',
  namespaced: false,
};

interface ScaleSet extends KubeObject {
  spec: { region: string; capacity: number };
  status?: { readyInstances?: number; conditions?: Condition[] };
}
type Instance = KubeObject & { spec: { zone: string } };
type Region = KubeObject & { spec: { zones: { name: string }[] } };

function offlineClient(): KubeClient {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return new KubeClient(config);
}

describe('runtime wiring as a controller author writes it', () => {
  it('builds a manager with reflectors, indexes, a mapped controller, status and events', () => {
    const counted: string[] = [];
    const metrics: RuntimeObserver = {
      reconcileDone: (controller, result) => counted.push(`${controller}:${result}`),
    };
    const manager = new Manager({
      client: offlineClient(),
      logger: pino({ level: 'silent' }),
      namespace: 'vmfleet-system',
      leaderElection: { leaseName: 'vmfleet-operator' },
      health: { port: 0 },
      observer: metrics,
    });
    const scaleSetCache = manager.reflector<ScaleSet>(scaleSets);
    const instanceCache = manager.reflector<Instance>(instances);
    const regionCache = manager.reflector<Region>(regions);
    instanceCache.addIndex('owner', (instance) => {
      const owner = controllerOwner(instance);
      return owner === undefined ? [] : [keyOf({ namespace: instance.metadata.namespace, name: owner.name })];
    });
    scaleSetCache.addIndex('region', (scaleSet) => [scaleSet.spec.region]);

    async function reconcile(
      { key }: ReconcileRequest,
      { logger }: ReconcileContext,
    ): Promise<ReconcileResult> {
      const scaleSet: DeepReadonly<ScaleSet> | undefined = scaleSetCache.store.get(key);
      if (scaleSet === undefined) return {};
      const ready = instanceCache.store.byIndex('owner', key).length;
      logger.info({ ready }, 'reconciling');
      const conditions = computeConditions(
        scaleSet.status?.conditions,
        [{ type: 'Ready', status: ready >= scaleSet.spec.capacity ? 'True' : 'False', reason: 'Counted' }],
        { generation: scaleSet.metadata.generation ?? 0, now: new Date() },
      );
      await manager.statusWriter.update(scaleSets, scaleSet, { readyInstances: ready, conditions });
      manager.events.record(
        { apiVersion: `${group}/v1alpha1`, kind: 'ScaleSet', metadata: scaleSet.metadata },
        { type: 'Normal', reason: 'InstancesCounted', action: 'Count', note: `${ready} ready` },
      );
      return ready < scaleSet.spec.capacity ? { requeueAfterMs: 5_000 } : {};
    }

    const controller = manager
      .createController({ name: 'scaleset', workers: 4, reconcile })
      .watchPrimary(scaleSetCache, { predicate: generationChanged })
      .watch(
        instanceCache,
        mapAll(mapToControllerOwner({ group, kind: 'ScaleSet' }), mapByLabel('vmfleet.io/scaleset')),
      )
      .watch(regionCache, (region) =>
        scaleSetCache.store.byIndex('region', region.metadata.name).map(objectKey),
      );

    expect(controller.name).toBe('scaleset');
    expect(manager.reflector<ScaleSet>(scaleSets)).toBe(scaleSetCache);
    expect(manager.isLeader).toBe(false);
    expect(manager.cachesSynced).toBe(false);
    expect(counted).toEqual([]);
  });
});
