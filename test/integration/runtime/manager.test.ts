// The whole runtime on a real API server: a Manager with shared reflectors, a controller whose children
// and fan-out source enqueue the right keys, status via SSA, readiness from cache sync, two managers on
// one Lease where only the leader reconciles, and a real process stopped with SIGTERM.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/runtime/client.ts';
import { Controller, generationChanged, mapToControllerOwner } from '../../../src/runtime/controller.ts';
import { Manager, type ManagerExit } from '../../../src/runtime/manager.ts';
import { controllerReference, keyOf, objectKey, type ResourceType } from '../../../src/runtime/objects.ts';
import { OPERATOR_NAMESPACE } from '../../cluster/controlplane.ts';
import { describeCluster, eventually, kubectlOk, uniqueName, useCluster } from '../cluster.ts';
import {
  clientFor,
  createNamespace,
  ensureProbeCrds,
  PROBE_GROUP,
  probe,
  probeClusters,
  probes,
  signalled,
  testLogger,
  type Probe,
} from './support.ts';

interface ProbeCluster {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; resourceVersion?: string; generation?: number };
  spec?: { tier?: string };
}

describeCluster('Manager and Controller on a real API server', () => {
  let admin: KubeClient;
  const managers: Manager[] = [];

  beforeAll(async () => {
    await ensureProbeCrds();
    admin = clientFor(useCluster());
  });

  afterEach(async () => {
    await Promise.all(managers.splice(0).map((manager) => manager.stop()));
  });

  /**
   * A manager running the "parent" controller: a parent Probe's status counts its child Probes (found
   * through a controller ownerReference) and copies the tier of the ProbeCluster it names.
   */
  function parentManager(options: { namespace: string; identity: string; leaseName?: string }) {
    const reconciled: string[] = [];
    const manager = new Manager({
      client: admin,
      logger: testLogger(),
      namespace: OPERATOR_NAMESPACE,
      identity: options.identity,
      leaderElection: options.leaseName === undefined ? false : { leaseName: options.leaseName },
      health: { port: 0, host: '127.0.0.1' },
    });
    managers.push(manager);
    const probeCache = manager.reflector<Probe>(probes, { namespace: options.namespace });
    const clusterCache = manager.reflector<ProbeCluster>(probeClusters);
    probeCache.addIndex('owner', (object) => {
      const owner = object.metadata.ownerReferences?.find((ref) => ref.controller === true);
      return owner === undefined ? [] : [keyOf({ namespace: object.metadata.namespace, name: owner.name })];
    });
    probeCache.addIndex('cluster', (object) => {
      const cluster = object.spec?.cluster;
      return typeof cluster === 'string' ? [cluster] : [];
    });
    const controller = new Controller({
      name: `parent-${options.identity}`,
      logger: manager.logger,
      workers: 2,
      reconcile: async (request) => {
        reconciled.push(request.key);
        const parent = probeCache.store.get(request.key);
        if (parent === undefined || parent.metadata.ownerReferences !== undefined) return {};
        const children = probeCache.store.byIndex('owner', request.key).length;
        const clusterName = parent.spec?.cluster;
        const tier =
          typeof clusterName === 'string'
            ? (clusterCache.store.get(clusterName)?.spec?.tier ?? 'none')
            : 'none';
        await manager.statusWriter.update(probes, parent, { children, tier });
        return {};
      },
    });
    controller
      .watchPrimary(probeCache, { predicate: generationChanged })
      .watch(probeCache, mapToControllerOwner({ group: PROBE_GROUP, kind: 'Probe' }))
      // Fan-out: a ProbeCluster change reconciles every Probe in that cluster.
      .watch(clusterCache, (cluster) =>
        probeCache.store.byIndex('cluster', cluster.metadata.name).map(objectKey),
      );
    manager.addController(controller);
    return { manager, reconciled, probeCache };
  }

  async function statusOf(namespace: string, name: string): Promise<Record<string, unknown> | undefined> {
    return ((await admin.get(probes, { namespace, name })) as Probe).status;
  }

  it('maps children to their owner and fans a cluster change out to its probes; status follows', async () => {
    const namespace = await createNamespace('rt-mgr');
    const clusterName = uniqueName('cluster');
    await admin.create(probeClusters, {
      apiVersion: `${PROBE_GROUP}/v1`,
      kind: 'ProbeCluster',
      metadata: { name: clusterName },
      spec: { tier: 'gold' },
    });
    const parent = (await admin.create(
      probes,
      probe(namespace, 'parent', { cluster: clusterName }),
    )) as Probe;
    const { manager } = parentManager({ namespace, identity: 'solo' });
    await manager.start();

    await eventually(async () => {
      expect(await statusOf(namespace, 'parent')).toEqual({
        children: 0,
        tier: 'gold',
        observedGeneration: 1,
      });
    });

    // Two children owned through a controller ownerReference: each event reconciles the parent.
    const owner = controllerReference(parent, probes);
    for (const name of ['child-1', 'child-2']) {
      await admin.create(probes, {
        ...probe(namespace, name),
        metadata: { name, namespace, ownerReferences: [owner] },
      });
    }
    await eventually(async () => {
      expect((await statusOf(namespace, 'parent'))?.['children']).toBe(2);
    });
    await admin.delete(probes, { namespace, name: 'child-1' });
    await eventually(async () => {
      expect((await statusOf(namespace, 'parent'))?.['children']).toBe(1);
    });

    // The cluster changes: the parent is reconciled through the fan-out mapping.
    await admin.patch(
      probeClusters,
      { name: clusterName },
      { type: 'merge', body: { spec: { tier: 'silver' } } },
    );
    await eventually(async () => {
      expect((await statusOf(namespace, 'parent'))?.['tier']).toBe('silver');
    });

    await admin.delete(probeClusters, { name: clusterName });
  });

  it('reports ready only once every cache has synced', async () => {
    const manager = new Manager({
      client: admin,
      logger: testLogger(),
      namespace: OPERATOR_NAMESPACE,
      leaderElection: false,
      health: { port: 0, host: '127.0.0.1' },
    });
    managers.push(manager);
    const missing: ResourceType = {
      group: PROBE_GROUP,
      version: 'v1',
      plural: 'missings',
      kind: 'Missing',
      namespaced: true,
    };
    manager.reflector(missing, { backoff: { initialMs: 100, maxMs: 200 } });
    const present = manager.reflector(probes);
    await manager.start();
    const port = manager.health?.boundPort() ?? 0;
    await present.waitForSync();

    const healthz = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(healthz.status).toBe(200);
    const notReady = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toContain('waiting for missings');
    expect(manager.cachesSynced).toBe(false);
  });

  it('with two managers on one Lease only the leader reconciles; a graceful stop hands over', async () => {
    const namespace = await createNamespace('rt-ha');
    const leaseName = uniqueName('rt-mgr-lease');
    await admin.create(probes, probe(namespace, 'p1'));
    await admin.create(probes, probe(namespace, 'p2'));
    const a = parentManager({ namespace, identity: 'replica-a', leaseName });
    await a.manager.start();
    await eventually(() => {
      expect(a.manager.isLeader).toBe(true);
    });
    await eventually(() => {
      expect(new Set(a.reconciled)).toEqual(new Set([`${namespace}/p1`, `${namespace}/p2`]));
    });

    const b = parentManager({ namespace, identity: 'replica-b', leaseName });
    await b.manager.start();
    // The standby syncs its caches (ready for a fast takeover) but never reconciles.
    await b.probeCache.waitForSync();
    await admin.create(probes, probe(namespace, 'p3'));
    await eventually(() => {
      expect(a.reconciled).toContain(`${namespace}/p3`);
    });
    expect(b.manager.isLeader).toBe(false);
    expect(b.reconciled).toEqual([]);

    const exited = signalled<ManagerExit>();
    void a.manager.done.then(exited.resolve);
    await a.manager.stop();
    expect(await exited.promise).toEqual({ reason: 'stopped' });
    const holder = await kubectlOk([
      'get',
      'lease',
      '-n',
      OPERATOR_NAMESPACE,
      leaseName,
      '-o',
      'jsonpath={.spec.holderIdentity}',
    ]);
    expect(['', 'replica-b']).toContain(holder);

    await eventually(
      () => {
        expect(b.manager.isLeader).toBe(true);
      },
      { timeoutMs: 10_000 },
    );
    await eventually(() => {
      expect(new Set(b.reconciled)).toEqual(new Set([1, 2, 3].map((i) => `${namespace}/p${i}`)));
    });
  });

  it('SIGTERM: finishes the in-flight reconcile, releases the lease and exits 0', async () => {
    const cluster = useCluster();
    const namespace = await createNamespace('rt-sigterm');
    const leaseName = uniqueName('rt-sigterm');
    await admin.create(probes, probe(namespace, 'slow'));
    const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'sigterm-operator.ts')], {
      env: {
        ...process.env,
        TEST_KUBECONFIG: cluster.adminKubeconfig,
        TEST_LEASE_NAMESPACE: OPERATOR_NAMESPACE,
        TEST_LEASE_NAME: leaseName,
        TEST_IDENTITY: 'sigterm-operator',
        TEST_NAMESPACE: namespace,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const started = signalled();
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('reconcile started')) started.resolve();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exitCode = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        resolve(code);
      }),
    );

    await started.promise;
    child.kill('SIGTERM');
    expect(await exitCode, output).toBe(0);

    // The reconcile that was running when SIGTERM arrived completed its write.
    expect(await statusOf(namespace, 'slow')).toEqual({ finished: true, observedGeneration: 1 });
    const lines = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; key?: string; controller?: string });
    const finished = lines.find((line) => line.msg === 'reconcile finished');
    expect(finished).toMatchObject({ controller: 'slow-probe', key: `${namespace}/slow` });
    expect(lines.map((line) => line.msg)).toContain('lease released');
    const holder = await kubectlOk([
      'get',
      'lease',
      '-n',
      OPERATOR_NAMESPACE,
      leaseName,
      '-o',
      'jsonpath={.spec.holderIdentity}',
    ]);
    expect(holder).toBe('');
  });

  it('resyncs every cached key periodically even when nothing changes', async () => {
    const namespace = await createNamespace('rt-resync');
    await admin.create(probes, probe(namespace, 'idle'));
    const manager = new Manager({
      client: admin,
      logger: testLogger(),
      namespace: OPERATOR_NAMESPACE,
      leaderElection: false,
      health: false,
    });
    managers.push(manager);
    const cache = manager.reflector<Probe>(probes, { namespace });
    let runs = 0;
    manager
      .createController({
        name: 'resync',
        resyncPeriodMs: 300,
        reconcile: () => {
          runs++;
          return Promise.resolve({});
        },
      })
      .watchPrimary(cache);
    await manager.start();
    await eventually(() => {
      expect(runs).toBeGreaterThanOrEqual(4);
    });
  });

  it('a manager that loses its lease aborts in-flight reconciles and stops with leadership-lost', async () => {
    const namespace = await createNamespace('rt-lost');
    const leaseName = uniqueName('rt-mgr-lost');
    await admin.create(probes, probe(namespace, 'busy'));
    const manager = new Manager({
      client: admin,
      logger: testLogger(),
      namespace: OPERATOR_NAMESPACE,
      identity: 'soon-deposed',
      leaderElection: { leaseName },
      health: false,
    });
    managers.push(manager);
    const cache = manager.reflector<Probe>(probes, { namespace });
    const inFlight = signalled<AbortSignal>();
    manager
      .createController({
        name: 'hanging',
        // Never finishes on its own: only the abort on lost leadership ends it.
        reconcile: (_request, { signal }) => {
          inFlight.resolve(signal);
          return new Promise((resolve) => {
            signal.addEventListener('abort', () => {
              resolve({});
            });
          });
        },
      })
      .watchPrimary(cache);
    await manager.start();
    const reconcileSignal = await inFlight.promise;

    const lease = JSON.parse(
      await kubectlOk(['get', 'lease', '-n', OPERATOR_NAMESPACE, leaseName, '-o', 'json']),
    ) as { metadata: { resourceVersion: string }; spec: { leaseTransitions?: number } };
    const now = new Date().toISOString().replace('Z', '000Z');
    await kubectlOk(['replace', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: leaseName,
          namespace: OPERATOR_NAMESPACE,
          resourceVersion: lease.metadata.resourceVersion,
        },
        spec: {
          holderIdentity: 'usurper',
          leaseDurationSeconds: 15,
          renewTime: now,
          acquireTime: now,
          leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1,
        },
      }),
    });

    expect(await manager.done).toEqual({ reason: 'leadership-lost' });
    expect(reconcileSignal.aborted).toBe(true);
    expect(manager.isLeader).toBe(false);

    // Its client refuses every write from now on, before the request leaves: a request that reached the
    // server would change the Probe, or answer 404 for the scale subresource Probes do not have.
    const before = (await admin.get(probes, { namespace, name: 'busy' })) as Probe;
    const ref = { namespace, name: 'busy' };
    const writes: [string, () => Promise<unknown>][] = [
      ['create', () => manager.client.create(probes, probe(namespace, 'late'))],
      ['patch', () => manager.client.patch(probes, ref, { type: 'merge', body: { spec: { tier: 'x' } } })],
      [
        'patchStatus',
        () => manager.client.patchStatus(probes, ref, { type: 'merge', body: { status: { children: 9 } } }),
      ],
      ['patchScale', () => manager.client.patchScale(probes, ref, 3)],
      ['replace', () => manager.client.replace(probes, ref, before)],
      ['delete', () => manager.client.delete(probes, ref)],
    ];
    for (const [name, write] of writes) {
      await expect(write(), name).rejects.toMatchObject({ reason: 'NotLeader' });
    }
    const after = (await admin.get(probes, { namespace, name: 'busy' })) as Probe;
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    const listed = await manager.client.list(probes, { namespace });
    expect(listed.items).toHaveLength(1);
  });
});
