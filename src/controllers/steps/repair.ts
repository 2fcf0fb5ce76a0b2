// Automatic instance repairs: VMs Unhealthy past the grace period are replaced (deleted; the next plan
// re-creates them), restarted or reimaged, one batch at a time and only while the set is settled. The
// engine decides (engine/repairs.ts); this step maps the VMs onto it, asks for the deletes or the restarts
// (the reconciler has the cloud carry them out), and reports the repairs in status.
import { durationMs, type ScaleSetSpec } from '../../api/index.ts';
import { decideRepairs } from '../../engine/repairs.ts';
import { formatTime, type EventRecorder } from '../../runtime/index.ts';
import { phaseOf } from '../instances.ts';
import type { ScaleSetMemory } from './scaleset-memory.ts';
import { unsettledReason } from './settled.ts';
import type { GroupStep, StepInput, StepResult } from './step.ts';

export interface RepairStepDeps {
  events: EventRecorder;
}

export function repairStep(deps: RepairStepDeps): GroupStep<ScaleSetSpec, ScaleSetMemory> {
  return {
    name: 'repair',
    run: (input) =>
      Promise.resolve(input.state.spec.automaticRepairsPolicy?.enabled === true ? repair(deps, input) : {}),
  };
}

function repair(
  deps: RepairStepDeps,
  input: StepInput<ScaleSetSpec, ScaleSetMemory>,
): StepResult<ScaleSetSpec> {
  const { spec, instances, plan } = input.state;
  const m = input.memory.repairs;
  const moving = input.memory.rebalance.inFlight !== undefined;
  const suspended =
    unsettledReason(instances, spec.capacity + (moving ? 1 : 0), plan, input.paused) ??
    (moving ? 'rebalancing' : undefined);
  const policy = spec.automaticRepairsPolicy;
  const action = policy?.repairAction ?? 'Replace';
  const nowMs = input.now.getTime();
  const decision = decideRepairs({
    instances: instances.map((i) => ({
      name: i.metadata.name,
      phase: phaseOf(i),
      unhealthy: i.status?.health === 'Unhealthy',
      healthChangedAt: parseTime(i.status?.healthChangedAt),
      launchedAt: parseTime(i.status?.launchedAt),
      protectedFromScaleSetActions: i.spec.protection.fromScaleSetActions,
      repairInProgress: i.status?.repair !== undefined,
    })),
    capacity: spec.capacity,
    gracePeriodMs: durationMs(policy?.gracePeriod ?? '10m'),
    nowMs,
    suspended,
  });
  const batch = instances.filter((i) => decision.batch.includes(i.metadata.name));
  const next: typeof m =
    batch.length === 0
      ? m
      : {
          repaired: m.repaired + batch.length,
          lastRepairAt: formatTime(input.now),
          lastBatch: batch.map((i) => i.metadata.name),
        };
  const commit = () => {
    if (batch.length === 0) return;
    Object.assign(m, next);
    deps.events.record(input.subject, {
      type: 'Normal',
      reason: 'RepairingInstances',
      action,
      note: `${action} ${String(batch.length)} unhealthy instance(s): ${(next.lastBatch ?? []).join(', ')}${
        decision.protectedSkipped.length > 0
          ? `; skipped (protected): ${decision.protectedSkipped.slice(0, 5).join(', ')}`
          : ''
      }`,
    });
  };
  // A replaced VM's successor is in flight until it runs; a restart until the cloud reports it done.
  const running = instances.filter((i) => phaseOf(i) === 'Running').length;
  const replacing =
    action === 'Replace' && next.lastBatch !== undefined ? Math.max(0, spec.capacity - running) : 0;
  const inProgress =
    batch.length > 0 ? batch.length : decision.inProgress + Math.min(replacing, next.lastBatch?.length ?? 0);
  const stillSuspended = batch.length > 0 ? 'batch in flight' : decision.suspended;
  return {
    deletes:
      batch.length > 0 && action === 'Replace'
        ? { victims: batch.map((instance) => ({ instance, reason: 'repair' })) }
        : undefined,
    restarts: action === 'Replace' ? undefined : batch.map((instance) => ({ instance, action })),
    commit,
    repairing: inProgress > 0 || batch.length > 0,
    status: {
      repairs: {
        action,
        unhealthy: decision.unhealthy,
        repairedTotal: next.repaired,
        inProgress,
        ...(next.lastRepairAt === undefined ? {} : { lastRepairAt: next.lastRepairAt }),
        ...(next.lastBatch === undefined ? {} : { lastBatch: next.lastBatch }),
        ...(stillSuspended === undefined || decision.unhealthy === 0 ? {} : { suspended: stillSuspended }),
      },
    },
    requeueAfterMs: decision.nextDueAt === undefined ? undefined : Math.max(100, decision.nextDueAt - nowMs),
  };
}

function parseTime(stamp: string | undefined): number | undefined {
  if (stamp === undefined) return undefined;
  const ms = Date.parse(stamp);
  return Number.isNaN(ms) ? undefined : ms;
}
