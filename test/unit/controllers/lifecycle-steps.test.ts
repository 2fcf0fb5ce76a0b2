// Schedule autoscale and automatic repairs through the group reconciler, without a cluster
// (support/memory-cluster.ts): a profile's start writes capacity through the scale subresource, and a
// manual scale after it is clamped to the profile's bounds; unhealthy VMs past the grace period are replaced
// in batches of 5 % of capacity (at least 1), protected ones never.
import { describe, expect, test } from 'vitest';
import { INSTANCES } from '../../../src/controllers/resources.ts';
import { NS, scaleSetWorld } from './support/scaleset-world.ts';

const MINUTE = 60_000;

function world(spec: Record<string, unknown>) {
  const w = scaleSetWorld(spec);
  const capacity = () => (w.group().spec as { capacity: number }).capacity;
  return { ...w, capacity };
}

describe('schedule autoscale', () => {
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

  test('a profile sets its default capacity when it starts; a manual scale is then clamped to its bounds', async () => {
    const start = Date.parse('2026-12-03T08:30:00Z');
    const w = world({
      capacity: 3,
      autoscale: {
        profiles: [
          {
            name: 'business',
            capacity: { minimum: 4, default: 5, maximum: 8 },
            recurrence: {
              timeZone: 'UTC',
              days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
              start: hhmm(start),
              end: hhmm(start + 60 * MINUTE),
            },
          },
        ],
      },
    });
    await w.step();
    expect(w.capacity()).toBe(3);
    await w.step(start - w.cluster.clock.now());
    expect(w.capacity()).toBe(5);
    expect(w.cluster.writes).toContain('scale scalesets web');
    w.editSpec((spec) => {
      spec['capacity'] = 20;
    });
    await w.step();
    expect(w.capacity()).toBe(8);
    expect(w.cluster.events.map((e) => e.reason)).toContain('AutoscaleCapacity');
  });
});

describe('automatic repairs', () => {
  test('unhealthy VMs past the grace period are replaced one batch at a time; protected ones stay', async () => {
    const w = world({
      capacity: 20,
      automaticRepairsPolicy: { enabled: true, gracePeriod: '10m', repairAction: 'Replace' },
    });
    await w.step();
    w.cloud();
    await w.step();
    const launched = new Date(w.cluster.clock.now()).toISOString();
    const [guarded, ...sick] = w.live().slice(0, 4);
    for (const vm of [guarded, ...sick]) {
      if (vm === undefined) continue;
      const copy = structuredClone(vm);
      copy.status = {
        ...copy.status,
        phase: 'Running',
        health: 'Unhealthy',
        healthChangedAt: launched,
        launchedAt: launched,
      };
      if (vm === guarded) copy.spec.protection = { fromScaleIn: true, fromScaleSetActions: true };
      await w.cluster.client.patch(
        INSTANCES,
        { namespace: NS, name: vm.metadata.name },
        { type: 'merge', body: copy },
      );
    }
    await w.step(11 * MINUTE);
    const gone = (names: readonly string[]) =>
      names.filter((n) => !w.live().some((i) => i.metadata.name === n));
    const sickNames = sick.map((vm) => vm.metadata.name);
    // 5 % of 20 is one VM a batch.
    expect(gone(sickNames)).toHaveLength(1);
    for (let round = 0; round < 6; round++) {
      w.cloud();
      await w.step(11 * MINUTE);
    }
    expect(gone(sickNames)).toHaveLength(3);
    expect(w.live().map((i) => i.metadata.name)).toContain(guarded?.metadata.name);
    expect(w.cluster.events.map((e) => e.reason)).toContain('RepairingInstances');
  });
});
