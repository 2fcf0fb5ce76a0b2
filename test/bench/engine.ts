// Engine benchmark (`npm run bench`): a ComputeFleet over 15 sizes × 3 zones × 5 fault domains with both
// priorities (Regular LowestPrice, Spot PriceCapacityOptimized, Balanced zones). Prints the median of a fresh
// plan at 1k / 10k / 100k VMs with the growth ratios, and the median of a ±1 VM re-plan on a 10,000-VM fleet.
// Targets: fresh 10k ≤ 20 ms, ±1 ≤ 2 ms, at most linear growth. Each figure is given as wall time and as the
// process's CPU time (user + system), which stays meaningful when other work shares the machine.
// Not a test: it reports, it does not fail. The instance limit is raised above 10,000 so that +1 on a
// 10,000-VM fleet and the 100k run measure placement rather than the limit.
import { plan } from '../../src/engine/index.ts';
import type {
  ComputeFleetGroupSpec,
  CurrentInstance,
  Plan,
  PlanInput,
  PoolInfo,
  RegionInput,
  SizeInfo,
} from '../../src/engine/types.ts';

const ZONES = ['1', '2', '3'];
const FAMILIES = ['DSv5', 'DASv5', 'DDSv5', 'ESv5', 'FSv2'];

function region(scale: number): RegionInput {
  const sizes: SizeInfo[] = Array.from({ length: 15 }, (_, i) => ({
    name: `Standard_S${String(i).padStart(2, '0')}`,
    family: FAMILIES[i % FAMILIES.length] ?? 'DSv5',
    vCPUs: [2, 4, 8][i % 3] ?? 2,
    memoryGiB: 8,
    architecture: 'x64',
    category: 'GeneralPurpose',
    burstable: false,
    spotCapable: true,
  }));
  const pools: PoolInfo[] = sizes.flatMap((size, i) =>
    ZONES.flatMap((zone, z) => [
      {
        size: size.name,
        zone,
        priority: 'Regular' as const,
        pricePerHour: 0.05 * size.vCPUs + 0.001 * ((i * 7 + z * 3) % 11),
        free: Math.ceil(scale / 20) + 37 * i,
      },
      {
        size: size.name,
        zone,
        priority: 'Spot' as const,
        pricePerHour: 0.012 * size.vCPUs + 0.0003 * ((i * 5 + z) % 13),
        free: Math.ceil(scale / 25) + 23 * i,
      },
    ]),
  );
  return {
    zones: ZONES.map((name) => ({ name, faultDomains: 5, available: true })),
    sizes,
    pools,
    quota: { regionalVCpus: 50 * scale, spotVCpus: 30 * scale },
  };
}

function spec(total: number, region: RegionInput): ComputeFleetGroupSpec {
  return {
    kind: 'ComputeFleet',
    zones: ZONES,
    zonePolicy: { kind: 'Balanced', strict: false },
    sizes: { kind: 'List', sizes: region.sizes.map((s, rank) => ({ name: s.name, rank })) },
    capacityUnit: 'VM',
    platformFaultDomainCount: 1,
    scaleInRule: 'Default',
    limits: { maxInstances: 2 * Math.max(10_000, total), maxSizes: 15 },
    modelHash: 'bench',
    regular: { capacity: Math.floor(total / 2), minCapacity: 0, allocationStrategy: 'LowestPrice' },
    spot: {
      capacity: total - Math.floor(total / 2),
      minCapacity: 0,
      allocationStrategy: 'PriceCapacityOptimized',
      maintain: true,
      lostToEviction: 0,
    },
  };
}

/** The instances a plan creates, as the controller would record them once Running. */
function realise(result: Plan): CurrentInstance[] {
  const instances: CurrentInstance[] = [];
  let id = 0;
  for (const group of result.creates) {
    for (let i = 0; i < group.count; i++) {
      instances.push({
        id: id++,
        size: group.size,
        zone: group.zone,
        faultDomain: group.faultDomain,
        priority: group.priority,
        phase: 'Running',
        protectedFromScaleIn: false,
        protectedFromScaleSetActions: false,
        modelHash: 'bench',
      });
    }
  }
  return instances;
}

/** Free capacity once the realised instances occupy their pools. */
function occupied(base: RegionInput, result: Plan): RegionInput {
  const used = new Map<string, number>();
  for (const c of result.creates) {
    const key = `${c.priority}/${c.zone}/${c.size}`;
    used.set(key, (used.get(key) ?? 0) + c.count);
  }
  return {
    ...base,
    pools: base.pools.map((p) => ({
      ...p,
      free: p.free - (used.get(`${p.priority}/${p.zone}/${p.size}`) ?? 0),
    })),
  };
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

interface Timing {
  readonly wall: number;
  readonly cpu: number;
  readonly result: Plan;
}

function time(runs: number, input: PlanInput): Timing {
  let result = plan(input);
  for (let i = 0; i < 3; i++) result = plan(input); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    result = plan(input);
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu), result };
}

function figures(t: Timing): string {
  return `median ${t.wall.toFixed(2)} ms wall, ${t.cpu.toFixed(2)} ms CPU`;
}

const NOW = Date.parse('2026-11-23T12:00:00Z');
const fresh = new Map<number, Timing>();
for (const [total, runs] of [
  [1_000, 41],
  [10_000, 21],
  [100_000, 7],
] as const) {
  const r = region(total);
  const timing = time(runs, { spec: spec(total, r), region: r, current: [], unavailable: [], now: NOW });
  const created = timing.result.creates.reduce((sum, c) => sum + c.count, 0);
  fresh.set(total, timing);
  console.log(`fresh plan ${String(total).padStart(7)} VMs: ${figures(timing)} (${created} created)`);
}
const ratio = (a: number, b: number, pick: (t: Timing) => number) =>
  (
    pick(fresh.get(a) ?? (fresh.values().next().value as Timing)) /
    Math.max(1e-9, pick(fresh.get(b) ?? (fresh.values().next().value as Timing)))
  ).toFixed(1);
console.log(
  `growth (CPU): 10k/1k = ${ratio(10_000, 1_000, (t) => t.cpu)}×, 100k/10k = ${ratio(100_000, 10_000, (t) => t.cpu)}× ` +
    `(wall: ${ratio(10_000, 1_000, (t) => t.wall)}×, ${ratio(100_000, 10_000, (t) => t.wall)}×; linear would be 10×)`,
);

const baseRegion = region(10_000);
const fleetSpec = spec(10_000, baseRegion);
const initial = plan({ spec: fleetSpec, region: baseRegion, current: [], unavailable: [], now: NOW });
const current = realise(initial);
const afterRegion = occupied(baseRegion, initial);
const regular = fleetSpec.regular ?? {
  capacity: 0,
  minCapacity: 0,
  allocationStrategy: 'LowestPrice' as const,
};
for (const delta of [1, -1]) {
  const changed: ComputeFleetGroupSpec = {
    ...fleetSpec,
    regular: { ...regular, capacity: regular.capacity + delta },
  };
  const timing = time(41, {
    spec: changed,
    region: afterRegion,
    current,
    unavailable: [],
    now: NOW,
  });
  const created = timing.result.creates.reduce((sum, c) => sum + c.count, 0);
  console.log(
    `${delta > 0 ? '+1' : '−1'} VM on a ${current.length}-VM fleet: ${figures(timing)} ` +
      `(${created} created, ${timing.result.deletes.length} deleted)`,
  );
}
