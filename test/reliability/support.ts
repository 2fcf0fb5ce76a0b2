// What the reliability test files share: the binaries found by the global setup, a describe() that needs
// them, and a progress log that shows with VMFLEET_RELIABILITY_LOG=1.
import { describe, inject } from 'vitest';
import type { ReliabilityContext } from './global-setup.ts';

const context: ReliabilityContext = inject('vmfleetReliability');

/** describe() skipped only when the plane cannot be built locally (never in CI: the setup fails there). */
export const describePlane = describe.skipIf(context.binDir === null);

export function binDir(): string {
  if (context.binDir === null) throw new Error(`no control plane: ${context.skipReason}`);
  return context.binDir;
}

export function progress(message: string): void {
  if ((process.env['VMFLEET_RELIABILITY_LOG'] ?? '') !== '') process.stderr.write(`${message}\n`);
}
