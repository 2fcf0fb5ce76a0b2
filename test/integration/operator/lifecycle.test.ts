// The operator's own lifecycle and the objects': deleting a ScaleSet (garbage collection by
// kube-controller-manager through the ownerReference, the VM released by the Instance finalizer, the
// Region's books back to zero), a restart in the middle of a scale-out, a create the API server refuses,
// and two operator processes of which only the leader acts.
import { randomBytes } from 'node:crypto';
import { it } from 'vitest';
import { INSTANCE_FINALIZER } from '../../../src/api/index.ts';
import { KubeApiError, type ResourceType } from '../../../src/runtime/index.ts';
import { OPERATOR_NAMESPACE } from '../../cluster/controlplane.ts';
import { describeCluster, eventually, kubectlOk } from '../cluster.ts';
import {
  counterTotal,
  createGroup,
  getRegion,
  instancesOf,
  newWorld,
  patchSpec,
  scaleSet,
  waitReady,
  type CreateInterceptor,
  type World,
  startWithGroup,
} from './support.ts';

const POLL = { timeoutMs: 30_000, intervalMs: 100 };
/** These tests wait for several convergences in a row (the default test timeout is 60 s). */
const SLOW_TEST_MS = 120_000;

const isInstance = (resource: ResourceType) => resource.plural === 'instances';

function webSet(world: World, name: string, capacity: number) {
  return scaleSet(world, name, {
    orchestrationMode: 'Uniform',
    vmSize: 'Standard_D2s_v5',
    capacity,
    zones: ['1', '2', '3'],
  });
}

describeCluster('operator lifecycle on the real control plane', () => {
  it.concurrent(
    'deleting a ScaleSet removes its Instances and returns the Region usage to zero',
    async ({ expect, onTestFinished }) => {
      const { world, group, instances } = await startWithGroup(
        { onTestFinished },
        'delete',
        (w) => webSet(w, 'web', 5),
        { wait: 5 },
      );
      for (const i of instances) {
        expect(i.metadata.finalizers).toEqual([INSTANCE_FINALIZER]);
        expect(i.metadata.ownerReferences).toEqual([
          expect.objectContaining({ kind: 'ScaleSet', uid: group.metadata.uid, controller: true }),
        ]);
      }
      await eventually(async () => {
        const status = (await getRegion(world)).status;
        expect(status?.instances).toBe(5);
        expect(status?.usage?.reduce((n, u) => n + u.count, 0)).toBe(5);
      }, POLL);

      await kubectlOk(['delete', 'scaleset', 'web', '-n', world.namespace, '--wait=false']);
      await eventually(
        async () => {
          expect(await instancesOf(world, 'ScaleSet', 'web')).toEqual([]);
          const status = (await getRegion(world)).status;
          expect(status?.instances).toBe(0);
          expect(status?.usage ?? []).toEqual([]);
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      const left = await kubectlOk(['get', 'scalesets', '-n', world.namespace, '-o', 'name']);
      expect(left.trim()).toBe('');
    },
    SLOW_TEST_MS,
  );

  it.concurrent(
    'an operator stopped mid scale-out, with create answers lost, converges after restart with no duplicate',
    async ({ expect, onTestFinished }) => {
      const world = await newWorld({ onTestFinished }, 'restart');
      // The first operator's connection breaks after 40 creates: the creates already on their way reach
      // the API server but their answers are lost — the window a crash leaves, where a retry must not
      // duplicate a VM — and from then on no request gets through. Then the operator is stopped.
      let creates = 0;
      let lost = 0;
      let down = false;
      const breaks: CreateInterceptor = async (send, resource) => {
        if (!isInstance(resource)) return send();
        if (down) throw new KubeApiError(0, 'NetworkError', 'connect ECONNREFUSED');
        creates += 1;
        if (creates <= 40) return send();
        await send();
        down = true;
        lost += 1;
        throw new KubeApiError(0, 'NetworkError', 'connection reset after the request was sent');
      };
      const first = await world.startOperator({ interceptCreate: breaks });
      await createGroup(world, webSet(world, 'big', 100));
      await eventually(() => {
        expect(down).toBe(true);
      }, POLL);
      await first.stop();
      const midway = (await instancesOf(world, 'ScaleSet', 'big')).length;
      expect(lost).toBeGreaterThan(0);
      expect(midway).toBe(40 + lost);
      expect(midway).toBeLessThan(100);

      await world.startOperator();
      const { instances, group } = await waitReady(world, 'ScaleSet', 'big', 100, 60_000);
      const ids = instances.map((i) => i.spec.instanceId);
      expect(ids).toEqual([...Array(100).keys()]);
      expect(instances.map((i) => i.metadata.name)).toEqual(ids.map((id) => `big-${id}`));
      expect(group.status?.capacity).toBe(100);
    },
    SLOW_TEST_MS,
  );

  it.concurrent(
    'a create the API server refuses does not stall the group until its expectation expires',
    async ({ expect, onTestFinished }) => {
      // The third Instance create of the first batch (all 6 go out at once) is refused; the next create
      // call is the retry that replaces it.
      let instanceCreates = 0;
      let refusedAt: number | undefined;
      let retriedAt: number | undefined;
      const refusesThird: CreateInterceptor = (send, resource) => {
        if (!isInstance(resource)) return send();
        instanceCreates += 1;
        if (instanceCreates === 7) retriedAt = Date.now();
        if (instanceCreates !== 3) return send();
        refusedAt = Date.now();
        // Refused before anything was done (API Priority and Fairness throttling).
        return Promise.reject(
          new KubeApiError(429, 'TooManyRequests', 'too many requests, please try again later'),
        );
      };
      const { operator, instances } = await startWithGroup(
        { onTestFinished },
        'refused',
        (w) => webSet(w, 'web', 6),
        { operator: { interceptCreate: refusesThird }, wait: 6 },
      );
      expect(instanceCreates).toBe(7);
      expect(new Set(instances.map((i) => i.metadata.name)).size).toBe(6);
      expect(await counterTotal(operator, 'vmfleet_instances_created_total')).toBe(6);
      // Retried after the reconcile's backoff, not after the 30 s a forgotten expectation takes to expire.
      if (refusedAt === undefined || retriedAt === undefined) throw new Error('no refusal and retry seen');
      expect(retriedAt - refusedAt).toBeLessThan(10_000);
    },
    SLOW_TEST_MS,
  );

  it.concurrent(
    'with two operators only the leader acts; the standby takes over when it stops',
    async ({ expect, onTestFinished }) => {
      const world = await newWorld({ onTestFinished }, 'leader');
      // Generous against a loaded machine; a graceful stop releases the lease, so the handover stays quick.
      const leaseTiming = { leaseDurationMs: 10_000, renewDeadlineMs: 8_000, retryPeriodMs: 250 };
      const suffix = randomBytes(3).toString('hex');
      const a = await world.startOperator({ leaderElection: true, identity: `a-${suffix}`, leaseTiming });
      await eventually(() => {
        expect(a.manager.isLeader).toBe(true);
      }, POLL);
      const b = await world.startOperator({ leaderElection: true, identity: `b-${suffix}`, leaseTiming });
      const samples: [boolean, boolean][] = [];
      const sampler = setInterval(() => samples.push([a.manager.isLeader, b.manager.isLeader]), 20);
      onTestFinished(() => {
        clearInterval(sampler);
      });
      const holder = async () =>
        (
          JSON.parse(
            await kubectlOk(['get', 'lease', 'vmfleet-operator', '-n', OPERATOR_NAMESPACE, '-o', 'json']),
          ) as { spec: { holderIdentity?: string } }
        ).spec.holderIdentity;

      await createGroup(world, webSet(world, 'web', 3));
      await waitReady(world, 'ScaleSet', 'web', 3);
      expect(await holder()).toBe(`a-${suffix}`);
      expect(b.manager.isLeader).toBe(false);
      expect(b.manager.cachesSynced).toBe(true);
      // The standby's controllers never ran; the leader did the work.
      expect(await counterTotal(b, 'controller_runtime_reconcile_total')).toBe(0);
      expect(await counterTotal(b, 'vmfleet_instances_created_total')).toBe(0);
      expect(await counterTotal(a, 'controller_runtime_reconcile_total')).toBeGreaterThan(0);
      expect(await counterTotal(a, 'vmfleet_instances_created_total')).toBe(3);

      // While the leader ran, the standby never led (sampled every 20 ms from the start).
      clearInterval(sampler);
      expect(samples.length).toBeGreaterThan(0);
      expect(samples.filter(([leader, standby]) => !leader || standby)).toEqual([]);

      // The leader stops (its controllers first, then it releases the lease): the standby takes over and
      // acts. (During the release request both flags may read true for a moment: the old leader's
      // controllers have stopped by then, so that window is not sampled.)
      await a.stop();
      await eventually(async () => {
        expect(b.manager.isLeader).toBe(true);
        expect(await holder()).toBe(`b-${suffix}`);
      }, POLL);
      await patchSpec(world, 'ScaleSet', 'web', { capacity: 5 });
      const { instances } = await waitReady(world, 'ScaleSet', 'web', 5);
      expect(instances.map((i) => i.metadata.name)).toEqual(['web-0', 'web-1', 'web-2', 'web-3', 'web-4']);
      expect(await counterTotal(b, 'vmfleet_instances_created_total')).toBe(2);
    },
    SLOW_TEST_MS,
  );
});
