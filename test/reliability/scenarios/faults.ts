// Control-plane faults while the operator works. One `vmfleet run` process, never restarted:
//  1. kube-apiserver is stopped (SIGTERM) and started again in the middle of a scale-out;
//  2. it crashes (SIGKILL) and comes back in the middle of a scale-in;
//  3. watch expiry: etcd's history is compacted past every resourceVersion the operator holds (via etcd's
//     JSON gateway) and the API server is restarted, so each reflector's re-watch gets 410 Gone and has to
//     relist; the operator's own log must show the relists, and a scale-out after it must converge;
//  4. conflicting writes: for a while, `kubectl scale` (the scale subresource, with and without
//     --current-replicas), read-modify-write replaces of the specs and label edits on Instances (which
//     the operator's finalizer patches, guarded by resourceVersion, then collide with) all run at once.
// After each: exactly the final targets, consistent Region usage, no duplicate, orphan or stuck Instance,
// and the same operator process still running.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { INSTANCES, REGIONS } from '../../../src/controllers/resources.ts';
import { isConflict, isNotFound, type KubeClient } from '../../../src/runtime/index.ts';
import { isOperator, readAudit } from '../lib/audit.ts';
import { waitConsistent } from '../lib/consistency.ts';
import { bumpRevision, compactNow, etcdUrl } from '../lib/etcd.ts';
import {
  computeFleet,
  listAll,
  refOf,
  regionManifest,
  resourceOf,
  scaleSet,
  setTarget,
  type GroupRef,
} from '../lib/fleet.ts';
import { logLines } from '../lib/operator-process.ts';
import { parsePrometheus, sum } from '../lib/metrics.ts';
import { instanceWrites, WriteCounter } from '../lib/progress.ts';
import { randomInt, withScenario, type Scenario, type CommonOptions } from '../lib/scenario.ts';

export interface FaultsOptions extends CommonOptions {
  /** Instances per group when scaled out. */
  size: number;
  /** How long the conflicting writers run. */
  conflictMs: number;
  convergeTimeoutMs: number;
  /** Run the operator with leader election, as deployed (an outage longer than renewDeadline ends it). */
  leaderElect: boolean;
}

export interface FaultStep {
  step: string;
  /** API server down (restart steps), ms. */
  outageMs?: number;
  /** From the fault (or the end of the conflicting writes) to consistent, ms. */
  convergeMs: number;
}

export interface FaultsResult {
  steps: FaultStep[];
  /** Reflector relists after 410 Gone that the operator logged. */
  goneRelists: number;
  /** 409 Conflict answers: to the scenario's own writers, and to the operator. */
  conflicts: { users: number; operator: number };
  reconcileErrors: number;
  /** The one operator process: still running at the end (never restarted). */
  operatorPid: number;
  operatorAlive: boolean;
}

const NAMESPACE = 'faults';
const REGION = 'faults-region';

export async function runFaultsScenario(options: FaultsOptions): Promise<FaultsResult> {
  return withScenario('faults', options, async (s) => {
    const { admin } = s.plane;
    await s.plane.kubectlOk(['create', 'namespace', NAMESPACE]);
    await admin.create(REGIONS, regionManifest(REGION));
    const logPath = join(s.logDir, 'operator.log');
    await writeFile(logPath, '');
    const operator = s.operators.start({
      kubeconfig: s.plane.plane.operatorKubeconfig,
      identity: 'faults-op',
      logPath,
      leaderElect: options.leaderElect,
    });
    await operator.waitStarted();
    const web = scaleSet({ namespace: NAMESPACE, name: 'web' }, REGION, 0);
    const batch = computeFleet({ namespace: NAMESPACE, name: 'batch' }, REGION, 0, 0);
    for (const manifest of [web, batch]) await admin.create(resourceOf(manifest.kind), manifest);
    const groups = [refOf(web), refOf(batch)];
    const converge = async (): Promise<number> =>
      (
        await waitConsistent(admin, {
          exactTargets: true,
          timeoutMs: options.convergeTimeoutMs,
          namespace: NAMESPACE,
        })
      ).elapsedMs;
    const alive = (step: string): void => {
      if (operator.hasExited()) throw new Error(`the operator exited during "${step}"`);
    };
    const steps: FaultStep[] = [];
    const size = options.size;
    const fleetSplit = (n: number) => ({ regular: Math.ceil(n / 2), spot: Math.floor(n / 2) });
    const scaleAll = async (n: number): Promise<void> => {
      await setTarget(admin, refOf(web), n);
      await setTarget(admin, refOf(batch), fleetSplit(n));
    };

    // 1. Graceful restart in the middle of a scale-out.
    steps.push(
      await midPhase(
        s,
        'apiserver stop/start during scale-out',
        2 * 2 * size,
        () => scaleAll(size),
        async () => {
          const down = Date.now();
          await s.plane.plane.restartApiServer();
          return Date.now() - down;
        },
        converge,
      ),
    );
    alive(steps.at(-1)?.step ?? '');

    // 2. Crash in the middle of a scale-in.
    const smaller = Math.max(1, Math.floor(size / 3));
    steps.push(
      await midPhase(
        s,
        'apiserver crash during scale-in',
        2 * 2 * (size - smaller),
        () => scaleAll(smaller),
        async () => {
          const down = Date.now();
          await s.plane.plane.restartApiServer({ crash: true });
          return Date.now() - down;
        },
        converge,
      ),
    );
    alive(steps.at(-1)?.step ?? '');

    // 3. Watch expiry: history compacted past the operator's resourceVersions, then a restart.
    const relistsBefore = goneRelists(await operator.output());
    const etcd = etcdUrl(s.plane.plane);
    await bumpRevision(etcd, 20);
    await compactNow(etcd);
    const down = Date.now();
    await s.plane.plane.restartApiServer({ crash: true });
    const outageMs = Date.now() - down;
    await scaleAll(size);
    steps.push({ step: 'etcd compaction + restart (410 Gone)', outageMs, convergeMs: await converge() });
    alive(steps.at(-1)?.step ?? '');
    const relists = goneRelists(await operator.output()) - relistsBefore;
    s.log(`410 Gone relists logged by the operator: ${relists}`);

    // 4. Conflicting writers.
    const conflicts = await conflictingWrites(s, groups, options);
    steps.push({
      step: 'concurrent kubectl scale, spec replaces, Instance labels',
      convergeMs: await converge(),
    });
    alive(steps.at(-1)?.step ?? '');
    const operatorConflicts = (
      await readAudit(s.plane.auditLogPath, 0, (r) => isOperator(r) && r.responseStatus?.code === 409)
    ).length;
    const samples = parsePrometheus(await operator.metrics());
    for (const step of steps)
      s.log(`${step.step}: outage ${step.outageMs ?? 0} ms, consistent after ${step.convergeMs} ms`);
    return {
      steps,
      goneRelists: relists,
      conflicts: { users: conflicts, operator: operatorConflicts },
      reconcileErrors: sum(samples, 'controller_runtime_reconcile_errors_total'),
      operatorPid: operator.pid,
      operatorAlive: !operator.hasExited(),
    };
  });
}

/** Starts a phase, strikes once a seeded share (20–80 %) of its `expectedWrites` happened, then converges. */
async function midPhase(
  s: Scenario,
  step: string,
  expectedWrites: number,
  begin: () => Promise<void>,
  strike: () => Promise<number>,
  converge: () => Promise<number>,
): Promise<FaultStep> {
  const writes = new WriteCounter(s.plane.auditLogPath, instanceWrites());
  await begin();
  await writes.until(Math.ceil((0.2 + 0.6 * s.random()) * expectedWrites), 120_000);
  const struckAt = Date.now();
  const outageMs = await strike();
  await converge();
  return { step, outageMs, convergeMs: Date.now() - struckAt };
}

function goneRelists(output: string): number {
  return logLines(output).filter((line) => line.msg === 'resourceVersion too old, relisting').length;
}

/**
 * Several writers at once for `conflictMs`: kubectl scale (some with --current-replicas, which fails when
 * someone else scaled first), read-modify-write replaces carrying the resourceVersion they read, and label
 * edits on random Instances. Returns how many 409s the writers got. Ends with known final targets.
 */
async function conflictingWrites(s: Scenario, groups: GroupRef[], options: FaultsOptions): Promise<number> {
  const { admin } = s.plane;
  const until = Date.now() + options.conflictMs;
  let conflicts = 0;
  const size = options.size;
  const pick = (): number => randomInt(s.random, Math.floor(size / 3), size);
  const web = groups[0] as GroupRef;
  const batch = groups[1] as GroupRef;

  const scaler = async (): Promise<void> => {
    while (Date.now() < until) {
      const args = [
        'scale',
        '-n',
        NAMESPACE,
        `scalesets.compute.vmfleet.io/${web.name}`,
        `--replicas=${pick()}`,
      ];
      if (s.random() < 0.5) {
        const current = await s.plane.kubectl([
          'get',
          '-n',
          NAMESPACE,
          `scalesets.compute.vmfleet.io/${web.name}`,
          '-o',
          'jsonpath={.spec.capacity}',
        ]);
        args.push(`--current-replicas=${current.stdout.trim()}`);
      }
      const result = await s.plane.kubectl(args);
      if (result.code !== 0 && /conflict|modified|precondition|expected/i.test(result.stderr)) conflicts++;
      else if (result.code !== 0) throw new Error(`kubectl scale: ${result.stderr}`);
    }
  };
  const replacer = (ref: GroupRef) => async (): Promise<void> => {
    while (Date.now() < until) {
      const object = (await admin.get(resourceOf(ref.kind), ref)) as { spec: Record<string, unknown> };
      const spec = object.spec;
      if (ref.kind === 'ScaleSet') spec['capacity'] = pick();
      else {
        const split = { regular: Math.ceil(pick() / 2), spot: Math.floor(pick() / 2) };
        spec['regular'] = { ...(spec['regular'] as object), capacity: split.regular };
        spec['spot'] = { ...(spec['spot'] as object), capacity: split.spot };
      }
      // Think time between the read and the write, so other writers get in between.
      await delay(randomInt(s.random, 0, 50));
      try {
        await admin.replace(resourceOf(ref.kind), ref, object);
      } catch (error) {
        if (!isConflict(error)) throw error;
        conflicts++;
      }
    }
  };
  const labeller = async (): Promise<void> => {
    for (let n = 0; Date.now() < until; n++) {
      const instances = (await listAll(admin, INSTANCES, NAMESPACE)) as { metadata: { name: string } }[];
      const targets = instances.filter(() => s.random() < 0.2).slice(0, 20);
      await Promise.all(
        targets.map((i) =>
          patchLabel(admin, i.metadata.name, String(n)).catch((error: unknown) => {
            // Instances go away under us (scale-in): that is the point.
            if (!isNotFound(error)) throw error;
          }),
        ),
      );
    }
  };
  await Promise.all([scaler(), replacer(web)(), replacer(batch)(), labeller()]);
  // The end state the operator must converge to.
  await setTarget(admin, web, Math.floor(size / 2));
  await setTarget(admin, batch, { regular: Math.ceil(size / 4), spot: Math.floor(size / 4) });
  s.log(`conflicting writers got ${conflicts} conflicts`);
  return conflicts;
}

async function patchLabel(admin: KubeClient, name: string, value: string): Promise<void> {
  await admin.patch(
    INSTANCES,
    { namespace: NAMESPACE, name },
    { type: 'merge', body: { metadata: { labels: { 'reliability/touched': value } } } },
  );
}
