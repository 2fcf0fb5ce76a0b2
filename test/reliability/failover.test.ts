// Leader failover with two operator processes: SIGKILL of the leader, then a leader frozen (SIGSTOP) past
// its lease and resumed. The audit log shows who wrote when.
import { expect, it } from 'vitest';
import { runFailoverScenario } from './scenarios/failover.ts';
import { binDir, describePlane, progress } from './support.ts';

describePlane('leader failover', () => {
  it('the standby acts within 25 s, and the two never write in the same period', async () => {
    const result = await runFailoverScenario({
      step: 80,
      seed: 7,
      convergeTimeoutMs: 90_000,
      binDir: binDir(),
      log: progress,
    });
    expect(result.killTakeoverMs).toBeLessThanOrEqual(25_000);
    expect(result.freezeTakeoverMs).toBeLessThanOrEqual(25_000);
    // One run of writes per leadership term: op-a, then op-b after the SIGKILL, then op-a after the freeze.
    expect(result.writerRuns).toEqual(['op-a', 'op-b', 'op-a']);
    // The resumed ex-leader wrote nothing and exited to be restarted (exit code 1: leadership lost).
    expect(result.writesAfterResume).toBe(0);
    expect(result.resumedExit).toBe('1');
    expect(result.writesByIdentity['op-b']).toBeGreaterThan(0);
  }, 300_000);
});
