import { describe, expect, it } from 'vitest';
import type { Instance } from '../../../src/api/index.ts';
import { SimulatedCloud } from '../../../src/cloud/simulated/provider.ts';
import { MINUTE, T0, at, testRegion, vm, vms, withPhase } from './fixtures.ts';

const region = testRegion();
const spot = (name: string, extra: Partial<Parameters<typeof vm>[0]> = {}): Instance =>
  vm({ name, priority: 'Spot', zone: '1', uid: `uid-${name}`, ...extra });

describe('SimulatedCloud.allocate: the reservation overlay', () => {
  it('never oversubscribes a pool when allocations race with a stale Instance list', async () => {
    const cloud = new SimulatedCloud();
    // Zone 1 has Spot capacity 2; five reconciles ask at once, each with the same (empty) cache.
    const candidates = Array.from({ length: 5 }, (_, i) => spot(`web-${i}`));
    const stale = [...candidates]; // all Pending: nothing holds capacity yet
    const results = await Promise.all(
      candidates.map((instance) =>
        cloud.allocate({ instance, region, allInstancesInRegion: stale, now: T0 }),
      ),
    );
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual([
      'ok',
      'ok',
      'ZonalAllocationFailed',
      'ZonalAllocationFailed',
      'ZonalAllocationFailed',
    ]);
    expect(cloud.reservationCount('testland')).toBe(2);
  });

  it('keeps counting a reservation for a caller whose list is older than another caller’s', async () => {
    const cloud = new SimulatedCloud();
    const first = spot('a-0');
    await cloud.allocate({ instance: first, region, allInstancesInRegion: [first], now: T0 });
    // A fresh list shows a-0 settled: it is counted from the list, not twice.
    const fresh = [withPhase(first, 'Provisioning')];
    const second = spot('a-1');
    expect(
      (await cloud.allocate({ instance: second, region, allInstancesInRegion: [...fresh, second], now: T0 }))
        .ok,
    ).toBe(true);
    // A caller still holding the oldest list (a-0 absent, a-1 Pending) must still see both.
    const third = spot('a-2');
    const result = await cloud.allocate({ instance: third, region, allInstancesInRegion: [third], now: T0 });
    expect(result).toMatchObject({ ok: false, code: 'ZonalAllocationFailed' });
  });

  it('answers an Instance asked about twice the same way, without taking capacity twice', async () => {
    const cloud = new SimulatedCloud();
    const instance = spot('web-0');
    const first = await cloud.allocate({ instance, region, allInstancesInRegion: [instance], now: T0 });
    const again = await cloud.allocate({
      instance,
      region,
      allInstancesInRegion: [instance],
      now: at(MINUTE),
    });
    expect(again).toEqual(first);
    expect(cloud.reservationCount('testland')).toBe(1);
    const other = spot('web-1');
    expect(
      (await cloud.allocate({ instance: other, region, allInstancesInRegion: [instance, other], now: T0 }))
        .ok,
    ).toBe(true);
  });

  it('answers an Instance that already runs with its own price and provider ID', async () => {
    const cloud = new SimulatedCloud();
    const running = {
      ...vm({ name: 'web-0', zone: '1' }),
      status: { phase: 'Running' as const, pricePerHour: 0.07, providerID: 'azure:///x' },
    };
    // Even in a full pool: it is already there.
    const full = [...vms('o', 3, { zone: '1', phase: 'Running' }), running];
    expect(await cloud.allocate({ instance: running, region, allInstancesInRegion: full, now: T0 })).toEqual({
      ok: true,
      pricePerHour: 0.07,
      providerID: 'azure:///x',
    });
  });

  it('frees the reservation on release', async () => {
    const cloud = new SimulatedCloud();
    const [a, b, c] = [spot('a-0'), spot('a-1'), spot('a-2')];
    for (const instance of [a, b])
      await cloud.allocate({ instance, region, allInstancesInRegion: [], now: T0 });
    expect((await cloud.allocate({ instance: c, region, allInstancesInRegion: [], now: T0 })).ok).toBe(false);
    await cloud.release(a);
    expect(cloud.reservationCount('testland')).toBe(1);
    expect((await cloud.allocate({ instance: c, region, allInstancesInRegion: [], now: T0 })).ok).toBe(true);
  });

  it('drops a reservation whose Instance the list shows re-created (another uid)', async () => {
    const cloud = new SimulatedCloud();
    const old = spot('a-0', { uid: 'old' });
    await cloud.allocate({ instance: old, region, allInstancesInRegion: [], now: T0 });
    const recreated = spot('a-0', { uid: 'new' });
    await cloud.allocate({ instance: recreated, region, allInstancesInRegion: [recreated], now: T0 });
    expect(cloud.reservationCount('testland')).toBe(1);
    // The new incarnation got a fresh check and its own reservation; one slot of two is left.
    expect(
      (await cloud.allocate({ instance: spot('b-0'), region, allInstancesInRegion: [recreated], now: T0 }))
        .ok,
    ).toBe(true);
    expect(
      (await cloud.allocate({ instance: spot('b-1'), region, allInstancesInRegion: [recreated], now: T0 }))
        .ok,
    ).toBe(false);
  });

  it('forgets reservations past the horizon (an Instance deleted without its finalizer)', async () => {
    const cloud = new SimulatedCloud({ reservationHorizonMs: 10 * MINUTE });
    for (const name of ['a-0', 'a-1']) {
      await cloud.allocate({ instance: spot(name), region, allInstancesInRegion: [], now: T0 });
    }
    expect(
      (
        await cloud.allocate({
          instance: spot('a-2'),
          region,
          allInstancesInRegion: [],
          now: at(10 * MINUTE),
        })
      ).ok,
    ).toBe(false);
    expect(
      (
        await cloud.allocate({
          instance: spot('a-3'),
          region,
          allInstancesInRegion: [],
          now: at(10 * MINUTE + 1),
        })
      ).ok,
    ).toBe(true);
  });

  it('allocates a Deallocated VM afresh (Spot restore), counting its own quota once', async () => {
    const cloud = new SimulatedCloud();
    const quotaRegion = testRegion({ quotas: { spotVCPUs: 4 } });
    const a = spot('a-0');
    const b = spot('a-1', { zone: '2' });
    await cloud.allocate({ instance: a, region: quotaRegion, allInstancesInRegion: [], now: T0 });
    await cloud.allocate({ instance: b, region: quotaRegion, allInstancesInRegion: [], now: T0 });
    // a-0 is evicted with Deallocate: it gives its capacity back but keeps its quota.
    const evicted = withPhase(a, 'Deallocated');
    const list = [evicted, withPhase(b, 'Running')];
    const newcomer = spot('a-2', { zone: '3' });
    expect(
      await cloud.allocate({ instance: newcomer, region: quotaRegion, allInstancesInRegion: list, now: T0 }),
    ).toMatchObject({
      ok: false,
      code: 'OperationNotAllowed',
    });
    expect(
      (await cloud.allocate({ instance: evicted, region: quotaRegion, allInstancesInRegion: list, now: T0 }))
        .ok,
    ).toBe(true);
  });

  it('counts a Spot restore whose answer a list still shows as the old Deallocated state', async () => {
    const cloud = new SimulatedCloud();
    const evictedAt = at(MINUTE).toISOString();
    const deallocated = (name: string): Instance => ({
      ...spot(name),
      status: { phase: 'Deallocated', evictedAt },
    });
    const [a, b] = [deallocated('a-0'), deallocated('a-1')];
    const list = [a, b];
    // Both restored (zone 1 Spot capacity 2); the cache still shows both Deallocated.
    for (const instance of list) {
      expect(
        (await cloud.allocate({ instance, region, allInstancesInRegion: list, now: at(2 * MINUTE) })).ok,
      ).toBe(true);
    }
    const third = spot('a-2');
    expect(
      (await cloud.allocate({ instance: third, region, allInstancesInRegion: list, now: at(2 * MINUTE) })).ok,
    ).toBe(false);
    // Once a list shows a-0 evicted again (later evictedAt), its reservation no longer counts.
    const evictedAgain: Instance = {
      ...spot('a-0'),
      status: { phase: 'Deallocated', evictedAt: at(3 * MINUTE).toISOString() },
    };
    const later = [evictedAgain, withPhase(b, 'Running')];
    expect(
      (await cloud.allocate({ instance: third, region, allInstancesInRegion: later, now: at(4 * MINUTE) }))
        .ok,
    ).toBe(true);
  });

  it('counts a restore even for a list older than the eviction it restored from', async () => {
    const cloud = new SimulatedCloud();
    const evictedAt = (minute: number) => at(minute * MINUTE).toISOString();
    const base = spot('a-0');
    // Evicted at minute 1, restored, evicted again at minute 5, restored again: zone 1 Spot holds a-0 and b-0.
    const firstEviction: Instance = { ...base, status: { phase: 'Deallocated', evictedAt: evictedAt(1) } };
    const secondEviction: Instance = { ...base, status: { phase: 'Deallocated', evictedAt: evictedAt(5) } };
    await cloud.allocate({
      instance: secondEviction,
      region,
      allInstancesInRegion: [secondEviction],
      now: at(6 * MINUTE),
    });
    const b = spot('b-0');
    await cloud.allocate({
      instance: b,
      region,
      allInstancesInRegion: [secondEviction, b],
      now: at(6 * MINUTE),
    });
    // A list from minute 2 shows the first eviction: a-0 must still count.
    const c = spot('c-0');
    expect(
      (
        await cloud.allocate({
          instance: c,
          region,
          allInstancesInRegion: [firstEviction],
          now: at(7 * MINUTE),
        })
      ).ok,
    ).toBe(false);
  });

  it('keeps regions apart', async () => {
    const cloud = new SimulatedCloud();
    const other = { ...testRegion(), metadata: { name: 'elsewhere' } };
    for (const name of ['a-0', 'a-1']) {
      await cloud.allocate({ instance: spot(name), region, allInstancesInRegion: [], now: T0 });
    }
    expect(
      (await cloud.allocate({ instance: spot('b-0'), region: other, allInstancesInRegion: [], now: T0 })).ok,
    ).toBe(true);
  });
});

describe('SimulatedCloud: other calls', () => {
  it('parses the provisioning delay', () => {
    expect(new SimulatedCloud().provisioningDelayMs(testRegion({ provisioningDelay: '1m30s' }))).toBe(90_000);
  });

  it('counts reservations in the pools it reports to the engine', async () => {
    const cloud = new SimulatedCloud();
    const a = spot('a-0');
    await cloud.allocate({ instance: a, region, allInstancesInRegion: [], now: T0 });
    const pools = await cloud.pools({ region, instances: [a], now: T0 });
    const pool = pools.pools.find(
      (p) => p.vmSize === 'Standard_D2s_v5' && p.zone === '1' && p.priority === 'Spot',
    );
    expect(pool).toMatchObject({ capacity: 2, used: 1, free: 1 });
  });

  it('reports evictions through the pure eviction rules', async () => {
    const cut = testRegion({ capacity: { Standard_D2s_v5: [{ zone: '1', regular: 3, spot: 0 }] } });
    const running = spot('a-0', { phase: 'Running' });
    const changes = await new SimulatedCloud().observe({ region: cut, instances: [running], now: T0 });
    expect(changes.evictions).toEqual([expect.objectContaining({ name: 'a-0', reason: 'CapacityReduced' })]);
  });
});
