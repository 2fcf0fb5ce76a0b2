// Load, CI size: 10 groups, 2,000 VMs, 30 s of random scaling and Spot capacity changes; everything
// converges. `npm run verify` runs 50 groups and 20,000 VMs with 5 minutes of churn.
import { expect, it } from 'vitest';
import { runLoadScenario } from './scenarios/load.ts';
import { binDir, describePlane, progress } from './support.ts';

describePlane('load', () => {
  it('2,000 VMs in 10 groups converge, through 30 s of churn', async () => {
    const result = await runLoadScenario({
      groups: 10,
      totalVms: 2_000,
      churnMs: 30_000,
      churnEveryMs: 1_000,
      seed: 42,
      convergeTimeoutMs: 240_000,
      binDir: binDir(),
      log: progress,
    });
    progress(JSON.stringify(result));
    expect(result.churnOperations.scale + result.churnOperations.spotCapacity).toBeGreaterThanOrEqual(20);
    expect(result.reconcile.errors, result.reconcile.failures.join('\n')).toBe(0);
    // The Spot cuts really evicted.
    expect(result.evictions).toBeGreaterThan(0);
    expect(result.reconcile.count).toBeGreaterThan(2_000);
    // Generous bounds for a shared 2-core runner; the figures themselves go to the README.
    expect(result.peakRssMiB).toBeLessThan(600);
    expect(result.reconcile.p99Ms).toBeLessThan(10_000);
  }, 420_000);
});
