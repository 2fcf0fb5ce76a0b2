// Optimality against a real solver. For random regions (capacities, prices, vCPU sizes, families, an
// unavailable zone, current instances) with regional / family / Spot quotas and zone rules, the engine's
// plan must cost exactly what HiGHS finds optimal for the same problem, and must report a shortfall exactly
// when HiGHS finds the full target infeasible.
//
// The MIP here is written independently of the engine's model builder, straight from the instance:
//   x_p ∈ {0, …, free_p} per pool; Σ_P x_p = need_P (VM) or Σ_P vCPU_p x_p ≥ need_P (VCpu);
//   quotas (regional: both priorities; Spot: Spot pools; family: Regular pools);
//   strict balance: n_z − n_z' ≤ 1 for every pair of zones;
// then lexicographic stages — Prioritized zones: maximise what lands in the zones of rank ≤ r, for each rank
// boundary r (with VCpu capped at each target: what those zones cover of it); VCpu: the tightest cover
// (minimise the vCPUs placed); best-effort balance: maximise the sum of the k smallest zone totals,
// k = 1…Z−1 (leximin; zone totals in vCPUs with VCpu); Prioritized sizes: for each rank boundary r, minimise
// the units placed at ranks above r (rank 0 first, lexicographically); and finally minimise the price.
// Prices range from a cent to 1,000 $/h, the API's bound.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { plan } from '../../../src/engine/index.ts';
import type {
  ComputeFleetGroupSpec,
  CurrentInstance,
  GroupSpec,
  PlanInput,
  PoolInfo,
  Priority,
  QuotaHeadroom,
  SizeInfo,
} from '../../../src/engine/types.ts';
import { highs } from './support/highs.ts';
import { fleet, NOW, scaleSet } from './support/fixtures.ts';

type Policy = 'Regional' | 'Strict' | 'Balanced' | 'PrioritizedZones';

interface Instance {
  readonly policy: Policy;
  readonly unit: 'VM' | 'VCpu';
  readonly priorities: readonly Priority[];
  readonly strategy: 'LowestPrice' | 'Prioritized';
  readonly zones: readonly string[];
  readonly unavailableZone: string | undefined;
  readonly zoneRanks: readonly number[];
  readonly sizes: readonly SizeInfo[];
  readonly ranks: readonly number[];
  readonly pools: readonly PoolInfo[];
  readonly quota: QuotaHeadroom;
  readonly current: readonly number[];
  readonly needs: Readonly<Record<Priority, number>>;
}

// No B-series name: those are never Spot, which is tested elsewhere.
const SIZE_NAMES = ['Standard_A1', 'Standard_E2', 'Standard_C4', 'Standard_D8'];

/**
 * Mixed: every policy, small targets. VCpuBalanced: the hard case of issue #14 — VCpu fleets over 3 Balanced
 * zones with sizes of 1–16 vCPUs and targets up to 96 vCPUs per priority.
 */
const instanceArbitrary = (shape: 'Mixed' | 'VCpuBalanced'): fc.Arbitrary<Instance> =>
  fc
    .record({
      policy:
        shape === 'Mixed'
          ? fc.constantFrom<Policy>('Regional', 'Strict', 'Balanced', 'Balanced', 'PrioritizedZones')
          : fc.constant<Policy>('Balanced'),
      zoneCount: shape === 'Mixed' ? fc.integer({ min: 2, max: 3 }) : fc.constant(3),
      vCpuUnit: shape === 'Mixed' ? fc.boolean() : fc.constant(true),
      priorities: fc.constantFrom<Priority[]>(['Regular'], ['Spot'], ['Regular', 'Spot']),
      strategy: fc.constantFrom<'LowestPrice' | 'Prioritized'>('LowestPrice', 'Prioritized'),
      unavailable: fc.integer({ min: 0, max: 5 }),
      zoneRanks: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 3, maxLength: 3 }),
      sizeCount: fc.integer({ min: 1, max: 4 }),
      vCPUs: fc.array(shape === 'Mixed' ? fc.constantFrom(1, 2, 4, 8) : fc.constantFrom(1, 2, 4, 8, 16), {
        minLength: 4,
        maxLength: 4,
      }),
      // VCpuBalanced: one family, so a family quota bounds the Regular total (a quota over some sizes only cuts
      // across zones and goes to branch and bound, which the mixed instances cover).
      families: fc.array(shape === 'Mixed' ? fc.constantFrom('F1', 'F2') : fc.constant('F1'), {
        minLength: 4,
        maxLength: 4,
      }),
      ranks: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
      // Hundred-thousandths of a dollar per hour: a cent to 1,000 $/h, spread over the orders of magnitude.
      prices: fc.array(
        fc.oneof(
          fc.integer({ min: 1_000, max: 90_000 }),
          fc.integer({ min: 1_000, max: 100_000_000 }),
          fc.integer({ min: 90_000_000, max: 100_000_000 }),
        ),
        { minLength: 24, maxLength: 24 },
      ),
      free: fc.array(fc.integer({ min: 0, max: shape === 'Mixed' ? 7 : 24 }), {
        minLength: 24,
        maxLength: 24,
      }),
      current: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 3, maxLength: 3 }),
      needs: fc.array(fc.integer({ min: 1, max: shape === 'Mixed' ? 14 : 96 }), {
        minLength: 2,
        maxLength: 2,
      }),
      regional: fc.option(fc.integer({ min: 4, max: shape === 'Mixed' ? 60 : 240 }), { nil: undefined }),
      spot: fc.option(fc.integer({ min: 4, max: shape === 'Mixed' ? 40 : 160 }), { nil: undefined }),
      family: fc.option(fc.integer({ min: 2, max: shape === 'Mixed' ? 30 : 160 }), { nil: undefined }),
    })
    .map((r): Instance => {
      const policy = r.policy;
      const unit = r.vCpuUnit && policy !== 'Strict' ? 'VCpu' : 'VM';
      const zones = policy === 'Regional' ? [''] : ['1', '2', '3'].slice(0, r.zoneCount);
      const sizes = SIZE_NAMES.slice(0, r.sizeCount).map((name, i) => ({
        name,
        family: r.families[i] ?? 'F1',
        vCPUs: r.vCPUs[i] ?? 1,
        memoryGiB: 4,
        architecture: 'x64' as const,
        category: 'GeneralPurpose',
        burstable: false,
        spotCapable: true,
      }));
      const pools: PoolInfo[] = [];
      let n = 0;
      for (const priority of ['Regular', 'Spot'] as const) {
        for (const zone of zones) {
          for (const size of sizes) {
            pools.push({
              size: size.name,
              zone,
              priority,
              pricePerHour: (r.prices[n] ?? 1000) / 100_000,
              free: r.free[n] ?? 0,
            });
            n++;
          }
        }
      }
      const unavailableZone =
        policy !== 'Regional' && r.unavailable < zones.length ? zones[r.unavailable] : undefined;
      return {
        policy,
        unit,
        priorities: policy === 'Strict' ? r.priorities.slice(0, 1) : r.priorities,
        strategy: r.strategy,
        zones,
        unavailableZone,
        zoneRanks: r.zoneRanks,
        sizes,
        ranks: r.ranks,
        pools,
        quota: {
          regionalVCpus: r.regional,
          spotVCpus: r.spot,
          familyVCpus: r.family === undefined ? undefined : { F1: r.family },
        },
        current: zones.map((_, i) => r.current[i] ?? 0),
        needs: { Regular: r.needs[0] ?? 1, Spot: r.needs[1] ?? 1 },
      };
    });

// ------------------------------------------------------------------------------------------------------
// The engine's side.

/**
 * Strict balance, and best-effort balance of one priority in VMs, are ScaleSets; everything else (VCpu
 * included) a ComputeFleet.
 */
function isScaleSet(instance: Instance): boolean {
  return (
    instance.policy === 'Strict' ||
    (instance.policy === 'Balanced' && instance.priorities.length === 1 && instance.unit === 'VM')
  );
}

function engineInput(instance: Instance): PlanInput {
  const sizeList = {
    kind: 'List' as const,
    sizes: instance.sizes.map((s, i) => ({ name: s.name, rank: instance.ranks[i] ?? 0 })),
  };
  const currentPriority = (i: number): Priority =>
    instance.priorities[i % instance.priorities.length] ?? 'Regular';
  const current: CurrentInstance[] = [];
  let id = 1;
  instance.zones.forEach((zone, z) => {
    for (let i = 0; i < (instance.current[z] ?? 0); i++) {
      current.push({
        id: id++,
        size: instance.sizes[0]?.name ?? SIZE_NAMES[0] ?? '',
        zone,
        faultDomain: 0,
        priority: currentPriority(i),
        phase: 'Running',
        protectedFromScaleIn: false,
        protectedFromScaleSetActions: false,
        modelHash: 'm1',
      });
    }
  });
  const unitsEach = instance.unit === 'VCpu' ? (instance.sizes[0]?.vCPUs ?? 1) : 1;
  const held = (priority: Priority) => current.filter((c) => c.priority === priority).length * unitsEach;
  const capacity = (priority: Priority) => held(priority) + instance.needs[priority];
  let spec: GroupSpec;
  const zones = instance.policy === 'Regional' ? [] : instance.zones;
  if (isScaleSet(instance)) {
    const priority = instance.priorities[0] ?? 'Regular';
    spec = scaleSet({
      zones,
      zonePolicy: { kind: 'Balanced', strict: instance.policy === 'Strict' },
      sizes: sizeList,
      capacity: capacity(priority),
      priority,
      allocationStrategy: instance.strategy,
      spotMaxPricePerHour: 1000,
      limits: { maxInstances: 10_000, maxSizes: 5 },
    });
  } else {
    const wants = (priority: Priority) => instance.priorities.includes(priority);
    const fleetSpec: ComputeFleetGroupSpec = fleet({
      zones,
      zonePolicy:
        instance.policy === 'PrioritizedZones'
          ? {
              kind: 'Prioritized',
              ranks: instance.zones.map((zone, i) => ({ zone, rank: instance.zoneRanks[i] ?? 0 })),
            }
          : { kind: 'Balanced', strict: false },
      sizes: sizeList,
      capacityUnit: instance.unit,
      regular: wants('Regular')
        ? { capacity: capacity('Regular'), minCapacity: 0, allocationStrategy: instance.strategy }
        : undefined,
      spot: wants('Spot')
        ? {
            capacity: capacity('Spot'),
            minCapacity: 0,
            allocationStrategy: 'LowestPrice',
            maintain: true,
            lostToEviction: 0,
          }
        : undefined,
    });
    spec = fleetSpec;
  }
  return {
    spec,
    region: {
      zones: instance.zones.map((name) => ({
        name,
        faultDomains: 3,
        available: name !== instance.unavailableZone,
      })),
      sizes: instance.sizes,
      pools: instance.pools,
      quota: instance.quota,
    },
    current,
    unavailable: [],
    now: NOW,
  };
}

// ------------------------------------------------------------------------------------------------------
// The reference side: the MIP as LP text, solved stage by stage.

interface Column {
  readonly name: string;
  readonly pool: PoolInfo;
  readonly size: SizeInfo;
  readonly rank: number;
}

function sum(terms: readonly (readonly [number, string])[]): string {
  if (terms.length === 0) return '0 zero';
  return terms.map(([c, v], i) => `${c < 0 ? '-' : i === 0 ? '' : '+'} ${Math.abs(c)} ${v}`).join(' ');
}

type Reference = { feasible: false } | { feasible: true; costMicros: number };

async function reference(instance: Instance): Promise<Reference> {
  const solver = await highs();
  const columns: Column[] = [];
  instance.pools.forEach((pool, i) => {
    const size = instance.sizes.find((s) => s.name === pool.size);
    if (!size || !instance.priorities.includes(pool.priority)) return;
    if (pool.zone === instance.unavailableZone || pool.free <= 0) return;
    const rank = instance.ranks[instance.sizes.indexOf(size)] ?? 0;
    columns.push({ name: `x${i}`, pool, size, rank });
  });
  const rows: string[] = [];
  const bounds: string[] = ['zero = 0'];
  const generals: string[] = columns.map((c) => c.name);
  for (const c of columns) bounds.push(`0 <= ${c.name} <= ${c.pool.free}`);
  for (const priority of instance.priorities) {
    const own = columns.filter((c) => c.pool.priority === priority);
    if (instance.unit === 'VM')
      rows.push(`${sum(own.map((c) => [1, c.name]))} = ${instance.needs[priority]}`);
    else rows.push(`${sum(own.map((c) => [c.size.vCPUs, c.name]))} >= ${instance.needs[priority]}`);
  }
  const quota = (members: Column[], limit: number | undefined) => {
    if (limit !== undefined && members.length > 0) {
      rows.push(`${sum(members.map((c) => [c.size.vCPUs, c.name]))} <= ${limit}`);
    }
  };
  quota(columns, instance.quota.regionalVCpus);
  quota(
    columns.filter((c) => c.pool.priority === 'Spot'),
    instance.quota.spotVCpus,
  );
  quota(
    columns.filter((c) => c.pool.priority === 'Regular' && c.size.family === 'F1'),
    instance.quota.familyVCpus?.F1,
  );
  // Zone totals count VMs, or vCPUs with VCpu (the current instances are all of the first size).
  const measure = (c: Column) => (instance.unit === 'VCpu' ? c.size.vCPUs : 1);
  const unitsEach = instance.unit === 'VCpu' ? (instance.sizes[0]?.vCPUs ?? 1) : 1;
  const zoneTerms = (zone: string): [number, string][] =>
    columns.filter((c) => c.pool.zone === zone).map((c) => [measure(c), c.name]);
  const currentOf = (zone: string) => (instance.current[instance.zones.indexOf(zone)] ?? 0) * unitsEach;
  if (instance.policy === 'Strict') {
    for (const a of instance.zones) {
      for (const b of instance.zones) {
        if (a === b) continue;
        const terms = [...zoneTerms(a), ...zoneTerms(b).map(([c, v]): [number, string] => [-c, v])];
        rows.push(`${sum(terms)} <= ${1 - currentOf(a) + currentOf(b)}`);
      }
    }
  }

  const solve = (sense: 'Minimize' | 'Maximize', objective: string) => {
    const text = [
      sense,
      ` obj: ${objective}`,
      'Subject To',
      ...rows.map((row, i) => ` r${i}: ${row}`),
      'Bounds',
      ...bounds.map((b) => ` ${b}`),
      ...(generals.length > 0 ? ['Generals', ` ${generals.join(' ')}`] : []),
      'End',
    ].join('\n');
    return solver.solve(text, { output_flag: false, mip_rel_gap: 0, mip_abs_gap: 1e-7 });
  };

  const feasibility = solve('Minimize', '0 zero');
  if (feasibility.Status === 'Infeasible') return { feasible: false };
  expect(feasibility.Status).toBe('Optimal');

  const stage = (sense: 'Minimize' | 'Maximize', terms: [number, string][]) => {
    const result = solve(sense, sum(terms));
    expect(result.Status).toBe('Optimal');
    const optimum = Math.round(result.ObjectiveValue);
    rows.push(`${sum(terms)} ${sense === 'Minimize' ? '<=' : '>='} ${optimum}`);
    return optimum;
  };

  if (instance.policy === 'PrioritizedZones') {
    const ranks = [...new Set(instance.zoneRanks.slice(0, instance.zones.length))].sort((a, b) => a - b);
    for (const rank of ranks.slice(0, -1)) {
      const zones = instance.zones.filter((_, i) => (instance.zoneRanks[i] ?? 0) <= rank);
      if (instance.unit === 'VM') {
        stage(
          'Maximize',
          zones.flatMap((zone) => zoneTerms(zone)),
        );
        continue;
      }
      // VCpu: what the zones of rank ≤ r cover of each target, capped at the target.
      const objective: [number, string][] = [];
      for (const priority of instance.priorities) {
        const cover = `cover${rank}${priority}`;
        bounds.push(`0 <= ${cover} <= ${instance.needs[priority]}`);
        const members = columns.filter((c) => c.pool.priority === priority && zones.includes(c.pool.zone));
        rows.push(
          `${sum([[1, cover], ...members.map((c): [number, string] => [-c.size.vCPUs, c.name])])} <= 0`,
        );
        objective.push([1, cover]);
      }
      stage('Maximize', objective);
    }
  }
  if (instance.unit === 'VCpu') {
    stage(
      'Minimize',
      columns.map((c) => [c.size.vCPUs, c.name]),
    );
  }
  // Best-effort balance: leximin of the zone totals, then (two priorities) of each priority's zone counts.
  const leximin = (
    label: string,
    terms: (zone: string) => [number, string][],
    current: (zone: string) => number,
  ) => {
    for (let k = 1; k < instance.zones.length; k++) {
      const t = `t${label}${k}`;
      bounds.push(`0 <= ${t} <= 100000`);
      const objective: [number, string][] = [[k, t]];
      for (const zone of instance.zones) {
        const u = `u${label}${k}_${zone}`;
        bounds.push(`0 <= ${u} <= 100000`);
        rows.push(`${sum([[1, u], [-1, t], ...terms(zone)])} >= ${-current(zone)}`);
        objective.push([-1, u]);
      }
      stage('Maximize', objective);
    }
  };
  if (instance.policy === 'Balanced') {
    leximin('all', zoneTerms, currentOf);
    if (instance.priorities.length > 1) {
      instance.priorities.forEach((priority, p) => {
        // engineInput alternates the current instances of a zone Regular, Spot, Regular, …
        const own = (zone: string) => {
          const n = instance.current[instance.zones.indexOf(zone)] ?? 0;
          return (p === 0 ? Math.ceil(n / 2) : Math.floor(n / 2)) * unitsEach;
        };
        leximin(
          priority,
          (zone) =>
            zoneTerms(zone).filter(([, v]) => columns.find((c) => c.name === v)?.pool.priority === priority),
          own,
        );
      });
    }
  }
  if (instance.strategy === 'Prioritized') {
    // A ScaleSet ranks the sizes of its one priority; a ComputeFleet only its Regular sizes (Spot is LowestPrice).
    // Rank 0 first: for each rank boundary, as few units as possible above it.
    const members = isScaleSet(instance) ? columns : columns.filter((c) => c.pool.priority === 'Regular');
    const ranks = [...new Set(members.map((c) => c.rank))].sort((a, b) => a - b);
    for (const rank of ranks.slice(0, -1)) {
      stage(
        'Minimize',
        members.filter((c) => c.rank > rank).map((c) => [measure(c), c.name]),
      );
    }
  }
  const costMicros = stage(
    'Minimize',
    columns.map((c) => [Math.round(c.pool.pricePerHour * 1e6), c.name]),
  );
  return { feasible: true, costMicros };
}

// ------------------------------------------------------------------------------------------------------

/** The engine's plan against the reference: the same cost, or a shortfall exactly when the MIP is infeasible. */
async function check(
  instance: Instance,
): Promise<{ feasible: boolean; input: PlanInput; creates: string; engineMs: number }> {
  const input = engineInput(instance);
  const started = performance.now();
  const result = plan(input);
  const engineMs = performance.now() - started;
  const expected = await reference(instance);
  const short = result.outcomes.some((o) => o.shortfall > 0);
  const costMicros = result.creates.reduce((s, c) => s + Math.round(c.pricePerHour * 1e6) * c.count, 0);
  expect(result.searchLimitReached).toBe(false);
  if (!expected.feasible) expect(short).toBe(true);
  else {
    expect(short).toBe(false);
    expect(result.provenOptimal).toBe(true);
    expect(costMicros).toBe(expected.costMicros);
    const dollars = costMicros / 1e6;
    expect(Math.abs(dollars - expected.costMicros / 1e6)).toBeLessThanOrEqual(1e-9 * Math.max(1, dollars));
  }
  return { feasible: expected.feasible, input, creates: JSON.stringify(result.creates), engineMs };
}

test('the plan costs exactly the MIP optimum and falls short exactly when the MIP is infeasible (240 instances)', async () => {
  const tally = { infeasible: 0, quotaMattered: 0, strict: 0, balanced: 0, vCpu: 0 };
  await fc.assert(
    fc.asyncProperty(instanceArbitrary('Mixed'), async (instance) => {
      const { feasible, input, creates } = await check(instance);
      if (!feasible) tally.infeasible++;
      const unlimited = plan({ ...input, region: { ...input.region, quota: {} } });
      if (JSON.stringify(unlimited.creates) !== creates) tally.quotaMattered++;
      if (instance.policy === 'Strict') tally.strict++;
      if (instance.policy === 'Balanced') tally.balanced++;
      if (instance.unit === 'VCpu') tally.vCpu++;
    }),
    { numRuns: 240, seed: 20261123 },
  );
  // The random instances must exercise what the claim is about.
  expect(tally.infeasible).toBeGreaterThanOrEqual(20);
  expect(tally.quotaMattered).toBeGreaterThanOrEqual(30);
  expect(tally.strict).toBeGreaterThanOrEqual(20);
  expect(tally.balanced).toBeGreaterThanOrEqual(40);
  expect(tally.vCpu).toBeGreaterThanOrEqual(10);
});

test(
  'VCpu fleets over 3 Balanced zones: the MIP optimum, proven, within the search limit (300 instances)',
  { timeout: 180_000 },
  async () => {
    const tally = { twoPriorities: 0, prioritized: 0, feasible: 0, slowestMs: 0 };
    await fc.assert(
      fc.asyncProperty(instanceArbitrary('VCpuBalanced'), async (instance) => {
        const { feasible, engineMs } = await check(instance);
        tally.slowestMs = Math.max(tally.slowestMs, engineMs);
        if (feasible) tally.feasible++;
        if (instance.priorities.length === 2) tally.twoPriorities++;
        if (instance.strategy === 'Prioritized') tally.prioritized++;
      }),
      { numRuns: 300, seed: 20261203 },
    );
    console.log(`VCpu Balanced cross-check: ${JSON.stringify(tally)}`);
    expect(tally.feasible).toBeGreaterThanOrEqual(100);
    expect(tally.twoPriorities).toBeGreaterThanOrEqual(60);
    expect(tally.prioritized).toBeGreaterThanOrEqual(100);
  },
);
