// Property: whatever the interleaving of racing allocations, stale Instance lists, status writes,
// evictions, Spot restores and deletions, the VMs the simulated cloud has accepted never exceed a pool's
// capacity (regional VMs included) or any vCPU quota.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Instance, Priority, Region } from '../../../src/api/index.ts';
import { zoneCapacity } from '../../../src/cloud/capacity.ts';
import { instanceKey } from '../../../src/cloud/ledger.ts';
import { quotaLimit, quotaNamesFor } from '../../../src/cloud/quota.ts';
import { SimulatedCloud } from '../../../src/cloud/simulated/provider.ts';
import { T0, at, testRegion, vm } from './fixtures.ts';

const SIZES = ['Standard_D2s_v5', 'Standard_D4s_v5', 'Standard_E4s_v5', 'Standard_B2s'] as const;
const ZONES = ['', '1', '2', '3'] as const;

const smallCapacity = fc.record({ regular: fc.nat(3), spot: fc.nat(3) });

const regionArb = fc
  .record({
    d2: fc.tuple(smallCapacity, smallCapacity, smallCapacity),
    e4: fc.tuple(smallCapacity, smallCapacity),
    regionalVCPUs: fc.option(fc.nat(30), { nil: undefined }),
    spotVCPUs: fc.option(fc.nat(16), { nil: undefined }),
    dsv5: fc.option(fc.nat(20), { nil: undefined }),
  })
  .map(({ d2, e4, regionalVCPUs, spotVCPUs, dsv5 }) =>
    testRegion({
      quotas: {
        ...(regionalVCPUs === undefined ? {} : { regionalVCPUs }),
        ...(spotVCPUs === undefined ? {} : { spotVCPUs }),
        ...(dsv5 === undefined ? {} : { families: { DSv5: dsv5 } }),
      },
      capacity: {
        Standard_D2s_v5: d2.map((c, i) => ({ zone: String(i + 1), ...c })),
        Standard_E4s_v5: e4.map((c, i) => ({ zone: String(i + 2), ...c })),
      },
    }),
  );

const requestArb = fc.record({
  size: fc.constantFrom(...SIZES),
  zone: fc.constantFrom(...ZONES),
  priority: fc.constantFrom<Priority>('Regular', 'Spot'),
});

/** A narrow mix (Spot, one size, two pools): evictions and restores collide with allocations often. */
const spotRequestArb = fc.record({
  size: fc.constant('Standard_D2s_v5'),
  zone: fc.constantFrom('', '1'),
  priority: fc.constant<Priority>('Spot'),
});

const commandArb = (requests: fc.Arbitrary<{ size: string; zone: string; priority: Priority }>) =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('race' as const),
        requests: fc.array(requests, { minLength: 1, maxLength: 4 }),
        lag: fc.nat(8),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('settle' as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('evict' as const), pick: fc.nat() }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('restore' as const), pick: fc.nat(), lag: fc.nat(8) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
  );

type Holding = 'capacity' | 'quota';

/** The Instances the API server holds, what each truly holds in the cloud, and the caches' past views. */
class World {
  readonly api = new Map<string, Instance>();
  readonly holding = new Map<string, Holding>();
  readonly history: Instance[][] = [[]];
  private clock = 0;

  snapshot(lag: number): Instance[] {
    return this.history[Math.max(0, this.history.length - 1 - lag)] ?? [];
  }

  tick(): Date {
    this.clock += 1000;
    return at(this.clock);
  }

  record(): void {
    this.history.push([...this.api.values()]);
  }

  pick(
    pick: number,
    filter: (instance: Instance, holding: Holding | undefined) => boolean,
  ): Instance | undefined {
    const eligible = [...this.api.values()].filter((i) => filter(i, this.holding.get(instanceKey(i))));
    return eligible[pick % Math.max(1, eligible.length)];
  }
}

function assertWithinLimits(region: Region, world: World): void {
  const spec = region.spec;
  const held = [...world.api.values()].filter((i) => world.holding.has(instanceKey(i)));
  for (const size of spec.vmSizes) {
    for (const priority of ['Regular', 'Spot'] as const) {
      const ofPool = held.filter(
        (i) =>
          i.spec.vmSize === size.name &&
          i.spec.priority === priority &&
          world.holding.get(instanceKey(i)) === 'capacity',
      );
      let room = 0;
      for (const zone of spec.zones) {
        const capacity = zoneCapacity(size, zone.name, priority);
        const used = ofPool.filter((i) => i.spec.zone === zone.name).length;
        expect(used, `${size.name} ${zone.name} ${priority}`).toBeLessThanOrEqual(capacity);
        room += capacity - used;
      }
      expect(
        ofPool.filter((i) => i.spec.zone === '').length,
        `${size.name} regional ${priority}`,
      ).toBeLessThanOrEqual(room);
    }
  }
  const used = new Map<string, number>();
  for (const instance of held) {
    const size = spec.vmSizes.find((s) => s.name === instance.spec.vmSize);
    if (!size) continue;
    for (const name of quotaNamesFor(size, instance.spec.priority))
      used.set(name, (used.get(name) ?? 0) + size.vCPUs);
  }
  for (const [name, vCPUs] of used) {
    const limit = quotaLimit(spec, name);
    if (limit !== undefined) expect(vCPUs, name).toBeLessThanOrEqual(limit);
  }
}

describe('the simulated cloud never oversubscribes', () => {
  it.each([
    ['any size, zone and priority', requestArb],
    ['Spot in two tight pools, with evictions and restores', spotRequestArb],
  ])('keeps accepted VMs within capacity and quota: %s', async (_, requests) => {
    await fc.assert(
      fc.asyncProperty(
        regionArb,
        fc.array(commandArb(requests), { maxLength: 40 }),
        async (region, commands) => {
          const cloud = new SimulatedCloud();
          const world = new World();
          let serial = 0;
          for (const command of commands) {
            const now = world.tick();
            switch (command.kind) {
              case 'race': {
                const list = world.snapshot(command.lag);
                const created = command.requests.map((r) => {
                  const name = `vm-${serial++}`;
                  const instance = vm({
                    name,
                    uid: `uid-${name}`,
                    size: r.size,
                    zone: r.zone,
                    priority: r.priority,
                  });
                  world.api.set(instanceKey(instance), instance);
                  return instance;
                });
                const results = await Promise.all(
                  created.map((instance) =>
                    cloud.allocate({ instance, region, allInstancesInRegion: list, now }),
                  ),
                );
                results.forEach((result, i) => {
                  const instance = created[i];
                  if (!instance) return;
                  if (result.ok) world.holding.set(instanceKey(instance), 'capacity');
                  else
                    world.api.set(instanceKey(instance), {
                      ...instance,
                      status: { phase: 'Failed', reason: result.code },
                    });
                });
                break;
              }
              case 'settle': {
                const target = world.pick(
                  command.pick,
                  (i, h) => h === 'capacity' && i.status?.phase !== 'Provisioning',
                );
                if (target)
                  world.api.set(instanceKey(target), {
                    ...target,
                    status: { ...target.status, phase: 'Provisioning' },
                  });
                break;
              }
              case 'evict': {
                const target = world.pick(
                  command.pick,
                  (i, h) =>
                    h === 'capacity' && i.spec.priority === 'Spot' && i.status?.phase === 'Provisioning',
                );
                if (target) {
                  world.api.set(instanceKey(target), {
                    ...target,
                    status: { ...target.status, phase: 'Deallocated', evictedAt: now.toISOString() },
                  });
                  world.holding.set(instanceKey(target), 'quota');
                }
                break;
              }
              case 'restore': {
                const target = world.pick(command.pick, (_, h) => h === 'quota');
                if (target) {
                  const list = world.snapshot(command.lag);
                  const result = await cloud.allocate({
                    instance: target,
                    region,
                    allInstancesInRegion: list,
                    now,
                  });
                  if (result.ok) world.holding.set(instanceKey(target), 'capacity');
                }
                break;
              }
              case 'delete': {
                const target = world.pick(command.pick, () => true);
                if (target) {
                  await cloud.release(target);
                  world.api.delete(instanceKey(target));
                  world.holding.delete(instanceKey(target));
                }
                break;
              }
            }
            world.record();
            assertWithinLimits(region, world);
          }
        },
      ),
      { numRuns: 300, seed: 20300101 },
    );
  });

  it('accepts work when there is room (the property is not satisfied by refusing everything)', async () => {
    const cloud = new SimulatedCloud();
    const region = testRegion();
    const instances = Array.from({ length: 6 }, (_, i) => vm({ name: `vm-${i}`, zone: String((i % 3) + 1) }));
    const results = await Promise.all(
      instances.map((instance) => cloud.allocate({ instance, region, allInstancesInRegion: [], now: T0 })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
  });
});
