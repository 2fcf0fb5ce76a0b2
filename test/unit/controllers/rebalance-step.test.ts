// Automatic zone rebalancing through the group reconciler, without a cluster (support/memory-cluster.ts):
// one move at a time, create before delete; never towards a zone whose offerings are blocked; a move in
// flight when strict zoneBalance is turned on is abandoned and its extra VM taken back as that, not as a
// scale-in.
import { expect, test } from 'vitest';
import { EASTUS } from '../../../src/api/index.ts';
import { REGIONS } from '../../../src/controllers/resources.ts';
import { scaleSetWorld } from './support/scaleset-world.ts';

function world() {
  const w = scaleSetWorld(
    { capacity: 9, resiliencyPolicy: { automaticZoneRebalancing: { enabled: true } } },
    (region) => {
      for (const zone of region.spec.zones) if (zone.name === '3') zone.available = false;
    },
  );
  const zone3Back = () => {
    w.cluster.editSpec(REGIONS, { name: 'eastus' }, (spec) => {
      for (const zone of spec['zones'] as { name: string; available: boolean }[])
        if (zone.name === '3') zone.available = true;
    });
  };
  const rebalance = () =>
    w.group().status?.['rebalance'] as { phase: string; moved: number; message?: string } | undefined;
  return { ...w, zone3Back, rebalance };
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
  w.editSpec((spec) => {
    spec['zoneBalance'] = true;
  });
  await w.step();
  w.cloud();
  await w.step();
  expect(w.live()).toHaveLength(9);
  expect(w.reasons()).toContain('ZoneRebalanceAbandoned');
  expect(w.reasons()).not.toContain('ScaledIn');
});
