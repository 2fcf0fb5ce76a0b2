// Automatic zone rebalancing on the real control plane: a ScaleSet placed while zone 3 was down (best
// effort: 3/3/0) is moved, once zone 3 is back, one VM at a time — create in zone 3, wait until it runs,
// delete one from the fullest zone — until zones are at most 1 apart, never touching a protected VM.
import { it } from 'vitest';
import type { Instance } from '../../../src/api/index.ts';
import { INSTANCES } from '../../../src/controllers/resources.ts';
import { describeCluster, eventually } from '../cluster.ts';
import {
  countBy,
  createGroup,
  editRegion,
  eventsAbout,
  getGroup,
  instancesOf,
  newWorld,
  patchSpec,
  phase,
  scaleSet,
  zoneSkew,
  type World,
} from './support.ts';

const POLL = { timeoutMs: 60_000, intervalMs: 50 };
const SLOW_TEST_MS = 180_000;
const ZONES = ['1', '2', '3'];

async function rebalanceOf(world: World, name: string) {
  return (await getGroup(world, 'ScaleSet', name)).status?.rebalance;
}

function setZone3(available: boolean) {
  return (spec: Parameters<Parameters<typeof editRegion>[1]>[0]) => {
    const zone = spec.zones.find((z) => z.name === '3');
    if (zone !== undefined) zone.available = available;
  };
}

const live = (i: Instance) => i.metadata.deletionTimestamp === undefined;
const starting = (i: Instance) => ['Pending', 'Provisioning'].includes(phase(i));

describeCluster('automatic zone rebalancing on the real control plane', () => {
  it.concurrent(
    'a recovered zone is refilled one VM at a time, create before delete, protected VMs stay',
    async ({ expect, onTestFinished }) => {
      const world = await newWorld({ onTestFinished }, 'rebal', setZone3(false));
      await world.startOperator();
      const capacity = 9;
      await createGroup(
        world,
        scaleSet(world, 'web', {
          orchestrationMode: 'Uniform',
          vmSize: 'Standard_D2s_v5',
          capacity,
          zones: ZONES,
          resiliencyPolicy: { automaticZoneRebalancing: { enabled: true } },
        }),
      );
      const before = await eventually(async () => {
        const now = await instancesOf(world, 'ScaleSet', 'web');
        expect(now.map(phase)).toEqual(Array<string>(capacity).fill('Running'));
        expect(countBy(now, (i) => i.spec.zone)).toEqual({ 1: 5, 2: 4 });
        return now;
      }, POLL);
      await eventually(async () => {
        expect((await rebalanceOf(world, 'web'))?.phase).toBe('Blocked');
      }, POLL);
      // The newest VM of zone 1 would be the first to go: protect it.
      const guarded = before.filter((i) => i.spec.zone === '1').at(-1) as Instance;
      await world.admin.patch(
        INSTANCES,
        { namespace: world.namespace, name: guarded.metadata.name },
        { type: 'merge', body: { spec: { protection: { fromScaleIn: true, fromScaleSetActions: true } } } },
      );

      await editRegion(world, setZone3(true));
      const seen = new Set(before.map((i) => i.metadata.name));
      let maxLive = 0;
      let createsSeen = 0;
      await eventually(async () => {
        const now = await instancesOf(world, 'ScaleSet', 'web');
        const alive = now.filter(live);
        // Sampled on every poll: never above capacity + 1, never below capacity in service or starting, at
        // most one move (one new VM) in flight.
        maxLive = Math.max(maxLive, alive.length);
        expect(alive.length, 'instances').toBeLessThanOrEqual(capacity + 1);
        expect(alive.filter((i) => phase(i) === 'Running' || starting(i)).length).toBeGreaterThanOrEqual(
          capacity,
        );
        expect(now.filter(starting).length, 'moves in flight').toBeLessThanOrEqual(1);
        for (const i of now) {
          if (!seen.has(i.metadata.name)) {
            seen.add(i.metadata.name);
            createsSeen += 1;
            expect(i.spec.zone, 'a move creates in the recovered zone').toBe('3');
          }
        }
        expect(now.map((i) => i.metadata.name)).toContain(guarded.metadata.name);
        expect(alive).toHaveLength(capacity);
        expect(alive.every((i) => phase(i) === 'Running')).toBe(true);
        expect(zoneSkew(alive, ZONES)).toBeLessThanOrEqual(1);
        expect(await rebalanceOf(world, 'web')).toMatchObject({ phase: 'Balanced', moved: 3 });
      }, POLL);
      expect(createsSeen).toBe(3);
      expect(maxLive).toBeLessThanOrEqual(capacity + 1);
      const after = await instancesOf(world, 'ScaleSet', 'web');
      expect(countBy(after, (i) => i.spec.zone)).toEqual({ 1: 3, 2: 3, 3: 3 });
      const events = await eventsAbout(world, 'ScaleSet', 'web');
      expect(events.filter((e) => e.reason === 'ZoneRebalanced').length).toBeGreaterThanOrEqual(1);
      expect(events.some((e) => e.reason === 'ZoneRebalancing')).toBe(true);
    },
    SLOW_TEST_MS,
  );

  it.concurrent(
    'off by default: a recovered zone stays unbalanced',
    async ({ expect, onTestFinished }) => {
      const world = await newWorld({ onTestFinished }, 'norebal', setZone3(false));
      await world.startOperator();
      await createGroup(
        world,
        scaleSet(world, 'web', {
          orchestrationMode: 'Uniform',
          vmSize: 'Standard_D2s_v5',
          capacity: 6,
          zones: ZONES,
        }),
      );
      await eventually(async () => {
        const now = await instancesOf(world, 'ScaleSet', 'web');
        expect(now.map(phase)).toEqual(Array<string>(6).fill('Running'));
      }, POLL);
      await editRegion(world, setZone3(true));
      // Scaling out by one fills the recovered zone (so the operator has seen it back), and nothing else
      // moves: the set stays at 3/3/1, rebalance reported nowhere.
      await patchSpec(world, 'ScaleSet', 'web', { capacity: 7 });
      await eventually(async () => {
        const now = await instancesOf(world, 'ScaleSet', 'web');
        expect(now.map(phase)).toEqual(Array<string>(7).fill('Running'));
        expect(countBy(now, (i) => i.spec.zone)).toEqual({ 1: 3, 2: 3, 3: 1 });
        const group = await getGroup(world, 'ScaleSet', 'web');
        expect(group.status?.readyInstances).toBe(7);
        expect(group.status?.rebalance).toBeUndefined();
      }, POLL);
      const names = (await instancesOf(world, 'ScaleSet', 'web')).map((i) => i.metadata.name);
      expect(names).toHaveLength(7);
    },
    SLOW_TEST_MS,
  );
});
