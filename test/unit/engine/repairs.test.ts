// Automatic repairs: who is due, batch size, protection, suspension.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { decideRepairs, repairBatchSize, type RepairCandidate } from '../../../src/engine/repairs.ts';

const MIN = 60_000;
const GRACE = 10 * MIN;
const NOW = 100 * MIN;

function vm(name: string, over: Partial<RepairCandidate> = {}): RepairCandidate {
  return {
    name,
    phase: 'Running',
    unhealthy: false,
    healthChangedAt: 0,
    launchedAt: 0,
    protectedFromScaleSetActions: false,
    repairInProgress: false,
    ...over,
  };
}

const sick = (name: string, since: number, over: Partial<RepairCandidate> = {}) =>
  vm(name, { unhealthy: true, healthChangedAt: since, ...over });

test('batch size: 5% of capacity, at least one', () => {
  expect([0, 1, 19, 20, 39, 40, 100, 1000].map(repairBatchSize)).toEqual([1, 1, 1, 1, 1, 2, 5, 50]);
});

test('40 VMs with 6 unhealthy: the two longest unhealthy first', () => {
  const instances = [
    ...Array.from({ length: 34 }, (_, i) => vm(`h-${String(i)}`)),
    ...[5, 1, 3, 2, 6, 4].map((n) => sick(`s-${String(n)}`, n * MIN)),
  ];
  const d = decideRepairs({
    instances,
    capacity: 40,
    gracePeriodMs: GRACE,
    nowMs: NOW,
    suspended: undefined,
  });
  expect(d.batch).toEqual(['s-1', 's-2']);
  expect(d.unhealthy).toBe(6);
});

test('not before the grace period since health changed and since launch', () => {
  const instances = [sick('recent', NOW - GRACE + 1), sick('young', 0, { launchedAt: NOW - 5 * MIN })];
  const d = decideRepairs({
    instances,
    capacity: 10,
    gracePeriodMs: GRACE,
    nowMs: NOW,
    suspended: undefined,
  });
  expect(d.batch).toEqual([]);
  expect(d.nextDueAt).toBe(NOW + 1);
});

test('protected VMs are never repaired; a repair in flight or a suspension holds the next batch', () => {
  const prot = sick('p', 0, { protectedFromScaleSetActions: true });
  const d = decideRepairs({
    instances: [prot],
    capacity: 10,
    gracePeriodMs: GRACE,
    nowMs: NOW,
    suspended: undefined,
  });
  expect(d.batch).toEqual([]);
  expect(d.protectedSkipped).toEqual(['p']);
  const busy = decideRepairs({
    instances: [sick('a', 0, { repairInProgress: true }), sick('b', 0)],
    capacity: 10,
    gracePeriodMs: GRACE,
    nowMs: NOW,
    suspended: undefined,
  });
  expect(busy.batch).toEqual([]);
  expect(busy.suspended).toMatch(/in progress/);
  const scaling = decideRepairs({
    instances: [sick('b', 0)],
    capacity: 10,
    gracePeriodMs: GRACE,
    nowMs: NOW,
    suspended: 'scaling',
  });
  expect(scaling.batch).toEqual([]);
});

test('property: a batch is within 5%, only due unprotected Running Unhealthy VMs, deterministic', () => {
  const arb = fc.array(
    fc.record({
      phase: fc.constantFrom('Running', 'Pending', 'Deallocated'),
      unhealthy: fc.boolean(),
      healthChangedAt: fc.integer({ min: 0, max: NOW }),
      launchedAt: fc.integer({ min: 0, max: NOW }),
      protectedFromScaleSetActions: fc.boolean(),
      repairInProgress: fc.constant(false),
    }),
    { maxLength: 60 },
  );
  fc.assert(
    fc.property(arb, fc.integer({ min: 0, max: 100 }), (records, capacity) => {
      const instances = records.map((r, i) => ({ ...r, name: `vm-${String(i).padStart(3, '0')}` }));
      const input = { instances, capacity, gracePeriodMs: GRACE, nowMs: NOW, suspended: undefined };
      const d = decideRepairs(input);
      expect(d.batch.length).toBeLessThanOrEqual(repairBatchSize(capacity));
      for (const name of d.batch) {
        const c = instances.find((i) => i.name === name);
        expect(c?.phase).toBe('Running');
        expect(c?.unhealthy).toBe(true);
        expect(c?.protectedFromScaleSetActions).toBe(false);
        expect(Math.max(c?.healthChangedAt ?? 0, c?.launchedAt ?? 0) + GRACE).toBeLessThanOrEqual(NOW);
      }
      expect(decideRepairs(input)).toEqual(d);
    }),
  );
});
