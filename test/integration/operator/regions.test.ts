// Deleting a Region: one in use waits, with an Event saying why, until its last Instance is gone; an
// unused one (the default Region `npm start` installs, before any group uses it) goes at once; with no
// operator running, the finalizer can be removed by hand as the README's Troubleshooting says.
import { it } from 'vitest';
import { REGION_FINALIZER } from '../../../src/api/index.ts';
import { REGIONS } from '../../../src/controllers/resources.ts';
import { isNotFound } from '../../../src/runtime/index.ts';
import { describeCluster, eventually, kubectlOk } from '../cluster.ts';
import {
  getRegion,
  instancesOf,
  newWorld,
  phase,
  scaleSet,
  type EventView,
  type World,
  startWithGroup,
} from './support.ts';

const POLL = { timeoutMs: 30_000, intervalMs: 100 };
const SLOW_TEST_MS = 120_000;

interface RegionMeta {
  metadata: { finalizers?: string[]; deletionTimestamp?: string };
  status?: { conditions?: { type: string; observedGeneration?: number }[] };
}

async function regionMeta(world: World): Promise<RegionMeta> {
  return (await world.admin.get(REGIONS, { name: world.region })) as RegionMeta;
}

async function regionGone(world: World): Promise<boolean> {
  try {
    await getRegion(world);
    return false;
  } catch (error) {
    if (isNotFound(error)) return true;
    throw error;
  }
}

/** Events regarding the Region (cluster-scoped objects' Events live in `default`). */
async function regionEvents(world: World): Promise<EventView[]> {
  const out = await kubectlOk(['get', 'events.v1.events.k8s.io', '-n', 'default', '-o', 'json']);
  return (JSON.parse(out) as { items: EventView[] }).items.filter(
    (e) => e.regarding.kind === 'Region' && e.regarding.name === world.region,
  );
}

function webSet(world: World, capacity: number) {
  return scaleSet(world, 'web', {
    orchestrationMode: 'Uniform',
    vmSize: 'Standard_D2s_v5',
    capacity,
    zones: ['1', '2', '3'],
  });
}

describeCluster('deleting a Region on the real control plane', () => {
  it.concurrent(
    'a Region in use waits for its Instances, says why, and goes once the group is deleted',
    async ({ expect, onTestFinished }) => {
      const { world } = await startWithGroup({ onTestFinished }, 'rgndel', (w) => webSet(w, 4), { wait: 4 });
      await eventually(async () => {
        expect((await regionMeta(world)).metadata.finalizers).toEqual([REGION_FINALIZER]);
      }, POLL);

      await kubectlOk(['delete', 'region', world.region, '--wait=false']);
      await eventually(async () => {
        const blocked = (await regionEvents(world)).filter((e) => e.reason === 'DeletionBlocked');
        expect(blocked.map((e) => e.note)).toContain(
          `4 instance(s) still use region ${world.region}; deletion waits until they are gone`,
        );
      }, POLL);
      const region = await regionMeta(world);
      expect(region.metadata.deletionTimestamp).toBeDefined();
      expect(region.metadata.finalizers).toEqual([REGION_FINALIZER]);
      // The VMs are untouched: the Region keeps serving them while it waits.
      expect((await instancesOf(world, 'ScaleSet', 'web')).map(phase)).toEqual(
        Array<string>(4).fill('Running'),
      );

      await kubectlOk(['delete', 'scaleset', 'web', '-n', world.namespace, '--wait=false']);
      await eventually(
        async () => {
          expect(await regionGone(world)).toBe(true);
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      expect(await instancesOf(world, 'ScaleSet', 'web')).toEqual([]);
    },
    SLOW_TEST_MS,
  );

  it.concurrent(
    'an unused Region carries no finalizer and is deleted at once',
    async ({ expect, onTestFinished }) => {
      const world = await newWorld({ onTestFinished }, 'rgnfree');
      await world.startOperator();
      // Reconciled (its status written) and still without the finalizer.
      await eventually(async () => {
        const region = await regionMeta(world);
        expect(region.status?.conditions?.map((c) => c.type)).toContain('Ready');
        expect(region.metadata.finalizers ?? []).toEqual([]);
      }, POLL);
      await kubectlOk(['delete', 'region', world.region, '--wait=false']);
      await eventually(async () => {
        expect(await regionGone(world)).toBe(true);
      }, POLL);
    },
  );

  it.concurrent(
    'with no operator running the finalizer holds the Region until it is removed by hand',
    async ({ expect, onTestFinished }) => {
      const { world, operator } = await startWithGroup({ onTestFinished }, 'rgnhand', (w) => webSet(w, 2), {
        wait: 2,
      });
      await eventually(async () => {
        expect((await regionMeta(world)).metadata.finalizers).toEqual([REGION_FINALIZER]);
      }, POLL);
      await operator.stop();

      await kubectlOk(['delete', 'region', world.region, '--wait=false']);
      expect((await regionMeta(world)).metadata.deletionTimestamp).toBeDefined();
      // The README's Troubleshooting command.
      await kubectlOk([
        'patch',
        'region',
        world.region,
        '--type=json',
        '-p',
        `[{"op":"remove","path":"/metadata/finalizers"}]`,
      ]);
      await eventually(async () => {
        expect(await regionGone(world)).toBe(true);
      }, POLL);
    },
  );
});
