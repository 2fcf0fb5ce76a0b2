// The ScaleSet's lifecycle hook (see GroupAdapter.lifecycle): resolve the image (gallery versions), then roll
// stale instances onto the current model as the upgrade policy says. The decisions are the engine's
// (engine/upgrade.ts); this file reads the world for it, deletes what it chose one after the other (each
// delete keeps the zones within 1), and turns the step into status, conditions and Events. The placement
// pass that runs next re-creates the deleted VMs with the new model, by its own zone and fault-domain rules.
import {
  INSTANCE_LABELS,
  UPGRADE_ALL_ANNOTATION,
  UPGRADE_ANNOTATION,
  UpgradeStatus,
  type GalleryImage,
  type ImageStatus,
  type Instance,
  type ScaleSetSpec,
} from '../api/index.ts';
import { parseDuration } from '../cloud/index.ts';
import type { Plan } from '../engine/index.ts';
import { normalizeScaleSet } from '../engine/normalize.ts';
import {
  upgradeStep,
  type UpgradeInput,
  type UpgradeInstance,
  type UpgradeMemory,
  type UpgradeMode,
  type UpgradeStep,
} from '../engine/upgrade.ts';
import type { LifecycleMetrics } from '../metrics/index.ts';
import {
  canonicalJson,
  certainlyNotDone,
  eventSubjectOf,
  formatTime,
  type ConditionUpdate,
  type DeepReadonly,
  type EventRecorder,
  type ReadonlyStore,
  type ResourceClient,
} from '../runtime/index.ts';
import { resolveImage, throttlePlan } from './gallery.ts';
import type {
  GroupAdapter,
  GroupObject,
  LifecycleInput,
  LifecycleRefusal,
  LifecycleResult,
} from './group.ts';
import { deleteExactly, phaseOf } from './instances.ts';

export interface UpgradeDeps {
  client: Pick<ResourceClient, 'delete'>;
  events: EventRecorder;
  metrics: LifecycleMetrics;
  galleryImages: ReadonlyStore<GalleryImage>;
}

/**
 * What the last step decided, per ScaleSet (namespace/name/uid). The next reconcile may run before the cache
 * shows the status that carried it, and acting on the older memory would open a batch twice. Each step that
 * acts counts up `revision`, written with it to status.upgrade: the memory is used only while it is ahead of
 * the status the cache shows; once status caught up (our write, or another leader's), status is the record.
 * A revision, not the object's resourceVersion: a reconcile may write status twice (a new generation is
 * reported before it is acted on), and the cache can show the first write after a later step was taken.
 */
type Memories = Map<string, MemoryEntry>;

interface MemoryEntry {
  memory: UpgradeMemory;
  phase: UpgradeStatus['phase'];
  revision: number;
  /** Scale-in protections owed to replacements not created yet (see protectionOwed in status). */
  protectionOwed: number;
  /** The bookkeeping as status carries it (canonical JSON), to tell whether a step changed anything. */
  record: string;
}

/** The ScaleSet adapter with image resolution and upgrades before placement. */
export function withUpgrades(
  adapter: GroupAdapter<ScaleSetSpec>,
  deps: UpgradeDeps,
): GroupAdapter<ScaleSetSpec> {
  const memories: Memories = new Map();
  return { ...adapter, lifecycle: (input) => scaleSetLifecycle(deps, memories, input) };
}

/**
 * automaticOSUpgrade makes a set that would wait for requests (Manual) roll new image versions out with its
 * rolling policy, as Azure's automatic OS image upgrade does.
 */
export function effectiveMode(spec: ScaleSetSpec): UpgradeMode {
  const mode = spec.upgradePolicy.mode;
  return spec.upgradePolicy.automaticOSUpgrade && mode === 'Manual' ? 'Rolling' : mode;
}

/** What `status.upgrade` remembers of the rollout; undefined before the first step (or when unreadable). */
export function memoryOf(upgradeStatus: unknown): UpgradeMemory | undefined {
  const parsed = UpgradeStatus.safeParse(upgradeStatus);
  if (!parsed.success) return undefined;
  const u = parsed.data;
  return {
    targetModelHash: u.targetModelHash,
    currentBatch: u.currentBatch,
    batchOpen: u.batchOpen ?? false,
    batchReplaced: u.batchReplaced ?? 0,
    surge: u.surge ?? 0,
    lastBatchCompletedAt:
      u.lastBatchCompletedAt === undefined ? undefined : Date.parse(u.lastBatchCompletedAt),
    handledUpgradeAll: u.handledUpgradeAll,
  };
}

/** The engine's view of one instance: up to date when its model hash, size and priority fit the spec. */
export function upgradeView(
  instance: DeepReadonly<Instance>,
  target: { modelHash: string; sizes: ReadonlySet<string>; priority: 'Regular' | 'Spot' | undefined },
): UpgradeInstance {
  const upToDate =
    instance.metadata.labels?.[INSTANCE_LABELS.modelHash] === target.modelHash &&
    target.sizes.has(instance.spec.vmSize) &&
    (target.priority === undefined || instance.spec.priority === target.priority);
  return {
    id: instance.spec.instanceId,
    name: instance.metadata.name,
    zone: instance.spec.zone,
    faultDomain: instance.spec.faultDomain,
    phase: phaseOf(instance),
    healthy: instance.status?.health !== 'Unhealthy',
    upToDate,
    protected: instance.spec.protection.fromScaleSetActions,
    upgradeRequested: instance.metadata.annotations?.[UPGRADE_ANNOTATION] === 'true',
  };
}

/**
 * The engine's input for one upgrade step of a ScaleSet whose image is resolved: the effective mode, the
 * rolling policy, and each instance judged against the model (hash, allowed sizes, priority). Shared by the
 * reconciler and `vmfleet plan`, so both call the same VMs stale and replace them the same way.
 */
export function upgradeInput(
  spec: ScaleSetSpec,
  instances: readonly DeepReadonly<Instance>[],
  state: { memory: UpgradeMemory | undefined; upgradeAll: string | undefined; now: number },
): UpgradeInput {
  const groupSpec = normalizeScaleSet(spec);
  const sizes = new Set(groupSpec.sizes.kind === 'List' ? groupSpec.sizes.sizes.map((s) => s.name) : []);
  const target = {
    modelHash: groupSpec.modelHash,
    sizes,
    priority: spec.priorityMix === undefined ? spec.priority : undefined,
  };
  const rolling = spec.upgradePolicy.rollingUpgradePolicy;
  return {
    mode: effectiveMode(spec),
    rolling: {
      ...rolling,
      pauseTimeBetweenBatchesMs: parseDuration(rolling.pauseTimeBetweenBatches),
    },
    capacity: spec.capacity,
    targetModelHash: groupSpec.modelHash,
    // By instanceId, so the lists in status (and the engine's ties) come out in a stable order.
    instances: [...instances]
      .sort((a, b) => a.spec.instanceId - b.spec.instanceId)
      .map((i) => upgradeView(i, target)),
    memory: state.memory,
    upgradeAll: state.upgradeAll,
    now: state.now,
  };
}

/** What-if mode (`paused`) acts on nothing: the step is published, the memory kept. */
export function actedStep(
  spec: Pick<ScaleSetSpec, 'paused'>,
  step: UpgradeStep,
  previous: UpgradeMemory | undefined,
): UpgradeStep {
  return spec.paused
    ? { ...step, replace: [], surge: previous?.surge ?? 0, memory: previous ?? step.memory }
    : step;
}

async function scaleSetLifecycle(
  deps: UpgradeDeps,
  memories: Memories,
  input: LifecycleInput<ScaleSetSpec>,
): Promise<LifecycleResult<ScaleSetSpec> | LifecycleRefusal> {
  const { group, instances } = input;
  const resolved = resolveImage(input.spec, group.metadata.namespace ?? '', deps.galleryImages);
  if (!resolved.ok) {
    return {
      refused: true,
      reason: resolved.reason,
      errors: [{ field: 'spec.image', message: resolved.message }],
    };
  }
  const spec = resolved.spec;
  const memoryKey = `${group.metadata.namespace ?? ''}/${group.metadata.name}/${group.metadata.uid ?? ''}`;
  const cached = memories.get(memoryKey);
  const recorded = UpgradeStatus.safeParse(group.status?.upgrade).data;
  const remembered = cached !== undefined && cached.revision > (recorded?.revision ?? 0) ? cached : undefined;
  const previous = remembered?.memory ?? memoryOf(group.status?.upgrade);
  const previousPhase = remembered?.phase ?? recorded?.phase;
  const upgrade = upgradeInput(spec, instances, {
    memory: previous,
    upgradeAll: group.metadata.annotations?.[UPGRADE_ALL_ANNOTATION],
    now: input.now.getTime(),
  });
  const { mode, targetModelHash } = upgrade;
  const step = upgradeStep(upgrade);
  const acted = actedStep(spec, step, previous);
  const owedBefore = remembered?.protectionOwed ?? recorded?.protectionOwed ?? 0;
  const gone = await deleteReplaced(deps, input, acted);
  // Azure keeps a VM's protection through an upgrade; our upgrade is delete + create, so the replacements
  // (created by the placement pass right after this) inherit it, one new VM per protected VM replaced.
  const owed =
    owedBefore + instances.filter((i) => gone.has(i.metadata.name) && i.spec.protection.fromScaleIn).length;
  const before = remembered?.revision ?? recorded?.revision ?? 0;
  const stepStatus = upgradeStatus(mode, targetModelHash, acted);
  const record = bookkeeping(stepStatus, owed);
  const previousRecord = remembered?.record ?? (recorded ? bookkeeping(recorded, owedBefore) : '');
  const memoryEntry: MemoryEntry = {
    memory: acted.memory,
    phase: acted.progress.phase,
    revision: before + (gone.size > 0 || record !== previousRecord ? 1 : 0),
    protectionOwed: owed,
    record,
  };
  memories.set(memoryKey, memoryEntry);
  const statusOf = () => ({
    ...stepStatus,
    ...(memoryEntry.revision > 0 ? { revision: memoryEntry.revision } : {}),
    ...owedField(memoryEntry.protectionOwed),
  });
  if (!spec.paused) recordEvents(deps, group, acted, previousPhase, mode);

  let imageStatus: ImageStatus = resolved.status;
  const maxProvisioning = resolved.maxProvisioning;
  const status: Record<string, unknown> = { upgrade: statusOf() };
  status.image = imageStatus;
  const remaining = instances.filter((i) => !gone.has(i.metadata.name));
  return {
    spec: { ...spec, capacity: spec.capacity + acted.surge },
    instances: remaining,
    status,
    conditions: upgradeConditions(acted, mode),
    requeueAfterMs: acted.waitMs,
    protection: {
      owed,
      created: (count) => {
        // The status object is written after the creates, so what is still owed shows in this write.
        if (count === 0) return;
        memoryEntry.protectionOwed = Math.max(0, owed - count);
        // A revision of its own: a status write before the creates (a new generation reported early) may
        // already carry this step's revision with the protections still owed.
        memoryEntry.revision += 1;
        memoryEntry.record = bookkeeping(stepStatus, memoryEntry.protectionOwed);
        status.upgrade = statusOf();
      },
    },
    limitPlan:
      maxProvisioning === undefined
        ? undefined
        : (plan: Plan) => {
            const provisioning = remaining.filter((i) =>
              ['Pending', 'Provisioning'].includes(phaseOf(i)),
            ).length;
            const byZone = new Map<string, number>();
            for (const i of remaining) byZone.set(i.spec.zone, (byZone.get(i.spec.zone) ?? 0) + 1);
            const throttled = throttlePlan(plan, imageStatus, maxProvisioning, provisioning, byZone);
            // The status object is written after the plan is applied, so the throttle shows in this write.
            imageStatus = throttled.status;
            status.image = imageStatus;
            if (throttled.held > 0) {
              deps.events.record(eventSubjectOf(group, 'ScaleSet'), {
                type: 'Normal',
                reason: 'ImageThrottled',
                action: 'Create',
                note: throttled.status.message ?? '',
              });
            }
            return throttled.plan;
          },
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

/** Deletes the chosen instances one after the other, in the engine's order; returns the names gone. */
async function deleteReplaced(
  deps: UpgradeDeps,
  input: LifecycleInput<ScaleSetSpec>,
  step: UpgradeStep,
): Promise<Set<string>> {
  const gone = new Set<string>();
  if (step.replace.length === 0) return gone;
  // The engine chose among these instances, so every name is found.
  const byName = new Map(input.instances.map((i) => [i.metadata.name, i]));
  const victims = step.replace.flatMap((r) => byName.get(r.name) ?? []);
  const names = victims.map((i) => i.metadata.name);
  input.expectDeletes(names);
  for (const [n, instance] of victims.entries()) {
    try {
      await deleteExactly(deps.client, instance);
    } catch (error) {
      const refused = certainlyNotDone(error);
      const name = instance.metadata.name;
      input.notDeleted([...(refused ? [name] : []), ...names.slice(n + 1)], refused ? [] : [name]);
      throw error;
    }
    gone.add(instance.metadata.name);
    deps.metrics.instanceTerminated(
      { namespace: input.group.metadata.namespace ?? '', kind: 'ScaleSet', name: input.group.metadata.name },
      instance.spec.priority,
      'upgrade',
    );
  }
  input.logger.info({ upgraded: names.length }, 'stale instances replaced');
  return gone;
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
  deps: UpgradeDeps,
  group: DeepReadonly<GroupObject>,
  step: UpgradeStep,
  previousPhase: UpgradeStatus['phase'] | undefined,
  mode: UpgradeMode,
): void {
  const subject = eventSubjectOf(group, 'ScaleSet');
  const p = step.progress;
  if (step.replace.length > 0) {
    const names = step.replace.map((r) => r.name);
    const batch = mode === 'Rolling' ? ` (batch ${p.currentBatch} of ${p.totalBatches})` : '';
    deps.events.record(subject, {
      type: 'Normal',
      reason: 'UpgradingInstances',
      action: 'Upgrade',
      note: `replacing ${names.length} stale instance(s) with the latest model${batch}: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`,
    });
  }
  if (step.batchCompleted !== undefined) {
    deps.events.record(subject, {
      type: 'Normal',
      reason: 'UpgradeBatchCompleted',
      action: 'Upgrade',
      note: `batch ${step.batchCompleted} of ${p.totalBatches} completed`,
    });
  }
  if (step.breach !== undefined && previousPhase !== 'Paused') {
    deps.events.record(subject, {
      type: 'Warning',
      reason: LIMIT_BREACHED,
      action: 'Upgrade',
      note: step.breach.message,
    });
  }
  if (p.phase === 'Completed' && previousPhase !== undefined && previousPhase !== 'Completed') {
    deps.events.record(subject, {
      type: 'Normal',
      reason: 'UpgradeCompleted',
      action: 'Upgrade',
      note: `every unprotected instance runs model ${step.memory.targetModelHash}`,
    });
  }
}
