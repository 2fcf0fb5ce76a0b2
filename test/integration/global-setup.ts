// Starts one control plane for the whole integration run (vitest globalSetup, main process), installs
// crds/ and the RBAC of deploy/, and hands the connection info to test files via provide().
// In CI the plane is required: any failure to build or start it fails the run. Locally, without Go and
// without cached binaries, the integration tests are skipped with one loud line.
import { existsSync } from 'node:fs';
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
    return provideAndReturn(project, null, binaries.skip);
  }
  const { binDir } = binaries;
  const started = Date.now();
  let plane: ControlPlane | undefined;
  try {
    plane = await startControlPlane({ auditLog: true, binDir, log });
    await installCrds(plane);
    await installDeployRbac(plane);
    // After the CRDs: the garbage collector discovers resource types at start (then only every 30 s).
    await plane.startControllerManager();
  } catch (err) {
    await plane?.stop();
    throw new Error(`integration: the control plane could not be started: ${describe(err)}`, { cause: err });
  }
  log(`control plane ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${plane.server}`);
  return provideAndReturn(project, plane, '');
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
  plane: ControlPlane | null,
  reason: string,
): () => Promise<void> {
  const context: ClusterContext = { cluster: plane === null ? null : clusterInfo(plane), skipReason: reason };
  project.provide('vmfleetCluster', context);
  return async () => {
    await plane?.stop();
  };
}

async function installCrds(plane: ControlPlane): Promise<void> {
  const dir = join(ROOT, 'crds');
  if (!existsSync(dir)) throw new Error('crds/ does not exist');
  await must(plane, ['apply', '--server-side', '--force-conflicts', '-f', dir]);
  await must(plane, ['wait', '--for=condition=Established', '--timeout=60s', '-f', dir]);
}

async function installDeployRbac(plane: ControlPlane): Promise<void> {
  const files = DEPLOY_RBAC.map((file) => join(ROOT, file)).filter((file) => existsSync(file));
  if (files.length < DEPLOY_RBAC.length) log(`deploy/ RBAC files missing; applied ${files.length}`);
  if (files.length === 0) return;
  await must(plane, ['apply', '--server-side', '--force-conflicts', ...files.flatMap((f) => ['-f', f])]);
}

async function must(plane: ControlPlane, args: string[]): Promise<void> {
  const result = await plane.kubectl(args);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed:\n${result.stderr}`);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
