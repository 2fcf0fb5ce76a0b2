// The reflector against the shared real API server: list then watch, paging, delete events, the
// managedFields strip, frozen cached objects, handlers that throw, late handlers, and bookmarks.
import { afterEach, beforeAll, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/runtime/client.ts';
import { objectKey, type DeepReadonly } from '../../../src/runtime/objects.ts';
import { Reflector } from '../../../src/runtime/reflector.ts';
import { describeCluster, eventually, useCluster } from '../cluster.ts';
import {
  clientFor,
  createNamespace,
  ensureProbeCrds,
  probe,
  probes,
  testLogger,
  type Probe,
} from './support.ts';

interface Recorded {
  adds: string[];
  initialAdds: string[];
  updates: string[];
  deletes: { key: string; finalStateUnknown: boolean; lastSize: unknown }[];
}

function recorder(reflector: Reflector<Probe>): Recorded {
  const recorded: Recorded = { adds: [], initialAdds: [], updates: [], deletes: [] };
  reflector.addEventHandler({
    onAdd: (object, initial) => (initial ? recorded.initialAdds : recorded.adds).push(objectKey(object)),
    onUpdate: (_previous, current) =>
      recorded.updates.push(`${objectKey(current)}@${String(current.spec?.size)}`),
    onDelete: (object, finalStateUnknown) =>
      recorded.deletes.push({ key: objectKey(object), finalStateUnknown, lastSize: object.spec?.size }),
  });
  return recorded;
}

describeCluster('Reflector on a real API server', () => {
  let client: KubeClient;
  const running: Reflector<Probe>[] = [];

  beforeAll(async () => {
    await ensureProbeCrds();
    client = clientFor(useCluster());
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((reflector) => reflector.stop()));
  });

  function start(
    options: Partial<ConstructorParameters<typeof Reflector<Probe>>[0]> & { namespace: string },
  ): Reflector<Probe> {
    const reflector = new Reflector<Probe>({ resource: probes, client, logger: testLogger(), ...options });
    running.push(reflector);
    return reflector;
  }

  it('lists in pages, syncs, then follows adds, updates and deletes from the watch', async () => {
    const namespace = await createNamespace('rt-refl');
    for (let i = 0; i < 5; i++) await client.create(probes, probe(namespace, `pre-${i}`, { size: i }));
    const reflector = start({ namespace, pageSize: 2 });
    const recorded = recorder(reflector);
    expect(reflector.synced).toBe(false);
    reflector.start();
    await reflector.waitForSync();

    expect(reflector.synced).toBe(true);
    expect(reflector.store.keys().sort()).toEqual([0, 1, 2, 3, 4].map((i) => `${namespace}/pre-${i}`));
    expect(recorded.initialAdds).toHaveLength(5);
    expect(reflector.resourceVersion).not.toBe('');

    await client.create(probes, probe(namespace, 'live', { size: 1 }));
    await client.patch(probes, { namespace, name: 'live' }, { type: 'merge', body: { spec: { size: 2 } } });
    await client.delete(probes, { namespace, name: 'pre-0' });

    await eventually(() => {
      expect(recorded.adds).toEqual([`${namespace}/live`]);
      expect(recorded.updates).toEqual([`${namespace}/live@2`]);
      expect(recorded.deletes).toEqual([
        { key: `${namespace}/pre-0`, finalStateUnknown: false, lastSize: 0 },
      ]);
    });
    expect(reflector.store.get(`${namespace}/live`)?.spec?.size).toBe(2);
    expect(reflector.store.has(`${namespace}/pre-0`)).toBe(false);
  });

  it('caches frozen objects without managedFields, with apiVersion and kind filled in', async () => {
    const namespace = await createNamespace('rt-frozen');
    await client.create(probes, probe(namespace, 'a', { size: 1 }));
    const reflector = start({ namespace });
    reflector.start();
    await reflector.waitForSync();
    const cached = reflector.store.get(`${namespace}/a`);
    expect(cached).toBeDefined();
    expect(cached?.metadata.managedFields).toBeUndefined();
    expect(cached?.apiVersion).toBe(`${probes.group}/v1`);
    expect(cached?.kind).toBe('Probe');
    expect(Object.isFrozen(cached)).toBe(true);
    expect(() => {
      (cached as { spec: { size: number } }).spec.size = 9;
    }).toThrow(TypeError);

    await client.patch(probes, { namespace, name: 'a' }, { type: 'merge', body: { spec: { size: 2 } } });
    await eventually(() => {
      expect(reflector.store.get(`${namespace}/a`)?.spec?.size).toBe(2);
    });
    const watched = reflector.store.get(`${namespace}/a`);
    expect(watched?.metadata.managedFields).toBeUndefined();
    expect(Object.isFrozen(watched?.metadata)).toBe(true);
  });

  it('applies a transform before caching', async () => {
    const namespace = await createNamespace('rt-transform');
    await client.create(probes, probe(namespace, 'a', { size: 1, bulky: 'x'.repeat(1000) }));
    const reflector = start({
      namespace,
      transform: (object) => ({ ...object, spec: { size: object.spec?.size } }),
    });
    reflector.start();
    await reflector.waitForSync();
    expect(reflector.store.get(`${namespace}/a`)?.spec).toEqual({ size: 1 });
  });

  it('keeps the stream alive when a handler throws', async () => {
    const namespace = await createNamespace('rt-throw');
    const reflector = start({ namespace });
    const seen: string[] = [];
    reflector.addEventHandler({
      onAdd: () => {
        throw new Error('handler bug');
      },
    });
    reflector.addEventHandler({ onAdd: (object) => seen.push(object.metadata.name) });
    reflector.start();
    await reflector.waitForSync();
    await client.create(probes, probe(namespace, 'one'));
    await client.create(probes, probe(namespace, 'two'));
    await eventually(() => {
      expect(seen).toEqual(['one', 'two']);
    });
  });

  it('replays the cache to a handler registered after sync, then streams to it', async () => {
    const namespace = await createNamespace('rt-late');
    await client.create(probes, probe(namespace, 'early'));
    const reflector = start({ namespace });
    reflector.start();
    await reflector.waitForSync();
    const recorded = recorder(reflector);
    expect(recorded.initialAdds).toEqual([`${namespace}/early`]);
    await client.create(probes, probe(namespace, 'later'));
    await eventually(() => {
      expect(recorded.adds).toEqual([`${namespace}/later`]);
    });
  });

  it('filters by label selector', async () => {
    const namespace = await createNamespace('rt-label');
    await client.create(probes, {
      ...probe(namespace, 'mine'),
      metadata: { name: 'mine', namespace, labels: { team: 'a' } },
    });
    await client.create(probes, probe(namespace, 'other'));
    const reflector = start({ namespace, labelSelector: 'team=a' });
    reflector.start();
    await reflector.waitForSync();
    expect(reflector.store.keys()).toEqual([`${namespace}/mine`]);
  });

  it('advances its resourceVersion from bookmarks while its own objects are quiet', async () => {
    const namespace = await createNamespace('rt-bookmark');
    const elsewhere = await createNamespace('rt-bookmark-other');
    await client.create(probes, probe(namespace, 'quiet'));
    // A short server-side timeout: the API server sends a bookmark shortly before it ends each watch.
    // A short backoff: a watch the busy API server closes at once must not hold the next one back long.
    const reflector = start({
      namespace,
      watchTimeoutSeconds: { min: 4, max: 4 },
      backoff: { initialMs: 200, maxMs: 2_000 },
    });
    const recorded = recorder(reflector);
    reflector.start();
    await reflector.waitForSync();
    const listedAt = reflector.resourceVersion;
    // Writes in another namespace move the global resourceVersion but send us no object events.
    const other = (await client.create(probes, probe(elsewhere, 'noise'))) as DeepReadonly<Probe>;
    const noiseVersion = Number(other.metadata.resourceVersion);
    let touches = 0;
    await eventually(
      async () => {
        if (Number(reflector.resourceVersion) < noiseVersion) {
          // A bookmark carries the last revision the API server's watch cache processed for probes, which
          // a loaded CI run once saw stay one below the noise for 30 s. Each further write elsewhere gives
          // the cache a newer revision to bookmark; none of them is an event for our namespace.
          await client.patch(
            probes,
            { namespace: elsewhere, name: 'noise' },
            { type: 'merge', body: { spec: { size: ++touches } } },
          );
        }
        expect(Number(reflector.resourceVersion)).toBeGreaterThanOrEqual(noiseVersion);
      },
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    expect(reflector.resourceVersion).not.toBe(listedAt);
    expect(recorded.adds).toEqual([]);
    expect(recorded.updates).toEqual([]);
  });

  it('a relist after missed events reports deletes as tombstones and changes as updates', async () => {
    const namespace = await createNamespace('rt-relist');
    for (const name of ['kept', 'changed', 'deleted'])
      await client.create(probes, probe(namespace, name, { size: 1 }));
    const reflector = start({ namespace });
    const recorded = recorder(reflector);
    reflector.start();
    await reflector.waitForSync();

    // While the reflector is stopped, the world moves on without it.
    await reflector.stop();
    expect(reflector.store.size).toBe(3);
    await client.patch(
      probes,
      { namespace, name: 'changed' },
      { type: 'merge', body: { spec: { size: 2 } } },
    );
    await client.delete(probes, { namespace, name: 'deleted' });
    await client.create(probes, probe(namespace, 'created'));

    reflector.start();
    await eventually(() => {
      expect(recorded.deletes).toEqual([
        { key: `${namespace}/deleted`, finalStateUnknown: true, lastSize: 1 },
      ]);
      expect(recorded.updates).toEqual([`${namespace}/changed@2`]);
      expect(recorded.adds).toEqual([`${namespace}/created`]);
    });
    expect(reflector.store.keys().sort()).toEqual(
      ['changed', 'created', 'kept'].map((n) => `${namespace}/${n}`),
    );
  });
});
