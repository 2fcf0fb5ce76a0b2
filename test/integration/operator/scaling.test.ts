// Scaling a ScaleSet: out and in through its spec, the removal order of its scale-in rule, protection from
// scale-in, and the scale subresource that `kubectl scale` and an HPA use.
import { it } from 'vitest';
import type { Instance } from '../../../src/api/index.ts';
import { INSTANCES } from '../../../src/controllers/resources.ts';
import { describeCluster, eventually, kubectlOk } from '../cluster.ts';
import {
  countBy,
  counterTotal,
  createGroup,
  currentCondition,
  editRegion,
  distributionOf,
  getGroup,
  getRegion,
  instancesOf,
  newWorld,
  patchSpec,
  phase,
  planDistribution,
  planOnEmptyRegion,
  scaleSet,
  startWithGroup,
  waitReady,
  zoneSkew,
} from './support.ts';

const ZONES = ['1', '2', '3'];
const POLL = { timeoutMs: 30_000, intervalMs: 100 };

describeCluster('ScaleSet scaling on the real control plane', () => {
  it.concurrent(
    'scales out and in; OldestVM removes the oldest VM of each fullest zone; a protected VM stays',
    async ({ expect, onTestFinished }) => {
      const { world } = await startWithGroup(
        { onTestFinished },
        'scale',
        (w) =>
          scaleSet(w, 'web', {
            orchestrationMode: 'Uniform',
            vmSize: 'Standard_D2s_v5',
            capacity: 6,
            zones: ZONES,
            zoneBalance: true,
            scaleInPolicy: { rules: ['OldestVM'] },
          }),
        { wait: 6 },
      );

      await patchSpec(world, 'ScaleSet', 'web', { capacity: 9 });
      const { instances: nine } = await waitReady(world, 'ScaleSet', 'web', 9);
      expect(nine.map((i) => i.spec.instanceId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(countBy(nine, (i) => i.spec.zone)).toEqual({ '1': 3, '2': 3, '3': 3 });
      // Max spreading put each zone's three VMs in three fault domains, so no fault domain is fuller than
      // another and the scale-in rule alone picks the victim within a zone.
      for (const zone of ZONES) {
        const domains = nine.filter((i) => i.spec.zone === zone).map((i) => i.spec.faultDomain);
        expect(new Set(domains).size, `zone ${zone} fault domains`).toBe(3);
      }

      // Protect the oldest VM of zone 1: scale-in must pass it over.
      const inZone = (zone: string, list: readonly Instance[]) => list.filter((i) => i.spec.zone === zone);
      const protectedVm = inZone('1', nine)[0];
      if (protectedVm === undefined) throw new Error('zone 1 is empty');
      await world.admin.patch(
        INSTANCES,
        { namespace: world.namespace, name: protectedVm.metadata.name },
        { type: 'merge', body: { spec: { protection: { fromScaleIn: true } } } },
      );

      // 9 → 6: every zone holds 3, so one goes from each, the oldest (lowest id) that is not protected.
      const expectedGone = ZONES.map(
        (zone) => inZone(zone, nine).filter((i) => i !== protectedVm)[0]?.metadata.name,
      );
      await patchSpec(world, 'ScaleSet', 'web', { capacity: 6 });
      const { instances: six } = await waitReady(world, 'ScaleSet', 'web', 6);
      const names = six.map((i) => i.metadata.name);
      expect(nine.map((i) => i.metadata.name).filter((name) => !names.includes(name))).toEqual(expectedGone);
      expect(names).toContain(protectedVm.metadata.name);
      expect(countBy(six, (i) => i.spec.zone)).toEqual({ '1': 2, '2': 2, '3': 2 });
      // Surviving VMs are the same objects: scale-in never recreates what it keeps.
      expect(six.map((i) => i.metadata.uid)).toEqual(
        nine.filter((i) => names.includes(i.metadata.name)).map((i) => i.metadata.uid),
      );

      // 6 → 0: only the protected VM is left, and status says why the target is not met.
      await patchSpec(world, 'ScaleSet', 'web', { capacity: 0 });
      await eventually(
        async () => {
          const left = await instancesOf(world, 'ScaleSet', 'web');
          expect(left.map((i) => i.metadata.name)).toEqual([protectedVm.metadata.name]);
          const group = await getGroup(world, 'ScaleSet', 'web');
          expect(currentCondition(group, 'Degraded')).toMatchObject({
            status: 'True',
            reason: 'ProtectedInstances',
          });
          expect(group.status?.capacity).toBe(1);
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
    },
  );

  it.concurrent(
    'strict zoneBalance: protected VMs stop a scale-in short, a failing zone stops a scale-out balanced; never Ready',
    async ({ expect, onTestFinished }) => {
      const { world, instances: six } = await startWithGroup(
        { onTestFinished },
        'strict',
        (w) =>
          scaleSet(w, 'web', {
            orchestrationMode: 'Uniform',
            vmSize: 'Standard_D2s_v5',
            capacity: 6,
            zones: ZONES,
            zoneBalance: true,
          }),
        // VMs boot for 3 s, so a scale-out's VMs in the healthy zones are not running yet when the
        // failing zone's allocations come back Failed.
        { region: { provisioningDelay: '3s' }, wait: 6, timeoutMs: 60_000 },
      );
      for (const vm of six.filter((i) => i.spec.zone === '1')) {
        await world.admin.patch(
          INSTANCES,
          { namespace: world.namespace, name: vm.metadata.name },
          { type: 'merge', body: { spec: { protection: { fromScaleIn: true } } } },
        );
      }
      await eventually(async () => {
        const left = await instancesOf(world, 'ScaleSet', 'web');
        expect(left.filter((i) => i.spec.protection.fromScaleIn)).toHaveLength(2);
      }, POLL);

      // 6 → 3 with both zone-1 VMs protected: 2/0/1 would break strict balance; it stops at 2/1/1.
      await patchSpec(world, 'ScaleSet', 'web', { capacity: 3 });
      await eventually(async () => {
        const left = await instancesOf(world, 'ScaleSet', 'web');
        expect(countBy(left, (i) => i.spec.zone)).toEqual({ '1': 2, '2': 1, '3': 1 });
        const group = await getGroup(world, 'ScaleSet', 'web');
        expect(currentCondition(group, 'Ready')).toMatchObject({
          status: 'False',
          reason: 'ZoneBalanceBlocked',
        });
      }, POLL);

      // Zone 2 starts failing allocations; 4 → 9 plans 3/3/3, zone 2's VMs fail, and the VMs of zones 1
      // and 3 that are still booting are taken back: it ends 2/1/2, never more than 1 apart among Running VMs.
      await editRegion(world, {
        faults: [{ vmSize: 'Standard_D2s_v5', zone: '2', code: 'ZonalAllocationFailed' }],
      });
      await patchSpec(world, 'ScaleSet', 'web', { capacity: 9 });
      let worstRunningSkew = 0;
      await eventually(
        async () => {
          const now = await instancesOf(world, 'ScaleSet', 'web');
          const running = now.filter((i) => phase(i) === 'Running');
          worstRunningSkew = Math.max(worstRunningSkew, zoneSkew(running, ZONES));
          const live = now.filter((i) => i.metadata.deletionTimestamp === undefined);
          expect(live.map(phase)).toEqual(Array<string>(5).fill('Running'));
          expect(countBy(live, (i) => i.spec.zone)).toEqual({ '1': 2, '2': 1, '3': 2 });
          const group = await getGroup(world, 'ScaleSet', 'web');
          expect(currentCondition(group, 'Ready')).toMatchObject({
            status: 'False',
            reason: 'ZoneBalanceBlocked',
          });
        },
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      expect(worstRunningSkew, 'zone skew of Running VMs at any poll').toBeLessThanOrEqual(1);
    },
    120_000,
  );

  it.concurrent(
    'paused: the plan is published in status and nothing is acted on until unpaused',
    async ({ expect, onTestFinished }) => {
      const world = await newWorld({ onTestFinished }, 'paused');
      const operator = await world.startOperator();
      const manifest = scaleSet(world, 'whatif', {
        orchestrationMode: 'Uniform',
        vmSize: 'Standard_D2s_v5',
        capacity: 3,
        zones: ZONES,
        paused: true,
      });
      const expected = planOnEmptyRegion(manifest, (await getRegion(world)).spec);
      await createGroup(world, manifest);
      // The reconcile of this generation happened (status carries its plan and conditions)...
      const group = await eventually(async () => {
        const g = await getGroup(world, 'ScaleSet', 'whatif');
        expect(currentCondition(g, 'Ready')).toMatchObject({ status: 'False', reason: 'Paused' });
        return g;
      }, POLL);
      expect(group.status?.plan?.creates).toEqual(
        expected.creates.map((c) => ({
          vmSize: c.size,
          zone: c.zone,
          faultDomain: c.faultDomain,
          priority: c.priority,
          count: c.count,
        })),
      );
      expect(group.status?.plan?.projectedHourlyCost).toBeCloseTo(expected.hourlyCost, 6);
      // ...and acted on nothing.
      expect(await instancesOf(world, 'ScaleSet', 'whatif')).toEqual([]);
      expect(await counterTotal(operator, 'vmfleet_instances_created_total')).toBe(0);

      await patchSpec(world, 'ScaleSet', 'whatif', { paused: false });
      const { instances } = await waitReady(world, 'ScaleSet', 'whatif', 3);
      expect(distributionOf(instances)).toEqual(planDistribution(expected));
    },
  );

  it.concurrent(
    'kubectl scale drives spec.capacity through the scale subresource',
    async ({ expect, onTestFinished }) => {
      const { world } = await startWithGroup(
        { onTestFinished },
        'kscale',
        (w) =>
          scaleSet(w, 'api', {
            orchestrationMode: 'Uniform',
            vmSize: 'Standard_D2as_v5',
            capacity: 2,
            zones: ['1', '2'],
          }),
        { wait: 2 },
      );

      await kubectlOk(['scale', 'scaleset', 'api', '-n', world.namespace, '--replicas=5']);
      const { group } = await waitReady(world, 'ScaleSet', 'api', 5);
      expect(group.spec['capacity']).toBe(5);

      const scalePath = `/apis/compute.vmfleet.io/v1alpha1/namespaces/${world.namespace}/scalesets/api/scale`;
      const scale = JSON.parse(await kubectlOk(['get', '--raw', scalePath])) as {
        kind: string;
        spec: { replicas: number };
        status: { replicas: number; selector: string };
      };
      expect(scale).toMatchObject({
        kind: 'Scale',
        spec: { replicas: 5 },
        status: { replicas: 5, selector: 'vmfleet.io/scaleset=api' },
      });
      // The selector an HPA would use selects exactly the set's Instances.
      const selected = await kubectlOk([
        'get',
        'instances',
        '-n',
        world.namespace,
        '-l',
        scale.status.selector,
        '-o',
        'name',
      ]);
      expect(selected.trim().split('\n').sort()).toEqual(
        ['api-0', 'api-1', 'api-2', 'api-3', 'api-4'].map((n) => `instance.compute.vmfleet.io/${n}`),
      );

      await kubectlOk(['scale', 'scaleset', 'api', '-n', world.namespace, '--replicas=1']);
      await waitReady(world, 'ScaleSet', 'api', 1);
    },
  );
});
