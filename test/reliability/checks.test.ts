// The scenarios' judges, judged: each consistency check flags the fault it exists for (so a scenario that
// passes has really been checked), the quantile matches PromQL's, the writer runs expose interleaving,
// and the write guard refuses writes but not reads or Leases.
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { API_GROUP_VERSION, type Instance } from '../../src/api/index.ts';
import { computeRegionUsage } from '../../src/cloud/index.ts';
import { newInstance } from '../../src/controllers/instances.ts';
import { KubeClient } from '../../src/runtime/index.ts';
import type { AuditRecord } from './lib/audit.ts';
import { consistencyViolations } from './lib/consistency.ts';
import { regionManifest, type GroupObjectView, type RegionView, type Snapshot } from './lib/fleet.ts';
import { quantile } from './lib/metrics.ts';
import { applyMutation } from './lib/mutations.ts';
import { writerRuns } from './scenarios/failover.ts';

const REGION = regionManifest('r');

function group(name: string, capacity: number, uid = `uid-${name}`): GroupObjectView {
  const conditions = ['Ready', 'Progressing', 'Degraded'].map((type) => ({
    type,
    status: type === 'Ready' ? 'True' : 'False',
    observedGeneration: 1,
  }));
  return {
    kind: 'ScaleSet',
    metadata: { name, namespace: 'ns', uid, generation: 1 },
    spec: { capacity },
    status: {
      observedGeneration: 1,
      conditions,
      capacity,
      readyInstances: capacity,
      plan: { creates: [], deletes: [] },
    },
  };
}

function instance(owner: string, id: number, uid = `uid-${owner}`): Instance {
  const created = newInstance(
    { kind: 'ScaleSet', name: owner, namespace: 'ns', uid, region: 'r' },
    { size: 'Standard_D2s_v5', zone: '1', faultDomain: 0, priority: 'Regular' },
    id,
    { image: { source: 'Marketplace', name: 'ubuntu', version: 'latest' }, modelHash: 'h' },
  );
  return {
    ...created,
    metadata: { ...created.metadata, uid: `${owner}-${id}` },
    status: { phase: 'Running', pricePerHour: 0.096 },
  };
}

function world(instances: Instance[], groups = [group('web', 2)]): Snapshot {
  const usage = computeRegionUsage(REGION.spec, instances);
  const region: RegionView = {
    metadata: { name: 'r', generation: 1 },
    spec: REGION.spec,
    status: { observedGeneration: 1, ...usage },
  };
  return { groups, instances, regions: [region] };
}

describe('consistency checks', () => {
  const healthy = [instance('web', 0), instance('web', 1)];

  it('pass a consistent world', () => {
    expect(consistencyViolations(world(healthy), { exactTargets: true })).toEqual([]);
  });

  it('flag a duplicate instanceId and a name that is not <owner>-<id>', () => {
    const twin = instance('web', 1);
    const renamed = { ...twin, metadata: { ...twin.metadata, name: 'web-1-copy' } };
    const text = consistencyViolations(world([...healthy, renamed])).join('\n');
    expect(text).toMatch(/duplicate instanceId 1: web-1, web-1-copy/);
    expect(text).toMatch(/web-1-copy: name is not <owner>-<instanceId>/);
  });

  it('flag an orphan and a stuck finalizer', () => {
    const orphan = instance('gone', 0, 'uid-gone');
    const stuck = {
      ...healthy[1],
      metadata: { ...healthy[1]?.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' },
    } as Instance;
    const text = consistencyViolations(world([healthy[0] as Instance, stuck, orphan])).join('\n');
    expect(text).toMatch(/orphan ns\/gone-0/);
    expect(text).toMatch(/web-1 deleting since/);
  });

  it('flag Region usage that differs from the Instances', () => {
    const snapshot = world(healthy);
    const region = snapshot.regions[0] as RegionView;
    region.status = { ...region.status, instances: 3 };
    expect(consistencyViolations(snapshot).join('\n')).toMatch(/status.instances 3 ≠ 2/);
  });

  it('flag a group off its target, a stale status and counts that do not match', () => {
    expect(
      consistencyViolations(world(healthy, [group('web', 3)]), { exactTargets: true }).join('\n'),
    ).toMatch(/2 Instances, target 3/);
    const stale = group('web', 2);
    stale.metadata.generation = 2;
    expect(consistencyViolations(world(healthy, [stale])).join('\n')).toMatch(
      /observedGeneration 1 ≠ generation 2/,
    );
    const miscounted = group('web', 2);
    if (miscounted.status) miscounted.status.readyInstances = 1;
    expect(consistencyViolations(world(healthy, [miscounted])).join('\n')).toMatch(
      /readyInstances 1 ≠ 2 Running/,
    );
  });
});

describe('quantile', () => {
  it('interpolates within a bucket as histogram_quantile does', () => {
    // 10 observations ≤ 0.1, 10 more ≤ 0.2: the median is the top of the first bucket, p75 half-way up the second.
    const cumulative = new Map([
      [0.1, 10],
      [0.2, 20],
      [Infinity, 20],
    ]);
    expect(quantile(0.5, cumulative)).toBeCloseTo(0.1);
    expect(quantile(0.75, cumulative)).toBeCloseTo(0.15);
    expect(
      quantile(
        0.99,
        new Map([
          [1, 0],
          [Infinity, 5],
        ]),
      ),
    ).toBe(1);
    expect(
      quantile(
        0.5,
        new Map([
          [1, 0],
          [Infinity, 0],
        ]),
      ),
    ).toBeNaN();
  });
});

describe('writer runs', () => {
  const record = (who: string, at: number): AuditRecord => ({
    stage: 'ResponseComplete',
    verb: 'create',
    requestURI: '/',
    user: { username: 'u', extra: { 'authentication.kubernetes.io/credential-id': [who] } },
    requestReceivedTimestamp: new Date(at).toISOString(),
    stageTimestamp: new Date(at).toISOString(),
  });
  const who = (r: AuditRecord): string =>
    r.user.extra?.['authentication.kubernetes.io/credential-id']?.[0] ?? '';

  it('are one per leadership term, and more when two writers overlap', () => {
    expect(writerRuns([record('a', 1), record('a', 2), record('b', 30), record('a', 60)], who)).toEqual([
      'a',
      'b',
      'a',
    ]);
    expect(writerRuns([record('a', 1), record('b', 2), record('a', 3)].reverse(), who)).toEqual([
      'a',
      'b',
      'a',
    ]);
    expect(writerRuns([record('a', 1), record('b', 30), record('a', 31), record('b', 32)], who)).toHaveLength(
      4,
    );
  });
});

describe('mutations', () => {
  it('set, drop and reach into arrays without touching the original', () => {
    const spec = { region: 'r', zones: ['1', '2'], regular: { capacity: 3 } };
    expect(applyMutation(spec, { kind: 'drop', path: ['zones', 0] })).toEqual({
      region: 'r',
      zones: ['2'],
      regular: { capacity: 3 },
    });
    expect(
      applyMutation(spec, { kind: 'wrong type', path: ['regular', 'capacity'], value: 'three' }),
    ).toMatchObject({ regular: { capacity: 'three' } });
    expect(spec).toEqual({ region: 'r', zones: ['1', '2'], regular: { capacity: 3 } });
  });
});

describe('write guard', () => {
  function offlineClient(): KubeClient {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    return new KubeClient(config, { requestTimeoutMs: 2_000 });
  }
  const instances = {
    group: 'compute.vmfleet.io',
    version: 'v1alpha1',
    kind: 'Instance',
    plural: 'instances',
    namespaced: true,
  };

  it('refuses writes while the guard says no, and lets them through (to the network) when it says yes', async () => {
    let fresh = false;
    const client = offlineClient().fenced(() => fresh);
    const object = {
      apiVersion: API_GROUP_VERSION,
      kind: 'Instance',
      metadata: { name: 'i', namespace: 'ns' },
    };
    await expect(client.create(instances, object)).rejects.toMatchObject({ reason: 'NotLeader' });
    await expect(
      client.patchStatus(instances, { namespace: 'ns', name: 'i' }, { type: 'merge', body: {} }),
    ).rejects.toMatchObject({ reason: 'NotLeader' });
    await expect(client.delete(instances, { namespace: 'ns', name: 'i' })).rejects.toMatchObject({
      reason: 'NotLeader',
    });
    // Reads (Lease reads too) are never fenced: they reach the (unreachable) server.
    await expect(client.get(instances, { namespace: 'ns', name: 'i' })).rejects.toMatchObject({
      reason: 'NetworkError',
    });
    await expect(client.readLease('ns', 'l')).rejects.not.toMatchObject({ reason: 'NotLeader' });
    fresh = true;
    await expect(client.create(instances, object)).rejects.toMatchObject({ reason: 'NetworkError' });
  });
});
