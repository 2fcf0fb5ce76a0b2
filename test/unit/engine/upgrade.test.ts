// Upgrade decisions: Automatic replaces every stale VM, Manual only what is asked for (once per upgrade-all
// value), Rolling in batches that keep zones within 1, with surge, pauses, unhealthy-first and the limits.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  batchSizeOf,
  findBreach,
  upgradeStep,
  type RollingPolicy,
  type UpgradeInput,
  type UpgradeInstance,
  type UpgradeMemory,
  type UpgradeStep,
} from '../../../src/engine/upgrade.ts';

const policy = (over: Partial<RollingPolicy> = {}): RollingPolicy => ({
  maxBatchInstancePercent: 20,
  maxUnhealthyInstancePercent: 20,
  maxUnhealthyUpgradedInstancePercent: 20,
  pauseTimeBetweenBatchesMs: 0,
  maxSurge: false,
  prioritizeUnhealthyInstances: false,
  ...over,
});

const vm = (id: number, zone: string, over: Partial<UpgradeInstance> = {}): UpgradeInstance => ({
  id,
  name: `web-${id}`,
  zone,
  faultDomain: id % 3,
  phase: 'Running',
  healthy: true,
  upToDate: false,
  protected: false,
  upgradeRequested: false,
  ...over,
});

/** n stale VMs spread round-robin over zones, as the placement leaves them. */
const fleet = (n: number, zones: readonly string[]) =>
  Array.from({ length: n }, (_, i) => vm(i, zones[i % zones.length] ?? ''));

const base = (over: Partial<UpgradeInput>): UpgradeInput => ({
  mode: 'Rolling',
  rolling: policy(),
  capacity: 20,
  targetModelHash: 'new',
  instances: [],
  memory: undefined,
  upgradeAll: undefined,
  now: 0,
  ...over,
});

const zoneSkew = (instances: readonly UpgradeInstance[], zones: readonly string[]) => {
  const counts = zones.map((z) => instances.filter((i) => i.zone === z).length);
  return Math.max(...counts) - Math.min(...counts);
};

interface Simulation {
  batchesCompleted: number[];
  maxSkew: number;
  steps: number;
  final: readonly UpgradeInstance[];
  last: UpgradeStep;
}

/**
 * Drives steps the way the operator does: delete the replacements one after the other, then the placement
 * creates new-model VMs in the zone with the fewest (ties: name), which boot at once. Skew is sampled after
 * every single delete and after every subset of the creates (they go out concurrently).
 */
function simulate(input: UpgradeInput, zones: readonly string[], maxSteps = 500): Simulation {
  let instances = [...input.instances];
  let memory: UpgradeMemory | undefined = input.memory;
  let now = input.now;
  let nextId = Math.max(0, ...instances.map((i) => i.id)) + 1;
  const batchesCompleted: number[] = [];
  let maxSkew = zoneSkew(instances, zones);
  let last: UpgradeStep | undefined;
  for (let steps = 1; steps <= maxSteps; steps++) {
    const step = upgradeStep({ ...input, instances, memory, now });
    last = step;
    memory = step.memory;
    if (step.batchCompleted !== undefined) batchesCompleted.push(step.batchCompleted);
    for (const r of step.replace) {
      instances = instances.filter((i) => i.id !== r.id);
      maxSkew = Math.max(maxSkew, zoneSkew(instances, zones));
    }
    const wanted = input.capacity + step.surge;
    // Above the target (a surge ended): the placement scales in the newest VM of the fullest zone.
    while (instances.length > wanted) {
      const fullest = [...zones].sort(
        (a, b) =>
          instances.filter((i) => i.zone === b).length - instances.filter((i) => i.zone === a).length ||
          a.localeCompare(b),
      )[0];
      const newest = instances.filter((i) => i.zone === fullest).sort((a, b) => b.id - a.id)[0];
      instances = instances.filter((i) => i !== newest);
      maxSkew = Math.max(maxSkew, zoneSkew(instances, zones));
    }
    const creates: UpgradeInstance[] = [];
    const counts = new Map(zones.map((z) => [z, instances.filter((i) => i.zone === z).length]));
    while (instances.length + creates.length < wanted) {
      const zone =
        [...zones].sort((a, b) => (counts.get(a) ?? 0) - (counts.get(b) ?? 0) || a.localeCompare(b))[0] ?? '';
      counts.set(zone, (counts.get(zone) ?? 0) + 1);
      creates.push(vm(nextId++, zone, { upToDate: true }));
    }
    // Every subset of the concurrent creates may be what a poll sees.
    for (let mask = 0; mask < 1 << Math.min(creates.length, 10); mask++) {
      const seen = creates.filter((_, n) => (mask & (1 << n)) !== 0);
      maxSkew = Math.max(maxSkew, zoneSkew([...instances, ...seen], zones));
    }
    instances = [...instances, ...creates];
    now += step.waitMs ?? 1_000;
    if (step.progress.phase === 'Completed' && step.replace.length === 0 && creates.length === 0) {
      return { batchesCompleted, maxSkew, steps, final: instances, last: step };
    }
  }
  throw new Error(`no completion in ${maxSteps} steps: ${JSON.stringify(last?.progress)}`);
}

describe('Rolling', () => {
  test('20 VMs over 3 zones at 20%: 5 batches of 4, zones never more than 1 apart', () => {
    const zones = ['1', '2', '3'];
    const result = simulate(base({ instances: fleet(20, zones) }), zones);
    expect(result.batchesCompleted).toEqual([1, 2, 3, 4, 5]);
    expect(result.maxSkew).toBeLessThanOrEqual(1);
    expect(result.final.every((i) => i.upToDate)).toBe(true);
    expect(result.last.progress).toMatchObject({
      phase: 'Completed',
      successful: 20,
      pending: 0,
      currentBatch: 5,
      totalBatches: 5,
    });
  });

  test('the first step opens batch 1 of 5 and takes one VM from each fullest zone', () => {
    const step = upgradeStep(base({ instances: fleet(20, ['1', '2', '3']) }));
    // 7/7/6: zones 1 and 2 are fullest.
    expect(step.replace.map((r) => r.name)).toEqual(['web-0', 'web-1']);
    expect(step.progress).toMatchObject({ currentBatch: 1, totalBatches: 5, batchSize: 4, pending: 18 });
  });

  test('waits for the replacements to run and be healthy before the next round', () => {
    const instances = [...fleet(18, ['1', '2', '3']), vm(30, '1', { upToDate: true, phase: 'Provisioning' })];
    const memory: UpgradeMemory = {
      targetModelHash: 'new',
      currentBatch: 1,
      batchOpen: true,
      batchReplaced: 2,
      surge: 0,
    };
    expect(upgradeStep(base({ instances, memory })).replace).toEqual([]);
  });

  test('pauseTimeBetweenBatches: the next batch waits, with the time left to wait', () => {
    const instances = [
      ...fleet(16, ['1', '2', '3']),
      ...[20, 21, 22, 23].map((id) => vm(id, String((id % 3) + 1), { upToDate: true })),
    ];
    const memory: UpgradeMemory = {
      targetModelHash: 'new',
      currentBatch: 1,
      batchOpen: true,
      batchReplaced: 4,
      surge: 0,
    };
    const rolling = policy({ pauseTimeBetweenBatchesMs: 60_000 });
    const first = upgradeStep(base({ instances, memory, rolling, now: 1_000 }));
    expect(first.batchCompleted).toBe(1);
    expect(first.replace).toEqual([]);
    expect(first.waitMs).toBe(60_000);
    const early = upgradeStep(base({ instances, memory: first.memory, rolling, now: 31_000 }));
    expect(early.waitMs).toBe(30_000);
    const later = upgradeStep(base({ instances, memory: first.memory, rolling, now: 61_000 }));
    expect(later.replace.length).toBeGreaterThan(0);
    expect(later.progress.currentBatch).toBe(2);
  });

  test('maxSurge: extra VMs first, the stale ones deleted once those run', () => {
    const zones = ['1', '2', '3'];
    const instances = fleet(6, zones);
    const rolling = policy({ maxSurge: true, maxBatchInstancePercent: 50 });
    const first = upgradeStep(base({ capacity: 6, instances, rolling }));
    expect(first.replace).toEqual([]);
    expect(first.surge).toBe(3);
    const surged = [
      ...instances,
      vm(10, '1', { upToDate: true }),
      vm(11, '2', { upToDate: true }),
      vm(12, '3', { upToDate: true }),
    ];
    const second = upgradeStep(base({ capacity: 6, instances: surged, rolling, memory: first.memory }));
    expect(second.replace).toHaveLength(3);
    expect(second.surge).toBe(0);
    const result = simulate(base({ capacity: 6, instances, rolling }), zones);
    expect(result.maxSkew).toBeLessThanOrEqual(1);
    expect(result.final).toHaveLength(6);
  });

  test('prioritizeUnhealthyInstances: unhealthy stale VMs go first', () => {
    const instances = fleet(10, ['1', '2']).map((i) => (i.id === 7 ? { ...i, healthy: false } : i));
    const rolling = policy({ prioritizeUnhealthyInstances: true });
    const step = upgradeStep(base({ capacity: 10, instances, rolling }));
    expect(step.replace.map((r) => r.id)).toEqual([7]);
    const plain = upgradeStep(base({ capacity: 10, instances }));
    expect(plain.replace.map((r) => r.id)).not.toContain(7);
  });

  test('a breach of maxUnhealthyUpgradedInstancePercent stops the rollout, naming the limit and figures', () => {
    const instances = [
      ...fleet(8, ['1', '2']),
      vm(20, '1', { upToDate: true, healthy: false }),
      vm(21, '2', { upToDate: true }),
    ];
    const step = upgradeStep(base({ capacity: 10, instances }));
    expect(step.replace).toEqual([]);
    expect(step.progress.phase).toBe('Paused');
    expect(step.breach?.limit).toBe('maxUnhealthyUpgradedInstancePercent');
    expect(step.breach?.message).toContain('1 of 2 upgraded instances unhealthy (50%)');
    // Healthy again: it resumes.
    const healed = instances.map((i) => ({ ...i, healthy: true }));
    expect(
      upgradeStep(base({ capacity: 10, instances: healed, memory: step.memory })).replace.length,
    ).toBeGreaterThan(0);
  });

  test('no rollout, no breach: a set with nothing stale and failed allocations stays Completed', () => {
    // A plain scale-out whose new VMs failed to allocate: 4 of 10 unhealthy, all on the current model.
    const instances = Array.from({ length: 10 }, (_, i) =>
      vm(i, i % 2 === 0 ? '1' : '2', {
        upToDate: true,
        ...(i < 4 ? { phase: 'Failed' as const, healthy: false } : {}),
      }),
    );
    const step = upgradeStep(base({ capacity: 10, instances }));
    expect(step.breach).toBeUndefined();
    expect(step.progress.phase).toBe('Completed');
    expect(step.replace).toEqual([]);
  });

  test('a breach of maxUnhealthyInstancePercent counts every instance', () => {
    const instances = fleet(10, ['1']).map((i) => (i.id < 3 ? { ...i, healthy: false } : i));
    expect(findBreach(instances, policy())?.limit).toBe('maxUnhealthyInstancePercent');
    expect(findBreach(instances, policy({ maxUnhealthyInstancePercent: 30 }))).toBeUndefined();
  });

  test('batch size is ceil(percent of capacity), at least 1', () => {
    expect(batchSizeOf(policy(), 20)).toBe(4);
    expect(batchSizeOf(policy(), 21)).toBe(5);
    expect(batchSizeOf(policy({ maxBatchInstancePercent: 5 }), 3)).toBe(1);
  });

  test('a new target model starts a new rollout from batch 1', () => {
    const memory: UpgradeMemory = {
      targetModelHash: 'old',
      currentBatch: 3,
      batchOpen: false,
      batchReplaced: 0,
      surge: 0,
    };
    const step = upgradeStep(base({ instances: fleet(20, ['1', '2', '3']), memory }));
    expect(step.memory.targetModelHash).toBe('new');
    expect(step.progress.currentBatch).toBe(1);
  });
});

describe('Automatic', () => {
  test('replaces every stale VM at once, never a protected one, and says which stay stale', () => {
    const instances = fleet(6, ['1', '2']).map((i) => (i.id === 2 ? { ...i, protected: true } : i));
    const step = upgradeStep(base({ mode: 'Automatic', capacity: 6, instances }));
    expect(step.replace.map((r) => r.id)).toEqual([0, 1, 3, 4, 5]);
    expect(step.progress.protectedStale).toEqual(['web-2']);
  });

  test('nothing stale: Completed', () => {
    const instances = fleet(3, ['1']).map((i) => ({ ...i, upToDate: true }));
    expect(upgradeStep(base({ mode: 'Automatic', capacity: 3, instances })).progress.phase).toBe('Completed');
  });

  test('the round stays open until the replacements run, then Completed', () => {
    const stale = fleet(2, ['1']);
    const first = upgradeStep(base({ mode: 'Automatic', capacity: 2, instances: stale }));
    expect(first.progress.phase).toBe('RollingForward');
    const booting = [vm(5, '1', { upToDate: true, phase: 'Pending' })];
    const second = upgradeStep(
      base({ mode: 'Automatic', capacity: 2, instances: booting, memory: first.memory }),
    );
    expect(second.progress).toMatchObject({ phase: 'RollingForward', inProgress: 2 });
    const up = [vm(5, '1', { upToDate: true }), vm(6, '1', { upToDate: true })];
    const third = upgradeStep(base({ mode: 'Automatic', capacity: 2, instances: up, memory: second.memory }));
    expect(third.progress).toMatchObject({ phase: 'Completed', successful: 2, inProgress: 0 });
  });
});

describe('a set short of capacity with nothing stale is not upgrading', () => {
  // 180 of 400 up to date (no room for more, or a scale-out booting): the shortfall is the placement's.
  const short = [
    ...Array.from({ length: 180 }, (_, i) => vm(i, String(i % 3), { upToDate: true })),
    vm(180, '1', { upToDate: true, phase: 'Pending' }),
  ];
  test.each(['Automatic', 'Manual', 'Rolling'] as const)('%s: Completed, nothing in progress', (mode) => {
    const step = upgradeStep(base({ mode, capacity: 400, instances: short }));
    expect(step.replace).toEqual([]);
    expect(step.progress).toMatchObject({ phase: 'Completed', successful: 180, inProgress: 0, pending: 0 });
  });
});

describe('Manual', () => {
  test('lists the stale VMs and replaces only the ones asked for', () => {
    const instances = fleet(4, ['1']).map((i) => (i.id === 1 ? { ...i, upgradeRequested: true } : i));
    const step = upgradeStep(base({ mode: 'Manual', capacity: 4, instances }));
    expect(step.replace.map((r) => r.name)).toEqual(['web-1']);
    expect(step.progress.manualPending).toEqual(['web-0', 'web-2', 'web-3']);
    expect(step.progress.phase).toBe('ManualUpgradePending');
  });

  test('upgrade-all fires once per value', () => {
    const instances = fleet(4, ['1']);
    const first = upgradeStep(base({ mode: 'Manual', capacity: 4, instances, upgradeAll: 'a' }));
    expect(first.replace).toHaveLength(4);
    const again = upgradeStep(
      base({ mode: 'Manual', capacity: 4, instances, upgradeAll: 'a', memory: first.memory }),
    );
    expect(again.replace).toHaveLength(0);
    const next = upgradeStep(
      base({ mode: 'Manual', capacity: 4, instances, upgradeAll: 'b', memory: again.memory }),
    );
    expect(next.replace).toHaveLength(4);
  });

  test('a request on a protected VM is not honoured', () => {
    const instances = [vm(0, '1', { protected: true, upgradeRequested: true })];
    const step = upgradeStep(base({ mode: 'Manual', capacity: 1, instances, upgradeAll: 'x' }));
    expect(step.replace).toEqual([]);
    expect(step.progress.protectedStale).toEqual(['web-0']);
  });
});

describe('properties', () => {
  const scenario = fc.record({
    zones: fc.integer({ min: 1, max: 3 }),
    capacity: fc.integer({ min: 1, max: 30 }),
    percent: fc.integer({ min: 5, max: 100 }),
    protectedMask: fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
    freshMask: fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
    maxSurge: fc.boolean(),
    mode: fc.constantFrom('Automatic' as const, 'Manual' as const, 'Rolling' as const),
  });

  test('never replaces a protected or up-to-date VM; a Rolling step stays within its batch', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const zones = ['1', '2', '3'].slice(0, s.zones);
        const instances = fleet(s.capacity, zones).map((i) => ({
          ...i,
          protected: s.protectedMask[i.id] ?? false,
          upToDate: s.freshMask[i.id] ?? false,
          upgradeRequested: true,
        }));
        const rolling = policy({ maxBatchInstancePercent: s.percent, maxSurge: s.maxSurge });
        const step = upgradeStep(
          base({ mode: s.mode, capacity: s.capacity, instances, rolling, upgradeAll: 'go' }),
        );
        const byId = new Map(instances.map((i) => [i.id, i]));
        for (const r of step.replace) {
          const i = byId.get(r.id);
          expect(i?.protected).toBe(false);
          expect(i?.upToDate).toBe(false);
        }
        if (s.mode === 'Rolling') {
          expect(step.replace.length + step.surge).toBeLessThanOrEqual(batchSizeOf(rolling, s.capacity));
        }
        // Deterministic.
        expect(
          upgradeStep(base({ mode: s.mode, capacity: s.capacity, instances, rolling, upgradeAll: 'go' })),
        ).toEqual(step);
      }),
      { seed: 8, numRuns: 300 },
    );
  });

  test('a Rolling upgrade of a balanced set completes, upgrades all unprotected VMs, and keeps skew ≤ 1', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const zones = ['1', '2', '3'].slice(0, s.zones);
        const instances = fleet(s.capacity, zones).map((i) => ({
          ...i,
          protected: s.protectedMask[i.id] ?? false,
        }));
        const rolling = policy({ maxBatchInstancePercent: s.percent, maxSurge: s.maxSurge });
        const result = simulate(base({ capacity: s.capacity, instances, rolling }), zones);
        // Without maxSurge the rounds keep zones within 1 at every moment; maxSurge follows the batch size
        // and may, when the extra VMs land beside no stale one, open a gap of 2 until the re-create.
        const even = !s.maxSurge;
        expect(result.maxSkew).toBeLessThanOrEqual(even ? 1 : 2);
        expect(result.final.filter((i) => !i.upToDate).every((i) => i.protected)).toBe(true);
        expect(result.final).toHaveLength(s.capacity);
        const unprotected = instances.filter((i) => !i.protected).length;
        expect(result.batchesCompleted.length).toBe(
          unprotected === 0 ? 0 : Math.ceil(unprotected / batchSizeOf(rolling, s.capacity)),
        );
      }),
      { seed: 88, numRuns: 300 },
    );
  });
});
