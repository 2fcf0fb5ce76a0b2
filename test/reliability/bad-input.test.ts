// Bad input: malformed flags, environment and kubeconfig fail `vmfleet run` at start with exit code 2 and
// a message naming the problem; a malformed stored Region is reported and refused, not crashed on; and
// seeded fast-check mutations of running groups' specs, written through the API server, never delete a
// Running instance, are always explained in status, and never make the operator loop.
import { describe, expect, it } from 'vitest';
import { runBadInputScenario, runStartupErrors } from './scenarios/bad-input.ts';
import { binDir, describePlane, progress } from './support.ts';

describe('vmfleet run with malformed configuration', () => {
  it('exits 2 naming the flag, variable or file', async () => {
    const outcomes = await runStartupErrors();
    expect(outcomes.length).toBeGreaterThanOrEqual(12);
    for (const outcome of outcomes) {
      expect({
        name: outcome.name,
        code: outcome.code,
        message: outcome.stderr,
        ok: outcome.ok,
      }).toMatchObject({
        code: 2,
        ok: true,
      });
    }
  }, 240_000);
});

describePlane('bad input on a running operator', () => {
  it('reports a malformed Region and refuses invalid specs without touching running instances', async () => {
    const { region, fuzz } = await runBadInputScenario({
      mutations: 40,
      seed: 1123,
      binDir: binDir(),
      log: progress,
    });
    // The malformed Region: named in the group's status and in an error log line, nothing else affected.
    expect(region.operatorAlive).toBe(true);
    expect(region.refusal).toMatchObject({ status: 'False', reason: 'RegionInvalid' });
    expect(region.refusal?.message).toMatch(/broken-region.*spec\.zones/);
    expect(region.loggedErrors).toBeGreaterThanOrEqual(1);
    expect(region.goodGroupReady).toBe(true);
    expect(region.metricsServed).toBe(true);

    // The fuzzing reached both gates: some specs the API server refused, some only the operator could.
    expect(fuzz.written).toBe(40);
    expect(fuzz.rejectedByApiServer).toBeGreaterThan(0);
    expect(fuzz.refusedByOperator).toBeGreaterThan(0);
    expect(fuzz.instancesLost).toBe(0);
    expect(fuzz.unreported).toEqual([]);
    expect(fuzz.operatorAlive).toBe(true);
    // Refusing is not an error, and it does not loop: a handful of reconciles per spec written.
    expect(fuzz.reconcileErrors).toBe(0);
    expect(fuzz.reconciles).toBeLessThanOrEqual(6 * 2 * (fuzz.written - fuzz.rejectedByApiServer) + 20);
    expect(fuzz.reconcilesWhenQuiet).toBeLessThanOrEqual(2);
  }, 420_000);
});
