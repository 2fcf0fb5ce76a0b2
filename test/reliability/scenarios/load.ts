// Load. Half ScaleSets (some Spot), half ComputeFleets (Regular + Spot), created at once for a given total
// of VMs; once that has converged, a period of seeded random churn — groups scaled up and down by up to
// 30 %, the Spot capacity of a pool in use cut below what it holds (evictions) or given back — and then
// convergence again.
// Figures: reconcile time p50/p99 (the operator's controller_runtime_reconcile_time_seconds histogram),
// the largest work-queue depth (workqueue_depth sampled every second), the operator's API requests per
// second (the audit log records every request of its ServiceAccount), and its peak RSS (VmHWM).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { RegionSpec } from '../../../src/api/index.ts';
import { REGIONS } from '../../../src/controllers/resources.ts';
import { isConflict } from '../../../src/runtime/index.ts';
import { isOperator, isWrite, scanAudit, timeOf } from '../lib/audit.ts';
import { waitConsistent } from '../lib/consistency.ts';
import { hottestFunctions, type HotFunction } from '../lib/cpuprofile.ts';
import {
  computeFleet,
  refOf,
  regionManifest,
  resourceOf,
  scaleSet,
  setTarget,
  type GroupManifest,
  type GroupRef,
} from '../lib/fleet.ts';
import { buckets, max, parsePrometheus, quantile, sum, type Sample } from '../lib/metrics.ts';
import { logLines, type OperatorProcess } from '../lib/operator-process.ts';
import { withScenario, type Scenario, type CommonOptions } from '../lib/scenario.ts';
import { deploymentNodeOptions } from '../../support/deployment.ts';

export interface LoadOptions extends CommonOptions {
  groups: number;
  totalVms: number;
  churnMs: number;
  /** One random operation every this many ms during the churn. */
  churnEveryMs: number;
  convergeTimeoutMs: number;
  /** Write a CPU profile of the operator and report its hottest functions. */
  cpuProfile?: boolean;
}

export interface LoadResult {
  groups: number;
  totalVms: number;
  /** Apply of every group → consistent. */
  initialConvergeMs: number;
  churnOperations: { scale: number; spotCapacity: number };
  /** End of the churn → consistent. */
  settleMs: number;
  evictions: number;
  reconcile: {
    count: number;
    p50Ms: number;
    p99Ms: number;
    errors: number;
    /** The first failed reconciles as the operator logged them (controller, key, error), to explain `errors`. */
    failures: string[];
  };
  /** Group controllers alone (their reconciles plan and write). */
  groupReconcile: { p50Ms: number; p99Ms: number };
  maxQueueDepth: { total: number; byController: Record<string, number> };
  api: { requests: number; perSecond: number; peakPerSecond: number; writesPerSecond: number };
  peakRssMiB: number;
  hottest?: HotFunction[];
}

const NAMESPACE = 'load';
const REGION = 'load-region';
const SCALESET_SIZES = [
  'Standard_D2s_v5',
  'Standard_D2as_v5',
  'Standard_D4s_v5',
  'Standard_D4as_v5',
  'Standard_E4s_v5',
];
const CONTROLLERS = ['scaleset', 'computefleet', 'instance', 'region'];

interface Planned {
  manifest: GroupManifest;
  base: number;
}

function plan(options: LoadOptions): Planned[] {
  const per = Math.floor(options.totalVms / options.groups);
  const planned: Planned[] = [];
  for (let i = 0; i < options.groups; i++) {
    // The last group takes the remainder so the total is exact.
    const base = i === options.groups - 1 ? options.totalVms - per * (options.groups - 1) : per;
    const name = `g${String(i).padStart(2, '0')}`;
    if (i % 2 === 0) {
      const spot = i % 6 === 0;
      planned.push({
        base,
        manifest: scaleSet({ namespace: NAMESPACE, name }, REGION, base, {
          vmSize: SCALESET_SIZES[(i / 2) % SCALESET_SIZES.length],
          ...(spot ? { priority: 'Spot', spot: { evictionPolicy: 'Delete' } } : {}),
        }),
      });
    } else {
      const regular = Math.ceil(base * 0.6);
      planned.push({
        base,
        manifest: computeFleet({ namespace: NAMESPACE, name }, REGION, regular, base - regular),
      });
    }
  }
  return planned;
}

/** Room for the total several times over, so only the Spot cuts make anything short. */
function capacityFactor(totalVms: number): number {
  return Math.max(1, Math.ceil(totalVms / 4_000));
}

export async function runLoadScenario(options: LoadOptions): Promise<LoadResult> {
  return withScenario('load', options, async (s) => {
    const { admin } = s.plane;
    await s.plane.kubectlOk(['create', 'namespace', NAMESPACE]);
    const region = regionManifest(REGION, { capacityFactor: capacityFactor(options.totalVms) });
    await admin.create(REGIONS, region);
    const logPath = join(s.logDir, 'operator.log');
    await writeFile(logPath, '');
    const profileDir = join(s.logDir, 'cpuprofile');
    if (options.cpuProfile === true) await mkdir(profileDir, { recursive: true });
    // With the Deployment's heap bounds, so the peak RSS is what a deployed operator would reach (and a
    // bound too small for 20,000 VMs would show as a crash here).
    const operator = s.operators.start({
      kubeconfig: s.plane.plane.operatorKubeconfig,
      identity: 'load-op',
      logPath,
      nodeArgs: [
        ...(await deploymentNodeOptions()),
        ...(options.cpuProfile === true ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      ],
    });
    await operator.waitStarted();
    const sampler = new MetricsSampler(operator);
    sampler.start();
    const startedAt = Date.now();
    try {
      const planned = plan(options);
      await Promise.all(planned.map((p) => admin.create(resourceOf(p.manifest.kind), p.manifest)));
      const converge = async (): Promise<number> =>
        (
          await waitConsistent(admin, {
            timeoutMs: options.convergeTimeoutMs,
            intervalMs: options.totalVms > 5_000 ? 5_000 : 1_000,
            namespace: NAMESPACE,
          })
        ).elapsedMs;
      await converge();
      const initialConvergeMs = Date.now() - startedAt;
      s.log(`${options.totalVms} VMs in ${options.groups} groups consistent after ${initialConvergeMs} ms`);

      const churnOperations = await churn(s, planned, region.spec, options);
      const settleStarted = Date.now();
      await converge();
      const settleMs = Date.now() - settleStarted;
      s.log(
        `churn (${churnOperations.scale} scale, ${churnOperations.spotCapacity} Spot capacity changes) settled after ${settleMs} ms`,
      );
      const endedAt = Date.now();

      await sampler.stop();
      const final = parsePrometheus(await operator.metrics());
      const peakRssMiB = operator.peakRssBytes() / 2 ** 20;
      if (options.cpuProfile === true) await operator.stop();
      const api = await apiRates(s, startedAt, endedAt);
      const all = buckets(final, 'controller_runtime_reconcile_time_seconds');
      const groupsOnly = mergeBuckets(
        buckets(final, 'controller_runtime_reconcile_time_seconds', { controller: 'scaleset' }),
        buckets(final, 'controller_runtime_reconcile_time_seconds', { controller: 'computefleet' }),
      );
      return {
        groups: options.groups,
        totalVms: options.totalVms,
        initialConvergeMs,
        churnOperations,
        settleMs,
        evictions: sum(final, 'vmfleet_instances_terminated_total', { reason: 'eviction' }),
        reconcile: {
          count: sum(final, 'controller_runtime_reconcile_time_seconds_count'),
          p50Ms: quantile(0.5, all) * 1000,
          p99Ms: quantile(0.99, all) * 1000,
          errors: sum(final, 'controller_runtime_reconcile_errors_total'),
          failures: failedReconciles(await operator.output()),
        },
        groupReconcile: { p50Ms: quantile(0.5, groupsOnly) * 1000, p99Ms: quantile(0.99, groupsOnly) * 1000 },
        maxQueueDepth: sampler.maxDepth(),
        api,
        peakRssMiB,
        ...(options.cpuProfile === true ? { hottest: await hottestFunctions(profileDir) } : {}),
      };
    } finally {
      await sampler.stop();
    }
  });
}

function failedReconciles(output: string): string[] {
  return logLines(output)
    .filter((line) => line.msg === 'reconcile failed; retrying with backoff')
    .slice(0, 5)
    .map((line) => {
      const err = line['err'] as { message?: unknown } | undefined;
      return `${String(line['controller'])} ${String(line['key'])}: ${String(err?.message)}`;
    });
}

function mergeBuckets(a: Map<number, number>, b: Map<number, number>): Map<number, number> {
  const merged = new Map(a);
  for (const [bound, count] of b) merged.set(bound, (merged.get(bound) ?? 0) + count);
  return merged;
}

/** Seeded random scale operations and Spot capacity changes until `churnMs` is over. */
async function churn(
  s: Scenario,
  planned: Planned[],
  baseRegion: RegionSpec,
  options: LoadOptions,
): Promise<{ scale: number; spotCapacity: number }> {
  const { admin } = s.plane;
  const counts = { scale: 0, spotCapacity: 0 };
  const cut = new Map<string, { size: string; zone: string }>();
  const until = Date.now() + options.churnMs;
  while (Date.now() < until) {
    const tick = Date.now();
    if (s.random() < 0.7) {
      const pick = planned[Math.floor(s.random() * planned.length)] as Planned;
      const target = Math.max(1, Math.round(pick.base * (0.7 + 0.6 * s.random())));
      const ref: GroupRef = refOf(pick.manifest);
      if (ref.kind === 'ScaleSet') await setTarget(admin, ref, target);
      else {
        const regular = Math.ceil(target * 0.6);
        await setTarget(admin, ref, { regular, spot: target - regular });
      }
      counts.scale++;
    } else {
      await changeSpotCapacity(s, baseRegion, cut);
      counts.spotCapacity++;
    }
    // The experiment's cadence, not a wait for a condition.
    await delay(Math.max(0, options.churnEveryMs - (Date.now() - tick)));
  }
  return counts;
}

/**
 * Either cuts the Spot capacity of a pool in use to 50–90 % of what it holds (the Region controller then
 * evicts the excess), or gives a pool cut earlier its catalogue capacity back.
 */
async function changeSpotCapacity(
  s: Scenario,
  baseRegion: RegionSpec,
  cut: Map<string, { size: string; zone: string }>,
): Promise<void> {
  const { admin } = s.plane;
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = (await admin.get(REGIONS, { name: REGION })) as {
      metadata: object;
      spec: RegionSpec;
      status?: { usage?: { vmSize: string; zone: string; priority: string; count: number }[] };
    };
    const restore = cut.size > 0 && s.random() < 0.4;
    const used = (current.status?.usage ?? []).filter((u) => u.priority === 'Spot' && u.count > 0);
    let cell: { size: string; zone: string; spot: number } | undefined;
    if (restore) {
      const key = [...cut.keys()][Math.floor(s.random() * cut.size)] ?? '';
      const { size, zone } = cut.get(key) ?? { size: '', zone: '' };
      const base = baseRegion.vmSizes
        .find((v) => v.name === size)
        ?.capacity.find((c) => c.zone === zone)?.spot;
      if (base !== undefined) cell = { size, zone, spot: base };
      cut.delete(key);
    } else {
      const pool = used[Math.floor(s.random() * used.length)];
      if (pool !== undefined) {
        cell = {
          size: pool.vmSize,
          zone: pool.zone,
          spot: Math.floor(pool.count * (0.5 + 0.4 * s.random())),
        };
        cut.set(`${pool.vmSize}/${pool.zone}`, { size: pool.vmSize, zone: pool.zone });
      }
    }
    const target = current.spec.vmSizes
      .find((v) => v.name === cell?.size)
      ?.capacity.find((c) => c.zone === cell?.zone);
    if (cell === undefined || target === undefined) return;
    target.spot = cell.spot;
    try {
      await admin.replace(REGIONS, { name: REGION }, current);
      return;
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
}

/** Operator requests per second over [from, to], from the audit log. */
async function apiRates(
  s: Scenario,
  from: number,
  to: number,
): Promise<{ requests: number; perSecond: number; peakPerSecond: number; writesPerSecond: number }> {
  let requests = 0;
  let writes = 0;
  const perSecond = new Map<number, number>();
  await scanAudit(s.plane.auditLogPath, 0, (record) => {
    if (!isOperator(record)) return;
    const at = timeOf(record);
    if (at < from || at > to) return;
    requests++;
    if (isWrite(record)) writes++;
    const second = Math.floor(at / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  });
  const seconds = Math.max(1, (to - from) / 1000);
  return {
    requests,
    perSecond: requests / seconds,
    peakPerSecond: Math.max(0, ...perSecond.values()),
    writesPerSecond: writes / seconds,
  };
}

/** Scrapes /metrics every second for the largest work-queue depths. */
class MetricsSampler {
  private readonly operator: OperatorProcess;
  private running: Promise<void> | undefined;
  private stopped = false;
  private maxTotal = 0;
  private readonly maxBy = new Map<string, number>();

  constructor(operator: OperatorProcess) {
    this.operator = operator;
  }

  start(): void {
    this.running = this.loop();
  }

  private record(samples: Sample[]): void {
    this.maxTotal = Math.max(this.maxTotal, sum(samples, 'workqueue_depth'));
    for (const controller of CONTROLLERS) {
      const depth = max(samples, 'workqueue_depth', { name: controller });
      this.maxBy.set(controller, Math.max(this.maxBy.get(controller) ?? 0, depth));
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        this.record(parsePrometheus(await this.operator.metrics()));
      } catch {
        // A scrape that fails under load is skipped; the next one counts.
      }
      await delay(1_000);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  maxDepth(): { total: number; byController: Record<string, number> } {
    return { total: this.maxTotal, byController: Object.fromEntries(this.maxBy) };
  }
}
