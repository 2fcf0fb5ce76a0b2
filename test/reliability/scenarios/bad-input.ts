// Bad input, three ways:
//  1. `vmfleet run` with malformed flags, environment or kubeconfig: exit code 2 and a message naming the
//     flag, variable or file (no cluster needed);
//  2. a malformed Region already stored (written under a looser schema, then the real CRD restored): the
//     operator keeps running, says which Region and field, refuses the groups in it, serves the others;
//  3. fuzzing through the API server: a ScaleSet and a ComputeFleet run, then seeded fast-check mutations
//     of their specs are written one at a time. The API server refuses some; for each it accepts, the
//     operator's own validation (the same code, called here) says whether it must refuse it. A refused
//     spec must leave every Running instance exactly as it was (same uid, still Running), set
//     Ready=False with a reason, and cost a bounded number of reconciles and no reconcile error. After
//     each mutation the valid spec is put back.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import fc from 'fast-check';
import type { Instance, Region } from '../../../src/api/index.ts';
import { checkRegion } from '../../../src/controllers/region-spec.ts';
import { REGIONS } from '../../../src/controllers/resources.ts';
import { computeFleetAdapter } from '../../../src/controllers/computefleet.ts';
import type { GroupAdapter } from '../../../src/controllers/group.ts';
import { scaleSetAdapter } from '../../../src/controllers/scaleset.ts';
import { isInvalid, KubeApiError } from '../../../src/runtime/index.ts';
import { waitConsistent } from '../lib/consistency.ts';
import {
  computeFleet,
  phaseOf,
  refOf,
  regionManifest,
  resourceOf,
  scaleSet,
  snapshot,
  type GroupManifest,
  type GroupObjectView,
  type GroupRef,
} from '../lib/fleet.ts';
import { parsePrometheus, sum } from '../lib/metrics.ts';
import { describeMutation, damagedSpecArb } from '../lib/mutations.ts';
import { CLI, logLines, NODE_24, type OperatorProcess } from '../lib/operator-process.ts';
import { withScenario, type Scenario, type CommonOptions } from '../lib/scenario.ts';

// ---------------------------------------------------------------------------------------------------------
// 1. Start-up errors

export interface StartupCase {
  name: string;
  args: string[];
  env?: Record<string, string>;
  /** The message must match: it names the flag, variable or file. */
  expect: RegExp;
}

export interface StartupOutcome {
  name: string;
  code: number | null;
  stderr: string;
  ok: boolean;
}

export async function startupCases(dir: string): Promise<StartupCase[]> {
  const notYaml = join(dir, 'not-yaml.kubeconfig');
  const empty = join(dir, 'empty.kubeconfig');
  const noContext = join(dir, 'no-context.kubeconfig');
  await writeFile(notYaml, 'clusters: [\n  - name: broken\n');
  await writeFile(empty, '{}\n');
  await writeFile(
    noContext,
    'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\ncurrent-context: missing\n',
  );
  return [
    { name: 'port not a number', args: ['--metrics-port=abc'], expect: /--metrics-port/ },
    { name: 'port out of range', args: ['--health-port=70000'], expect: /--health-port/ },
    { name: 'no workers', args: ['--workers=0'], expect: /--workers/ },
    { name: 'not a boolean', args: ['--leader-elect=maybe'], expect: /--leader-elect/ },
    { name: 'unknown log level', args: ['--log-level=loud'], expect: /--log-level/ },
    { name: 'bad namespace', args: ['--namespace=Not_A_Namespace'], expect: /--namespace/ },
    { name: 'unknown flag', args: ['--frobnicate=1'], expect: /frobnicate/ },
    { name: 'bad environment', args: [], env: { VMFLEET_WORKERS: 'many' }, expect: /VMFLEET_WORKERS/ },
    {
      name: 'missing kubeconfig',
      args: [`--kubeconfig=${join(dir, 'nope.kubeconfig')}`],
      expect: /nope\.kubeconfig/,
    },
    { name: 'kubeconfig not YAML', args: [`--kubeconfig=${notYaml}`], expect: /not-yaml\.kubeconfig/ },
    { name: 'empty kubeconfig', args: [`--kubeconfig=${empty}`], expect: /empty\.kubeconfig/ },
    {
      name: 'kubeconfig without context',
      args: [`--kubeconfig=${noContext}`],
      expect: /no-context\.kubeconfig/,
    },
  ];
}

function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const base = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('VMFLEET_') && key !== 'KUBECONFIG'),
    );
    const child = spawn(NODE_24, [CLI, 'run', '--metrics-port=0', '--health-port=0', ...args], {
      env: { ...base, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // A process that does not fail at start would run until stopped: bound it.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

export async function runStartupErrors(): Promise<StartupOutcome[]> {
  const dir = await mkdtemp(join(tmpdir(), 'vmfleet-rel-startup-'));
  try {
    const cases = await startupCases(dir);
    // A few at a time: each is a Node process loading the operator.
    const outcomes: StartupOutcome[] = [];
    for (let i = 0; i < cases.length; i += 4) {
      const batch = await Promise.all(
        cases.slice(i, i + 4).map(async (c) => {
          const { code, stderr } = await runCli(c.args, c.env ?? {});
          return { name: c.name, code, stderr: stderr.trim(), ok: code === 2 && c.expect.test(stderr) };
        }),
      );
      outcomes.push(...batch);
    }
    return outcomes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// 2 and 3 share a plane and an operator

export interface BadInputOptions extends CommonOptions {
  /** Mutated specs written through the API server. */
  mutations: number;
}

export interface BadRegionOutcome {
  operatorAlive: boolean;
  /** Ready condition of the group in the malformed Region. */
  refusal: { status: string; reason: string; message: string } | undefined;
  /** Operator log lines that name the Region and a field. */
  loggedErrors: number;
  goodGroupReady: boolean;
  metricsServed: boolean;
}

export interface FuzzOutcome {
  written: number;
  rejectedByApiServer: number;
  refusedByOperator: number;
  acceptedAsValid: number;
  /** Running instances deleted or replaced while a refused spec was in place (must be 0). */
  instancesLost: number;
  /** Refused specs whose status did not say so (Ready=False with a reason, at the new generation). */
  unreported: string[];
  reconciles: number;
  reconcileErrors: number;
  /** Reconciles of the group controllers in a 3 s quiet period after the fuzzing (a loop shows here). */
  reconcilesWhenQuiet: number;
  operatorAlive: boolean;
  examples: string[];
}

const NAMESPACE = 'badinput';
const GOOD = 'good-region';
const BROKEN = 'broken-region';

export async function runBadInputScenario(
  options: BadInputOptions,
): Promise<{ region: BadRegionOutcome; fuzz: FuzzOutcome }> {
  return withScenario('bad-input', options, async (s) => {
    await s.plane.kubectlOk(['create', 'namespace', NAMESPACE]);
    await s.plane.admin.create(REGIONS, regionManifest(GOOD));
    await storeMalformedRegion(s);
    const logPath = join(s.logDir, 'operator.log');
    await writeFile(logPath, '');
    const operator = s.operators.start({
      kubeconfig: s.plane.plane.operatorKubeconfig,
      identity: 'bad-input',
      logPath,
    });
    await operator.waitStarted();
    const region = await badRegion(s, operator);
    const fuzz = await fuzzThroughApi(s, operator, options);
    return { region, fuzz };
  });
}

/**
 * Stores a Region the real schema refuses: the CRD's spec schema is loosened, the Region written, and the
 * real CRD applied again — what an object written under an older CRD version looks like.
 */
async function storeMalformedRegion(s: Scenario): Promise<void> {
  const crd = JSON.parse(
    await s.plane.kubectlOk(['get', 'crd', 'regions.compute.vmfleet.io', '-o', 'json']),
  ) as {
    spec: { versions: { schema: { openAPIV3Schema: { properties: Record<string, unknown> } } }[] };
  };
  for (const version of crd.spec.versions)
    version.schema.openAPIV3Schema.properties['spec'] = {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    };
  await s.plane.kubectlOk(['replace', '-f', '-'], JSON.stringify(crd));
  const malformed = {
    apiVersion: 'compute.vmfleet.io/v1alpha1',
    kind: 'Region',
    metadata: { name: BROKEN },
    spec: { zones: 'everywhere', vmSizes: [{ name: 'Standard_D2s_v5', vCPUs: -4 }] },
  };
  // The loosened schema takes a moment to be served.
  for (let attempt = 0; ; attempt++) {
    const result = await s.plane.kubectl(['create', '-f', '-'], JSON.stringify(malformed));
    if (result.code === 0) break;
    if (attempt > 50) throw new Error(`the malformed Region was refused: ${result.stderr}`);
    await delay(200);
  }
  await s.plane.kubectlOk([
    'apply',
    '--server-side',
    '--force-conflicts',
    '-f',
    join(import.meta.dirname, '..', '..', '..', 'crds', 'compute.vmfleet.io_regions.yaml'),
  ]);
  // The real schema is back when a new malformed Region is refused again.
  for (let attempt = 0; ; attempt++) {
    const probe = await s.plane.kubectl(
      ['create', '--dry-run=server', '-f', '-'],
      JSON.stringify({ ...malformed, metadata: { name: 'probe' } }),
    );
    if (probe.code !== 0) break;
    if (attempt > 50) throw new Error('the real Region CRD did not come back');
    await delay(200);
  }
}

function readyOf(group: GroupObjectView | undefined) {
  return group?.status?.conditions?.find((c) => c.type === 'Ready');
}

async function badRegion(s: Scenario, operator: OperatorProcess): Promise<BadRegionOutcome> {
  const broken = scaleSet({ namespace: NAMESPACE, name: 'in-broken' }, BROKEN, 3);
  const good = scaleSet({ namespace: NAMESPACE, name: 'in-good' }, GOOD, 3);
  for (const manifest of [broken, good]) await s.plane.admin.create(resourceOf(manifest.kind), manifest);
  const deadline = Date.now() + 60_000;
  let refusal: BadRegionOutcome['refusal'];
  let goodGroupReady = false;
  while (Date.now() < deadline) {
    const snap = await snapshot(s.plane.admin, NAMESPACE);
    const inBroken = readyOf(snap.groups.find((g) => g.metadata.name === 'in-broken'));
    const inGood = readyOf(snap.groups.find((g) => g.metadata.name === 'in-good'));
    refusal =
      inBroken === undefined
        ? undefined
        : { status: inBroken.status, reason: inBroken.reason ?? '', message: inBroken.message ?? '' };
    goodGroupReady = inGood?.status === 'True';
    if (refusal !== undefined && goodGroupReady) break;
    await delay(300);
  }
  const loggedErrors = logLines(await operator.output()).filter(
    (line) =>
      (line.level ?? 0) >= 50 &&
      typeof line.msg === 'string' &&
      line.msg.includes(BROKEN) &&
      line.msg.includes('spec.zones'),
  ).length;
  const metricsServed = await operator
    .metrics()
    .then((text) => text.includes('vmfleet_build_info'))
    .catch(() => false);
  // Out of the way of the fuzzing (its status cannot be written, so it never looks consistent).
  await s.plane.admin.delete(resourceOf('ScaleSet'), refOf(broken));
  await s.plane.admin.delete(REGIONS, { name: BROKEN });
  return { operatorAlive: !operator.hasExited(), refusal, loggedErrors, goodGroupReady, metricsServed };
}

// ---------------------------------------------------------------------------------------------------------
// 3. Fuzzing through the API server

/** The operator's own verdict on a spec: the adapter's parse and Region checks, as the reconciler runs them. */
function verdictWith<S>(
  adapter: GroupAdapter<S>,
  spec: unknown,
  regions: ReadonlyMap<string, Region>,
): 'valid' | 'refused' {
  const parsed = adapter.parse(spec);
  if (!parsed.ok) return 'refused';
  const region = regions.get(adapter.regionName(parsed.spec));
  if (region === undefined || !checkRegion(region).ok) return 'refused';
  return adapter.validate(parsed.spec, region).length > 0 ? 'refused' : 'valid';
}

export function operatorVerdict(
  kind: GroupRef['kind'],
  spec: unknown,
  regions: ReadonlyMap<string, Region>,
): 'valid' | 'refused' {
  return kind === 'ScaleSet'
    ? verdictWith(scaleSetAdapter, spec, regions)
    : verdictWith(computeFleetAdapter, spec, regions);
}

interface Baseline {
  uid: string;
  names: Map<string, string>;
}

function runningByName(instances: readonly Instance[], owner: string): Map<string, string> {
  return new Map(
    instances
      .filter(
        (i) => i.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === owner) === true,
      )
      .filter((i) => phaseOf(i) === 'Running' && i.metadata.deletionTimestamp === undefined)
      .map((i) => [i.metadata.name, i.metadata.uid ?? '']),
  );
}

async function groupReconciles(operator: OperatorProcess): Promise<{ total: number; errors: number }> {
  const samples = parsePrometheus(await operator.metrics());
  const controllers = ['scaleset', 'computefleet'];
  return {
    total: controllers.reduce(
      (n, c) => n + sum(samples, 'controller_runtime_reconcile_total', { controller: c }),
      0,
    ),
    errors: controllers.reduce(
      (n, c) => n + sum(samples, 'controller_runtime_reconcile_errors_total', { controller: c }),
      0,
    ),
  };
}

async function fuzzThroughApi(
  s: Scenario,
  operator: OperatorProcess,
  options: BadInputOptions,
): Promise<FuzzOutcome> {
  const { admin } = s.plane;
  const manifests: GroupManifest[] = [
    scaleSet({ namespace: NAMESPACE, name: 'fuzz-web' }, GOOD, 6, { zoneBalance: true }),
    computeFleet({ namespace: NAMESPACE, name: 'fuzz-fleet' }, GOOD, 4, 2),
  ];
  for (const manifest of manifests) await admin.create(resourceOf(manifest.kind), manifest);
  const converge = () =>
    waitConsistent(admin, { exactTargets: true, timeoutMs: 60_000, namespace: NAMESPACE });
  let snap = (await converge()).snapshot;
  const regions = new Map(snap.regions.map((r) => [r.metadata.name, r as unknown as Region]));
  // The valid specs as the API server stored them (defaults filled in): what gets put back.
  const valid = new Map(snap.groups.map((g) => [g.metadata.name, structuredClone(g.spec)]));
  const baselineOf = (name: string): Baseline => {
    const group = snap.groups.find((g) => g.metadata.name === name);
    if (group === undefined) throw new Error(`no group ${name}`);
    return { uid: group.metadata.uid, names: runningByName(snap.instances, group.metadata.uid) };
  };

  const before = await groupReconciles(operator);
  const outcome: FuzzOutcome = {
    written: 0,
    rejectedByApiServer: 0,
    refusedByOperator: 0,
    acceptedAsValid: 0,
    instancesLost: 0,
    unreported: [],
    reconciles: 0,
    reconcileErrors: 0,
    reconcilesWhenQuiet: 0,
    operatorAlive: true,
    examples: [],
  };
  const arbitraries = manifests.map((m) => damagedSpecArb(valid.get(m.metadata.name) ?? m.spec));
  const samples = fc.sample(
    fc
      .nat(manifests.length - 1)
      .chain((which) =>
        (arbitraries[which] as (typeof arbitraries)[number]).map((damaged) => ({ which, ...damaged })),
      ),
    { numRuns: options.mutations, seed: options.seed },
  );

  for (const sample of samples) {
    const manifest = manifests[sample.which] as GroupManifest;
    const ref = refOf(manifest);
    const name = manifest.metadata.name;
    const baseline = baselineOf(name);
    const label = `${manifest.kind} ${sample.mutations.map(describeMutation).join(', ')}`;
    outcome.written++;
    const stored = await writeSpec(s, ref, sample.spec);
    if (stored === undefined) {
      outcome.rejectedByApiServer++;
      continue;
    }
    // Judged as stored: the API server prunes unknown fields and defaults nulls on the way in.
    const generation = stored.metadata.generation;
    const verdict = operatorVerdict(manifest.kind, stored.spec, regions);
    // The operator has looked at the new generation once the group's status says so.
    const seen = await waitObserved(s, ref, generation, 30_000);
    if (verdict === 'refused') {
      outcome.refusedByOperator++;
      const ready = readyOf(seen);
      if (ready?.status !== 'False' || ready.observedGeneration !== generation || (ready.reason ?? '') === '')
        outcome.unreported.push(`${label}: Ready ${JSON.stringify(ready)}`);
      const now = runningByName((await snapshot(admin, NAMESPACE)).instances, baseline.uid);
      for (const [instance, uid] of baseline.names) if (now.get(instance) !== uid) outcome.instancesLost++;
      if (outcome.examples.length < 6)
        outcome.examples.push(`${label} → ${ready?.reason ?? '?'}: ${(ready?.message ?? '').slice(0, 140)}`);
    } else {
      outcome.acceptedAsValid++;
    }
    // Put the valid spec back; a mutation the operator accepted may have changed instances legitimately.
    await writeSpec(s, ref, valid.get(name) ?? manifest.spec);
    if (verdict === 'valid') snap = (await converge()).snapshot;
  }
  snap = (await converge()).snapshot;
  const after = await groupReconciles(operator);
  // A quiet period: nothing changes, so a group controller that loops on a bad spec would show here.
  await delay(3_000);
  const quiet = await groupReconciles(operator);
  outcome.reconciles = after.total - before.total;
  outcome.reconcileErrors = quiet.errors - before.errors;
  outcome.reconcilesWhenQuiet = quiet.total - after.total;
  outcome.operatorAlive = !operator.hasExited();
  s.log(
    `${outcome.written} specs written: ${outcome.rejectedByApiServer} rejected by the API server, ${outcome.refusedByOperator} refused by the operator, ${outcome.acceptedAsValid} valid; ${outcome.reconciles} reconciles, ${outcome.reconcileErrors} errors`,
  );
  return outcome;
}

/** Replaces the group's spec; returns the stored object, or undefined when the API server refused it. */
async function writeSpec(
  s: Scenario,
  ref: GroupRef,
  spec: Record<string, unknown>,
): Promise<GroupObjectView | undefined> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = (await s.plane.admin.get(resourceOf(ref.kind), ref)) as GroupObjectView & {
      metadata: { resourceVersion: string };
    };
    try {
      return (await s.plane.admin.replace(resourceOf(ref.kind), ref, {
        ...current,
        spec,
      })) as GroupObjectView;
    } catch (error) {
      if (isInvalid(error) || (error instanceof KubeApiError && error.code === 400)) return undefined;
      if (error instanceof KubeApiError && error.code === 409) continue; // our own status writer moved it
      throw error;
    }
  }
  throw new Error(`could not write the spec of ${ref.name}`);
}

async function waitObserved(
  s: Scenario,
  ref: GroupRef,
  generation: number,
  timeoutMs: number,
): Promise<GroupObjectView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const group = (await s.plane.admin.get(resourceOf(ref.kind), ref)) as GroupObjectView;
    if ((group.status?.observedGeneration ?? 0) >= generation) return group;
    if (Date.now() > deadline) throw new Error(`${ref.name}: generation ${generation} never observed`);
    await delay(100);
  }
}
