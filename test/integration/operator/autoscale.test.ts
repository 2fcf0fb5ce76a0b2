// Schedule-based autoscale on the real control plane: a profile sets the ScaleSet's capacity (through the
// scale subresource) at its start time, crossed with the operator's adjustable clock; a later manual scale
// stands within the profile's bounds and is clamped outside them; when the profile ends, the default
// capacity applies again.
import { it } from 'vitest';
import { AdjustableClock } from '../../../src/runtime/index.ts';
import { describeCluster, eventually, kubectlOk } from '../cluster.ts';
import { eventsAbout, getGroup, scaleSet, startWithGroup, waitReady, type World } from './support.ts';

const POLL = { timeoutMs: 60_000, intervalMs: 100 };
const SLOW_TEST_MS = 180_000;
const MINUTE = 60_000;

async function autoscaleOf(world: World, name: string) {
  const group = await getGroup(world, 'ScaleSet', name);
  return {
    capacity: group.spec['capacity'] as number,
    autoscale: group.status?.autoscale,
  };
}

/** "HH:MM" in UTC of an instant. */
function hhmm(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

describeCluster('schedule-based autoscale on the real control plane', () => {
  it.concurrent(
    'a profile changes capacity at its start time; manual scaling is clamped to its bounds',
    async ({ expect, onTestFinished }) => {
      const clock = new AdjustableClock();
      // A profile starting at the next full minute 30 minutes from now, for one hour, every day.
      const startAt = Math.ceil((clock.now() + 30 * MINUTE) / MINUTE) * MINUTE;
      const profile = {
        name: 'business',
        capacity: { minimum: 4, default: 5, maximum: 8 },
        recurrence: {
          timeZone: 'UTC',
          days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
          start: hhmm(startAt),
          end: hhmm(startAt + 60 * MINUTE),
        },
      };
      // No profile active: the default capacity applies (its default, 2, set when autoscale first looks).
      const { world } = await startWithGroup(
        { onTestFinished },
        'autoscale',
        (w) =>
          scaleSet(w, 'web', {
            orchestrationMode: 'Uniform',
            vmSize: 'Standard_D2s_v5',
            capacity: 3,
            zones: ['1', '2', '3'],
            autoscale: { profiles: [profile], defaultCapacity: { minimum: 1, default: 2, maximum: 3 } },
          }),
        { operator: { clock }, wait: 2 },
      );
      await eventually(async () => {
        const { autoscale } = await autoscaleOf(world, 'web');
        expect(autoscale?.activeProfile).toBeUndefined();
        expect(autoscale).toMatchObject({ minimum: 1, maximum: 3 });
        expect(Date.parse(autoscale?.nextChangeAt ?? '')).toBe(startAt);
      }, POLL);

      // Nothing happens before the start time …
      clock.advance(startAt - clock.now() - MINUTE);
      expect((await autoscaleOf(world, 'web')).capacity).toBe(2);
      // … and at it the profile's default capacity is set.
      clock.advance(2 * MINUTE);
      await waitReady(world, 'ScaleSet', 'web', 5);
      await eventually(async () => {
        const { capacity, autoscale } = await autoscaleOf(world, 'web');
        expect(capacity).toBe(5);
        expect(autoscale).toMatchObject({ activeProfile: 'business', minimum: 4, maximum: 8 });
        expect(Date.parse(autoscale?.nextChangeAt ?? '')).toBe(startAt + 60 * MINUTE);
      }, POLL);

      // kubectl scale within the bounds stands; above them it is clamped to the maximum.
      await kubectlOk(['scale', 'scaleset', 'web', '-n', world.namespace, '--replicas=7']);
      await waitReady(world, 'ScaleSet', 'web', 7);
      await kubectlOk(['scale', 'scaleset', 'web', '-n', world.namespace, '--replicas=20']);
      await eventually(async () => {
        expect((await autoscaleOf(world, 'web')).capacity).toBe(8);
      }, POLL);
      await waitReady(world, 'ScaleSet', 'web', 8);

      // The profile ends: back to the default capacity's default.
      clock.advance(60 * MINUTE);
      await waitReady(world, 'ScaleSet', 'web', 2);
      const events = await eventsAbout(world, 'ScaleSet', 'web');
      expect(events.filter((e) => e.reason === 'AutoscaleCapacity').length).toBeGreaterThanOrEqual(3);
    },
    SLOW_TEST_MS,
  );
});
