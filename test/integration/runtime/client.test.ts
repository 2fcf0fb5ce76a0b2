// The thin client against the real API server: how client-node 2.0.1 reports failures (and how we
// classify them), that each patch type reaches the server with its own content type, and how a watch
// from a resourceVersion the server no longer has ends.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  isAlreadyExists,
  isConflict,
  isForbidden,
  isInvalid,
  isNotFound,
  KubeApiError,
  type KubeClient,
  type WatchEventType,
} from '../../../src/runtime/client.ts';
import { describeCluster, useCluster } from '../cluster.ts';
import {
  clientFor,
  createNamespace,
  ensureProbeCrds,
  probe,
  probes,
  signalled,
  type Probe,
} from './support.ts';

describeCluster('runtime client on a real API server', () => {
  let admin: KubeClient;
  let operator: KubeClient;
  let namespace = '';

  beforeAll(async () => {
    const cluster = useCluster();
    await ensureProbeCrds();
    admin = clientFor(cluster, 'admin');
    operator = clientFor(cluster, 'operator');
    namespace = await createNamespace('rt-client');
  });

  async function rejection(promise: Promise<unknown>): Promise<KubeApiError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KubeApiError);
    return error as KubeApiError;
  }

  it('classifies NotFound, AlreadyExists, Conflict, Invalid and Forbidden from the Status body', async () => {
    const missing = await rejection(admin.get(probes, { namespace, name: 'nope' }));
    expect(missing.code).toBe(404);
    expect(missing.reason).toBe('NotFound');
    expect(isNotFound(missing)).toBe(true);

    const created = (await admin.create(probes, probe(namespace, 'dup'))) as Probe;
    const duplicate = await rejection(admin.create(probes, probe(namespace, 'dup')));
    expect(duplicate.code).toBe(409);
    expect(isAlreadyExists(duplicate)).toBe(true);
    expect(duplicate.message).toContain('already exists');

    const stale = { ...created, metadata: { ...created.metadata, resourceVersion: '1' } };
    const conflict = await rejection(admin.replace(probes, { namespace, name: 'dup' }, stale));
    expect(isConflict(conflict)).toBe(true);
    expect(isAlreadyExists(conflict)).toBe(false);
    expect(conflict.reason).toBe('Conflict');

    const invalid = await rejection(admin.create(probes, probe(namespace, 'Not_A_DNS_Name')));
    expect(invalid.code).toBe(422);
    expect(isInvalid(invalid)).toBe(true);

    // deploy/'s RBAC grants the operator nothing on this test group.
    const forbidden = await rejection(operator.get(probes, { namespace, name: 'dup' }));
    expect(isForbidden(forbidden)).toBe(true);
    expect(forbidden.reason).toBe('Forbidden');
  });

  it('sends merge, JSON and apply patches with their own content types', async () => {
    await admin.create(probes, probe(namespace, 'patched', { size: 1, tags: ['a', 'b'] }));
    const ref = { namespace, name: 'patched' };

    const merged = (await admin.patch(probes, ref, { type: 'merge', body: { spec: { size: 2 } } })) as Probe;
    expect(merged.spec).toEqual({ size: 2, tags: ['a', 'b'] });

    const jsonPatched = (await admin.patch(probes, ref, {
      type: 'json',
      operations: [
        { op: 'test', path: '/spec/size', value: 2 },
        { op: 'add', path: '/spec/tags/-', value: 'c' },
      ],
    })) as Probe;
    expect(jsonPatched.spec?.['tags']).toEqual(['a', 'b', 'c']);

    const failedTest = await rejection(
      admin.patch(probes, ref, { type: 'json', operations: [{ op: 'test', path: '/spec/size', value: 99 }] }),
    );
    expect(failedTest.code).toBe(422);

    const applied = (await admin.patch(probes, ref, {
      type: 'apply',
      fieldManager: 'runtime-test',
      force: true,
      body: {
        apiVersion: `${probes.group}/v1`,
        kind: 'Probe',
        metadata: { name: 'patched', namespace },
        spec: { owner: 'ssa' },
      },
    })) as Probe;
    expect(applied.spec?.['owner']).toBe('ssa');
    const managedFields = applied.metadata.managedFields as
      { manager: string; operation: string }[] | undefined;
    expect(managedFields?.some((f) => f.manager === 'runtime-test' && f.operation === 'Apply')).toBe(true);

    const status = (await admin.patchStatus(probes, ref, {
      type: 'merge',
      body: { status: { phase: 'Running' } },
    })) as Probe;
    expect(status.status).toEqual({ phase: 'Running' });
  });

  it('lists in pages with continue tokens', async () => {
    const ns = await createNamespace('rt-pages');
    for (let i = 0; i < 5; i++) await admin.create(probes, probe(ns, `p${i}`));
    const names: string[] = [];
    let continueToken: string | undefined;
    let pages = 0;
    do {
      const page = await admin.list(probes, { namespace: ns, limit: 2, continueToken });
      pages++;
      names.push(...page.items.map((item) => (item as Probe).metadata.name));
      continueToken = page.continueToken;
      expect(page.resourceVersion).not.toBe('');
    } while (continueToken !== undefined);
    expect(pages).toBe(3);
    expect(names.sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('a watch from a resourceVersion older than the server keeps ends with 410', async () => {
    const ended = signalled<{ events: WatchEventType[]; error: KubeApiError | null; status: unknown }>();
    const events: WatchEventType[] = [];
    let status: unknown;
    const handle = await admin.watch(
      probes,
      { namespace, resourceVersion: '1', timeoutSeconds: 30, allowWatchBookmarks: true },
      (type, object) => {
        events.push(type);
        if (type === 'ERROR') status = object;
      },
      (error) => {
        ended.resolve({ events, error, status });
      },
    );
    const outcome = await ended.promise;
    handle.stop();
    // The watch cache answers HTTP 200 and an in-stream ERROR carrying a 410 Status ("too old
    // resource version"); etcd answers the HTTP request itself with 410. Either way it is "Gone".
    const gone =
      (outcome.events.includes('ERROR') && (outcome.status as { code?: number }).code === 410) ||
      outcome.error?.code === 410;
    expect(gone).toBe(true);
  });

  it('deletes with preconditions, refusing a recreated namesake', async () => {
    const first = (await admin.create(probes, probe(namespace, 'precond'))) as Probe;
    await admin.delete(probes, { namespace, name: 'precond' });
    await admin.create(probes, probe(namespace, 'precond'));
    const refused = await rejection(
      admin.delete(
        probes,
        { namespace, name: 'precond' },
        { preconditions: { uid: first.metadata.uid ?? '' } },
      ),
    );
    expect(refused.code).toBe(409);
    expect(await admin.get(probes, { namespace, name: 'precond' })).toBeDefined();
  });
});

describe('KubeApiError helpers without a cluster', () => {
  it('leave unknown errors unclassified', () => {
    expect(isNotFound(new Error('x'))).toBe(false);
    expect(isConflict(undefined)).toBe(false);
  });
});
