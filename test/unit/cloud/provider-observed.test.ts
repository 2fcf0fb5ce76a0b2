// The simulated cloud's answers to the provider calls a real cloud answers from its own state: get/list
// (a VM's observed state), restart/reimage (the repair record) and observe (evictions and health at once).
import { describe, expect, it } from 'vitest';
import type { Instance } from '../../../src/api/index.ts';
import type { CloudProvider } from '../../../src/cloud/index.ts';
import { SimulatedCloud } from '../../../src/cloud/simulated/provider.ts';
import { HOUR, T0, at, testRegion, vm } from './fixtures.ts';

const region = testRegion(); // VMs boot in 5 s
const SECOND = 1_000;

const withStatus = (instance: Instance, status: NonNullable<Instance['status']>): Instance => ({
  ...instance,
  status: { ...instance.status, ...status },
});

describe('SimulatedCloud.get', () => {
  const cloud: CloudProvider = new SimulatedCloud();

  it('reports a Provisioning VM until the provisioning delay has passed since launch, then Running', async () => {
    const launched = vm({ name: 'a-0', phase: 'Provisioning', launchedAt: T0 });
    const early = await cloud.get({ instance: launched, region, now: at(2 * SECOND) });
    expect(early).toEqual({
      namespace: 'default',
      name: 'a-0',
      phase: 'Provisioning',
      providerID: undefined,
      pricePerHour: undefined,
      readyAt: at(5 * SECOND),
    });
    expect((await cloud.get({ instance: launched, region, now: at(5 * SECOND) })).phase).toBe('Running');
  });

  it('counts from now when the launch time cannot be read, as the Instance controller did', async () => {
    const unknown = vm({ name: 'a-0', phase: 'Provisioning' });
    expect((await cloud.get({ instance: unknown, region, now: T0 })).readyAt).toEqual(at(5 * SECOND));
  });

  it('reports a Running VM as Running with its health and billing, whatever the delay says', async () => {
    const running = withStatus(vm({ name: 'a-0', phase: 'Running', launchedAt: T0 }), {
      phase: 'Running',
      health: 'Unhealthy',
      providerID: 'sim://a-0',
      pricePerHour: 0.1,
    });
    expect(await cloud.get({ instance: running, region, now: T0 })).toMatchObject({
      phase: 'Running',
      health: 'Unhealthy',
      providerID: 'sim://a-0',
      pricePerHour: 0.1,
    });
  });

  it('reports Deallocated VMs, and no VM for Pending or Failed Instances it accepted nothing for', async () => {
    const phaseOf = async (instance: Instance) => (await cloud.get({ instance, region, now: T0 })).phase;
    expect(await phaseOf(vm({ name: 'a-0', priority: 'Spot', phase: 'Deallocated' }))).toBe('Deallocated');
    expect(await phaseOf(vm({ name: 'a-1', phase: 'Pending' }))).toBe('Absent');
    expect(await phaseOf(vm({ name: 'a-2', phase: 'Failed' }))).toBe('Absent');
    expect(await phaseOf(vm({ name: 'a-3' }))).toBe('Absent');
  });

  it('knows a VM whose allocation it accepted before the Instance shows it, from the acceptance', async () => {
    const own = new SimulatedCloud();
    const pending = vm({ name: 'a-0', uid: 'u-0' });
    const result = await own.allocate({
      instance: pending,
      region,
      allInstancesInRegion: [pending],
      now: T0,
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(await own.get({ instance: pending, region, now: at(SECOND) })).toEqual({
      namespace: 'default',
      name: 'a-0',
      phase: 'Provisioning',
      providerID: result.providerID,
      pricePerHour: result.pricePerHour,
      readyAt: at(5 * SECOND),
    });
    // Released (the finalizer path): the cloud holds nothing any more.
    await own.release(pending);
    expect((await own.get({ instance: pending, region, now: at(SECOND) })).phase).toBe('Absent');
  });
});

describe('SimulatedCloud.list', () => {
  it('reports every listed VM and the accepted ones the list does not show, by namespace and name', async () => {
    const cloud = new SimulatedCloud();
    const unseen = vm({ name: 'b-0', uid: 'u-b0' });
    await cloud.allocate({ instance: unseen, region, allInstancesInRegion: [unseen], now: T0 });
    const listed = [
      vm({ name: 'c-0', phase: 'Running', launchedAt: T0 }),
      vm({ name: 'a-0', phase: 'Provisioning', launchedAt: T0 }),
      vm({ name: 'a-1', phase: 'Failed' }),
    ];
    const vms = await cloud.list({ region, instances: listed, now: at(SECOND) });
    expect(vms.map((v) => [v.name, v.phase])).toEqual([
      ['a-0', 'Provisioning'],
      ['a-1', 'Absent'],
      ['b-0', 'Provisioning'],
      ['c-0', 'Running'],
    ]);
    expect(vms.find((v) => v.name === 'b-0')).toMatchObject({
      namespace: 'default',
      readyAt: at(5 * SECOND),
    });
  });
});

describe('SimulatedCloud.restart and reimage', () => {
  it('return the repair record the caller writes to status.repair, at second precision', async () => {
    const cloud = new SimulatedCloud();
    const running = vm({ name: 'a-0', phase: 'Running', launchedAt: T0 });
    const now = new Date('2030-01-01T00:10:00.750Z');
    expect(await cloud.restart(running, now)).toEqual({
      action: 'Restart',
      requestedAt: '2030-01-01T00:10:00Z',
    });
    expect(await cloud.reimage(running, now)).toEqual({
      action: 'Reimage',
      requestedAt: '2030-01-01T00:10:00Z',
    });
  });

  it('are finished by observe once the provisioning delay has passed (Restarted / Reimaged)', async () => {
    const cloud = new SimulatedCloud();
    const running = vm({ name: 'a-0', phase: 'Running', launchedAt: at(-HOUR) });
    const repairing = async (action: 'restart' | 'reimage') =>
      withStatus(running, { phase: 'Running', repair: await cloud[action](running, T0) });
    for (const [action, reason] of [
      ['restart', 'Restarted'],
      ['reimage', 'Reimaged'],
    ] as const) {
      const instance = await repairing(action);
      const before = await cloud.observe({ region, instances: [instance], now: at(2 * SECOND) });
      expect(before.health).toEqual([]);
      // Looked at again when the repair is due.
      expect(before.recheckAfterMs).toBe(3 * SECOND);
      const after = await cloud.observe({ region, instances: [instance], now: at(5 * SECOND) });
      expect(after.health).toEqual([
        {
          namespace: 'default',
          name: 'a-0',
          health: 'Healthy',
          reason,
          at: at(5 * SECOND),
          repairCompleted: true,
        },
      ]);
      expect(after.recheckAfterMs).toBeUndefined();
    }
  });
});

describe('SimulatedCloud.observe', () => {
  const spot = (name: string) =>
    vm({ name, priority: 'Spot', zone: '1', phase: 'Running', launchedAt: at(-HOUR) });

  it('reports evictions and health changes together, sorted', async () => {
    const cut = testRegion({
      capacity: { Standard_D2s_v5: [{ zone: '1', regular: 3, spot: 0 }] },
      healthFaults: [{ zone: '2', reason: 'ZoneDegraded' }],
    });
    const sick = vm({ name: 'r-0', zone: '2', phase: 'Running', launchedAt: at(-HOUR) });
    const changes = await new SimulatedCloud().observe({
      region: cut,
      instances: [spot('s-0'), sick],
      now: T0,
    });
    expect(changes.evictions.map((n) => [n.name, n.reason])).toEqual([['s-0', 'CapacityReduced']]);
    expect(changes.health.map((c) => [c.name, c.health, c.reason])).toEqual([
      ['r-0', 'Unhealthy', 'ZoneDegraded'],
    ]);
    expect(changes.recheckAfterMs).toBeUndefined();
  });

  it('reports no health change for a VM it evicts in the same answer', async () => {
    const cut = testRegion({
      capacity: { Standard_D2s_v5: [{ zone: '1', regular: 3, spot: 0 }] },
      healthFaults: [{ zone: '1', reason: 'ZoneDegraded' }],
    });
    const changes = await new SimulatedCloud().observe({ region: cut, instances: [spot('s-0')], now: T0 });
    expect(changes.evictions.map((n) => n.name)).toEqual(['s-0']);
    expect(changes.health).toEqual([]);
  });

  it('asks to be called again while a seeded rate is set (every 10 s), not otherwise', async () => {
    const cloud = new SimulatedCloud();
    const observe = (r: typeof region) => cloud.observe({ region: r, instances: [], now: T0 });
    expect((await observe(region)).recheckAfterMs).toBeUndefined();
    expect((await observe(testRegion({ spotEvictionRatePerHour: 0.1 }))).recheckAfterMs).toBe(10_000);
    const flaky = testRegion({
      edit: (spec) => {
        spec.simulation.unhealthyRatePerHour = 0.1;
      },
    });
    expect((await observe(flaky)).recheckAfterMs).toBe(10_000);
  });

  it('draws random evictions over the time since the previous observation only', async () => {
    const stormy = testRegion({ spotEvictionRatePerHour: 1 });
    const cloud = new SimulatedCloud();
    const fleet = [spot('s-0'), spot('s-1')];
    expect((await cloud.observe({ region: stormy, instances: fleet, now: at(HOUR) })).evictions).toEqual([]);
    const drawn = await cloud.observe({
      region: stormy,
      instances: fleet,
      now: at(HOUR),
      lastEvaluatedAt: T0,
    });
    expect(drawn.evictions.map((n) => n.reason)).toEqual(['RandomEviction', 'RandomEviction']);
  });
});
