// The engine's view of a ScaleSet's upgrade (engine/upgrade.ts decides): which VMs are stale against the
// model, in which mode, with what memory. Shared by the upgrade step (steps/upgrade.ts) and `vmfleet plan
// --current`, so both call the same VMs stale and would replace them the same way.
import {
  INSTANCE_LABELS,
  UPGRADE_ANNOTATION,
  UpgradeStatus,
  type Instance,
  type ScaleSetSpec,
} from '../api/index.ts';
import { parseDuration } from '../cloud/index.ts';
import { normalizeScaleSet } from '../engine/normalize.ts';
import type {
  UpgradeInput,
  UpgradeInstance,
  UpgradeMemory,
  UpgradeMode,
  UpgradeStep,
} from '../engine/upgrade.ts';
import type { DeepReadonly } from '../runtime/index.ts';
import { phaseOf } from './instances.ts';

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
