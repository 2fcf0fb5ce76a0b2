// Each ComputeFleet allocation strategy picks the sizes DESIGN §4 says, with the expectation derived from the
// Region's prices and capacity (each test trims some pools so that the strategy has to spill or choose
// between price and depth). One zone per fleet, so the size rule alone decides.
import { it } from 'vitest';
import { EASTUS, type Priority, type RegionSpec } from '../../../src/api/index.ts';
import type { Pool } from '../../../src/cloud/index.ts';
import { describeCluster } from '../cluster.ts';
import {
  computeFleet,
  countBy,
  createGroup,
  emptyPools,
  fillInOrder,
  getRegion,
  newWorld,
  waitReady,
  type World,
} from './support.ts';
import type { PoolCapacity } from '../../support/region-fixture.ts';

const ZONE = '1';

/** Region options setting the capacity of a size's pool of `priority` in the fleet's zone. */
function capacity(size: string, priority: Priority, count: number): PoolCapacity {
  return { vmSize: size, zone: ZONE, priority, count };
}

/** The listed sizes' pools of the given priority in the fleet's zone, from the world's Region. */
async function poolsOf(world: World, sizes: readonly string[], priority: Priority): Promise<Pool[]> {
  const spec = (await getRegion(world)).spec;
  return emptyPools(spec).filter(
    (p) => p.zone === ZONE && p.priority === priority && sizes.includes(p.vmSize),
  );
}

const byPrice = (a: Pool, b: Pool) => a.pricePerHour - b.pricePerHour;

/** PriceCapacityOptimized's capacity tier: 3 High (free ≥ what is to place), 2 Medium (≥ half), 1 Low. */
function tier(pool: Pool, toPlace: number): number {
  if (pool.free >= toPlace) return 3;
  if (pool.free * 2 >= toPlace) return 2;
  return pool.free > 0 ? 1 : 0;
}

async function runFleet(
  world: World,
  name: string,
  spec: Record<string, unknown>,
  count: number,
): Promise<Record<string, number>> {
  await world.startOperator();
  await createGroup(world, computeFleet(world, name, { zones: [ZONE], ...spec }));
  const { instances } = await waitReady(world, 'ComputeFleet', name, count);
  return countBy(instances, (i) => i.spec.vmSize);
}

const SIZES = ['Standard_D4s_v5', 'Standard_D4as_v5', 'Standard_D4s_v6', 'Standard_D4as_v6'];
const SPOT_SIZES = ['Standard_D4s_v5', 'Standard_D4as_v5', 'Standard_D4ds_v5'];

/** The cheapest Regular size of SIZES in the catalogue, found from the prices rather than named. */
function cheapest(spec: RegionSpec, sizes: readonly string[]): string {
  const [first] = emptyPools(spec)
    .filter((p) => p.zone === ZONE && p.priority === 'Regular' && sizes.includes(p.vmSize))
    .sort(byPrice);
  if (first === undefined) throw new Error('no pool');
  return first.vmSize;
}

describeCluster('ComputeFleet allocation strategies on the real control plane', () => {
  it.concurrent(
    'Regular LowestPrice: the cheapest size first, spilling to the next cheapest',
    async ({ expect, onTestFinished }) => {
      // The cheapest size can host only 2 of the 5: the rest go to the next cheapest.
      const world = await newWorld({ onTestFinished }, 'lowest', {
        capacity: [capacity(cheapest(EASTUS.spec, SIZES), 'Regular', 2)],
      });
      const pools = await poolsOf(world, SIZES, 'Regular');
      const expected = fillInOrder([...pools].sort(byPrice), 5);
      expect(Object.keys(expected)).toHaveLength(2);

      const got = await runFleet(
        world,
        'lowest',
        {
          vmSizes: SIZES.map((name) => ({ name })),
          regular: { capacity: 5, allocationStrategy: 'LowestPrice' },
        },
        5,
      );
      expect(got).toEqual(expected);
    },
  );

  it.concurrent(
    'Regular Prioritized: rank 0 first whatever it costs, then the next rank',
    async ({ expect, onTestFinished }) => {
      // Ranks run against price: the dearest size is rank 0. It can host only 1 of the 4.
      const ranked = emptyPools(EASTUS.spec)
        .filter((p) => p.zone === ZONE && p.priority === 'Regular' && SIZES.includes(p.vmSize))
        .sort((a, b) => b.pricePerHour - a.pricePerHour)
        .map((p, rank) => ({ name: p.vmSize, rank }));
      const first = ranked[0]?.name ?? '';
      const world = await newWorld({ onTestFinished }, 'prio', { capacity: [capacity(first, 'Regular', 1)] });
      const rankOf = new Map(ranked.map((r) => [r.name, r.rank]));
      const pools = await poolsOf(world, SIZES, 'Regular');
      const expected = fillInOrder(
        [...pools].sort((a, b) => (rankOf.get(a.vmSize) ?? 0) - (rankOf.get(b.vmSize) ?? 0) || byPrice(a, b)),
        4,
      );
      expect(expected).toEqual({ [first]: 1, [ranked[1]?.name ?? '']: 3 });

      const got = await runFleet(
        world,
        'prio',
        { vmSizes: ranked, regular: { capacity: 4, allocationStrategy: 'Prioritized' } },
        4,
      );
      expect(got).toEqual(expected);
    },
  );

  it.concurrent(
    'Spot CapacityOptimized: the size with the most free Spot capacity',
    async ({ expect, onTestFinished }) => {
      const world = await newWorld({ onTestFinished }, 'capopt');
      const pools = await poolsOf(world, SPOT_SIZES, 'Spot');
      const deepest = [...pools].sort((a, b) => b.free - a.free);
      const expected = fillInOrder(deepest, 5);
      // Not simply the cheapest: the deepest pool costs more than the cheapest one.
      expect(deepest[0]?.pricePerHour).toBeGreaterThan(Math.min(...pools.map((p) => p.pricePerHour)));

      const got = await runFleet(
        world,
        'capopt',
        {
          vmSizes: SPOT_SIZES.map((name) => ({ name })),
          spot: { capacity: 5, allocationStrategy: 'CapacityOptimized' },
        },
        5,
      );
      expect(got).toEqual(expected);
    },
  );

  it.concurrent(
    'Spot PriceCapacityOptimized: the deepest capacity tier first, the lowest price within it',
    async ({ expect, onTestFinished }) => {
      // 6 to place. The cheapest size holds 2 (Low tier), the next 4 (Medium), the dearest 5 (Medium):
      // the Medium tier wins over the cheaper Low pool, and within Medium the cheaper size comes first.
      const sorted = emptyPools(EASTUS.spec)
        .filter((p) => p.zone === ZONE && p.priority === 'Spot' && SPOT_SIZES.includes(p.vmSize))
        .sort(byPrice);
      const [low, medium, dear] = sorted;
      if (low === undefined || medium === undefined || dear === undefined) throw new Error('no pools');
      const world = await newWorld({ onTestFinished }, 'pco', {
        capacity: [
          capacity(low.vmSize, 'Spot', 2),
          capacity(medium.vmSize, 'Spot', 4),
          capacity(dear.vmSize, 'Spot', 5),
        ],
      });
      const pools = await poolsOf(world, SPOT_SIZES, 'Spot');
      const expected = fillInOrder(
        [...pools].sort((a, b) => tier(b, 6) - tier(a, 6) || byPrice(a, b)),
        6,
      );
      const cheapestSpot = [...pools].sort(byPrice)[0]?.vmSize ?? '';
      expect(expected[cheapestSpot]).toBeUndefined();

      const got = await runFleet(
        world,
        'pco',
        {
          vmSizes: SPOT_SIZES.map((name) => ({ name })),
          spot: { capacity: 6, allocationStrategy: 'PriceCapacityOptimized' },
        },
        6,
      );
      expect(got).toEqual(expected);
    },
  );
});
