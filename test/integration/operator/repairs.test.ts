// Health and automatic repairs on the real control plane: the simulated cloud marks VMs Unhealthy (health
// faults in the Region); a ScaleSet with automaticRepairsPolicy replaces them in batches of at most 5% of
// its capacity, never one protected from scale-set actions; Restart keeps the VM. The grace period (10 min
// at least, as in Azure) is crossed with the operator's adjustable clock.
import { it } from 'vitest';
import type { Instance } from '../../../src/api/index.ts';
import { INSTANCES } from '../../../src/controllers/resources.ts';
import { AdjustableClock } from '../../../src/runtime/index.ts';
import { describeCluster, eventually } from '../cluster.ts';
import {
  editRegion,
  eventsAbout,
  getGroup,
  instancesOf,
  patchSpec,
  phase,
  scaleSet,
  startWithGroup,
  type World,
} from './support.ts';

const POLL = { timeoutMs: 60_000, intervalMs: 100 };
const SLOW_TEST_MS = 180_000;
const MINUTE = 60_000;

async function repairsOf(world: World, name: string) {
  return (await getGroup(world, 'ScaleSet', name)).status?.repairs;
}

async function protect(world: World, instance: Instance): Promise<void> {
  await world.admin.patch(
    INSTANCES,
    { namespace: world.namespace, name: instance.metadata.name },
    { type: 'merge', body: { spec: { protection: { fromScaleIn: true, fromScaleSetActions: true } } } },
  );
}

function repairingSet(world: World, name: string, capacity: number, repairAction: string) {
  return scaleSet(world, name, {
    orchestrationMode: 'Uniform',
    vmSize: 'Standard_D2s_v5',
    capacity,
    zones: ['1', '2', '3'],
    automaticRepairsPolicy: { enabled: true, gracePeriod: '10m', repairAction },
  });
}

const available = (i: Instance) => phase(i) === 'Running' && i.metadata.deletionTimestamp === undefined;

describeCluster('health and automatic repairs on the real control plane', () => {
  it.concurrent(
    'Replace: 6 unhealthy of 40 are replaced 2 at a time (5%), the protected one never',
    async ({ expect, onTestFinished }) => {
      const clock = new AdjustableClock();
      const { world, instances } = await startWithGroup(
        { onTestFinished },
        'repair',
        (w) => repairingSet(w, 'web', 40, 'Replace'),
        { operator: { clock }, wait: 40, timeoutMs: 90_000 },
      );
      const sick = instances.filter((_, n) => n % 6 === 1).slice(0, 6);
      const guarded = instances[0] as Instance;
      await protect(world, guarded);
      const faulty = [...sick, guarded].map((i) => i.metadata.name);
      await editRegion(world, {
        healthFaults: faulty.map((instance) => ({ instance, reason: 'ProbeTimeout' })),
      });
      await eventually(async () => {
        const now = await instancesOf(world, 'ScaleSet', 'web');
        const unhealthy = now.filter((i) => i.status?.health === 'Unhealthy');
        expect(unhealthy.map((i) => i.metadata.name).sort()).toEqual([...faulty].sort());
        expect(unhealthy.every((i) => i.status?.healthReason === 'ProbeTimeout')).toBe(true);
        expect((await repairsOf(world, 'web'))?.unhealthy).toBe(7);
      }, POLL);
      // Before the grace period nothing is repaired.
      expect((await repairsOf(world, 'web'))?.repairedTotal).toBe(0);

      clock.advance(11 * MINUTE);
      let worstDeficit = 0;
      await eventually(async () => {
        const now = await instancesOf(world, 'ScaleSet', 'web');
        // Sampled on every poll: never more than one batch (2 of 40) missing or starting.
        const deficit = 40 - now.filter(available).length;
        worstDeficit = Math.max(worstDeficit, deficit);
        expect(deficit, 'VMs out of service at once').toBeLessThanOrEqual(2);
        expect(now.map((i) => i.metadata.name)).toContain(guarded.metadata.name);
        const names = new Set(now.map((i) => i.metadata.name));
        expect(sick.filter((i) => names.has(i.metadata.name))).toEqual([]);
        expect(now.filter(available)).toHaveLength(40);
        const repairs = await repairsOf(world, 'web');
        expect(repairs).toMatchObject({ action: 'Replace', repairedTotal: 6, unhealthy: 1, inProgress: 0 });
      }, POLL);
      expect(worstDeficit).toBeLessThanOrEqual(2);
      const events = await eventsAbout(world, 'ScaleSet', 'web');
      const batches = events.filter((e) => e.reason === 'RepairingInstances');
      // Three batches of two (5% of 40), together exactly the six unhealthy VMs.
      const repaired = batches.flatMap((e) => {
        expect(e.note).toMatch(/^Replace 2 unhealthy instance\(s\): /);
        return (e.note.split(': ')[1] ?? '').split('; ')[0]?.split(', ') ?? [];
      });
      expect(repaired.sort()).toEqual(sick.map((i) => i.metadata.name).sort());
      expect(events.some((e) => e.reason === 'InstanceUnhealthy')).toBe(true);

      // The protected VM also survives a scale-in that would otherwise pick it (lowest id, OldestVM).
      await patchSpec(world, 'ScaleSet', 'web', { capacity: 30, scaleInPolicy: { rules: ['OldestVM'] } });
      await eventually(async () => {
        const now = await instancesOf(world, 'ScaleSet', 'web');
        expect(now).toHaveLength(30);
        expect(now.map((i) => i.metadata.name)).toContain(guarded.metadata.name);
      }, POLL);
    },
    SLOW_TEST_MS,
  );

  it.concurrent(
    'Restart keeps the VM and the simulated cloud returns it to Healthy',
    async ({ expect, onTestFinished }) => {
      const clock = new AdjustableClock();
      const { world, instances } = await startWithGroup(
        { onTestFinished },
        'restart',
        (w) => repairingSet(w, 'app', 4, 'Restart'),
        { operator: { clock }, wait: 4 },
      );
      const target = instances[2] as Instance;
      await editRegion(world, {
        healthFaults: [{ instance: target.metadata.name, reason: 'HealthProbeFailed' }],
      });
      await eventually(async () => {
        const now = await instancesOf(world, 'ScaleSet', 'app');
        expect(now.find((i) => i.metadata.name === target.metadata.name)?.status?.health).toBe('Unhealthy');
      }, POLL);
      clock.advance(11 * MINUTE);
      await eventually(async () => {
        const now = await instancesOf(world, 'ScaleSet', 'app');
        expect(now.map((i) => i.metadata.uid)).toEqual(instances.map((i) => i.metadata.uid));
        const vm = now.find((i) => i.metadata.name === target.metadata.name);
        expect(vm?.status).toMatchObject({ phase: 'Running', health: 'Healthy', healthReason: 'Restarted' });
        expect(vm?.status?.repairedAt).toBeDefined();
        expect(vm?.status?.repair).toBeUndefined();
        expect(await repairsOf(world, 'app')).toMatchObject({
          action: 'Restart',
          repairedTotal: 1,
          unhealthy: 0,
          lastBatch: [target.metadata.name],
        });
      }, POLL);
      const events = await eventsAbout(world, 'ScaleSet', 'app');
      expect(events.some((e) => e.reason === 'InstanceRepaired')).toBe(true);
    },
    SLOW_TEST_MS,
  );
});
