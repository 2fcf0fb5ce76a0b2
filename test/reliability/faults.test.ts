// Control-plane faults, CI size: API server restarts and crashes mid-reconcile, 410 Gone after an etcd
// compaction, and conflicting writers; the one operator process recovers on its own and converges.
import { expect, it } from 'vitest';
import { runFaultsScenario } from './scenarios/faults.ts';
import { binDir, describePlane, progress } from './support.ts';

describePlane('control-plane faults', () => {
  it('recovers from API server restarts, watch expiry and write conflicts without being restarted', async () => {
    const result = await runFaultsScenario({
      size: 45,
      conflictMs: 6_000,
      seed: 3,
      convergeTimeoutMs: 120_000,
      leaderElect: false,
      binDir: binDir(),
      log: progress,
    });
    expect(result.steps.map((s) => s.step)).toHaveLength(4);
    expect(result.operatorAlive).toBe(true);
    // The watch expiry really happened: reflectors relisted after 410 Gone.
    expect(result.goneRelists).toBeGreaterThanOrEqual(1);
    // The writers really collided.
    expect(result.conflicts.users + result.conflicts.operator).toBeGreaterThan(0);
  }, 420_000);
});
