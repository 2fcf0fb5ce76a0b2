// Least privilege and hardening on a private plane: the operator identity's permissions as the API server
// answers them, the Deployment's pod under the restricted Pod Security Standard, and no credential in the
// operator's trace-level logs even through API errors.
import { expect, it } from 'vitest';
import { withScenario } from './lib/scenario.ts';
import { checkAccess, checkPodSecurity, checkSecretsInLogs, wildcardRules } from './scenarios/security.ts';
import { binDir, describePlane, progress } from './support.ts';

describePlane('least privilege and hardening', () => {
  it('allows what the operator uses and denies the rest; restricted pod security; no secrets in logs', async () => {
    await withScenario('security', { seed: 1, binDir: binDir(), log: progress }, async (s) => {
      const access = await checkAccess(s.plane);
      const wrong = access.filter((a) => (a.answer === 'yes') !== a.allowed);
      expect(wrong).toEqual([]);
      expect(access.filter((a) => a.allowed).length).toBeGreaterThanOrEqual(8);
      expect(access.filter((a) => !a.allowed).length).toBeGreaterThanOrEqual(25);
      expect(await wildcardRules(s.plane)).toEqual([]);

      const pss = await checkPodSecurity(s.plane);
      expect(pss.pod).toEqual({ code: 0, stderr: '' });
      expect(pss.deployment).toEqual({ code: 0, stderr: '' });
      expect(pss.control.code).not.toBe(0);
      expect(pss.control.stderr).toMatch(/violates PodSecurity "restricted/);

      const logs = await checkSecretsInLogs(s);
      expect(logs.leaks).toEqual([]);
      // The error paths ran: warnings and errors were logged, with their error objects, at trace level.
      expect(logs.problems).toBeGreaterThan(0);
      expect(logs.rejectedProblems).toBeGreaterThan(0);
    });
  }, 300_000);
});
