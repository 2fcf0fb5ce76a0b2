// Upgrades on the real control plane: a Rolling upgrade goes in batches keeping zones within 1, Automatic
// replaces every stale VM (vertical scaling), Manual waits for annotations, a breached health limit stops a
// rollout with a condition naming the limit, and protected VMs survive both scale-in and upgrades.
import { it } from 'vitest';
import {
  INSTANCE_LABELS,
  UPGRADE_ALL_ANNOTATION,
  UPGRADE_ANNOTATION,
  type Instance,
} from '../../../src/api/index.ts';
import { INSTANCES, SCALESETS } from '../../../src/controllers/resources.ts';
import { describeCluster, eventually } from '../cluster.ts';
import {
  conditionOf,
  countBy,
  editRegion,
  eventsAbout,
  getGroup,
  getRegion,
  instancesOf,
  patchSpec,
  phase,
  scaleSet,
  startWithGroup,
  zoneSkew,
  type World,
} from './support.ts';

const ZONES = ['1', '2', '3'];
const POLL = { timeoutMs: 60_000, intervalMs: 100 };

const hashOf = (i: Instance) => i.metadata.labels?.[INSTANCE_LABELS.modelHash] ?? '';
const live = (instances: readonly Instance[]) =>
  instances.filter((i) => i.metadata.deletionTimestamp === undefined);

/**
 * Makes a VM Unhealthy, or Healthy again, the way the simulated cloud does: with a health fault in the
 * Region (removed again to recover).
 */
async function setHealth(world: World, name: string, health: 'Healthy' | 'Unhealthy'): Promise<void> {
  const others = (await getRegion(world)).spec.simulation.healthFaults.filter((f) => f.instance !== name);
  await editRegion(world, {
    healthFaults:
      health === 'Unhealthy' ? [...others, { instance: name, reason: 'ApplicationUnhealthy' }] : others,
  });
}

async function annotate(
  world: World,
  resource: typeof INSTANCES,
  name: string,
  annotations: Record<string, string>,
): Promise<void> {
  await world.admin.patch(
    resource,
    { namespace: world.namespace, name },
    { type: 'merge', body: { metadata: { annotations } } },
  );
}

/** Every instance Running on the ScaleSet's target model and the upgrade Completed. */
async function waitUpgraded(world: World, name: string, count: number, timeoutMs = 60_000) {
  return eventually(
    async () => {
      const group = await getGroup(world, 'ScaleSet', name);
      // The status must describe the spec as it is now, not the one before the change.
      if (group.status?.observedGeneration !== group.metadata.generation) throw new Error('status behind');
      const upgrade = group.status.upgrade;
      if (upgrade?.phase !== 'Completed') throw new Error(`upgrade ${JSON.stringify(upgrade)}`);
      const instances = await instancesOf(world, 'ScaleSet', name);
      if (instances.length !== count) throw new Error(`${instances.length} instances`);
      if (!instances.every((i) => phase(i) === 'Running' && hashOf(i) === upgrade.targetModelHash)) {
        throw new Error('not all upgraded');
      }
      return { group, upgrade, instances };
    },
    { timeoutMs, intervalMs: 100 },
  );
}

describeCluster('ScaleSet upgrades on the real control plane', () => {
  it.concurrent(
    'Rolling: 20 VMs over 3 zones at 20% go in exactly 5 batches, zones within 1 at every poll',
    async ({ expect, onTestFinished }) => {
      const { world, instances: before } = await startWithGroup(
        { onTestFinished },
        'roll',
        (w) =>
          scaleSet(w, 'web', {
            vmSize: 'Standard_D2s_v5',
            capacity: 20,
            zones: ZONES,
            upgradePolicy: { mode: 'Rolling', rollingUpgradePolicy: { maxBatchInstancePercent: 20 } },
          }),
        { wait: 20, timeoutMs: 60_000 },
      );
      const oldHash = hashOf(before[0] as Instance);

      await patchSpec(world, 'ScaleSet', 'web', {
        image: { source: 'Marketplace', name: 'ubuntu-24.04', version: '24.04.202612010' },
      });
      let maxSkew = 0;
      let maxInFlight = 0;
      let samples = 0;
      const batches = new Set<number>();
      const done = await eventually(
        async () => {
          const instances = live(await instancesOf(world, 'ScaleSet', 'web'));
          samples += 1;
          maxSkew = Math.max(maxSkew, zoneSkew(instances, ZONES));
          // Missing VMs and VMs not Running are the batch in flight.
          const running = instances.filter((i) => phase(i) === 'Running').length;
          maxInFlight = Math.max(maxInFlight, 20 - Math.min(20, running));
          const group = await getGroup(world, 'ScaleSet', 'web');
          const upgrade = group.status?.upgrade;
          if (upgrade !== undefined && upgrade.currentBatch > 0) batches.add(upgrade.currentBatch);
          if (
            upgrade?.phase !== 'Completed' ||
            upgrade.targetModelHash === oldHash ||
            instances.length !== 20 ||
            !instances.every((i) => phase(i) === 'Running' && hashOf(i) === upgrade.targetModelHash)
          ) {
            throw new Error(`rolling: ${JSON.stringify(upgrade)}`);
          }
          return { group, upgrade, instances };
        },
        { timeoutMs: 90_000, intervalMs: 50 },
      );
      expect(samples).toBeGreaterThan(5);
      expect(maxSkew, 'zone skew at any poll').toBeLessThanOrEqual(1);
      expect(maxInFlight, 'never more than one batch (4) out of service').toBeLessThanOrEqual(4);
      expect(done.upgrade).toMatchObject({
        mode: 'Rolling',
        currentBatch: 5,
        totalBatches: 5,
        batchSize: 4,
        successful: 20,
        pending: 0,
        failed: 0,
      });
      expect([...batches].every((b) => b >= 1 && b <= 5)).toBe(true);
      expect(countBy(done.instances, (i) => i.spec.zone)).toEqual({ '1': 7, '2': 7, '3': 6 });
      // Every VM is a replacement.
      const oldNames = new Set(before.map((i) => i.metadata.name));
      expect(done.instances.some((i) => oldNames.has(i.metadata.name))).toBe(false);
      await eventually(async () => {
        const events = await eventsAbout(world, 'ScaleSet', 'web');
        const completed = events
          .filter((e) => e.reason === 'UpgradeBatchCompleted')
          .map((e) => e.note)
          .sort();
        expect(completed).toEqual([1, 2, 3, 4, 5].map((n) => `batch ${n} of 5 completed`));
        expect(events.some((e) => e.reason === 'UpgradeCompleted')).toBe(true);
      }, POLL);
    },
    120_000,
  );

  it.concurrent(
    'Automatic: a vertical scale (vmSize change) replaces every VM with the new size',
    async ({ expect, onTestFinished }) => {
      const { world } = await startWithGroup(
        { onTestFinished },
        'auto',
        (w) =>
          scaleSet(w, 'api', {
            vmSize: 'Standard_D2s_v5',
            capacity: 6,
            zones: ZONES,
            upgradePolicy: { mode: 'Automatic' },
          }),
        { wait: 6 },
      );
      await patchSpec(world, 'ScaleSet', 'api', { vmSize: 'Standard_D4s_v5' });
      const { instances, group } = await waitUpgraded(world, 'api', 6);
      expect(instances.map((i) => i.spec.vmSize)).toEqual(Array<string>(6).fill('Standard_D4s_v5'));
      expect(countBy(instances, (i) => i.spec.zone)).toEqual({ '1': 2, '2': 2, '3': 2 });
      expect(group.status).toMatchObject({ staleInstances: 0 });
    },
    90_000,
  );

  it.concurrent(
    'Manual: status lists the stale VMs; the Instance annotation upgrades one, upgrade-all the rest once per value',
    async ({ expect, onTestFinished }) => {
      const { world, instances: before } = await startWithGroup(
        { onTestFinished },
        'manual',
        (w) => scaleSet(w, 'db', { vmSize: 'Standard_D2s_v5', capacity: 4, zones: ['1', '2'] }),
        { wait: 4 },
      );
      await patchSpec(world, 'ScaleSet', 'db', { image: { version: '24.04.1' } });
      const listed = await eventually(async () => {
        const group = await getGroup(world, 'ScaleSet', 'db');
        const upgrade = group.status?.upgrade;
        expect(upgrade?.phase).toBe('ManualUpgradePending');
        expect(upgrade?.manualPending).toEqual(before.map((i) => i.metadata.name));
        return upgrade;
      }, POLL);
      expect(listed?.pending).toBe(4);
      // The decision not to act was taken in the reconcile that wrote that status: nothing was replaced.
      expect((await instancesOf(world, 'ScaleSet', 'db')).map((i) => i.metadata.uid)).toEqual(
        before.map((i) => i.metadata.uid),
      );

      const chosen = before[1] as Instance;
      await annotate(world, INSTANCES, chosen.metadata.name, { [UPGRADE_ANNOTATION]: 'true' });
      await eventually(async () => {
        const instances = await instancesOf(world, 'ScaleSet', 'db');
        expect(instances.map((i) => i.metadata.name)).not.toContain(chosen.metadata.name);
        expect(instances.map(phase)).toEqual(Array<string>(4).fill('Running'));
        const upgrade = (await getGroup(world, 'ScaleSet', 'db')).status?.upgrade;
        expect(upgrade?.manualPending).toEqual(
          before.filter((i) => i !== chosen).map((i) => i.metadata.name),
        );
        expect(instances.filter((i) => hashOf(i) === upgrade?.targetModelHash)).toHaveLength(1);
      }, POLL);

      await annotate(world, SCALESETS, 'db', { [UPGRADE_ALL_ANNOTATION]: 'first' });
      const { upgrade } = await waitUpgraded(world, 'db', 4);
      expect(upgrade.manualPending).toEqual([]);

      // The same value again does nothing after a further model change: the new stale VMs are only listed.
      const upgraded = await instancesOf(world, 'ScaleSet', 'db');
      await patchSpec(world, 'ScaleSet', 'db', { image: { version: '24.04.2' } });
      await eventually(async () => {
        const next = (await getGroup(world, 'ScaleSet', 'db')).status?.upgrade;
        expect(next?.targetModelHash).not.toBe(upgrade.targetModelHash);
        expect(next?.manualPending).toHaveLength(4);
      }, POLL);
      expect((await instancesOf(world, 'ScaleSet', 'db')).map((i) => i.metadata.uid)).toEqual(
        upgraded.map((i) => i.metadata.uid),
      );
    },
    90_000,
  );

  it.concurrent(
    'Rolling: unhealthy upgraded VMs breach maxUnhealthyUpgradedInstancePercent; the rollout stops and resumes when healthy',
    async ({ expect, onTestFinished }) => {
      const { world } = await startWithGroup(
        { onTestFinished },
        'breach',
        (w) =>
          scaleSet(w, 'svc', {
            vmSize: 'Standard_D2s_v5',
            capacity: 4,
            zones: ['1', '2'],
            upgradePolicy: {
              mode: 'Rolling',
              rollingUpgradePolicy: {
                maxBatchInstancePercent: 50,
                maxUnhealthyUpgradedInstancePercent: 0,
                maxUnhealthyInstancePercent: 100,
                // Long enough that the second batch waits for the test to act on the first.
                pauseTimeBetweenBatches: '1h',
              },
            },
          }),
        { wait: 4 },
      );
      await patchSpec(world, 'ScaleSet', 'svc', { image: { version: '24.04.9' } });
      const firstBatch = await eventually(async () => {
        const group = await getGroup(world, 'ScaleSet', 'svc');
        const upgrade = group.status?.upgrade;
        expect(upgrade).toMatchObject({ currentBatch: 1, successful: 2, pending: 2 });
        const instances = await instancesOf(world, 'ScaleSet', 'svc');
        const fresh = instances.filter((i) => hashOf(i) === upgrade?.targetModelHash);
        expect(fresh.map(phase)).toEqual(['Running', 'Running']);
        return fresh;
      }, POLL);

      await setHealth(world, (firstBatch[0] as Instance).metadata.name, 'Unhealthy');
      const stopped = await eventually(async () => {
        const group = await getGroup(world, 'ScaleSet', 'svc');
        expect(group.status?.upgrade?.phase).toBe('Paused');
        const progressing = conditionOf(group, 'Progressing');
        expect(progressing).toMatchObject({ status: 'False', reason: 'RollingUpgradeLimitBreached' });
        expect(conditionOf(group, 'Degraded')).toMatchObject({
          status: 'True',
          reason: 'RollingUpgradeLimitBreached',
        });
        return progressing?.message ?? '';
      }, POLL);
      expect(stopped).toContain('maxUnhealthyUpgradedInstancePercent 0%');
      expect(stopped).toContain('1 of 2 upgraded instances unhealthy (50%)');
      // Nothing more is replaced while breached, even once the pause is lifted.
      await patchSpec(world, 'ScaleSet', 'svc', {
        upgradePolicy: { rollingUpgradePolicy: { pauseTimeBetweenBatches: '0s' } },
      });
      await eventually(async () => {
        const group = await getGroup(world, 'ScaleSet', 'svc');
        expect(group.status?.observedGeneration).toBe(group.metadata.generation);
        expect(group.status?.upgrade).toMatchObject({ phase: 'Paused', pending: 2 });
      }, POLL);
      const warnings = await eventsAbout(world, 'ScaleSet', 'svc');
      expect(warnings.some((e) => e.reason === 'RollingUpgradeLimitBreached' && e.type === 'Warning')).toBe(
        true,
      );

      await setHealth(world, (firstBatch[0] as Instance).metadata.name, 'Healthy');
      const { group } = await waitUpgraded(world, 'svc', 4);
      expect(conditionOf(group, 'Degraded')?.reason).not.toBe('RollingUpgradeLimitBreached');
      expect(group.status?.upgrade).toMatchObject({ currentBatch: 2, totalBatches: 2 });
    },
    90_000,
  );

  it.concurrent(
    'Rolling with maxSurge: replacements are created before the stale VMs go, so capacity never dips',
    async ({ expect, onTestFinished }) => {
      const { world } = await startWithGroup(
        { onTestFinished },
        'surge',
        (w) =>
          scaleSet(w, 'edge', {
            vmSize: 'Standard_D2s_v5',
            capacity: 4,
            zones: ['1', '2'],
            upgradePolicy: {
              mode: 'Rolling',
              rollingUpgradePolicy: { maxBatchInstancePercent: 50, maxSurge: true },
            },
          }),
        { wait: 4 },
      );
      await patchSpec(world, 'ScaleSet', 'edge', { image: { version: '24.04.5' } });
      let minRunning = Infinity;
      let maxLive = 0;
      await eventually(
        async () => {
          const instances = live(await instancesOf(world, 'ScaleSet', 'edge'));
          minRunning = Math.min(minRunning, instances.filter((i) => phase(i) === 'Running').length);
          maxLive = Math.max(maxLive, instances.length);
          const group = await getGroup(world, 'ScaleSet', 'edge');
          const upgrade = group.status?.upgrade;
          expect(group.status?.observedGeneration).toBe(group.metadata.generation);
          expect(upgrade?.phase).toBe('Completed');
          expect(instances.map(phase)).toEqual(Array<string>(4).fill('Running'));
          expect(instances.every((i) => hashOf(i) === upgrade?.targetModelHash)).toBe(true);
        },
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      expect(minRunning, 'Running VMs at any poll').toBeGreaterThanOrEqual(4);
      expect(maxLive, 'capacity + one batch at most').toBeLessThanOrEqual(6);
      expect(maxLive, 'the surge was seen').toBeGreaterThan(4);
    },
    90_000,
  );

  it.concurrent(
    'scale-in protection carries over to the replacements of protected VMs, and scale-in still spares them',
    async ({ expect, onTestFinished }) => {
      const { world, instances: before } = await startWithGroup(
        { onTestFinished },
        'keepprot',
        (w) =>
          scaleSet(w, 'svc', {
            vmSize: 'Standard_D2s_v5',
            capacity: 4,
            zones: ['1', '2'],
            upgradePolicy: { mode: 'Automatic' },
          }),
        { wait: 4 },
      );
      const guarded = before.slice(0, 2).map((i) => i.metadata.name);
      for (const name of guarded) {
        await world.admin.patch(
          INSTANCES,
          { namespace: world.namespace, name },
          { type: 'merge', body: { spec: { protection: { fromScaleIn: true } } } },
        );
      }
      await patchSpec(world, 'ScaleSet', 'svc', { vmSize: 'Standard_D4s_v5' });
      const { instances, group } = await waitUpgraded(world, 'svc', 4);
      // Every VM was replaced (fromScaleIn does not exempt from upgrades); two of the four new ones carry
      // the protection of the two replaced, and nothing is owed any more.
      expect(instances.some((i) => guarded.includes(i.metadata.name))).toBe(false);
      expect(instances.filter((i) => i.spec.protection.fromScaleIn)).toHaveLength(2);
      expect(group.status?.upgrade?.protectionOwed).toBeUndefined();
      const protectedNow = instances.filter((i) => i.spec.protection.fromScaleIn).map((i) => i.metadata.uid);

      // Scale in to 2: the two protected replacements are the ones that stay.
      await patchSpec(world, 'ScaleSet', 'svc', { capacity: 2 });
      await eventually(async () => {
        const left = live(await instancesOf(world, 'ScaleSet', 'svc'));
        expect(left.map((i) => i.metadata.uid).sort()).toEqual([...protectedNow].sort());
      }, POLL);
    },
    90_000,
  );

  it.concurrent(
    'protected VMs survive upgrades (they stay stale, status says so) and scale-in',
    async ({ expect, onTestFinished }) => {
      const { world, instances: before } = await startWithGroup(
        { onTestFinished },
        'protect',
        (w) =>
          scaleSet(w, 'app', {
            vmSize: 'Standard_D2s_v5',
            capacity: 4,
            zones: ['1', '2'],
            upgradePolicy: { mode: 'Automatic' },
          }),
        { wait: 4 },
      );
      const kept = before[0] as Instance;
      await world.admin.patch(
        INSTANCES,
        { namespace: world.namespace, name: kept.metadata.name },
        { type: 'merge', body: { spec: { protection: { fromScaleIn: true, fromScaleSetActions: true } } } },
      );
      await eventually(async () => {
        const instances = await instancesOf(world, 'ScaleSet', 'app');
        expect(instances.find((i) => i.metadata.name === kept.metadata.name)?.spec.protection).toMatchObject({
          fromScaleSetActions: true,
        });
      }, POLL);
      await patchSpec(world, 'ScaleSet', 'app', { image: { version: '24.04.3' } });
      const settled = await eventually(async () => {
        const group = await getGroup(world, 'ScaleSet', 'app');
        const upgrade = group.status?.upgrade;
        expect(upgrade).toMatchObject({
          phase: 'Completed',
          protectedStale: [kept.metadata.name],
          pending: 0,
        });
        const instances = await instancesOf(world, 'ScaleSet', 'app');
        expect(instances.map(phase)).toEqual(Array<string>(4).fill('Running'));
        const stale = instances.filter((i) => hashOf(i) !== upgrade?.targetModelHash);
        expect(stale.map((i) => i.metadata.uid)).toEqual([kept.metadata.uid]);
        return { group, instances };
      }, POLL);
      expect(settled.group.status).toMatchObject({ staleInstances: 1 });

      // Scale in to 1: the protected VM is the one that stays.
      await patchSpec(world, 'ScaleSet', 'app', { capacity: 1 });
      await eventually(async () => {
        const instances = live(await instancesOf(world, 'ScaleSet', 'app'));
        expect(instances.map((i) => i.metadata.uid)).toEqual([kept.metadata.uid]);
      }, POLL);
    },
    90_000,
  );
});
