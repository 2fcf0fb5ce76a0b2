// 410 Gone on a control plane of our own (the test restarts kube-apiserver, which the shared plane must
// not see): after a restart the API server's watch cache starts at the current resourceVersion, so the
// reflector's older one is "too old"; the reflector must notice, relist and carry on.
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KubeClient } from '../../../src/runtime/client.ts';
import { Reflector } from '../../../src/runtime/reflector.ts';
import { startControlPlane, type ControlPlane } from '../../cluster/controlplane.ts';
import { describeCluster, eventually, useCluster } from '../cluster.ts';
import { probe, probeCrdsYaml, probes, testLogger, type Probe } from './support.ts';

describeCluster('Reflector relisting after 410 Gone', () => {
  let plane: ControlPlane;
  let client: KubeClient;

  beforeAll(async () => {
    plane = await startControlPlane({ binDir: useCluster().binDir });
    const applied = await plane.kubectl(['apply', '--server-side', '-f', '-'], { input: probeCrdsYaml() });
    if (applied.code !== 0) throw new Error(applied.stderr);
    const established = await plane.kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      `crd/${probes.plural}.${probes.group}`,
    ]);
    if (established.code !== 0) throw new Error(established.stderr);
    const config = new KubeConfig();
    config.loadFromFile(plane.adminKubeconfig);
    client = new KubeClient(config);
  });

  afterAll(async () => {
    await plane.stop();
  });

  it('relists when its resourceVersion is no longer served after an API server restart', async () => {
    let lists = 0;
    let watches = 0;
    await client.create(probes, probe('default', 'before'));
    const reflector = new Reflector<Probe>({
      resource: probes,
      client,
      logger: testLogger(),
      namespace: 'default',
      backoff: { initialMs: 200, maxMs: 1000 },
      observer: {
        reflectorList: () => {
          lists++;
        },
        reflectorWatch: () => {
          watches++;
        },
      },
    });
    reflector.start();
    await reflector.waitForSync();
    expect(lists).toBe(1);
    const watchedFrom = reflector.resourceVersion;

    // A write the reflector does not watch moves the server's resourceVersion past ours.
    await client.create(probes, probe('kube-system', 'elsewhere'));
    await plane.restartApiServer();
    await client.create(probes, probe('default', 'after'));

    await eventually(
      () => {
        expect(reflector.store.has('default/after')).toBe(true);
      },
      { timeoutMs: 30_000 },
    );
    // Only a 410 makes the reflector list again; errors while the server was down only re-watch.
    expect(lists).toBe(2);
    expect(watches).toBeGreaterThan(1);
    expect(reflector.resourceVersion).not.toBe(watchedFrom);
    expect(reflector.store.keys().sort()).toEqual(['default/after', 'default/before']);
    await reflector.stop();
  });
});
