// What the integration global setup hands to test files through vitest's provide()/inject().
import type { ClusterInfo } from './controlplane.ts';

export interface ClusterContext {
  /** The shared plane, or null when it is unavailable locally (never in CI: setup fails there instead). */
  cluster: ClusterInfo | null;
  /** Why the plane is unavailable; empty when it is up. */
  skipReason: string;
  /**
   * What the setup could not install (a CRD the server refuses, an RBAC file that fails): reported by
   * the tests that check crds/ and deploy/, instead of aborting the whole run in the setup.
   */
  installProblems: string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    vmfleetCluster: ClusterContext;
  }
}
