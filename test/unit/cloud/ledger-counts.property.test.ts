// Property: the ledger counts the operator keeps from its cache's events are, after any sequence of adds,
// phase changes, deletion marks and deletes (with delete events carrying a state other than the cached
// one), exactly what counting the cache's Instances from scratch gives — and the simulated cloud answers
// pools and allocations the same from the live view as from the plain list.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Instance, InstancePhase, Priority } from '../../../src/api/index.ts';
import {
  LedgerCounts,
  SimulatedCloud,
  instanceKey,
  regionInstances,
  type RegionInstances,
} from '../../../src/cloud/index.ts';
import { T0, testRegion, vm } from './fixtures.ts';

const PHASES: (InstancePhase | undefined)[] = [
  undefined,
  'Pending',
  'Provisioning',
  'Running',
  'Deallocated',
  'Failed',
];

const stepArb = fc.record({
  kind: fc.constantFrom('set' as const, 'set' as const, 'set' as const, 'delete' as const),
  id: fc.nat(11),
  size: fc.constantFrom('Standard_D2s_v5', 'Standard_E4s_v5'),
  zone: fc.constantFrom('', '1', '2'),
  priority: fc.constantFrom<Priority>('Regular', 'Spot'),
  phase: fc.constantFrom(...PHASES),
  deleting: fc.boolean(),
});

/** Counts as sorted rows, pools with nothing counted left out, so two views compare directly. */
function rows(view: RegionInstances): string[] {
  return [...view.counts()]
    .filter((p) => p.capacity !== 0 || p.quota !== 0 || p.requested !== 0)
    .map(
      (p) =>
        `${p.placement.vmSize}/${p.placement.zone}/${p.placement.priority}: ${p.capacity} ${p.quota} ${p.requested}`,
    )
    .sort();
}

describe('LedgerCounts', () => {
  it('equals a recount of the cache after any sequence of events', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), (steps) => {
        const cache = new Map<string, Instance>();
        const counts = new LedgerCounts({
          get: (key) => cache.get(key),
          inRegion: () => [...cache.values()],
        });
        for (const step of steps) {
          const name = `vm-${step.id}`;
          const previous = cache.get(`default/${name}`);
          // The spec of an Instance never changes; a later step for the same name keeps the first one's.
          const instance = vm({
            name,
            size: previous?.spec.vmSize ?? step.size,
            zone: previous?.spec.zone ?? step.zone,
            priority: previous?.spec.priority ?? step.priority,
            ...(step.phase === undefined ? {} : { phase: step.phase }),
            deleting: step.deleting,
          });
          if (step.kind === 'set') {
            cache.set(instanceKey(instance), instance);
            counts.set(instance);
          } else if (previous !== undefined) {
            // The delete event's object is some other state of the Instance than the one cached.
            cache.delete(instanceKey(instance));
            counts.delete(instanceKey(instance));
          }
        }
        expect(rows(counts.region('testland'))).toEqual(rows(regionInstances([...cache.values()])));
      }),
    );
  });

  it('gives the simulated cloud the same pools and allocations as the plain list', async () => {
    const region = testRegion({
      capacity: { Standard_D2s_v5: [{ zone: '1', regular: 3, spot: 2 }] },
      quotas: { regionalVCPUs: 8 },
    });
    const existing = [
      vm({ name: 'a-0', phase: 'Running' }),
      vm({ name: 'a-1', phase: 'Deallocated', priority: 'Spot' }),
      vm({ name: 'a-2', phase: 'Pending' }),
      vm({ name: 'a-3', phase: 'Failed' }),
    ];
    const asking = [vm({ name: 'b-0' }), vm({ name: 'b-1' }), vm({ name: 'b-2', priority: 'Spot' })];
    const all = [...existing, ...asking];
    const cache = new Map(all.map((i) => [instanceKey(i), i]));
    const counts = new LedgerCounts({ get: (key) => cache.get(key), inRegion: () => all });
    for (const instance of all) counts.set(instance);

    const fromList = new SimulatedCloud();
    const fromView = new SimulatedCloud();
    const request = { region, now: T0, instances: asking };
    const listed = await fromList.allocateMany({ ...request, allInstancesInRegion: all });
    const viewed = await fromView.allocateMany({
      ...request,
      allInstancesInRegion: counts.region('testland'),
    });
    expect(viewed).toEqual(listed);
    expect(listed.filter((r) => r.ok)).toHaveLength(2); // 8 regional vCPUs − 4 held (Running, Deallocated) = two D2s
    expect(await fromView.pools({ region, now: T0, instances: counts.region('testland') })).toEqual(
      await fromList.pools({ region, now: T0, instances: all }),
    );
  });
});
