// Crash consistency, CI size: the operator process is SIGKILLed at seeded random moments while it scales a
// ScaleSet and a ComputeFleet out and in; `npm run verify` runs the full 0 → 500 → 100, 10 rounds.
import { expect, it } from 'vitest';
import { runCrashScenario } from './scenarios/crash.ts';
import { binDir, describePlane, progress } from './support.ts';

describePlane('crash consistency', () => {
  it('converges to exactly the target with no duplicate, orphan or stuck Instance after SIGKILLs', async () => {
    const result = await runCrashScenario({
      rounds: 2,
      scaleOutTo: 120,
      scaleInTo: 30,
      killsPerPhase: { min: 1, max: 2 },
      seed: 20261123,
      convergeTimeoutMs: 90_000,
      binDir: binDir(),
      log: progress,
    });
    // Every phase ended consistent (the scenario throws otherwise); the kills really happened mid-phase.
    const phases = result.phases.filter((p) => p.phase !== 'delete');
    expect(phases).toHaveLength(4);
    for (const phase of phases) {
      expect(phase.killedAt.length).toBeGreaterThanOrEqual(1);
      for (const progressAtKill of phase.killedAt) expect(progressAtKill).toBeLessThan(1);
    }
    expect(result.kills).toBeGreaterThanOrEqual(4);
  }, 420_000);
});
