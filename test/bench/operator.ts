// Operator benchmark (`npm run bench`), against a real control plane built by test/cluster/:
//  1. time from apply to Ready for a 1,000-VM ScaleSet and a 10,000-VM ComputeFleet (provisioningDelay 0),
//     each divided by a baseline measured in the same run: the same client creating the same number of
//     Instance objects and applying their status, with the same write concurrency (target ratio ≤ 1.5),
//     measured before the operator starts and again after it stopped, and compared with their mean;
//  2. steady state with the 10,000 instances for 60 s: API writes other than Lease renewals, counted
//     from the API server's audit log (target 0);
//  3. the process RSS with 10,000 instances cached (target ≤ 300 MiB).
// Not a test: it reports figures, it does not fail. BENCH_STEADY_SECONDS shortens step 2.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { API_GROUP_VERSION, EASTUS, type Instance } from '../../src/api/index.ts';
import { newInstance } from '../../src/controllers/instances.ts';
import { INSTANCES, REGIONS } from '../../src/controllers/resources.ts';
import { KubeClient, loadKubeConfig, writePooled } from '../../src/runtime/index.ts';
import {
  readAuditEvents,
  startControlPlane,
  type AuditEvent,
  type ControlPlane,
} from '../cluster/controlplane.ts';
import { deploymentNodeOptions } from '../support/deployment.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 60);
/** Extra Node flags for the operator process, e.g. `--cpu-prof` when profiling. */
const EXTRA_NODE_ARGS = (process.env.BENCH_OPERATOR_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** `1k` stops after the ScaleSet (quick iterations while profiling). */
const ONLY = process.env.BENCH_ONLY ?? '';
const NAMESPACE = 'bench';
const REGION = 'benchregion';

async function kubectlApply(plane: ControlPlane, path: string): Promise<void> {
  const result = await plane.kubectl(['apply', '--server-side', '--force-conflicts', '-f', path]);
  if (result.code !== 0) throw new Error(`apply ${path}: ${result.stderr}`);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** What the operator does per VM, without the operator: create the Instance, then apply its status. */
async function baseline(client: KubeClient, count: number, prefix: string): Promise<number> {
  const group = {
    kind: 'ScaleSet' as const,
    name: prefix,
    namespace: NAMESPACE,
    uid: '00000000-0000-0000-0000-000000000000',
    region: REGION,
  };
  const objects: Instance[] = Array.from({ length: count }, (_, id) => {
    const instance = newInstance(
      group,
      {
        size: 'Standard_D2s_v5',
        zone: ['1', '2', '3'][id % 3] ?? '1',
        faultDomain: id % 3,
        priority: 'Regular',
      },
      id,
      {
        image: { source: 'Marketplace', name: 'ubuntu-24.04', version: 'latest' },
        modelHash: 'bench',
      },
    );
    // No owner or finalizer: the baseline objects are plain and deleted right after.
    return { ...instance, metadata: { ...instance.metadata, ownerReferences: [], finalizers: [] } };
  });
  const started = performance.now();
  await writePooled(objects, (object) => client.create(INSTANCES, object));
  await writePooled(objects, (object) =>
    client.patchStatus(
      INSTANCES,
      { namespace: NAMESPACE, name: object.metadata.name },
      {
        type: 'apply',
        fieldManager: 'bench',
        force: true,
        body: {
          apiVersion: API_GROUP_VERSION,
          kind: 'Instance',
          metadata: { name: object.metadata.name, namespace: NAMESPACE },
          status: {
            phase: 'Running',
            pricePerHour: 0.096,
            providerID: `bench://${object.metadata.name}`,
            launchedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        },
      },
    ),
  );
  const elapsed = performance.now() - started;
  await writePooled(objects, (object) =>
    client.delete(INSTANCES, { namespace: NAMESPACE, name: object.metadata.name }),
  );
  return elapsed;
}

interface ReadyStatus {
  status?: { readyInstances?: number; conditions?: { type: string; status: string }[] };
}

async function timeToReady(
  admin: KubeClient,
  plane: ControlPlane,
  manifest: object,
  plural: string,
  name: string,
  count: number,
): Promise<number> {
  const path = join(plane.baseDir, `${name}.json`);
  const startedAt = Date.now();
  const started = performance.now();
  await import('node:fs/promises').then((fs) => fs.writeFile(path, JSON.stringify(manifest)));
  await kubectlApply(plane, path);
  const resource = { group: 'compute.vmfleet.io', version: 'v1alpha1', plural, kind: '', namespaced: true };
  await waitFor(async () => {
    const object = (await admin.get(resource, { namespace: NAMESPACE, name })) as ReadyStatus;
    const ready = object.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    return ready && object.status?.readyInstances === count;
  }, 30 * 60_000);
  const elapsed = performance.now() - started;
  if (plane.auditLogPath) {
    const events = await readAuditEvents(plane.auditLogPath);
    row(`  ${name}: timeline`, timeline(events, startedAt, plural));
    row(`  ${name}: requests`, requestMix(events, startedAt));
  }
  return elapsed;
}

const OPERATOR_USER = 'system:serviceaccount:vmfleet-system:vmfleet';

/** A loopback port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Waits until the operator's /readyz answers 200: caches synced, leader elected. */
async function operatorReady(healthPort: number): Promise<void> {
  await waitFor(async () => {
    try {
      return (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).ok;
    } catch {
      return false;
    }
  }, 60_000);
}

/**
 * Where an apply → Ready window went, from the audit log: when the operator's first and last Instance
 * create, last Instance status write and last group status write completed, in seconds after `startedAt`.
 */
function timeline(events: readonly AuditEvent[], startedAt: number, groupResource: string): string {
  // The baseline used the operator's identity too: only what happened after the apply counts.
  const mine = events.filter(
    (e) => e.user.username === OPERATOR_USER && Date.parse(e.stageTimestamp ?? '') >= startedAt,
  );
  const at = (e: AuditEvent | undefined) =>
    e === undefined ? '-' : ((Date.parse(e.stageTimestamp ?? '') - startedAt) / 1000).toFixed(1);
  const creates = mine.filter((e) => e.objectRef?.resource === 'instances' && e.verb === 'create');
  const instanceStatus = mine.filter(
    (e) => e.objectRef?.resource === 'instances' && e.objectRef.subresource === 'status',
  );
  const groupStatus = mine.filter(
    (e) => e.objectRef?.resource === groupResource && e.objectRef.subresource === 'status',
  );
  return [
    `first create ${at(creates[0])} s`,
    `last create ${at(creates.at(-1))} s`,
    `last Instance status ${at(instanceStatus.at(-1))} s`,
    `last ${groupResource} status ${at(groupStatus.at(-1))} s (${groupStatus.length} writes)`,
  ].join(', ');
}

/**
 * The operator's requests in the window by verb and resource, with the API server's median time to answer
 * them: shows what it asked beyond the baseline, and whether the server or the client was slow.
 */
function requestMix(events: readonly AuditEvent[], startedAt: number): string {
  const counts = new Map<string, number[]>();
  for (const e of events) {
    if (e.user.username !== OPERATOR_USER || Date.parse(e.stageTimestamp ?? '') < startedAt) continue;
    const resource = [e.objectRef?.resource, e.objectRef?.subresource].filter(Boolean).join('/');
    const key = `${e.verb} ${resource}`;
    const latency = Date.parse(e.stageTimestamp ?? '') - Date.parse(e.requestReceivedTimestamp ?? '');
    counts.set(key, [...(counts.get(key) ?? []), latency]);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  return [...counts]
    .sort((a, b) => b[1].length - a[1].length)
    .slice(0, 4)
    .map(([key, latencies]) => `${latencies.length} ${key} (server median ${median(latencies)} ms)`)
    .join(', ');
}

/** Current and peak resident memory of a process, from /proc (Linux). */
async function memoryOf(pid: number): Promise<{ rssMiB: number; peakMiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

/** The V8 heap figures of the operator's own /metrics (prom-client's default process metrics), in MiB. */
async function heapOf(metricsPort: number): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const mib = (name: string) => {
    const value = Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    return `${(value / 2 ** 20).toFixed(0)} MiB`;
  };
  return [
    mib('nodejs_heap_size_used_bytes'),
    mib('nodejs_heap_size_total_bytes'),
    mib('nodejs_external_memory_bytes'),
  ].join(' / ');
}

/** The operator's time over the mean of the baselines measured just before and just after it. */
function ratioRow(what: string, operatorMs: number, beforeMs: number, afterMs: number): void {
  const ratio = operatorMs / ((beforeMs + afterMs) / 2);
  const detail = `(to before ${(operatorMs / beforeMs).toFixed(2)}, to after ${(operatorMs / afterMs).toFixed(2)})`;
  row(`${what}: ratio to the mean baseline (target ≤ 1.5)`, `${ratio.toFixed(2)} ${detail}`);
}

function row(label: string, value: string): void {
  console.log(`${label.padEnd(56)} ${value}`);
}

function format(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function main(): Promise<void> {
  const plane = await startControlPlane({ auditLog: true });
  try {
    for (const file of (await readdir(join(ROOT, 'crds'))).filter((f) => f.startsWith('compute.'))) {
      await kubectlApply(plane, join(ROOT, 'crds', file));
    }
    for (const file of ['namespace.yaml', 'serviceaccount.yaml', 'rbac.yaml'])
      await kubectlApply(plane, join(ROOT, 'deploy', file));
    await plane.kubectl(['create', 'namespace', NAMESPACE]);
    await plane.kubectl(['wait', '--for', 'condition=established', 'crd', '--all', '--timeout=60s']);
    const admin = new KubeClient(loadKubeConfig(plane.adminKubeconfig));
    const region = structuredClone(EASTUS);
    region.metadata = { name: REGION };
    region.spec.simulation.provisioningDelay = '0s';
    region.spec.quotas = {};
    await admin.create(REGIONS, region);

    const operatorClient = new KubeClient(loadKubeConfig(plane.operatorKubeconfig));
    console.log('\n== operator benchmark (real control plane, provisioningDelay 0) ==');
    const baseline1kStarted = Date.now();
    const baseline1k = await baseline(operatorClient, 1000, 'base1k');
    if (plane.auditLogPath) {
      row(
        '  baseline 1k: requests',
        requestMix(await readAuditEvents(plane.auditLogPath), baseline1kStarted),
      );
    }
    row('baseline: 1,000 creates + 1,000 status applies', format(baseline1k));
    const baseline10k = ONLY === '1k' ? 0 : await baseline(operatorClient, 10000, 'base10k');
    if (ONLY !== '1k') row('baseline: 10,000 creates + 10,000 status applies', format(baseline10k));

    // The operator runs as its own process (as in a pod), so its memory is measured alone. It is started
    // and ready (caches synced, leader elected) before the clock starts, as the baseline's client is.
    const healthPort = await freePort();
    const metricsPort = await freePort();
    const operator = spawn(
      process.execPath,
      [
        ...(await deploymentNodeOptions()),
        ...EXTRA_NODE_ARGS,
        join(ROOT, 'src/cli/main.ts'),
        'run',
        '--kubeconfig',
        plane.operatorKubeconfig,
        '--install-crds',
        'false',
        '--leader-elect',
        'true',
        '--metrics-port',
        String(metricsPort),
        '--health-port',
        String(healthPort),
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const operatorExit = new Promise((resolve) => operator.once('exit', resolve));
    await operatorReady(healthPort);
    const scaleSet = parse(await readFile(join(ROOT, 'deploy/examples/scaleset-web.yaml'), 'utf8')) as {
      metadata: { name: string; namespace: string };
      spec: Record<string, unknown>;
    };
    scaleSet.metadata = { name: 'web1k', namespace: NAMESPACE };
    scaleSet.spec = { ...scaleSet.spec, region: REGION, capacity: 1000 };
    const operator1k = await timeToReady(admin, plane, scaleSet, 'scalesets', 'web1k', 1000);
    row('ScaleSet 1,000 VMs: apply → Ready', format(operator1k));
    if (ONLY === '1k') {
      operator.kill('SIGTERM');
      await operatorExit;
      const after1k = await baseline(operatorClient, 1000, 'after1k');
      row('baseline again, after the operator: 1,000', format(after1k));
      ratioRow('ScaleSet 1,000', operator1k, baseline1k, after1k);
      return;
    }

    const fleet = {
      apiVersion: API_GROUP_VERSION,
      kind: 'ComputeFleet',
      metadata: { name: 'fleet10k', namespace: NAMESPACE },
      spec: {
        region: REGION,
        zones: ['1', '2', '3'],
        zoneAllocationPolicy: { distributionStrategy: 'Balanced' },
        vmSizes: [
          'Standard_D2s_v5',
          'Standard_D2as_v5',
          'Standard_D4s_v5',
          'Standard_D4as_v5',
          'Standard_D4s_v6',
          'Standard_D4as_v6',
        ].map((name) => ({ name })),
        regular: { capacity: 8000, allocationStrategy: 'LowestPrice' },
        spot: { capacity: 2000, allocationStrategy: 'PriceCapacityOptimized' },
      },
    };
    // The steady state then holds 11,000 instances: the fleet's 10,000 and the ScaleSet's 1,000.
    const operator10k = await timeToReady(admin, plane, fleet, 'computefleets', 'fleet10k', 10000);
    row('ComputeFleet 10,000 VMs: apply → Ready', format(operator10k));

    // Steady state: nothing changes, so nothing but Lease renewals should be written.
    const auditPath = plane.auditLogPath ?? '';
    const before = (await readAuditEvents(auditPath)).length;
    await new Promise((resolve) => setTimeout(resolve, STEADY_SECONDS * 1000));
    const during = (await readAuditEvents(auditPath)).slice(before);
    const writeVerbs = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
    const operatorWrites = during.filter((e) => e.user.username === OPERATOR_USER && writeVerbs.has(e.verb));
    const leaseWrites = operatorWrites.filter((e) => e.objectRef?.resource === 'leases');
    const otherWrites = operatorWrites.length - leaseWrites.length;
    const memory = await memoryOf(operator.pid ?? 0);
    const heap = await heapOf(metricsPort);
    operator.kill('SIGTERM');
    await operatorExit;

    row(`steady state ${STEADY_SECONDS} s: writes other than Leases (target 0)`, String(otherWrites));
    row(`steady state ${STEADY_SECONDS} s: Lease writes`, String(leaseWrites.length));
    row('operator RSS with 11,000 instances cached (target ≤ 300 MiB)', `${memory.rssMiB.toFixed(0)} MiB`);
    row('operator peak RSS during the run', `${memory.peakMiB.toFixed(0)} MiB`);
    row('  of which V8 heap used / heap size / external', heap);

    // The machine's load drifts over a run this long; the baselines before and after the operator bracket it.
    const after1k = await baseline(operatorClient, 1000, 'after1k');
    row('baseline again, after the operator: 1,000', format(after1k));
    const after10k = await baseline(operatorClient, 10000, 'after10k');
    row('baseline again, after the operator: 10,000', format(after10k));
    ratioRow('ScaleSet 1,000', operator1k, baseline1k, after1k);
    ratioRow('ComputeFleet 10,000', operator10k, baseline10k, after10k);
  } finally {
    await plane.stop();
  }
}

await main();
