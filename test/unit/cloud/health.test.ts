// The simulated cloud's health probe: faults by name or zone, the seeded rate, finishing repairs.
import { describe, expect, test } from 'vitest';
import type { Instance } from '../../../src/api/index.ts';
import { findHealthChanges, type HealthRequest } from '../../../src/cloud/simulated/health.ts';
import { HOUR, MINUTE, T0, at, vm, vms } from './fixtures.ts';

function request(instances: Instance[], over: Partial<HealthRequest> = {}): HealthRequest {
  return {
    simulation: { seed: 1, unhealthyRatePerHour: 0, healthFaults: [] },
    instances,
    now: T0,
    restartDelayMs: 5_000,
    ...over,
  };
}

const running = (name: string, zone = '1') => vm({ name, zone, phase: 'Running', launchedAt: at(-HOUR) });
const withStatus = (i: Instance, status: Partial<NonNullable<Instance['status']>>): Instance => ({
  ...i,
  status: { ...i.status, ...status },
});

describe('health faults', () => {
  test('select Running VMs by name or zone, once; not Pending or deleting ones', () => {
    const instances = [
      running('a-0'),
      running('a-1', '2'),
      running('a-2', '2'),
      vm({ name: 'a-3', zone: '2', phase: 'Provisioning' }),
      vm({ name: 'a-4', zone: '2', phase: 'Running', deleting: true }),
    ];
    const simulation = {
      seed: 1,
      unhealthyRatePerHour: 0,
      healthFaults: [
        { instance: 'a-0', reason: 'ProbeTimeout' },
        { zone: '2', reason: 'ZoneDegraded' },
      ],
    };
    const changes = findHealthChanges(request(instances, { simulation }));
    expect(changes.map((c) => [c.name, c.health, c.reason])).toEqual([
      ['a-0', 'Unhealthy', 'ProbeTimeout'],
      ['a-1', 'Unhealthy', 'ZoneDegraded'],
      ['a-2', 'Unhealthy', 'ZoneDegraded'],
    ]);
    // Already Unhealthy: nothing new. A repaired VM is no longer selected.
    const after = [
      withStatus(instances[0] as Instance, { health: 'Unhealthy', healthReason: 'ProbeTimeout' }),
      withStatus(instances[1] as Instance, { repairedAt: T0.toISOString() }),
    ];
    expect(findHealthChanges(request(after, { simulation }))).toEqual([]);
  });

  test('an Unhealthy VM whose fault is gone recovers; a random failure does not', () => {
    const faulted = withStatus(running('b-0'), { health: 'Unhealthy', healthReason: 'ProbeTimeout' });
    const random = withStatus(running('b-1'), { health: 'Unhealthy', healthReason: 'RandomHealthFailure' });
    const changes = findHealthChanges(request([faulted, random]));
    expect(changes.map((c) => [c.name, c.health, c.reason])).toEqual([['b-0', 'Healthy', 'FaultCleared']]);
  });
});

test('a restart finishes after the delay: Healthy, Restarted, repair completed', () => {
  const restarting = withStatus(running('c-0'), {
    health: 'Unhealthy',
    repair: { action: 'Restart', requestedAt: at(-4_000).toISOString() },
  });
  expect(findHealthChanges(request([restarting]))).toEqual([]);
  const later = findHealthChanges(request([restarting], { now: at(1_000) }));
  expect(later).toEqual([
    {
      namespace: 'default',
      name: 'c-0',
      health: 'Healthy',
      reason: 'Restarted',
      at: at(1_000),
      repairCompleted: true,
    },
  ]);
});

test('the random rate is seeded and independent of how often it is evaluated', () => {
  const fleet = vms('d', 200, { phase: 'Running', launchedAt: at(-HOUR) });
  const simulation = { seed: 7, unhealthyRatePerHour: 0.1, healthFaults: [] };
  const once = findHealthChanges(request(fleet, { simulation, lastEvaluatedAt: T0, now: at(2 * HOUR) }));
  const stepwise: string[] = [];
  for (let m = 0; m < 120; m += 10) {
    const changes = findHealthChanges(
      request(fleet, { simulation, lastEvaluatedAt: at(m * MINUTE), now: at((m + 10) * MINUTE) }),
    );
    stepwise.push(...changes.map((c) => c.name));
  }
  expect(once.length).toBeGreaterThan(10);
  expect(once.length).toBeLessThan(70);
  expect(once.map((c) => c.name).sort()).toEqual([...new Set(stepwise)].sort());
  expect(findHealthChanges(request(fleet, { simulation }))).toEqual([]); // nothing to draw over
});
