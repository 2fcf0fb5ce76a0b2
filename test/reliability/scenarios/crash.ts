// Crash consistency. The operator runs as `vmfleet run` in its own process; while it scales a group out
// (0 → N) and in (N → M) it is killed with SIGKILL at seeded random moments and started again with the same
// identity (a restarted container keeps its pod name, so it takes its own Lease back at once). After each
// phase: exactly the target, no duplicate and no orphan Instance, Region usage equal to the Instances, no
// stuck finalizer, the status right. Then the group is deleted and everything it held must go.
//
// A "random moment" is a seeded fraction of the phase's work, measured on the API server's audit log as the
// operator's writes to Instances (create + status for scale-out, delete + finalizer patch for scale-in), so
// kills land before, between and inside batches of writes rather than only before or after the phase.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { REGIONS } from '../../../src/controllers/resources.ts';
import { consistencyViolations, summarize, waitConsistent } from '../lib/consistency.ts';
import {
  computeFleet,
  refOf,
  regionManifest,
  resourceOf,
  scaleSet,
  setTarget,
  snapshot,
  type GroupRef,
} from '../lib/fleet.ts';
import type { OperatorProcess } from '../lib/operator-process.ts';
import { instanceWrites, WriteCounter } from '../lib/progress.ts';
import { randomInt, withScenario, type Scenario, type CommonOptions } from '../lib/scenario.ts';

export interface CrashOptions extends CommonOptions {
  /** Rounds; each scales out, scales in and deletes one group (ScaleSet and ComputeFleet alternate). */
  rounds: number;
  scaleOutTo: number;
  scaleInTo: number;
  /** SIGKILLs per phase, drawn in [min, max]. */
  killsPerPhase: { min: number; max: number };
  /** Per phase, after the last restart. */
  convergeTimeoutMs: number;
}

export interface PhaseResult {
  round: number;
  kind: GroupRef['kind'];
  phase: 'scale-out' | 'scale-in' | 'delete';
  from: number;
  to: number;
  /** Progress (share of the phase's expected writes) at each kill. */
  killedAt: number[];
  /** From the last restart to consistent. */
  convergeMs: number;
}

export interface CrashResult {
  phases: PhaseResult[];
  kills: number;
  maxConvergeMs: Record<PhaseResult['phase'], number>;
}

const NAMESPACE = 'crash';
const REGION = 'crash-region';

export async function runCrashScenario(options: CrashOptions): Promise<CrashResult> {
  return withScenario('crash', options, async (s) => {
    await s.plane.kubectlOk(['create', 'namespace', NAMESPACE]);
    await s.plane.admin.create(REGIONS, regionManifest(REGION));
    const logPath = join(s.logDir, 'operator.log');
    await writeFile(logPath, '');
    const start = (): OperatorProcess =>
      s.operators.start({ kubeconfig: s.plane.plane.operatorKubeconfig, identity: 'crash-op', logPath });
    let operator = start();
    await operator.waitStarted();

    const phases: PhaseResult[] = [];
    const restart = async (): Promise<void> => {
      await operator.kill();
      operator = start();
      await operator.waitStarted();
    };

    for (let round = 0; round < options.rounds; round++) {
      const kind = round % 2 === 0 ? 'ScaleSet' : 'ComputeFleet';
      const name = `g${round}`;
      const manifest =
        kind === 'ScaleSet'
          ? scaleSet({ namespace: NAMESPACE, name }, REGION, 0)
          : computeFleet({ namespace: NAMESPACE, name }, REGION, 0, 0);
      await s.plane.admin.create(resourceOf(kind), manifest);
      const ref = refOf(manifest);
      for (const [phase, from, to] of [
        ['scale-out', 0, options.scaleOutTo],
        ['scale-in', options.scaleOutTo, options.scaleInTo],
      ] as const) {
        const result = await crashPhase(s, options, { round, ref, phase, from, to }, restart);
        phases.push(result);
        s.log(
          `round ${round} ${kind} ${phase} ${from}→${to}: killed at ${result.killedAt.map((f) => f.toFixed(2)).join(', ')}; consistent ${result.convergeMs} ms after the last restart`,
        );
      }
      phases.push(await deletePhase(s, options, round, ref));
    }
    if (operator.hasExited()) throw new Error('the operator exited on its own');
    const maxConvergeMs = { 'scale-out': 0, 'scale-in': 0, delete: 0 };
    for (const p of phases) maxConvergeMs[p.phase] = Math.max(maxConvergeMs[p.phase], p.convergeMs);
    return { phases, kills: phases.reduce((n, p) => n + p.killedAt.length, 0), maxConvergeMs };
  });
}

/** Splits a fleet's target 60 % Regular, 40 % Spot. */
function targetFor(ref: GroupRef, count: number): number | { regular: number; spot: number } {
  if (ref.kind === 'ScaleSet') return count;
  const regular = Math.ceil(count * 0.6);
  return { regular, spot: count - regular };
}

async function crashPhase(
  s: Scenario,
  options: CrashOptions,
  phase: { round: number; ref: GroupRef; phase: 'scale-out' | 'scale-in'; from: number; to: number },
  restart: () => Promise<void>,
): Promise<PhaseResult> {
  const { ref } = phase;
  const kills = randomInt(s.random, options.killsPerPhase.min, options.killsPerPhase.max);
  // Increasing fractions of the phase's work; 0 kills right after the spec change.
  const fractions = Array.from({ length: kills }, () => s.random() * 0.95).sort((a, b) => a - b);
  const expectedWrites = 2 * Math.abs(phase.to - phase.from);
  const writes = new WriteCounter(s.plane.auditLogPath, instanceWrites(`${ref.name}-`));
  await setTarget(s.plane.admin, ref, targetFor(ref, phase.to));
  const killedAt: number[] = [];
  for (const fraction of fractions) {
    await writes.until(Math.ceil(fraction * expectedWrites), options.convergeTimeoutMs);
    killedAt.push(writes.count / expectedWrites);
    await restart();
  }
  const restartedAt = Date.now();
  await waitConsistent(s.plane.admin, {
    exactTargets: true,
    timeoutMs: options.convergeTimeoutMs,
    namespace: NAMESPACE,
  });
  return {
    round: phase.round,
    kind: ref.kind,
    phase: phase.phase,
    from: phase.from,
    to: phase.to,
    killedAt,
    convergeMs: Date.now() - restartedAt,
  };
}

/** Deleting the group: garbage collection and the Instance finalizers must leave nothing behind. */
async function deletePhase(
  s: Scenario,
  options: CrashOptions,
  round: number,
  ref: GroupRef,
): Promise<PhaseResult> {
  const started = Date.now();
  await s.plane.admin.delete(resourceOf(ref.kind), ref);
  const deadline = started + options.convergeTimeoutMs;
  for (;;) {
    const current = await snapshot(s.plane.admin, NAMESPACE);
    const left = current.instances.filter((i) => i.metadata.name.startsWith(`${ref.name}-`));
    const violations = consistencyViolations(current, { exactTargets: true });
    if (left.length === 0 && current.groups.length === 0 && violations.length === 0) break;
    if (Date.now() > deadline)
      throw new Error(`delete ${ref.name}: ${left.length} Instance(s) left:\n  ${summarize(violations)}`);
    await delay(500);
  }
  return {
    round,
    kind: ref.kind,
    phase: 'delete',
    from: options.scaleInTo,
    to: 0,
    killedAt: [],
    convergeMs: Date.now() - started,
  };
}
