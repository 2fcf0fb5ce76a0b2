// The reliability project's global setup: finds (or builds) the control-plane binaries once and hands their
// directory to the test files; every scenario then starts a plane of its own from them (they restart the
// API server and kill operators, so none shares a plane). As in the integration suite, CI requires the
// binaries and a local run without Go skips with one loud line.
import type { TestProject } from 'vitest/node';
import { ClusterUnavailableError, ensureBinaries } from '../cluster/controlplane.ts';

export interface ReliabilityContext {
  binDir: string | null;
  skipReason: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    vmfleetReliability: ReliabilityContext;
  }
}

const inCi = (): boolean => {
  const ci = process.env['CI'] ?? '';
  return ci !== '' && ci !== 'false' && ci !== '0';
};

export default async function setup(project: TestProject): Promise<void> {
  const log = (message: string): void => {
    process.stderr.write(`[reliability] ${message}\n`);
  };
  try {
    project.provide('vmfleetReliability', { binDir: await ensureBinaries(log), skipReason: '' });
  } catch (error) {
    if (!(error instanceof ClusterUnavailableError) || inCi()) throw error;
    process.stderr.write(
      `\n!!! RELIABILITY TESTS SKIPPED: ${error.message}. Install Go 1.26+ (test/cluster/build.sh builds the control plane) to run them. CI never skips them. !!!\n\n`,
    );
    project.provide('vmfleetReliability', { binDir: null, skipReason: error.message });
  }
}
