// Starts one control plane for the whole integration run (vitest globalSetup, main process), installs
// crds/ and the RBAC of deploy/, and hands the connection info to test files via provide().
// In CI the plane is required: any failure to build or start it fails the run. Locally, without Go and
// without cached binaries, the integration tests are skipped with one loud line.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  ClusterUnavailableError,
  clusterInfo,
  ensureBinaries,
  startControlPlane,
  type ControlPlane,
} from '../cluster/controlplane.ts';
import type { ClusterContext } from '../cluster/vitest-context.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DEPLOY_RBAC = ['deploy/namespace.yaml', 'deploy/serviceaccount.yaml', 'deploy/rbac.yaml'];

const inCi = (): boolean => {
  const ci = process.env['CI'] ?? '';
  return ci !== '' && ci !== 'false' && ci !== '0';
};

const log = (message: string): void => {
  process.stderr.write(`[integration] ${message}\n`);
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const binaries = await binariesOrSkip();
  if ('skip' in binaries) {
    skipLoudly(binaries.skip);
    return provideAndReturn(project, { cluster: null, skipReason: binaries.skip, installProblems: [] }, null);
  }
  const { binDir } = binaries;
  const started = Date.now();
  let plane: ControlPlane | undefined;
  const problems: string[] = [];
  try {
    plane = await startControlPlane({ auditLog: true, binDir, log });
    problems.push(...(await installCrds(plane)), ...(await installDeployRbac(plane)));
    // After the CRDs: the garbage collector discovers resource types at start (then only every 30 s).
    await plane.startControllerManager();
  } catch (err) {
    await plane?.stop();
    throw new Error(`integration: the control plane could not be started: ${describe(err)}`, { cause: err });
  }
  log(`control plane ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${plane.server}`);
  for (const problem of problems) log(`NOT INSTALLED: ${problem}`);
  return provideAndReturn(
    project,
    { cluster: clusterInfo(plane), skipReason: '', installProblems: problems },
    plane,
  );
}

async function binariesOrSkip(): Promise<{ binDir: string } | { skip: string }> {
  const optOut = process.env['VMFLEET_SKIP_INTEGRATION'];
  if (optOut !== undefined && optOut !== '' && optOut !== '0') {
    if (inCi()) throw new Error('integration: VMFLEET_SKIP_INTEGRATION is not allowed in CI');
    return { skip: 'VMFLEET_SKIP_INTEGRATION is set' };
  }
  try {
    return { binDir: await ensureBinaries(log) };
  } catch (err) {
    if (err instanceof ClusterUnavailableError && !inCi()) return { skip: err.message };
    throw new Error(
      `integration: the control plane binaries could not be built (CI requires them): ${describe(err)}`,
      { cause: err },
    );
  }
}

function skipLoudly(reason: string): void {
  process.stderr.write(
    `\n!!! INTEGRATION TESTS SKIPPED: ${reason}. Install Go 1.26+ (test/cluster/build.sh builds ` +
      `the control plane) to run them. CI never skips them. !!!\n\n`,
  );
}

function provideAndReturn(
  project: TestProject,
  context: ClusterContext,
  plane: ControlPlane | null,
): () => Promise<void> {
  project.provide('vmfleetCluster', context);
  return async () => {
    await plane?.stop();
  };
}

/** Applies each CRD on its own, so one the server refuses does not keep the others out. */
async function installCrds(plane: ControlPlane): Promise<string[]> {
  const dir = join(ROOT, 'crds');
  if (!existsSync(dir)) return ['crds/ does not exist'];
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.yaml') && !name.startsWith('kustomization.'))
    .map((name) => join(dir, name));
  if (files.length === 0) return ['crds/ holds no CRD'];
  const problems = await Promise.all(files.map((file) => applyFile(plane, file)));
  await plane.kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    ...files.flatMap((f) => ['-f', f]),
  ]);
  return problems.filter((p) => p !== null);
}

async function installDeployRbac(plane: ControlPlane): Promise<string[]> {
  const problems: string[] = [];
  // In order: the namespace must exist before the namespaced objects that follow.
  for (const file of DEPLOY_RBAC) {
    const path = join(ROOT, file);
    const problem = existsSync(path) ? await applyFile(plane, path) : `${file} does not exist`;
    if (problem !== null) problems.push(problem);
  }
  return problems;
}

async function applyFile(plane: ControlPlane, path: string): Promise<string | null> {
  const result = await plane.kubectl(['apply', '--server-side', '--force-conflicts', '-f', path]);
  return result.code === 0 ? null : `${path.slice(ROOT.length + 1)}: ${result.stderr.trim()}`;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
