// Automatic zone rebalancing through the group reconciler, without a cluster (support/memory-cluster.ts):
// one move at a time, create before delete; never towards a zone whose offerings are blocked; a move in
// flight when strict zoneBalance is turned on is abandoned and its extra VM taken back as that, not as a
// scale-in.
import { expect, test } from 'vitest';
import { API_GROUP_VERSION, EASTUS, type Instance } from '../../../src/api/index.ts';
import type { GroupObject } from '../../../src/controllers/group.ts';
import { REGIONS, SCALESETS } from '../../../src/controllers/resources.ts';
import { scaleSetAdapter } from '../../../src/controllers/scaleset.ts';
import { ScaleSetLifecycle } from '../../../src/controllers/scaleset-lifecycle.ts';
import { MemoryCluster } from './support/memory-cluster.ts';

const NS = 'team';

function world() {
  const cluster = new MemoryCluster();
  const region = structuredClone(EASTUS);
  region.metadata = { name: 'eastus' };
  for (const zone of region.spec.zones) if (zone.name === '3') zone.available = false;
  cluster.add(REGIONS, region);
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
    spec: {
      region: 'eastus',
      vmSize: 'Standard_D2s_v5',
      zones: ['1', '2', '3'],
      capacity: 9,
      resiliencyPolicy: { automaticZoneRebalancing: { enabled: true } },
    },
  });
  const live = () =>
    cluster.instances.list().filter((i) => i.metadata.deletionTimestamp === undefined) as Instance[];
  const byZone = () => {
    const counts: Record<string, number> = {};
    for (const i of live()) counts[i.spec.zone] = (counts[i.spec.zone] ?? 0) + 1;
    return counts;
  };
  const step = async () => {
    cluster.clock.advance(1_000);
    await reconcile(NS, 'web');
  };
  /** The cloud runs every new VM; the Instance controller releases the deleted ones. */
  const cloud = () => {
    for (const i of live())
      if (i.status?.phase === undefined) cluster.setPhase(i.metadata.name, NS, 'Running');
    cluster.releaseDeleted();
  };
  const zone3Back = () => {
    cluster.editSpec(REGIONS, { name: 'eastus' }, (spec) => {
      for (const zone of spec['zones'] as { name: string; available: boolean }[])
        if (zone.name === '3') zone.available = true;
    });
  };
  const rebalance = () =>
    (cluster.scaleSets.get(`${NS}/web`) as GroupObject).status?.['rebalance'] as
      { phase: string; moved: number; message?: string } | undefined;
  const reasons = () => cluster.events.map((e) => e.reason);
  return { cluster, live, byZone, step, cloud, zone3Back, rebalance, reasons };
}

test('a recovered zone is refilled one move at a time: create in it, then delete from the fullest', async () => {
  const w = world();
  await w.step();
  w.cloud();
  await w.step();
  expect(w.byZone()).toEqual({ '1': 5, '2': 4 });
  w.zone3Back();
  await w.step(); // the move starts: one extra VM
  await w.step(); // created by the surge
  expect(w.live()).toHaveLength(10);
  expect(w.byZone()['3']).toBe(1);
  w.cloud();
  await w.step(); // it runs: the newest VM of the fullest zone goes
  w.cloud();
  expect(w.live()).toHaveLength(9);
  expect(w.byZone()).toEqual({ '1': 4, '2': 4, '3': 1 });
  expect(w.reasons()).toEqual(expect.arrayContaining(['ZoneRebalancing', 'ZoneRebalanced']));
  expect(w.reasons()).not.toContain('ScaledIn');
});

test('no move towards a zone whose offerings are all blocked: Blocked, no extra VM', async () => {
  const w = world();
  await w.step();
  w.cloud();
  await w.step();
  w.cluster.unavailable
    .forRegion('eastus')
    .record(
      { vmSize: 'Standard_D2s_v5', zone: '3', priority: 'Regular', code: 'ZonalAllocationFailed' },
      EASTUS.spec,
      new Date(w.cluster.clock.now()),
    );
  w.zone3Back();
  for (let i = 0; i < 3; i++) await w.step();
  expect(w.live()).toHaveLength(9);
  expect(w.rebalance()).toMatchObject({ phase: 'Blocked', moved: 0 });
  expect(w.reasons()).not.toContain('ZoneRebalancing');
});

test('strict zoneBalance turned on mid-move: the move ends, its extra VM goes as ZoneRebalanceAbandoned', async () => {
  const w = world();
  await w.step();
  w.cloud();
  await w.step();
  w.zone3Back();
  await w.step();
  await w.step();
  expect(w.live()).toHaveLength(10);
  w.cluster.editSpec(SCALESETS, { namespace: NS, name: 'web' }, (spec) => {
    spec['zoneBalance'] = true;
  });
  await w.step();
  w.cloud();
  await w.step();
  expect(w.live()).toHaveLength(9);
  expect(w.reasons()).toContain('ZoneRebalanceAbandoned');
  expect(w.reasons()).not.toContain('ScaledIn');
});
