// GalleryImages on the real control plane: the example resolves `latest` in the ScaleSet's region, a newly
// published version rolls out by itself (automaticOSUpgrade), a missing image or version refuses the spec
// without deleting anything, and a version's replicas bound how many VMs provision from it at once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  API_GROUP_VERSION,
  INSTANCE_LABELS,
  VMS_PER_REPLICA,
  type GalleryImageStatus,
  type Instance,
} from '../../../src/api/index.ts';
import { GALLERYIMAGES } from '../../../src/controllers/resources.ts';
import { describeCluster, eventually } from '../cluster.ts';
import {
  conditionOf,
  createGroup,
  eventsAbout,
  getGroup,
  instancesOf,
  newWorld,
  patchSpec,
  phase,
  scaleSet,
  startWithGroup,
  waitReady,
  zoneSkew,
  type GroupManifest,
  type World,
} from './support.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const POLL = { timeoutMs: 60_000, intervalMs: 100 };
const ZONES = ['1', '2', '3'];

interface GalleryManifest {
  apiVersion: string;
  kind: 'GalleryImage';
  metadata: { name: string; namespace?: string };
  spec: {
    versions: {
      name: string;
      excludeFromLatest?: boolean;
      regions: { name: string; replicaCount?: number }[];
    }[];
  };
}

function exampleFile(file: string): unknown {
  return parseYaml(readFileSync(join(ROOT, 'deploy', 'examples', 'gallery', file), 'utf8'));
}

/** The example GalleryImage, moved into the world (its namespace, its Region as the replication target). */
function exampleGallery(world: World): GalleryManifest {
  const manifest = exampleFile('galleryimage.yaml') as GalleryManifest;
  return {
    ...manifest,
    metadata: { name: manifest.metadata.name, namespace: world.namespace },
    spec: {
      ...manifest.spec,
      versions: manifest.spec.versions.map((v) => ({
        ...v,
        regions: v.regions.map((r) => ({ ...r, name: world.region })),
      })),
    },
  };
}

function gallery(world: World, name: string, versions: GalleryManifest['spec']['versions']): GalleryManifest {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: 'GalleryImage',
    metadata: { name, namespace: world.namespace },
    spec: { versions },
  };
}

const versionsOf = (instances: readonly Instance[]) => instances.map((i) => i.spec.image?.version);

async function galleryStatus(world: World, name: string): Promise<GalleryImageStatus | undefined> {
  const object = (await world.admin.get(GALLERYIMAGES, { namespace: world.namespace, name })) as {
    status?: GalleryImageStatus;
  };
  return object.status;
}

describeCluster('GalleryImages on the real control plane', () => {
  it.concurrent(
    'the example resolves latest in its region; a newly published version rolls out automatically',
    async ({ expect, onTestFinished }) => {
      const world = await newWorld({ onTestFinished }, 'gallery');
      await world.startOperator();
      const image = exampleGallery(world);
      await world.admin.create(GALLERYIMAGES, image);
      const manifest = exampleFile('scaleset.yaml') as GroupManifest;
      await createGroup(world, {
        ...manifest,
        metadata: { name: manifest.metadata.name, namespace: world.namespace },
        spec: { ...manifest.spec, region: world.region },
      });
      const { group, instances } = await waitReady(world, 'ScaleSet', 'web-gallery', 6);
      expect(group.status?.image).toMatchObject({
        source: 'Gallery',
        name: 'web-image',
        version: '1.1.0',
        replicas: 2,
      });
      expect(versionsOf(instances)).toEqual(Array<string>(6).fill('1.1.0'));
      await eventually(async () => {
        expect(await galleryStatus(world, 'web-image')).toMatchObject({
          latestVersion: '1.1.0',
          latestByRegion: [{ region: world.region, version: '1.1.0' }],
          versions: [
            { name: '2.0.0', excludeFromLatest: true },
            { name: '1.1.0', replicas: 2 },
            { name: '1.0.0', replicas: 1 },
          ],
        });
      }, POLL);

      // Publish 1.2.0: the model changes and the rolling policy (2 at a time) takes every VM to it.
      const published = {
        ...image.spec,
        versions: [
          ...image.spec.versions,
          { name: '1.2.0', regions: [{ name: world.region, replicaCount: 1 }] },
        ],
      };
      await world.admin.patch(
        GALLERYIMAGES,
        { namespace: world.namespace, name: 'web-image' },
        { type: 'merge', body: { spec: published } },
      );
      let maxSkew = 0;
      const rolled = await eventually(
        async () => {
          const now = (await instancesOf(world, 'ScaleSet', 'web-gallery')).filter(
            (i) => i.metadata.deletionTimestamp === undefined,
          );
          maxSkew = Math.max(maxSkew, zoneSkew(now, ZONES));
          const current = await getGroup(world, 'ScaleSet', 'web-gallery');
          const upgrade = current.status?.upgrade;
          expect(current.status?.image?.version).toBe('1.2.0');
          expect(upgrade?.phase).toBe('Completed');
          expect(now.map(phase)).toEqual(Array<string>(6).fill('Running'));
          expect(versionsOf(now)).toEqual(Array<string>(6).fill('1.2.0'));
          return upgrade;
        },
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      expect(rolled?.totalBatches).toBe(3);
      expect(maxSkew).toBeLessThanOrEqual(1);
      await eventually(async () => {
        expect((await galleryStatus(world, 'web-image'))?.latestVersion).toBe('1.2.0');
      }, POLL);
    },
    90_000,
  );

  it.concurrent(
    'a missing GalleryImage or version: Ready=False with the reason, nothing created or deleted',
    async ({ expect, onTestFinished }) => {
      const { world } = await startWithGroup({ onTestFinished }, 'noimage', (w) =>
        scaleSet(w, 'lost', {
          vmSize: 'Standard_D2s_v5',
          capacity: 2,
          image: { source: 'Gallery', name: 'nope', version: 'latest' },
        }),
      );
      await eventually(async () => {
        const group = await getGroup(world, 'ScaleSet', 'lost');
        expect(conditionOf(group, 'Ready')).toMatchObject({ status: 'False', reason: 'ImageNotFound' });
        expect(conditionOf(group, 'Ready')?.message).toContain('GalleryImage "nope" does not exist');
      }, POLL);
      expect(await instancesOf(world, 'ScaleSet', 'lost')).toEqual([]);

      // Publishing it (a watched GalleryImage) is enough for the set to proceed.
      await world.admin.create(
        GALLERYIMAGES,
        gallery(world, 'nope', [{ name: '1.0.0', regions: [{ name: world.region }] }]),
      );
      const { instances } = await waitReady(world, 'ScaleSet', 'lost', 2);
      expect(versionsOf(instances)).toEqual(['1.0.0', '1.0.0']);

      // A version that does not exist: refused, the running VMs stay.
      await patchSpec(world, 'ScaleSet', 'lost', { image: { version: '9.9.9' } });
      await eventually(async () => {
        const group = await getGroup(world, 'ScaleSet', 'lost');
        const ready = conditionOf(group, 'Ready');
        expect(ready).toMatchObject({
          status: 'False',
          reason: 'ImageVersionNotFound',
          observedGeneration: group.metadata.generation,
        });
        expect(ready?.message).toContain('no version 9.9.9');
      }, POLL);
      expect((await instancesOf(world, 'ScaleSet', 'lost')).map((i) => i.metadata.uid)).toEqual(
        instances.map((i) => i.metadata.uid),
      );
    },
    90_000,
  );

  it.concurrent(
    `one replica lets at most ${VMS_PER_REPLICA} VMs provision at once; status and an Event say so`,
    async ({ expect, onTestFinished }) => {
      const world = await newWorld({ onTestFinished }, 'throttle', { provisioningDelay: '2s' });
      await world.startOperator();
      await world.admin.create(
        GALLERYIMAGES,
        gallery(world, 'base', [{ name: '3.1.4', regions: [{ name: world.region, replicaCount: 1 }] }]),
      );
      await createGroup(
        world,
        scaleSet(world, 'burst', {
          vmSize: 'Standard_D2s_v5',
          capacity: 30,
          zones: ZONES,
          image: { source: 'Gallery', name: 'base', version: 'latest' },
        }),
      );
      let maxProvisioning = 0;
      let sawThrottled = false;
      let firstWave: number | undefined;
      await eventually(
        async () => {
          const instances = await instancesOf(world, 'ScaleSet', 'burst');
          maxProvisioning = Math.max(maxProvisioning, instances.filter((i) => phase(i) !== 'Running').length);
          // The first wave, once all its creates are through (they go out concurrently, in any order).
          if (instances.length === VMS_PER_REPLICA) {
            firstWave = Math.max(firstWave ?? 0, zoneSkew(instances, ZONES));
          }
          const group = await getGroup(world, 'ScaleSet', 'burst');
          const image = group.status?.image;
          if (image?.throttled === true) {
            sawThrottled = true;
            expect(image.message).toContain(`at most ${VMS_PER_REPLICA} VMs provisioning from it at once`);
          }
          expect(instances.map(phase)).toEqual(Array<string>(30).fill('Running'));
          expect(conditionOf(group, 'Ready')?.status).toBe('True');
          expect(image?.throttled).toBe(false);
        },
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      expect(sawThrottled).toBe(true);
      expect(maxProvisioning).toBeLessThanOrEqual(VMS_PER_REPLICA);
      // The throttled wave still spreads over the zones.
      expect(firstWave, 'zone skew of the first wave').toBeLessThanOrEqual(1);
      const events = await eventsAbout(world, 'ScaleSet', 'burst');
      expect(events.some((e) => e.reason === 'ImageThrottled')).toBe(true);
      const labels = (await instancesOf(world, 'ScaleSet', 'burst')).map(
        (i) => i.metadata.labels?.[INSTANCE_LABELS.modelHash],
      );
      expect(new Set(labels).size).toBe(1);
    },
    90_000,
  );
});
