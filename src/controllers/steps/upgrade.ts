// The upgrade step: rolls stale VMs onto the current model as the upgrade policy says. The decisions are
// the engine's (engine/upgrade.ts, fed by ../upgrades.ts); this step asks for the deletes one after the
// other in the engine's order (each keeps the zones within 1), and turns the step into status, conditions
// and Events. The place step that runs next re-creates the deleted VMs with the new model, by its own zone
// and fault-domain rules, with an upgrade's surge on top of the capacity.
//
// What the last step decided lives in the set's memory. The next reconcile may run before the cache shows
// the status that carried it, and acting on the older memory would open a batch twice. Each step that acts
// counts up `revision`, written with it to status.upgrade: the memory is used only while it is ahead of
// the status the cache shows; once status caught up (our write, or another leader's), status is the
// record. A revision, not the object's resourceVersion: a reconcile may write status twice (a new
// generation is reported before it is acted on), and the cache can show the first write after a later
// step was taken.
import { UPGRADE_ALL_ANNOTATION, UpgradeStatus, type ScaleSetSpec } from '../../api/index.ts';
import { upgradeStep as decideUpgrade, type UpgradeMode, type UpgradeStep } from '../../engine/upgrade.ts';
import { canonicalJson, formatTime, type ConditionUpdate, type EventRecorder } from '../../runtime/index.ts';
import { actedStep, memoryOf, upgradeInput } from '../upgrades.ts';
import type { ScaleSetMemory, UpgradeMemoryEntry } from './scaleset-memory.ts';
import type { EventSubject, GroupStep, StepInput, StepResult } from './step.ts';

export function upgradeStep(deps: { events: EventRecorder }): GroupStep<ScaleSetSpec, ScaleSetMemory> {
  return { name: 'upgrade', run: (input) => Promise.resolve(upgrade(deps.events, input)) };
}

function upgrade(
  events: EventRecorder,
  input: StepInput<ScaleSetSpec, ScaleSetMemory>,
): StepResult<ScaleSetSpec> {
  const { group } = input;
  const { spec, instances } = input.state;
  const cached = input.memory.upgrade;
  const recorded = UpgradeStatus.safeParse(group.status?.upgrade).data;
  const remembered = cached !== undefined && cached.revision > (recorded?.revision ?? 0) ? cached : undefined;
  const previous = remembered?.memory ?? memoryOf(group.status?.upgrade);
  const previousPhase = remembered?.phase ?? recorded?.phase;
  const engineInput = upgradeInput(spec, instances, {
    memory: previous,
    upgradeAll: group.metadata.annotations?.[UPGRADE_ALL_ANNOTATION],
    now: input.now.getTime(),
  });
  const { mode, targetModelHash } = engineInput;
  const acted = actedStep(spec, decideUpgrade(engineInput), previous);
  const owedBefore = remembered?.protectionOwed ?? recorded?.protectionOwed ?? 0;
  // The engine chose among these instances, so every name is found.
  const byName = new Map(instances.map((i) => [i.metadata.name, i]));
  const victims = acted.replace.flatMap((r) => byName.get(r.name) ?? []);
  // Azure keeps a VM's protection through an upgrade; our upgrade is delete + create, so the replacements
  // (created by the place step right after this) inherit it, one new VM per protected VM replaced.
  const owed = owedBefore + victims.filter((i) => i.spec.protection.fromScaleIn).length;
  const before = remembered?.revision ?? recorded?.revision ?? 0;
  const stepStatus = upgradeStatus(mode, targetModelHash, acted);
  const record = bookkeeping(stepStatus, owed);
  const previousRecord = remembered?.record ?? (recorded ? bookkeeping(recorded, owedBefore) : '');
  const entry: UpgradeMemoryEntry = {
    memory: acted.memory,
    phase: acted.progress.phase,
    revision: before + (victims.length > 0 || record !== previousRecord ? 1 : 0),
    protectionOwed: owed,
    record,
  };
  const statusOf = () => ({
    ...stepStatus,
    ...(entry.revision > 0 ? { revision: entry.revision } : {}),
    ...owedField(entry.protectionOwed),
  });
  // The status object is written after the place step's creates, so what is still owed shows in it.
  const status: Record<string, unknown> = { upgrade: statusOf() };
  return {
    deletes:
      victims.length === 0
        ? undefined
        : { victims: victims.map((instance) => ({ instance, reason: 'upgrade' })), inOrder: true },
    commit: () => {
      input.memory.upgrade = entry;
      if (victims.length > 0) input.logger.info({ upgraded: victims.length }, 'stale instances replaced');
      if (!spec.paused) recordEvents(events, input.subject, acted, previousPhase, mode);
    },
    placement: {
      surge: acted.surge,
      protection: {
        owed,
        created: (count) => {
          if (count === 0) return;
          entry.protectionOwed = Math.max(0, owed - count);
          // A revision of its own: a status write before the creates (a new generation reported early) may
          // already carry this step's revision with the protections still owed.
          entry.revision += 1;
          entry.record = bookkeeping(stepStatus, entry.protectionOwed);
          status['upgrade'] = statusOf();
        },
      },
    },
    status,
    conditions: upgradeConditions(acted, mode),
    requeueAfterMs: acted.waitMs,
  };
}

/** The fields of status.upgrade the next step reads, as canonical JSON. */
function bookkeeping(upgrade: UpgradeStatus, owed: number): string {
  return canonicalJson({
    targetModelHash: upgrade.targetModelHash,
    currentBatch: upgrade.currentBatch,
    batchOpen: upgrade.batchOpen ?? false,
    batchReplaced: upgrade.batchReplaced ?? 0,
    surge: upgrade.surge ?? 0,
    lastBatchCompletedAt: upgrade.lastBatchCompletedAt ?? '',
    handledUpgradeAll: upgrade.handledUpgradeAll ?? '',
    protectionOwed: owed,
  });
}

function owedField(owed: number): { protectionOwed?: number } {
  return owed > 0 ? { protectionOwed: owed } : {};
}

function upgradeStatus(mode: UpgradeMode, targetModelHash: string, step: UpgradeStep): UpgradeStatus {
  const memory = step.memory;
  return {
    mode,
    targetModelHash,
    phase: step.progress.phase,
    successful: step.progress.successful,
    failed: step.progress.failed,
    inProgress: step.progress.inProgress,
    pending: step.progress.pending,
    currentBatch: step.progress.currentBatch,
    totalBatches: step.progress.totalBatches,
    batchSize: step.progress.batchSize,
    ...(memory.lastBatchCompletedAt === undefined
      ? {}
      : { lastBatchCompletedAt: formatTime(new Date(memory.lastBatchCompletedAt)) }),
    manualPending: [...step.progress.manualPending],
    protectedStale: [...step.progress.protectedStale],
    batchOpen: memory.batchOpen,
    batchReplaced: memory.batchReplaced,
    surge: step.surge,
    ...(memory.handledUpgradeAll === undefined ? {} : { handledUpgradeAll: memory.handledUpgradeAll }),
  };
}

export const LIMIT_BREACHED = 'RollingUpgradeLimitBreached';

function upgradeConditions(step: UpgradeStep, mode: UpgradeMode): ConditionUpdate[] {
  if (step.breach !== undefined) {
    const message = `rolling upgrade stopped: ${step.breach.message}; it resumes when instances are healthy again`;
    return [
      { type: 'Progressing', status: 'False', reason: LIMIT_BREACHED, message },
      { type: 'Degraded', status: 'True', reason: LIMIT_BREACHED, message },
    ];
  }
  const p = step.progress;
  if (p.phase !== 'RollingForward') return [];
  const batch = mode === 'Rolling' ? `batch ${p.currentBatch} of ${p.totalBatches}: ` : '';
  return [
    {
      type: 'Progressing',
      status: 'True',
      reason: 'Upgrading',
      message: `${mode} upgrade ${batch}${p.successful} upgraded, ${p.inProgress} in progress, ${p.pending} pending`,
    },
  ];
}

function recordEvents(
  events: EventRecorder,
  subject: EventSubject,
  step: UpgradeStep,
  previousPhase: UpgradeStatus['phase'] | undefined,
  mode: UpgradeMode,
): void {
  const p = step.progress;
  if (step.replace.length > 0) {
    const names = step.replace.map((r) => r.name);
    const batch = mode === 'Rolling' ? ` (batch ${p.currentBatch} of ${p.totalBatches})` : '';
    events.record(subject, {
      type: 'Normal',
      reason: 'UpgradingInstances',
      action: 'Upgrade',
      note: `replacing ${names.length} stale instance(s) with the latest model${batch}: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`,
    });
  }
  if (step.batchCompleted !== undefined) {
    events.record(subject, {
      type: 'Normal',
      reason: 'UpgradeBatchCompleted',
      action: 'Upgrade',
      note: `batch ${step.batchCompleted} of ${p.totalBatches} completed`,
    });
  }
  if (step.breach !== undefined && previousPhase !== 'Paused') {
    events.record(subject, {
      type: 'Warning',
      reason: LIMIT_BREACHED,
      action: 'Upgrade',
      note: step.breach.message,
    });
  }
  if (p.phase === 'Completed' && previousPhase !== undefined && previousPhase !== 'Completed') {
    events.record(subject, {
      type: 'Normal',
      reason: 'UpgradeCompleted',
      action: 'Upgrade',
      note: `every unprotected instance runs model ${step.memory.targetModelHash}`,
    });
  }
}
