// Schedule autoscale and automatic repairs through the group reconciler, without a cluster
// (support/memory-cluster.ts): a profile's start writes capacity through the scale subresource, and a
// manual scale after it is clamped to the profile's bounds; unhealthy VMs past the grace period are replaced
// in batches of 5 % of capacity (at least 1), protected ones never.
import { describe, expect, test } from 'vitest';
import { API_GROUP_VERSION, EASTUS, type Instance } from '../../../src/api/index.ts';
import type { GroupObject } from '../../../src/controllers/group.ts';
import { INSTANCES, REGIONS, SCALESETS } from '../../../src/controllers/resources.ts';
import { scaleSetAdapter } from '../../../src/controllers/scaleset.ts';
import { ScaleSetLifecycle } from '../../../src/controllers/scaleset-lifecycle.ts';
import { MemoryCluster } from './support/memory-cluster.ts';

const NS = 'team';
const MINUTE = 60_000;

function world(spec: Record<string, unknown>) {
  const cluster = new MemoryCluster();
  cluster.add(REGIONS, { ...structuredClone(EASTUS), metadata: { name: 'eastus' } });
  const lifecycle = new ScaleSetLifecycle({
    client: cluster.client,
    statusWriter: cluster.statusWriter,
    events: cluster.eventRecorder,
    clock: cluster.clock,
  });
  const reconcile = cluster.reconciler(scaleSetAdapter, cluster.scaleSets, lifecycle);
  cluster.add(SCALESETS, {
    apiVersion: API_GROUP_VERSION,
    kind: 'ScaleSet',
    metadata: { name: 'web', namespace: NS },
    spec: { region: 'eastus', vmSize: 'Standard_D2s_v5', zones: ['1', '2', '3'], ...spec },
  });
  const group = () => cluster.scaleSets.get(`${NS}/web`) as GroupObject;
  const capacity = () => (group().spec as { capacity: number }).capacity;
  const live = () =>
    cluster.instances.list().filter((i) => i.metadata.deletionTimestamp === undefined) as Instance[];
  const step = async (ms = 1_000) => {
    cluster.clock.advance(ms);
    await reconcile(NS, 'web');
  };
  const cloud = () => {
    for (const i of live())
      if (i.status?.phase === undefined) cluster.setPhase(i.metadata.name, NS, 'Running');
    cluster.releaseDeleted();
  };
  return { cluster, group, capacity, live, step, cloud };
}

describe('schedule autoscale', () => {
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

  test('a profile sets its default capacity when it starts; a manual scale is then clamped to its bounds', async () => {
    const start = Date.parse('2026-12-03T08:30:00Z');
    const w = world({
      capacity: 3,
      autoscale: {
        profiles: [
          {
            name: 'business',
            capacity: { minimum: 4, default: 5, maximum: 8 },
            recurrence: {
              timeZone: 'UTC',
              days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
              start: hhmm(start),
              end: hhmm(start + 60 * MINUTE),
            },
          },
        ],
      },
    });
    await w.step();
    expect(w.capacity()).toBe(3);
    await w.step(start - w.cluster.clock.now());
    expect(w.capacity()).toBe(5);
    expect(w.cluster.writes).toContain('scale scalesets web');
    w.cluster.editSpec(SCALESETS, { namespace: NS, name: 'web' }, (spec) => {
      spec['capacity'] = 20;
    });
    await w.step();
    expect(w.capacity()).toBe(8);
    expect(w.cluster.events.map((e) => e.reason)).toContain('AutoscaleCapacity');
  });
});

describe('automatic repairs', () => {
  test('unhealthy VMs past the grace period are replaced one batch at a time; protected ones stay', async () => {
    const w = world({
      capacity: 20,
      automaticRepairsPolicy: { enabled: true, gracePeriod: '10m', repairAction: 'Replace' },
    });
    await w.step();
    w.cloud();
    await w.step();
    const launched = new Date(w.cluster.clock.now()).toISOString();
    const [guarded, ...sick] = w.live().slice(0, 4);
    for (const vm of [guarded, ...sick]) {
      if (vm === undefined) continue;
      const copy = structuredClone(vm);
      copy.status = {
        ...copy.status,
        phase: 'Running',
        health: 'Unhealthy',
        healthChangedAt: launched,
        launchedAt: launched,
      };
      if (vm === guarded) copy.spec.protection = { fromScaleIn: true, fromScaleSetActions: true };
      await w.cluster.client.patch(
        INSTANCES,
        { namespace: NS, name: vm.metadata.name },
        { type: 'merge', body: copy },
      );
    }
    await w.step(11 * MINUTE);
    const gone = (names: readonly string[]) =>
      names.filter((n) => !w.live().some((i) => i.metadata.name === n));
    const sickNames = sick.map((vm) => vm.metadata.name);
    // 5 % of 20 is one VM a batch.
    expect(gone(sickNames)).toHaveLength(1);
    for (let round = 0; round < 6; round++) {
      w.cloud();
      await w.step(11 * MINUTE);
    }
    expect(gone(sickNames)).toHaveLength(3);
    expect(w.live().map((i) => i.metadata.name)).toContain(guarded?.metadata.name);
    expect(w.cluster.events.map((e) => e.reason)).toContain('RepairingInstances');
  });
});
