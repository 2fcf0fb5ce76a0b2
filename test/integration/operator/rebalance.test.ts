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
  patchSpec,
  phase,
  scaleSet,
  startWithGroup,
  zoneSkew,
  type World,
} from './support.ts';

const POLL = { timeoutMs: 60_000, intervalMs: 50 };
const SLOW_TEST_MS = 180_000;
const ZONES = ['1', '2', '3'];

async function rebalanceOf(world: World, name: string) {
  return (await getGroup(world, 'ScaleSet', name)).status?.rebalance;
}

const ZONE3_DOWN = { zoneAvailable: { '3': false } };
const ZONE3_BACK = { zoneAvailable: { '3': true } };

const live = (i: Instance) => i.metadata.deletionTimestamp === undefined;
const starting = (i: Instance) => ['Pending', 'Provisioning'].includes(phase(i));

describeCluster('automatic zone rebalancing on the real control plane', () => {
  it.concurrent(
    'a recovered zone is refilled one VM at a time, create before delete, protected VMs stay',
    async ({ expect, onTestFinished }) => {
      const capacity = 9;
      const { world } = await startWithGroup(
        { onTestFinished },
        'rebal',
        (w) =>
          scaleSet(w, 'web', {
            orchestrationMode: 'Uniform',
            vmSize: 'Standard_D2s_v5',
            capacity,
            zones: ZONES,
            resiliencyPolicy: { automaticZoneRebalancing: { enabled: true } },
          }),
        { region: ZONE3_DOWN },
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

      await editRegion(world, ZONE3_BACK);
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
    'a move never aims at a zone whose offerings are blocked: Blocked, no extra VM, no scale-in',
    async ({ expect, onTestFinished }) => {
      // A set pinned to zone 3 fails there first, so the pool is in the unavailable-offerings cache.
      const { world } = await startWithGroup(
        { onTestFinished },
        'rebalblk',
        (w) => scaleSet(w, 'probe', { vmSize: 'Standard_D2s_v5', capacity: 1, zones: ['3'] }),
        { region: { faults: [{ vmSize: 'Standard_D2s_v5', zone: '3', code: 'ZonalAllocationFailed' }] } },
      );
      await eventually(async () => {
        const status = (await getGroup(world, 'ScaleSet', 'probe')).status;
        expect(
          status?.unavailableOfferings?.some((u) => u.vmSize === 'Standard_D2s_v5' && u.zone === '3'),
        ).toBe(true);
      }, POLL);
      await createGroup(
        world,
        scaleSet(world, 'web', {
          orchestrationMode: 'Uniform',
          vmSize: 'Standard_D2s_v5',
          capacity: 9,
          zones: ZONES,
          resiliencyPolicy: { automaticZoneRebalancing: { enabled: true } },
        }),
      );
      let most = 0;
      await eventually(async () => {
        const now = (await instancesOf(world, 'ScaleSet', 'web')).filter(live);
        most = Math.max(most, now.length);
        expect(now.map(phase)).toEqual(Array<string>(9).fill('Running'));
        expect(countBy(now, (i) => i.spec.zone)).toEqual({ 1: 5, 2: 4 });
        const rebalance = await rebalanceOf(world, 'web');
        expect(rebalance).toMatchObject({ phase: 'Blocked', moved: 0 });
        expect(rebalance?.message).toMatch(/blocked|unavailable/);
      }, POLL);
      // Wait for one more reconcile of the settled set, then check nothing was ever tried.
      await eventually(async () => {
        const events = await eventsAbout(world, 'ScaleSet', 'web');
        expect(events.some((e) => e.reason === 'ScaledOut')).toBe(true);
        expect(
          events.filter((e) => ['ZoneRebalancing', 'ZoneRebalanceAbandoned', 'ScaledIn'].includes(e.reason)),
        ).toEqual([]);
      }, POLL);
      expect(most, 'never an extra VM').toBe(9);
    },
    SLOW_TEST_MS,
  );

  it.concurrent(
    'strict zoneBalance turned on mid-move ends the move: its extra VM goes, reported as the abandoned move',
    async ({ expect, onTestFinished }) => {
      const { world } = await startWithGroup(
        { onTestFinished },
        'rebalstrict',
        (w) =>
          scaleSet(w, 'web', {
            orchestrationMode: 'Uniform',
            vmSize: 'Standard_D2s_v5',
            capacity: 6,
            zones: ZONES,
            resiliencyPolicy: { automaticZoneRebalancing: { enabled: true } },
          }),
        { region: { ...ZONE3_DOWN, provisioningDelay: '4s' } },
      );
      await eventually(
        async () => {
          const now = await instancesOf(world, 'ScaleSet', 'web');
          expect(now.map(phase)).toEqual(Array<string>(6).fill('Running'));
        },
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      await editRegion(world, ZONE3_BACK);
      // The move starts: its VM in zone 3 boots for 4 s. Strict balance goes on while it does.
      await eventually(async () => {
        expect((await rebalanceOf(world, 'web'))?.inFlight?.toZone).toBe('3');
        const now = await instancesOf(world, 'ScaleSet', 'web');
        expect(now.filter(live)).toHaveLength(7);
      }, POLL);
      await patchSpec(world, 'ScaleSet', 'web', { zoneBalance: true });
      await eventually(async () => {
        const now = (await instancesOf(world, 'ScaleSet', 'web')).filter(live);
        expect(now).toHaveLength(6);
        const group = await getGroup(world, 'ScaleSet', 'web');
        expect(group.status?.observedGeneration).toBe(group.metadata.generation);
        expect(group.status?.rebalance).toBeUndefined();
        const events = await eventsAbout(world, 'ScaleSet', 'web');
        expect(events.some((e) => e.reason === 'ZoneRebalanceAbandoned')).toBe(true);
        expect(events.some((e) => e.reason === 'ScaledIn')).toBe(false);
      }, POLL);
    },
    SLOW_TEST_MS,
  );

  it.concurrent(
    'off by default: a recovered zone stays unbalanced',
    async ({ expect, onTestFinished }) => {
      const { world } = await startWithGroup(
        { onTestFinished },
        'norebal',
        (w) =>
          scaleSet(w, 'web', {
            orchestrationMode: 'Uniform',
            vmSize: 'Standard_D2s_v5',
            capacity: 6,
            zones: ZONES,
          }),
        { region: ZONE3_DOWN },
      );
      await eventually(async () => {
        const now = await instancesOf(world, 'ScaleSet', 'web');
        expect(now.map(phase)).toEqual(Array<string>(6).fill('Running'));
      }, POLL);
      await editRegion(world, ZONE3_BACK);
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
