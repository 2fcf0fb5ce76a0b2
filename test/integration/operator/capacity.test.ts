// What the simulated cloud throws at a group and how the operator answers: Spot capacity cut below usage
// (evictions: replaced with `maintain`, kept Deallocated and counted with Deallocate), an injected
// ZonalAllocationFailed, an exhausted quota, fixed spreading into a zone with too few fault domains, and a
// spec only the operator can find invalid.
import { it } from 'vitest';
import { EASTUS, type RegionSpec } from '../../../src/api/index.ts';
import { SimulatedCloud, UNAVAILABLE_TTL_MS, type CloudProvider } from '../../../src/cloud/index.ts';
import { describeCluster, eventually } from '../cluster.ts';
import {
  computeFleet,
  countBy,
  counterTotal,
  createGroup,
  currentCondition,
  editRegion,
  emptyPools,
  eventsAbout,
  getGroup,
  getRegion,
  hourlyCostOf,
  instancesOf,
  newWorld,
  patchSpec,
  phase,
  poolOf,
  reconcilesOf,
  scaleSet,
  startWithGroup,
  waitReady,
} from './support.ts';
import { capacityOf } from '../../support/region-fixture.ts';

const POLL = { timeoutMs: 30_000, intervalMs: 100 };

/** The Spot capacity of one size in one zone set to `count`. */
const spotCapacity = (vmSize: string, zone: string, count: number) => ({
  capacity: [{ vmSize, zone, priority: 'Spot' as const, count }],
});

describeCluster('capacity, faults, quotas and invalid specs on the real control plane', () => {
  it.concurrent(
    'cutting Spot capacity evicts; a fleet with maintain replaces the VMs elsewhere',
    async ({ expect, onTestFinished }) => {
      const sizes = ['Standard_D2as_v5', 'Standard_D2s_v5'];
      const { world, instances: before } = await startWithGroup(
        { onTestFinished },
        'maintain',
        (w) =>
          computeFleet(w, 'spotty', {
            zones: ['1', '2'],
            zoneAllocationPolicy: { distributionStrategy: 'Balanced' },
            vmSizes: sizes.map((name) => ({ name })),
            spot: {
              capacity: 6,
              allocationStrategy: 'LowestPrice',
              evictionPolicy: 'Delete',
              maintain: true,
            },
          }),
        { wait: 6 },
      );
      // The cheapest Spot size took zone 2's share: find that pool from what runs there.
      const zone2 = before.filter((i) => i.spec.zone === '2');
      expect(zone2).toHaveLength(3);
      const size = zone2[0]?.spec.vmSize ?? '';
      expect(zone2.every((i) => i.spec.vmSize === size)).toBe(true);

      // Zone 2 can now host only 1 Spot VM of that size: 2 are evicted (deleted, policy Delete).
      await editRegion(world, spotCapacity(size, '2', 1));
      const { instances: after, group } = await eventually(async () => {
        const { instances, group: g } = await waitReady(world, 'ComputeFleet', 'spotty', 6, 1_000);
        const gone = before.filter((b) => !instances.some((i) => i.metadata.uid === b.metadata.uid));
        expect(gone).toHaveLength(2);
        return { instances, group: g };
      }, POLL);
      const inCutPool = after.filter((i) => i.spec.zone === '2' && i.spec.vmSize === size);
      expect(inCutPool).toHaveLength(1);
      // Replacements are new VMs (new ids), placed in pools that have room, keeping the zones balanced.
      const maxBefore = Math.max(...before.map((i) => i.spec.instanceId));
      const fresh = after.filter((i) => i.spec.instanceId > maxBefore);
      expect(fresh).toHaveLength(2);
      for (const i of fresh) expect(`${i.spec.vmSize} ${i.spec.zone}`).not.toBe(`${size} 2`);
      expect(countBy(after, (i) => i.spec.zone)).toEqual({ '1': 3, '2': 3 });
      expect(group.status?.spot).toMatchObject({ target: 6, fulfilled: 6, lostToEviction: 0 });
      const evicted = (await eventsAbout(world, 'ComputeFleet', 'spotty')).filter(
        (e) => e.reason === 'SpotEvicted',
      );
      expect(evicted.length).toBeGreaterThanOrEqual(1);
      expect(evicted[0]?.type).toBe('Warning');
    },
  );

  it.concurrent(
    'without maintain, evicted Spot capacity is not replaced, also after an operator restart',
    async ({ expect, onTestFinished }) => {
      const { world, operator: first } = await startWithGroup(
        { onTestFinished },
        'nomaintain',
        (w) =>
          computeFleet(w, 'oneshot', {
            zones: ['1'],
            vmSizes: [{ name: 'Standard_D2s_v5' }],
            spot: {
              capacity: 4,
              allocationStrategy: 'LowestPrice',
              evictionPolicy: 'Delete',
              maintain: false,
            },
          }),
        { wait: 4 },
      );
      await editRegion(world, spotCapacity('Standard_D2s_v5', '1', 1));
      // 3 evicted and deleted; the fleet's Spot target shrinks by them instead of replacing them.
      const settled = async () => {
        const instances = await instancesOf(world, 'ComputeFleet', 'oneshot');
        expect(instances.map(phase)).toEqual(['Running']);
        const group = await getGroup(world, 'ComputeFleet', 'oneshot');
        expect(group.status?.spot).toMatchObject({ target: 1, fulfilled: 1, lostToEviction: 3 });
        expect(currentCondition(group, 'Ready').status).toBe('True');
        return instances;
      };
      const [survivor] = await eventually(settled, POLL);
      expect(await counterTotal(first, 'vmfleet_instances_created_total')).toBe(4);

      // The count lives in the fleet's status, so a new operator process does not refill the fleet either,
      // even once the capacity is back.
      await first.stop();
      await editRegion(world, spotCapacity('Standard_D2s_v5', '1', 800));
      const second = await world.startOperator();
      await eventually(async () => {
        expect(await reconcilesOf(second, 'computefleet')).toBeGreaterThan(0);
      }, POLL);
      const after = await eventually(settled, POLL);
      expect(after[0]?.metadata.uid).toBe(survivor?.metadata.uid);
      expect(await counterTotal(second, 'vmfleet_instances_created_total')).toBe(0);
    },
  );

  it.concurrent(
    'a ScaleSet with evictionPolicy Deallocate keeps evicted VMs Deallocated and counted',
    async ({ expect, onTestFinished }) => {
      const { world, instances: before } = await startWithGroup(
        { onTestFinished },
        'dealloc',
        (w) =>
          scaleSet(w, 'batch', {
            orchestrationMode: 'Uniform',
            vmSize: 'Standard_D2s_v5',
            capacity: 4,
            zones: ['1'],
            priority: 'Spot',
            spot: { evictionPolicy: 'Deallocate', maxPricePerHour: -1 },
          }),
        { wait: 4 },
      );

      await editRegion(world, spotCapacity('Standard_D2s_v5', '1', 1));
      const pools = emptyPools((await getRegion(world)).spec);
      const price = poolOf(pools, 'Standard_D2s_v5', '1', 'Spot').pricePerHour;
      await eventually(async () => {
        const instances = await instancesOf(world, 'ScaleSet', 'batch');
        // The same four VMs: three deallocated, none replaced.
        expect(instances.map((i) => i.metadata.uid)).toEqual(before.map((i) => i.metadata.uid));
        expect(countBy(instances, phase)).toEqual({ Running: 1, Deallocated: 3 });
        for (const i of instances.filter((x) => phase(x) === 'Deallocated')) {
          expect(i.status?.evictedAt).toBeDefined();
        }
        const group = await getGroup(world, 'ScaleSet', 'batch');
        expect(group.status?.capacity).toBe(4);
        expect(group.status?.byPriority).toEqual({ regular: 0, spot: 4 });
        // Deallocated VMs cost nothing.
        expect(group.status?.hourlyCost).toBeCloseTo(hourlyCostOf(instances), 6);
        expect(group.status?.hourlyCost).toBeCloseTo(price, 6);
        expect(currentCondition(group, 'Progressing').status).toBe('False');
        // Counted toward capacity, but only 1 of 4 runs: not Ready.
        expect(group.status?.readyInstances).toBe(1);
        expect(currentCondition(group, 'Ready')).toMatchObject({
          status: 'False',
          reason: 'InstancesDeallocated',
        });
      }, POLL);
    },
  );

  it.concurrent(
    'an injected ZonalAllocationFailed blocks the pool; the VM lands elsewhere; status and Events say why',
    async ({ expect, onTestFinished }) => {
      const sizes = ['Standard_D2as_v5', 'Standard_D2s_v5'];
      const cheap = (spec: RegionSpec) =>
        [...sizes].sort(
          (a, b) =>
            (spec.vmSizes.find((s) => s.name === a)?.pricePerHour ?? 0) -
            (spec.vmSizes.find((s) => s.name === b)?.pricePerHour ?? 0),
        )[0] ?? '';
      const faulted = cheap(EASTUS.spec);
      const { world, instances, group } = await startWithGroup(
        { onTestFinished },
        'zonal',
        (w) =>
          scaleSet(w, 'flex', {
            orchestrationMode: 'Flexible',
            skuProfile: { allocationStrategy: 'LowestPrice', vmSizes: sizes.map((name) => ({ name })) },
            capacity: 3,
            zones: ['1', '2', '3'],
          }),
        { region: { faults: [{ vmSize: faulted, zone: '2', code: 'ZonalAllocationFailed' }] }, wait: 3 },
      );
      // Zones 1 and 3 got the cheap size; zone 2's VM failed there and its replacement took the other size.
      expect(countBy(instances, (i) => i.spec.zone)).toEqual({ '1': 1, '2': 1, '3': 1 });
      expect(instances.filter((i) => i.spec.zone === '2' && i.spec.vmSize === faulted)).toHaveLength(0);
      expect(instances.filter((i) => i.spec.zone !== '2').every((i) => i.spec.vmSize === faulted)).toBe(true);
      // The failed VM was deleted and replaced: ids are not 0..2.
      expect(Math.max(...instances.map((i) => i.spec.instanceId))).toBeGreaterThan(2);
      // The cache blocks the pool (for both priorities: a zonal capacity error is not priority-specific).
      const blocked = group.status?.unavailableOfferings ?? [];
      expect(blocked.map((o) => o.priority).sort()).toEqual(['Regular', 'Spot']);
      for (const o of blocked) {
        expect(o).toMatchObject({ vmSize: faulted, zone: '2', code: 'ZonalAllocationFailed' });
        // For a capacity error's TTL (it was recorded less than a minute ago).
        const left = Date.parse(o.until) - Date.now();
        expect(left).toBeLessThanOrEqual(UNAVAILABLE_TTL_MS.capacity);
        expect(left).toBeGreaterThan(UNAVAILABLE_TTL_MS.capacity - 60_000);
      }
      const events = await eventsAbout(world, 'ScaleSet', 'flex');
      const failure = events.find((e) => e.reason === 'ZonalAllocationFailed');
      expect(failure, JSON.stringify(events.map((e) => e.reason))).toBeDefined();
      expect(failure?.type).toBe('Warning');
      expect(failure?.note).toContain(faulted);
      expect(failure?.regarding.uid).toBe(group.metadata.uid);
    },
  );

  it.concurrent(
    'Spot capacity given back in the Region lifts the block at once; the group fills without waiting out the TTL',
    async ({ expect, onTestFinished }) => {
      const size = 'Standard_D2s_v5';
      const { world } = await startWithGroup(
        { onTestFinished },
        'lift',
        (w) =>
          scaleSet(w, 'pinned', {
            orchestrationMode: 'Uniform',
            vmSize: size,
            capacity: 2,
            zones: ['2'],
            priority: 'Spot',
            spot: { evictionPolicy: 'Delete', maxPricePerHour: -1 },
          }),
        { region: { faults: [{ vmSize: size, zone: '2', code: 'ZonalAllocationFailed' }] } },
      );
      // Its only pool failed and is blocked for an hour: the set is short and says so.
      await eventually(async () => {
        const group = await getGroup(world, 'ScaleSet', 'pinned');
        const blocked = (group.status?.unavailableOfferings ?? []).map((o) => `${o.priority}:${o.code}`);
        expect(blocked.sort()).toEqual(['Regular:ZonalAllocationFailed', 'Spot:ZonalAllocationFailed']);
        expect(currentCondition(group, 'Degraded').status).toBe('True');
        expect(await instancesOf(world, 'ScaleSet', 'pinned')).toEqual([]);
      }, POLL);

      const spot = capacityOf((await getRegion(world)).spec, size, '2', 'Spot');
      await editRegion(world, { faults: [], ...spotCapacity(size, '2', spot + 2) });
      const { group } = await waitReady(world, 'ScaleSet', 'pinned', 2, POLL.timeoutMs);
      // Only the Spot block went: the Regular capacity did not change.
      expect(group.status?.unavailableOfferings?.map((o) => o.priority)).toEqual(['Regular']);
    },
  );

  it.concurrent('an exhausted vCPU quota gives QuotaExceeded', async ({ expect, onTestFinished }) => {
    const quota = 8;
    const { world } = await startWithGroup(
      { onTestFinished },
      'quota',
      (w) =>
        scaleSet(w, 'big', {
          orchestrationMode: 'Uniform',
          vmSize: 'Standard_D2s_v5',
          capacity: 6,
          zones: ['1', '2'],
        }),
      { region: { quotas: { regionalVCPUs: quota } } },
    );
    const vCpus = (await getRegion(world)).spec.vmSizes.find((s) => s.name === 'Standard_D2s_v5')?.vCPUs ?? 0;
    const fits = Math.floor(quota / vCpus);
    expect(fits).toBeLessThan(6);
    await eventually(async () => {
      const instances = await instancesOf(world, 'ScaleSet', 'big');
      expect(instances.map(phase)).toEqual(Array<string>(fits).fill('Running'));
      const group = await getGroup(world, 'ScaleSet', 'big');
      expect(currentCondition(group, 'Ready')).toMatchObject({ status: 'False', reason: 'QuotaExceeded' });
      expect(currentCondition(group, 'Degraded')).toMatchObject({ status: 'True', reason: 'QuotaExceeded' });
    }, POLL);
  });

  it.concurrent(
    'VMs requested but not yet allocated count against the quota: the engine plans no more than fits',
    async ({ expect, onTestFinished }) => {
      const quota = 8;
      const world = await newWorld({ onTestFinished }, 'pendingq', { quotas: { regionalVCPUs: quota } });
      // A cloud slow to allocate: every VM stays Pending (requested, nothing allocated) until the gate opens.
      const cloud = new SimulatedCloud();
      let open: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      let asked = 0;
      const slowCloud: CloudProvider = {
        allocate: async (request) => {
          asked += 1;
          await gate;
          return cloud.allocate(request);
        },
        allocateMany: async (request) => {
          asked += request.instances.length;
          await gate;
          return cloud.allocateMany(request);
        },
        release: (instance) => cloud.release(instance),
        provisioningDelayMs: (region) => cloud.provisioningDelayMs(region),
        get: (request) => cloud.get(request),
        list: (request) => cloud.list(request),
        restart: (instance, now) => cloud.restart(instance, now),
        reimage: (instance, now) => cloud.reimage(instance, now),
        observe: (request) => cloud.observe(request),
        pools: (request) => cloud.pools(request),
        controllers: (deps) => cloud.controllers(deps),
      };
      onTestFinished(() => {
        open();
      });
      const operator = await world.startOperator({ provider: slowCloud });
      await createGroup(
        world,
        scaleSet(world, 'big', {
          orchestrationMode: 'Uniform',
          vmSize: 'Standard_D2s_v5',
          capacity: 6,
          zones: ['1', '2'],
        }),
      );
      const vCpus = (await getRegion(world)).spec.vmSizes.find((s) => s.name === 'Standard_D2s_v5')?.vCPUs;
      const fits = quota / (vCpus ?? 1);
      expect(fits).toBe(4);
      // The group has reconciled with its 4 VMs Pending: it plans no more, and says the quota is why.
      await eventually(async () => {
        const group = await getGroup(world, 'ScaleSet', 'big');
        expect(group.status?.capacity).toBe(fits);
        expect(currentCondition(group, 'Degraded')).toMatchObject({
          status: 'True',
          reason: 'QuotaExceeded',
        });
      }, POLL);
      const pending = await instancesOf(world, 'ScaleSet', 'big');
      expect(pending.map(phase)).toEqual(Array<string>(fits).fill('Pending'));
      expect(asked).toBeGreaterThan(0);

      open();
      await eventually(async () => {
        const instances = await instancesOf(world, 'ScaleSet', 'big');
        expect(instances.map(phase)).toEqual(Array<string>(fits).fill('Running'));
        const group = await getGroup(world, 'ScaleSet', 'big');
        expect(currentCondition(group, 'Ready')).toMatchObject({ status: 'False', reason: 'QuotaExceeded' });
      }, POLL);
      // No VM was planned beyond the quota, so none failed.
      expect(await counterTotal(operator, 'vmfleet_instances_created_total')).toBe(fits);
      expect(await counterTotal(operator, 'vmfleet_allocation_failures_total')).toBe(0);
    },
  );

  it.concurrent(
    'fixed spreading over 5 fault domains into the 3-fault-domain zone gives FaultDomainsUnavailable',
    async ({ expect, onTestFinished }) => {
      const world = await newWorld({ onTestFinished }, 'fd');
      const zones = (await getRegion(world)).spec.zones;
      const short = zones.filter((z) => z.faultDomains < 5).map((z) => z.name);
      expect(short).toEqual(['3']);
      await world.startOperator();
      await createGroup(
        world,
        scaleSet(world, 'fixed', {
          orchestrationMode: 'Uniform',
          vmSize: 'Standard_D2s_v5',
          capacity: 6,
          zones: ['1', '2', '3'],
          zoneBalance: true,
          platformFaultDomainCount: 5,
        }),
      );
      await eventually(async () => {
        const instances = await instancesOf(world, 'ScaleSet', 'fixed');
        // Strict balance with zone 3 unusable: one VM in each of zones 1 and 2, nothing in zone 3.
        expect(countBy(instances, (i) => i.spec.zone)).toEqual({ '1': 1, '2': 1 });
        expect(instances.map(phase)).toEqual(['Running', 'Running']);
        const group = await getGroup(world, 'ScaleSet', 'fixed');
        expect(currentCondition(group, 'Degraded')).toMatchObject({
          status: 'True',
          reason: 'FaultDomainsUnavailable',
        });
        expect(currentCondition(group, 'Ready')).toMatchObject({
          status: 'False',
          reason: 'FaultDomainsUnavailable',
        });
        expect(currentCondition(group, 'Degraded').message).toContain('3');
      }, POLL);
    },
  );

  it.concurrent(
    'an unknown vmSize edited into a running ScaleSet gives InvalidSpec and deletes nothing',
    async ({ expect, onTestFinished }) => {
      const {
        world,
        operator,
        instances: before,
      } = await startWithGroup(
        { onTestFinished },
        'invalid',
        (w) =>
          scaleSet(w, 'web', {
            orchestrationMode: 'Uniform',
            vmSize: 'Standard_D2s_v5',
            capacity: 3,
            zones: ['1', '2', '3'],
          }),
        { wait: 3 },
      );

      // Valid for the API server (any size name passes the schema), but not in this Region. The same edit
      // asks for a scale-in, which must not happen either.
      const edited = await patchSpec(world, 'ScaleSet', 'web', { vmSize: 'Standard_D2s_v99', capacity: 1 });
      const group = await eventually(async () => {
        const g = await getGroup(world, 'ScaleSet', 'web');
        expect(g.metadata.generation).toBe(edited.metadata.generation);
        const ready = currentCondition(g, 'Ready');
        expect(ready).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
        expect(ready.message).toContain('spec.vmSize');
        expect(ready.message).toContain('Standard_D2s_v99');
        return g;
      }, POLL);
      expect(currentCondition(group, 'Degraded')).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
      // Status still describes the instances it has.
      expect(group.status?.capacity).toBe(3);
      const after = await instancesOf(world, 'ScaleSet', 'web');
      expect(after.map((i) => i.metadata.uid)).toEqual(before.map((i) => i.metadata.uid));
      expect(after.map(phase)).toEqual(['Running', 'Running', 'Running']);
      expect(after.every((i) => i.metadata.deletionTimestamp === undefined)).toBe(true);
      expect(await counterTotal(operator, 'vmfleet_instances_terminated_total')).toBe(0);
      const events = await eventsAbout(world, 'ScaleSet', 'web');
      expect(events.some((e) => e.reason === 'InvalidSpec' && e.note.includes('Standard_D2s_v99'))).toBe(
        true,
      );
    },
  );
});
