// The upgrade part of `vmfleet plan --current`: which VMs are stale (built from another model than the spec's:
// size, image, priority or Spot settings) and what the ScaleSet's upgrade policy would do with them now. The
// judgement and the step are the operator's own (controllers/upgrades.ts, engine/upgrade.ts), fed with the
// files instead of the cluster.
import {
  UPGRADE_ALL_ANNOTATION,
  UPGRADE_ANNOTATION,
  type ComputeFleet,
  type FieldError,
  type GalleryImage,
  type Instance,
  type ScaleSet,
  type ScaleSetSpec,
} from '../api/index.ts';
import { resolveImage } from '../controllers/gallery.ts';
import { liveInstances, phaseOf } from '../controllers/instances.ts';
import { actedStep, memoryOf, upgradeInput } from '../controllers/upgrades.ts';
import type { Plan, StaleReason } from '../engine/index.ts';
import { upgradeStep, type UpgradeMode, type UpgradePhase } from '../engine/upgrade.ts';
import { ObjectStore } from '../runtime/index.ts';

export interface StaleVm {
  readonly id: number;
  readonly name: string;
  readonly vmSize: string;
  readonly zone: string;
  readonly faultDomain: number;
  readonly priority: string;
  readonly phase: string;
  readonly reasons: readonly StaleReason[];
  /** protection.fromScaleSetActions: never upgraded. */
  readonly protected: boolean;
}

export interface UpgradePreview {
  /** The effective mode (automaticOSUpgrade turns Manual into Rolling); None for a ComputeFleet. */
  readonly mode: UpgradeMode | 'None';
  readonly configuredMode?: UpgradeMode;
  readonly phase?: UpgradePhase;
  readonly staleCount: number;
  readonly byReason: Partial<Record<StaleReason, number>>;
  /** Rolling: VMs per batch and batches to go. */
  readonly batchSize?: number;
  readonly totalBatches?: number;
  /** The stale VMs the first step deletes (the placement re-creates them on the new model). */
  readonly replaceNow: readonly string[];
  /** Extra VMs the first step places before deleting any (maxSurge, or to even the zones out). */
  readonly surge: number;
  /** Stale, unprotected VMs left after this step. */
  readonly pending: number;
  /** Manual: stale VMs waiting for the upgrade annotation. */
  readonly manualPending: readonly string[];
  readonly protectedStale: readonly string[];
  /** Rolling: the limit that stops the rollout now. */
  readonly breach?: string;
  /** What happens, in words. */
  readonly summary: readonly string[];
}

/**
 * The ScaleSet spec the operator plans with: a Gallery image's `latest` resolved against the GalleryImages
 * given. The model hash depends on the version, so telling stale VMs apart needs it; a plan with no current
 * VMs does not, and keeps the spec as written when no GalleryImage was given.
 */
export function resolvedGroup(
  group: ScaleSet | ComputeFleet,
  galleries: readonly GalleryImage[] | undefined,
  hasCurrent: boolean,
): { ok: true; group: ScaleSet | ComputeFleet } | { ok: false; error: FieldError } {
  if (group.kind !== 'ScaleSet' || group.spec.image.source !== 'Gallery') return { ok: true, group };
  if (galleries === undefined) {
    if (!hasCurrent || group.spec.image.version !== 'latest') return { ok: true, group };
    return {
      ok: false,
      error: {
        field: 'spec.image.version',
        message: `"latest" of GalleryImage "${group.spec.image.name}" decides which VMs are stale: pass the GalleryImage with --gallery`,
      },
    };
  }
  const namespace = group.metadata.namespace ?? 'default';
  const store = new ObjectStore<GalleryImage>();
  for (const gallery of galleries)
    store.set({
      ...gallery,
      metadata: { ...gallery.metadata, namespace: gallery.metadata.namespace ?? namespace },
    });
  const resolved = resolveImage(group.spec, namespace, store);
  if (!resolved.ok) return { ok: false, error: { field: 'spec.image', message: resolved.message } };
  return { ok: true, group: { ...group, spec: resolved.spec } };
}

function staleVms(plan: Plan, current: readonly Instance[]): StaleVm[] {
  const byName = new Map(current.map((i) => [i.metadata.name, i]));
  return plan.stale.flatMap((s) => {
    const instance = s.name === undefined ? undefined : byName.get(s.name);
    if (instance === undefined) return [];
    return [
      {
        id: s.id,
        name: instance.metadata.name,
        vmSize: instance.spec.vmSize,
        zone: instance.spec.zone,
        faultDomain: instance.spec.faultDomain,
        priority: instance.spec.priority,
        phase: phaseOf(instance),
        reasons: s.reasons,
        protected: instance.spec.protection.fromScaleSetActions,
      },
    ];
  });
}

const names = (list: readonly string[]): string =>
  list.length <= 10 ? list.join(', ') : `${list.slice(0, 10).join(', ')}, … (${list.length})`;

function rollingNow(
  preview: Pick<UpgradePreview, 'breach' | 'replaceNow' | 'surge' | 'totalBatches'>,
  batch: number,
  waitMs: number | undefined,
): string {
  const which = `batch ${batch} of ${preview.totalBatches ?? batch}`;
  if (preview.breach !== undefined) return `stopped now: ${preview.breach}`;
  if (preview.replaceNow.length > 0) return `${which} replaces now: ${names(preview.replaceNow)}`;
  if (preview.surge > 0)
    return `${which} first adds ${preview.surge} VM(s), then deletes as many stale ones, fullest zone first`;
  if (waitMs !== undefined) return `waits ${Math.ceil(waitMs / 1000)} s (pauseTimeBetweenBatches)`;
  return 'waits until every instance is Running (and the upgraded ones healthy) before the first batch';
}

function scaleSetPreview(
  group: ScaleSet,
  spec: ScaleSetSpec,
  current: readonly Instance[],
  now: number,
): Omit<UpgradePreview, 'byReason' | 'staleCount'> {
  const memory = memoryOf(group.status?.upgrade);
  const input = upgradeInput(spec, liveInstances(current), {
    memory,
    upgradeAll: group.metadata.annotations?.[UPGRADE_ALL_ANNOTATION],
    now,
  });
  const step = actedStep(spec, upgradeStep(input), memory);
  const p = step.progress;
  const configured = spec.upgradePolicy.mode;
  const base = {
    mode: input.mode,
    configuredMode: configured,
    phase: p.phase,
    ...(input.mode === 'Rolling' ? { batchSize: p.batchSize, totalBatches: p.totalBatches } : {}),
    replaceNow: step.replace.map((r) => r.name),
    surge: step.surge,
    pending: p.pending,
    manualPending: p.manualPending,
    protectedStale: p.protectedStale,
    ...(step.breach === undefined ? {} : { breach: step.breach.message }),
  };
  const summary: string[] = [];
  const mode =
    input.mode === configured ? input.mode : `${input.mode} (automaticOSUpgrade on a Manual policy)`;
  const toReplace = base.replaceNow.length + p.pending;
  if (toReplace === 0 && p.protectedStale.length === 0) summary.push(`${mode}: nothing to replace`);
  else if (input.mode === 'Automatic') {
    summary.push(`${mode}: all ${toReplace} replaced at once: ${names(base.replaceNow)}`);
  } else if (input.mode === 'Manual') {
    summary.push(
      `${mode}: none replaced until asked: annotate an Instance ${UPGRADE_ANNOTATION}="true", or the ScaleSet ${UPGRADE_ALL_ANNOTATION}="<new value>" for all`,
    );
    if (base.replaceNow.length > 0) summary.push(`asked for now: ${names(base.replaceNow)}`);
  } else {
    const percent = spec.upgradePolicy.rollingUpgradePolicy.maxBatchInstancePercent;
    summary.push(
      `${mode}: batches of ${p.batchSize} (${percent}% of capacity ${spec.capacity}, rounded up), ${p.totalBatches} batch(es)`,
      rollingNow(base, p.currentBatch, step.waitMs),
    );
  }
  if (p.protectedStale.length > 0)
    summary.push(`protected from scale-set actions, never upgraded: ${names(p.protectedStale)}`);
  if (spec.paused) summary.push('spec.paused: nothing is replaced (what-if mode)');
  return { ...base, summary };
}

/** The stale VMs among `current` and what the group's upgrade policy would do with them now. */
export function previewUpgrade(
  group: ScaleSet | ComputeFleet,
  plan: Plan,
  current: readonly Instance[],
  now: number,
): { stale: StaleVm[]; upgrade: UpgradePreview } {
  const stale = staleVms(plan, current);
  const byReason: Partial<Record<StaleReason, number>> = {};
  for (const vm of stale) for (const reason of vm.reasons) byReason[reason] = (byReason[reason] ?? 0) + 1;
  const counts = { staleCount: stale.length, byReason };
  if (group.kind === 'ScaleSet') {
    return { stale, upgrade: { ...counts, ...scaleSetPreview(group, group.spec, current, now) } };
  }
  return {
    stale,
    upgrade: {
      ...counts,
      mode: 'None',
      replaceNow: [],
      surge: 0,
      pending: stale.length,
      manualPending: [],
      protectedStale: [],
      summary: [
        stale.length === 0
          ? 'nothing stale'
          : 'a ComputeFleet has no upgrade policy: stale VMs are counted (status.staleInstances) and left running',
      ],
    },
  };
}

/** The table output's lines for the stale VMs and the upgrade (the caller prints them with --current). */
export function renderUpgrade(
  stale: readonly StaleVm[],
  upgrade: UpgradePreview,
  instances: number,
): string[] {
  const reasons = Object.entries(upgrade.byReason)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  const lines = [
    '',
    `stale:    ${stale.length} of ${instances} instance(s)${reasons === '' ? '' : ` (${reasons})`}`,
  ];
  const shown = stale.slice(0, 20);
  if (shown.length > 0) {
    const rows = [
      ['NAME', 'SIZE', 'ZONE', 'FD', 'PRIORITY', 'PHASE', 'WHY'],
      ...shown.map((vm) => [
        vm.name,
        vm.vmSize,
        vm.zone || '-',
        String(vm.faultDomain),
        vm.priority,
        vm.phase,
        [...vm.reasons, ...(vm.protected ? ['protected'] : [])].join(','),
      ]),
    ];
    const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length))) ?? [];
    for (const row of rows)
      lines.push(
        `  ${row
          .map((cell, c) => cell.padEnd(widths[c] ?? 0))
          .join('  ')
          .trimEnd()}`,
      );
    if (stale.length > shown.length)
      lines.push(`  … and ${stale.length - shown.length} more (-o json lists all)`);
  }
  const [first, ...rest] = upgrade.summary;
  if (first !== undefined) lines.push(`upgrade:  ${first}`, ...rest.map((line) => `          ${line}`));
  return lines;
}
