// Finalizer writes against the real API server: add/remove guarded by resourceVersion (a stale object
// gets 409 and loses nothing), and the apply/cleanup flow holding deletion until cleanup has run.
import { beforeAll, expect, it } from 'vitest';
import { isConflict, type KubeClient } from '../../../src/runtime/client.ts';
import {
  addFinalizer,
  hasFinalizer,
  reconcileWithFinalizer,
  removeFinalizer,
} from '../../../src/runtime/finalizers.ts';
import { deepFreeze } from '../../../src/runtime/objects.ts';
import { describeCluster, eventually, useCluster } from '../cluster.ts';
import { clientFor, createNamespace, ensureProbeCrds, probe, probes, type Probe } from './support.ts';

const FINALIZER = 'compute.vmfleet.io/release-vm';

describeCluster('finalizer helpers on a real API server', () => {
  let client: KubeClient;
  let namespace = '';

  beforeAll(async () => {
    await ensureProbeCrds();
    client = clientFor(useCluster());
    namespace = await createNamespace('rt-final');
  });

  const read = async (name: string): Promise<Probe> =>
    (await client.get(probes, { namespace, name })) as Probe;

  it('adds and removes a finalizer, keeping other finalizers', async () => {
    const created = (await client.create(probes, {
      ...probe(namespace, 'a'),
      metadata: { name: 'a', namespace, finalizers: ['example.com/other'] },
    })) as Probe;
    const added = (await addFinalizer(client, probes, deepFreeze(created), FINALIZER)) as Probe;
    expect(added.metadata.finalizers).toEqual(['example.com/other', FINALIZER]);
    expect(await addFinalizer(client, probes, deepFreeze(added), FINALIZER)).toBeUndefined();

    const removed = (await removeFinalizer(client, probes, deepFreeze(added), FINALIZER)) as Probe;
    expect(removed.metadata.finalizers).toEqual(['example.com/other']);
    expect(await removeFinalizer(client, probes, deepFreeze(removed), FINALIZER)).toBeUndefined();
  });

  it('refuses to write from a stale object (409) so a finalizer added meanwhile is never dropped', async () => {
    const created = (await client.create(probes, probe(namespace, 'raced'))) as Probe;
    const stale = deepFreeze(created);
    // Another controller adds its finalizer after we read the object.
    await addFinalizer(client, probes, stale, 'example.com/theirs');
    const failure = await addFinalizer(client, probes, stale, FINALIZER).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isConflict(failure)).toBe(true);
    expect((await read('raced')).metadata.finalizers).toEqual(['example.com/theirs']);
  });

  it('runs apply while alive and cleanup before the object can go', async () => {
    const steps: string[] = [];
    const flow = async (name: string): Promise<void> => {
      const current = deepFreeze(await read(name));
      await reconcileWithFinalizer(client, probes, current, FINALIZER, {
        apply: () => {
          steps.push('apply');
          return Promise.resolve({});
        },
        cleanup: () => {
          steps.push('cleanup');
          return Promise.resolve({});
        },
      });
    };
    await client.create(probes, probe(namespace, 'flow'));
    await flow('flow'); // adds the finalizer, nothing else
    expect(steps).toEqual([]);
    expect(hasFinalizer(deepFreeze(await read('flow')), FINALIZER)).toBe(true);
    await flow('flow');
    expect(steps).toEqual(['apply']);

    await client.delete(probes, { namespace, name: 'flow' });
    const deleting = await read('flow');
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    await flow('flow');
    expect(steps).toEqual(['apply', 'cleanup']);
    await eventually(async () => {
      const gone = await client.get(probes, { namespace, name: 'flow' }).then(
        () => false,
        () => true,
      );
      expect(gone).toBe(true);
    });
  });

  it('keeps the finalizer while cleanup asks for more time', async () => {
    await client.create(probes, probe(namespace, 'slow'));
    const alive = deepFreeze(await read('slow'));
    await addFinalizer(client, probes, alive, FINALIZER);
    await client.delete(probes, { namespace, name: 'slow' });
    const result = await reconcileWithFinalizer(client, probes, deepFreeze(await read('slow')), FINALIZER, {
      apply: () => Promise.resolve({}),
      cleanup: () => Promise.resolve({ requeueAfterMs: 1000 }),
    });
    expect(result).toEqual({ requeueAfterMs: 1000 });
    expect((await read('slow')).metadata.finalizers).toEqual([FINALIZER]);
    await removeFinalizer(client, probes, deepFreeze(await read('slow')), FINALIZER);
  });
});
