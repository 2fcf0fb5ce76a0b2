// Status through server-side apply on the real API server: written under one field manager on the
// status subresource, skipped when the cached status already matches, conditions keep their
// lastTransitionTime, and a status field someone else owns survives because SSA merges by manager.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/runtime/client.ts';
import { computeConditions, type Condition } from '../../../src/runtime/conditions.ts';
import { Reflector } from '../../../src/runtime/reflector.ts';
import { StatusWriter } from '../../../src/runtime/status.ts';
import { readAuditEvents } from '../../cluster/controlplane.ts';
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

interface ManagedField {
  manager: string;
  operation: string;
  subresource?: string;
}

describeCluster('status writes with server-side apply', () => {
  let client: KubeClient;
  let namespace = '';
  let reflector: Reflector<Probe>;

  beforeAll(async () => {
    await ensureProbeCrds();
    client = clientFor(useCluster());
    namespace = await createNamespace('rt-status');
    reflector = new Reflector<Probe>({ resource: probes, client, logger: testLogger(), namespace });
    reflector.start();
    await reflector.waitForSync();
  });

  afterAll(async () => {
    await reflector.stop();
  });

  async function statusPatches(name: string): Promise<number> {
    const auditLog = useCluster().auditLogPath;
    if (auditLog === null) throw new Error('the shared plane runs with an audit log');
    const events = await readAuditEvents(auditLog);
    return events.filter(
      (e) =>
        e.verb === 'patch' &&
        e.objectRef?.resource === 'probes' &&
        e.objectRef.subresource === 'status' &&
        e.objectRef.namespace === namespace &&
        e.objectRef.name === name,
    ).length;
  }

  it('applies status once, then writes nothing while the computed status is unchanged', async () => {
    const writer = new StatusWriter({ client, fieldManager: 'vmfleet' });
    await client.create(probes, probe(namespace, 'steady', { size: 3 }));
    const key = `${namespace}/steady`;
    await eventually(() => {
      expect(reflector.store.get(key)).toBeDefined();
    });

    const compute = (cached: Probe['status']): Record<string, unknown> => ({
      readyInstances: 3,
      conditions: computeConditions(
        cached?.['conditions'] as Condition[] | undefined,
        [{ type: 'Ready', status: 'True', reason: 'AllInstancesRunning', message: '3/3' }],
        { generation: 1, now: new Date() },
      ),
    });

    const first = await writer.update(probes, reflector.store.get(key) ?? fail(), compute(undefined));
    expect(first.written).toBe(true);
    const written = first.object as Probe;
    expect(written.status?.['observedGeneration']).toBe(1);
    const managedFields = written.metadata.managedFields as ManagedField[] | undefined;
    expect(
      managedFields?.some(
        (f) => f.manager === 'vmfleet' && f.operation === 'Apply' && f.subresource === 'status',
      ),
    ).toBe(true);

    // Reconciles after the watch delivered our own write compute the same status: no further write,
    // and lastTransitionTime stays where it was although "now" moved on.
    await eventually(() => {
      expect(reflector.store.get(key)?.status?.['readyInstances']).toBe(3);
    });
    const cachedAfterWrite = reflector.store.get(key) ?? fail();
    const transition = (cachedAfterWrite.status?.['conditions'] as Condition[])[0]?.lastTransitionTime;
    for (let i = 0; i < 5; i++) {
      const cached = reflector.store.get(key) ?? fail();
      const result = await writer.update(probes, cached, compute(cached.status));
      expect(result.written).toBe(false);
    }
    expect(reflector.store.get(key)?.metadata.resourceVersion).toBe(
      cachedAfterWrite.metadata.resourceVersion,
    );
    expect((reflector.store.get(key)?.status?.['conditions'] as Condition[])[0]?.lastTransitionTime).toBe(
      transition,
    );
    await eventually(async () => {
      expect(await statusPatches('steady')).toBe(1);
    });
  });

  it('writes again when the status changes and removes fields it no longer sets', async () => {
    const writer = new StatusWriter({ client, fieldManager: 'vmfleet' });
    await client.create(probes, probe(namespace, 'changing'));
    const key = `${namespace}/changing`;
    await eventually(() => {
      expect(reflector.store.get(key)).toBeDefined();
    });
    await writer.update(probes, reflector.store.get(key) ?? fail(), { readyInstances: 1, plan: { add: 2 } });
    await eventually(() => {
      expect(reflector.store.get(key)?.status?.['plan']).toEqual({ add: 2 });
    });

    const result = await writer.update(probes, reflector.store.get(key) ?? fail(), { readyInstances: 3 });
    expect(result.written).toBe(true);
    await eventually(() => {
      expect(reflector.store.get(key)?.status).toEqual({ readyInstances: 3, observedGeneration: 1 });
    });
    expect(await statusPatches('changing')).toBe(2);
  });

  it('bumps observedGeneration when the spec changes even if the rest of the status does not', async () => {
    const writer = new StatusWriter({ client, fieldManager: 'vmfleet' });
    await client.create(probes, probe(namespace, 'generations', { size: 1 }));
    const key = `${namespace}/generations`;
    await eventually(() => {
      expect(reflector.store.get(key)).toBeDefined();
    });
    await writer.update(probes, reflector.store.get(key) ?? fail(), { readyInstances: 1 });
    await client.patch(
      probes,
      { namespace, name: 'generations' },
      { type: 'merge', body: { spec: { size: 2 } } },
    );
    await eventually(() => {
      expect(reflector.store.get(key)?.metadata.generation).toBe(2);
    });
    const result = await writer.update(probes, reflector.store.get(key) ?? fail(), { readyInstances: 1 });
    expect(result.written).toBe(true);
    await eventually(() => {
      expect(reflector.store.get(key)?.status?.['observedGeneration']).toBe(2);
    });
  });

  // vmfleet is the only writer of its status; this shows that SSA would not clobber a condition owned by
  // another manager (merge patch would have replaced the whole list).
  it('merges conditions by type between field managers', async () => {
    const ours = new StatusWriter({ client, fieldManager: 'vmfleet' });
    await client.create(probes, probe(namespace, 'shared'));
    const key = `${namespace}/shared`;
    await eventually(() => {
      expect(reflector.store.get(key)).toBeDefined();
    });
    const condition = (type: string): Condition => ({
      type,
      status: 'True',
      observedGeneration: 1,
      lastTransitionTime: '2026-11-23T10:00:00Z',
      reason: 'Test',
      message: '',
    });
    // Another manager owns a condition of its own.
    await client.patchStatus(
      probes,
      { namespace, name: 'shared' },
      {
        type: 'apply',
        fieldManager: 'someone-else',
        force: true,
        body: {
          apiVersion: `${probes.group}/v1`,
          kind: 'Probe',
          metadata: { name: 'shared', namespace },
          status: { conditions: [condition('External')] },
        },
      },
    );
    await ours.update(probes, reflector.store.get(key) ?? fail(), { conditions: [condition('Ready')] });
    await eventually(() => {
      const types = ((reflector.store.get(key)?.status?.['conditions'] ?? []) as Condition[]).map(
        (c) => c.type,
      );
      expect(types.sort()).toEqual(['External', 'Ready']);
    });
  });
});

function fail(): never {
  throw new Error('object missing from the cache');
}
