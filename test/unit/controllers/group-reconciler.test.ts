// The group reconciler without a cluster: an in-memory store and client (support/memory-cluster.ts) stand
// in for the API server and the caches, the simulated cloud's phases are set by hand. Table tests of what
// one reconcile does — creates, deletes, status, conditions, Events — for the ScaleSet adapter with upgrades,
// as the operator wires it.
import { describe, expect, test } from 'vitest';
import type { Instance } from '../../../src/api/index.ts';
import { INSTANCES } from '../../../src/controllers/resources.ts';
import { NS, scaleSetWorld } from './support/scaleset-world.ts';

const world = scaleSetWorld;

describe('one reconcile of a ScaleSet', () => {
  test.each([
    { name: '6 over 3 zones', spec: { capacity: 6 }, zones: { '1': 2, '2': 2, '3': 2 } },
    {
      name: '7 over 3 zones: the remainder in zone 1',
      spec: { capacity: 7 },
      zones: { '1': 3, '2': 2, '3': 2 },
    },
    { name: 'regional', spec: { capacity: 3, zones: [] }, zones: { '': 3 } },
  ])('creates exactly the plan ($name) and says Provisioning', async ({ spec, zones }) => {
    const w = world(spec);
    await w.step();
    expect(w.byZone()).toEqual(zones);
    expect(w.condition('Ready')).toEqual({ status: 'False', reason: 'Provisioning' });
    expect(w.cluster.events.map((e) => e.reason)).toContain('ScaledOut');
  });

  test('once every VM runs: Ready, and a further reconcile writes nothing', async () => {
    const w = world({ capacity: 6 });
    await w.settle();
    expect(w.condition('Ready')).toEqual({ status: 'True', reason: 'AllInstancesRunning' });
    expect(w.group().status?.['readyInstances']).toBe(6);
    const writes = w.cluster.writes.length;
    await w.step();
    expect(w.cluster.writes.slice(writes)).toEqual([]);
  });

  test('an invalid spec: Ready=False InvalidSpec naming the field, and no running VM is deleted', async () => {
    const w = world({ capacity: 3 });
    await w.settle();
    w.editSpec((spec) => {
      spec['zones'] = ['1', '2', '9'];
    });
    await w.step();
    expect(w.condition('Ready')).toEqual({ status: 'False', reason: 'InvalidSpec' });
    expect(w.live()).toHaveLength(3);
    expect(w.cluster.writes.filter((write) => write.startsWith('delete'))).toEqual([]);
  });

  test('paused: the plan is in status, nothing is created', async () => {
    const w = world({ capacity: 4, paused: true });
    await w.step();
    expect(w.live()).toEqual([]);
    expect(w.condition('Ready')).toEqual({ status: 'False', reason: 'Paused' });
    expect(w.group().status?.['plan']).toMatchObject({ creates: expect.any(Array) as unknown });
  });

  test('strict zoneBalance with both zone-1 VMs protected: 6 → 3 stops at 2/1/1, ZoneBalanceBlocked', async () => {
    const w = world({ capacity: 6, zoneBalance: true });
    await w.settle();
    for (const i of w.live().filter((x) => x.spec.zone === '1')) {
      await w.cluster.client.patch(
        INSTANCES,
        { namespace: NS, name: i.metadata.name },
        {
          type: 'merge',
          body: { spec: { ...i.spec, protection: { fromScaleIn: true, fromScaleSetActions: false } } },
        },
      );
    }
    w.editSpec((spec) => {
      spec['capacity'] = 3;
    });
    await w.settle();
    expect(w.byZone()).toEqual({ '1': 2, '2': 1, '3': 1 });
    expect(w.condition('Ready')).toEqual({ status: 'False', reason: 'ZoneBalanceBlocked' });
  });

  test('Deallocated Spot VMs count toward capacity but keep Ready False (InstancesDeallocated)', async () => {
    const w = world({ capacity: 4, priority: 'Spot', spot: { evictionPolicy: 'Deallocate' } });
    await w.settle();
    for (const i of w.live().slice(0, 2)) w.cluster.setPhase(i.metadata.name, NS, 'Deallocated');
    await w.step();
    expect(w.live()).toHaveLength(4);
    expect(w.condition('Ready')).toEqual({ status: 'False', reason: 'InstancesDeallocated' });
    expect(w.condition('Degraded')).toEqual({ status: 'True', reason: 'InstancesDeallocated' });
  });

  test('an Automatic upgrade hands the scale-in protection of the VMs it replaces to their replacements', async () => {
    const w = world({ capacity: 4, zones: ['1', '2'], upgradePolicy: { mode: 'Automatic' } });
    await w.settle();
    const guarded = w.live()[0] as Instance;
    await w.cluster.client.patch(
      INSTANCES,
      { namespace: NS, name: guarded.metadata.name },
      {
        type: 'merge',
        body: { spec: { ...guarded.spec, protection: { fromScaleIn: true, fromScaleSetActions: false } } },
      },
    );
    w.editSpec((spec) => {
      spec['vmSize'] = 'Standard_D4s_v5';
    });
    await w.settle();
    await w.settle();
    const now = w.live();
    expect(now.map((i) => i.spec.vmSize)).toEqual(Array<string>(4).fill('Standard_D4s_v5'));
    expect(now.filter((i) => i.spec.protection.fromScaleIn)).toHaveLength(1);
    expect(now.map((i) => i.metadata.name)).not.toContain(guarded.metadata.name);
  });

  test('a refused upgrade delete is decided again by the retry: the step remembers and announces only what was done', async () => {
    const w = world({
      capacity: 3,
      upgradePolicy: { mode: 'Rolling', rollingUpgradePolicy: { maxBatchInstancePercent: 20 } },
    });
    await w.settle();
    w.editSpec((spec) => {
      spec['vmSize'] = 'Standard_D4s_v5';
    });
    w.cluster.failDeletes = 1;
    await expect(w.step()).rejects.toThrow(/away/);
    expect(w.reasons()).not.toContain('UpgradingInstances');
    expect(w.live()).toHaveLength(3);
    await w.step();
    expect(w.reasons().filter((r) => r === 'UpgradingInstances')).toHaveLength(1);
    expect(w.live().filter((i) => i.spec.vmSize === 'Standard_D2s_v5')).toHaveLength(2);
    expect(w.group().status?.['upgrade']).toMatchObject({ currentBatch: 1, batchReplaced: 1 });
  });
});
