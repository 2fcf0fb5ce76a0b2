// Helpers for integration tests on the shared control plane started by global-setup.ts.
//
//   import { describeCluster, useCluster, eventually, kubectlOk } from './cluster.ts';
//   describeCluster('my feature', () => {
//     it('does things', async () => {
//       const cluster = useCluster();            // server, kubeconfigs, tokens, binDir, caCert
//       await kubectlOk(['apply', '-f', '-'], { input: yaml });
//       await eventually(async () => { expect(await get()).toBe(3); }, { timeoutMs: 30_000 });
//     });
//   });
//
// The plane is shared by every integration test file, and files run in parallel: use a namespace or
// names of your own (uniqueName()). Tests that must disrupt the plane (restartApiServer) start their
// own with startControlPlane() from test/cluster/controlplane.ts.
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, inject } from 'vitest';
import {
  kubectl as runKubectl,
  type ClusterInfo,
  type KubectlOptions,
  type KubectlResult,
} from '../cluster/controlplane.ts';
import type { ClusterContext } from '../cluster/vitest-context.ts';

const context: ClusterContext = inject('vmfleetCluster');

/** describe() that is skipped when the plane is unavailable locally (global setup said why, loudly). */
export const describeCluster = describe.skipIf(context.cluster === null);

/** The shared plane. Call it inside describeCluster (at collection time or in a test). */
export function useCluster(): ClusterInfo {
  if (context.cluster === null) {
    throw new Error(`the control plane is not available: ${context.skipReason}`);
  }
  return context.cluster;
}

/** What the global setup could not install from crds/ and deploy/ (empty when all went in). */
export function installProblems(): string[] {
  return context.installProblems;
}

/** kubectl against the shared plane, as the admin (default) or the operator identity. */
export function kubectl(args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
  return runKubectl(useCluster(), args, opts);
}

/** kubectl that throws with its stderr on a non-zero exit; returns stdout. */
export async function kubectlOk(args: string[], opts: KubectlOptions = {}): Promise<string> {
  const result = await kubectl(args, opts);
  if (result.code !== 0) {
    throw new Error(`kubectl ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

/** A DNS-1123 name unique to this run, so parallel test files do not collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Retries `fn` until it returns without throwing (assertions included) and returns its result; after
 * the timeout, rethrows the last failure. Use it instead of sleeping for the cluster to converge.
 */
export async function eventually<T>(fn: () => T | Promise<T>, opts: EventuallyOptions = {}): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 200 } = opts;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() >= deadline) {
        if (err instanceof Error) err.message = `still failing after ${timeoutMs} ms: ${err.message}`;
        throw err;
      }
    }
    await delay(intervalMs);
  }
}
