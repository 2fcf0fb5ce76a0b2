// Upgrades: which stale instances of a ScaleSet to replace now so its VMs follow a changed model (size, image
// version, priority settings). Pure and deterministic: the controller passes the instances, the policy, what
// status remembered of the rollout and the time; it gets back the instances to replace (in order), how many
// extra VMs to place first (maxSurge), the new memory and the progress to publish.
//
// A replacement is a delete: the placement pass then creates a new-model VM where its zone and fault-domain
// rules say, so spread is kept by the same rules as any scale-out. To keep zones within 1 of each other
// while VMs are deleted and re-created concurrently, a round of a batch takes at most one VM per zone, and
// only from the zones holding the most VMs: after it every zone holds the same count or one less, and the
// re-creates go one to a zone.
import type { InstancePhase } from './types.ts';

export type UpgradeMode = 'Automatic' | 'Manual' | 'Rolling';
export type UpgradePhase = 'RollingForward' | 'Completed' | 'Paused' | 'ManualUpgradePending';

export interface RollingPolicy {
  readonly maxBatchInstancePercent: number;
  readonly maxUnhealthyInstancePercent: number;
  readonly maxUnhealthyUpgradedInstancePercent: number;
  readonly pauseTimeBetweenBatchesMs: number;
  readonly maxSurge: boolean;
  readonly prioritizeUnhealthyInstances: boolean;
}

export interface UpgradeInstance {
  readonly id: number;
  readonly name: string;
  readonly zone: string;
  readonly faultDomain: number;
  readonly phase: InstancePhase;
  /** Health probe result; an instance never probed counts as healthy. */
  readonly healthy: boolean;
  /** Built from the current model (hash and size match). */
  readonly upToDate: boolean;
  /** protection.fromScaleSetActions: never upgraded. */
  readonly protected: boolean;
  /** Manual mode: the Instance carries the upgrade annotation. */
  readonly upgradeRequested: boolean;
}

/** What status keeps between steps; absent before the first step. */
export interface UpgradeMemory {
  readonly targetModelHash: string;
  /** The batch in progress, or the last one completed (1-based; 0 before the first). */
  readonly currentBatch: number;
  /**
   * Rolling: a batch is open. Automatic and Manual: replacements were deleted and are not all back
   * (Running, healthy, the set at capacity) yet. Either way the upgrade is still under way.
   */
  readonly batchOpen: boolean;
  /** Instances replaced so far in the open batch. */
  readonly batchReplaced: number;
  /** Epoch ms. */
  readonly lastBatchCompletedAt?: number | undefined;
  /** maxSurge: extra VMs asked of the placement before the round's stale VMs are deleted. */
  readonly surge: number;
  /** Manual: the last `upgrade-all` annotation value acted on (each new value fires once). */
  readonly handledUpgradeAll?: string | undefined;
}

export interface UpgradeInput {
  readonly mode: UpgradeMode;
  readonly rolling: RollingPolicy;
  readonly capacity: number;
  readonly targetModelHash: string;
  /** The live instances (none being deleted). */
  readonly instances: readonly UpgradeInstance[];
  readonly memory: UpgradeMemory | undefined;
  /** Manual: the ScaleSet's `upgrade-all` annotation value, if any. */
  readonly upgradeAll: string | undefined;
  /** Epoch ms; the engine never reads the clock. */
  readonly now: number;
}

export interface Replacement {
  readonly id: number;
  readonly name: string;
  readonly reason: 'Automatic' | 'ManualRequest' | 'ManualUpgradeAll' | 'RollingBatch';
}

export interface Breach {
  /** The policy field whose limit was passed. */
  readonly limit: 'maxUnhealthyInstancePercent' | 'maxUnhealthyUpgradedInstancePercent';
  readonly message: string;
}

export interface UpgradeProgress {
  readonly phase: UpgradePhase;
  /** Up-to-date instances Running and healthy. */
  readonly successful: number;
  /** Up-to-date instances Failed or unhealthy. */
  readonly failed: number;
  /**
   * While replacements are under way: up-to-date instances not Running yet, plus replacements not created
   * yet. 0 otherwise, so a set short of capacity for other reasons (no room, quota) is not an upgrade.
   */
  readonly inProgress: number;
  /** Stale instances still to upgrade (protected ones excluded). */
  readonly pending: number;
  readonly currentBatch: number;
  readonly totalBatches: number;
  readonly batchSize: number;
  /** Manual: stale instances waiting for an upgrade request (bounded list). */
  readonly manualPending: readonly string[];
  /** Stale instances protected from scale-set actions: they stay on the old model (bounded list). */
  readonly protectedStale: readonly string[];
}

export interface UpgradeStep {
  /** Delete these, in this order (each keeps the zones within 1 when done one after the other). */
  readonly replace: readonly Replacement[];
  /** Extra VMs the placement should hold now (maxSurge): capacity + surge. */
  readonly surge: number;
  readonly memory: UpgradeMemory;
  readonly progress: UpgradeProgress;
  readonly breach?: Breach | undefined;
  /** Look again after this long (pause between batches). */
  readonly waitMs?: number | undefined;
  /** Set when this step closed a batch: its number. */
  readonly batchCompleted?: number | undefined;
}

/** Bound on the instance names listed in status. */
export const MAX_LISTED = 50;

export function batchSizeOf(policy: RollingPolicy, capacity: number): number {
  return Math.max(1, Math.ceil((policy.maxBatchInstancePercent * capacity) / 100));
}

const isUnhealthy = (i: UpgradeInstance): boolean =>
  i.phase === 'Failed' || (i.phase === 'Running' && !i.healthy);

function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : (part * 100) / whole;
}

/** Every instance Running (or Deallocated), as many as asked for, and the up-to-date ones healthy. */
function settled(instances: readonly UpgradeInstance[], wanted: number): boolean {
  return (
    instances.length >= wanted &&
    instances.every((i) => (i.phase === 'Running' || i.phase === 'Deallocated') && (!i.upToDate || i.healthy))
  );
}

/** The rolling limits, checked before any replacement (Azure checks them before each batch). */
export function findBreach(instances: readonly UpgradeInstance[], policy: RollingPolicy): Breach | undefined {
  const unhealthy = instances.filter(isUnhealthy).length;
  const all = percent(unhealthy, instances.length);
  if (all > policy.maxUnhealthyInstancePercent) {
    return {
      limit: 'maxUnhealthyInstancePercent',
      message: `${unhealthy} of ${instances.length} instances unhealthy (${round1(all)}%) exceeds maxUnhealthyInstancePercent ${policy.maxUnhealthyInstancePercent}%`,
    };
  }
  const upgraded = instances.filter((i) => i.upToDate);
  const unhealthyUpgraded = upgraded.filter(isUnhealthy).length;
  const share = percent(unhealthyUpgraded, upgraded.length);
  if (share > policy.maxUnhealthyUpgradedInstancePercent) {
    return {
      limit: 'maxUnhealthyUpgradedInstancePercent',
      message: `${unhealthyUpgraded} of ${upgraded.length} upgraded instances unhealthy (${round1(share)}%) exceeds maxUnhealthyUpgradedInstancePercent ${policy.maxUnhealthyUpgradedInstancePercent}%`,
    };
  }
  return undefined;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * Up to `count` victims among `eligible`, each from the zone holding the most instances at that point (ties:
 * zone name), within it the fault domain holding the most (ties: lower number), then the lowest instanceId.
 * With `onlyFullest`, victims come only from the zones at the starting maximum, at most one per zone.
 */
export function pickVictims(
  all: readonly UpgradeInstance[],
  eligible: readonly UpgradeInstance[],
  count: number,
  onlyFullest: boolean,
): UpgradeInstance[] {
  const zoneCount = new Map<string, number>();
  const domainCount = new Map<string, number>();
  for (const i of all) {
    zoneCount.set(i.zone, (zoneCount.get(i.zone) ?? 0) + 1);
    const key = `${i.zone}/${i.faultDomain}`;
    domainCount.set(key, (domainCount.get(key) ?? 0) + 1);
  }
  const startMax = Math.max(0, ...zoneCount.values());
  const left = [...eligible];
  const used = new Set<string>();
  const picked: UpgradeInstance[] = [];
  while (picked.length < count && left.length > 0) {
    const zones = [...new Set(left.map((i) => i.zone))].filter(
      (z) => !onlyFullest || (!used.has(z) && zoneCount.get(z) === startMax),
    );
    zones.sort((a, b) => (zoneCount.get(b) ?? 0) - (zoneCount.get(a) ?? 0) || a.localeCompare(b));
    const zone = zones[0];
    if (zone === undefined) break;
    const inZone = left.filter((i) => i.zone === zone);
    inZone.sort(
      (a, b) =>
        (domainCount.get(`${b.zone}/${b.faultDomain}`) ?? 0) -
          (domainCount.get(`${a.zone}/${a.faultDomain}`) ?? 0) ||
        a.faultDomain - b.faultDomain ||
        a.id - b.id,
    );
    const victim = inZone[0];
    if (victim === undefined) break;
    picked.push(victim);
    used.add(zone);
    left.splice(left.indexOf(victim), 1);
    zoneCount.set(zone, (zoneCount.get(zone) ?? 0) - 1);
    const key = `${victim.zone}/${victim.faultDomain}`;
    domainCount.set(key, (domainCount.get(key) ?? 0) - 1);
  }
  return picked;
}

/** Zones and their instance counts (the regional set is one zone, ""). */
function zoneCounts(all: readonly UpgradeInstance[]): number[] {
  const counts = new Map<string, number>();
  for (const i of all) counts.set(i.zone, (counts.get(i.zone) ?? 0) + 1);
  return [...counts.values()];
}

function ordered(eligible: readonly UpgradeInstance[], prioritizeUnhealthy: boolean): UpgradeInstance[] {
  if (!prioritizeUnhealthy) return [...eligible];
  const unhealthy = eligible.filter(isUnhealthy);
  return unhealthy.length > 0 ? unhealthy : [...eligible];
}

export function upgradeStep(input: UpgradeInput): UpgradeStep {
  const { instances, rolling } = input;
  const stale = instances.filter((i) => !i.upToDate);
  const eligible = stale.filter((i) => !i.protected);
  const protectedStale = stale
    .filter((i) => i.protected)
    .map((i) => i.name)
    .slice(0, MAX_LISTED);
  const fresh =
    input.memory === undefined || input.memory.targetModelHash !== input.targetModelHash
      ? undefined
      : input.memory;
  const base: UpgradeMemory = fresh ?? {
    targetModelHash: input.targetModelHash,
    currentBatch: 0,
    batchOpen: false,
    batchReplaced: 0,
    surge: 0,
    handledUpgradeAll: input.memory?.handledUpgradeAll,
  };
  const batchSize = batchSizeOf(rolling, input.capacity);
  const counts = (pending: number, memory: UpgradeMemory) => {
    const upToDate = instances.filter((i) => i.upToDate);
    const notRunning = upToDate.filter((i) => i.phase === 'Pending' || i.phase === 'Provisioning').length;
    const missing = Math.max(
      0,
      input.capacity + memory.surge - instances.filter((i) => i.phase !== 'Failed').length,
    );
    const underWay = memory.batchOpen || memory.surge > 0;
    return {
      successful: upToDate.filter((i) => i.phase === 'Running' && i.healthy).length,
      failed: upToDate.filter(isUnhealthy).length,
      inProgress: underWay ? notRunning + missing : 0,
      pending,
    };
  };
  const finish = (
    replace: readonly UpgradeInstance[],
    reason: Replacement['reason'],
    memory: UpgradeMemory,
    phase: UpgradePhase,
    extra: Partial<Pick<UpgradeStep, 'breach' | 'waitMs' | 'batchCompleted'>> & {
      manualPending?: readonly string[];
    } = {},
  ): UpgradeStep => {
    const pending = eligible.length - replace.length;
    const openLeft = memory.batchOpen ? Math.max(0, batchSize - memory.batchReplaced) : 0;
    const totalBatches =
      input.mode === 'Rolling'
        ? memory.currentBatch + Math.ceil(Math.max(0, pending - openLeft) / batchSize)
        : 0;
    return {
      replace: replace.map((i) => ({ id: i.id, name: i.name, reason })),
      surge: memory.surge,
      memory,
      progress: {
        phase,
        ...counts(pending, memory),
        currentBatch: memory.currentBatch,
        totalBatches,
        batchSize: input.mode === 'Rolling' ? batchSize : 0,
        manualPending: (extra.manualPending ?? []).slice(0, MAX_LISTED),
        protectedStale,
      },
      breach: extra.breach,
      waitMs: extra.waitMs,
      batchCompleted: extra.batchCompleted,
    };
  };

  // Automatic and Manual: the round of replacements stays open until they are back, so the phase says
  // RollingForward while new-model VMs boot; a set merely short of capacity (or scaling out) is not upgrading.
  const roundOpen = (replace: readonly UpgradeInstance[]): boolean =>
    replace.length > 0 || (base.batchOpen && !settled(instances, input.capacity));

  if (input.mode === 'Automatic') {
    const open = roundOpen(eligible);
    const phase = eligible.length === 0 && !open ? 'Completed' : 'RollingForward';
    return finish(eligible, 'Automatic', { ...base, surge: 0, batchOpen: open }, phase);
  }

  if (input.mode === 'Manual') {
    const fireAll = input.upgradeAll !== undefined && input.upgradeAll !== base.handledUpgradeAll;
    const replace = fireAll ? eligible : eligible.filter((i) => i.upgradeRequested);
    const open = roundOpen(replace);
    const memory = { ...base, surge: 0, batchOpen: open, handledUpgradeAll: input.upgradeAll };
    const waiting = eligible.filter((i) => !replace.includes(i)).map((i) => i.name);
    const phase = waiting.length > 0 ? 'ManualUpgradePending' : open ? 'RollingForward' : 'Completed';
    return finish(replace, fireAll ? 'ManualUpgradeAll' : 'ManualRequest', memory, phase, {
      manualPending: waiting,
    });
  }

  // Rolling. The health limits guard a rollout: with nothing stale and no batch under way there is none,
  // and unhealthy VMs (e.g. a scale-out whose allocations failed) are the placement's and repairs' business.
  const rollingOut = eligible.length > 0 || base.batchOpen || base.surge > 0;
  const breach = rollingOut ? findBreach(instances, rolling) : undefined;
  if (breach !== undefined) return finish([], 'RollingBatch', base, 'Paused', { breach });
  let memory = base;
  const wanted = input.capacity + memory.surge;
  if (!settled(instances, wanted)) return finish([], 'RollingBatch', memory, rollingPhase(eligible, memory));

  // A surge round whose extra VMs are up: delete as many stale ones, fullest zone first.
  if (memory.surge > 0) {
    const ordering = ordered(eligible, rolling.prioritizeUnhealthyInstances);
    const count = Math.max(1, Math.min(memory.surge, batchSize - memory.batchReplaced));
    const balanced = pickVictims(instances, ordering, count, zoneCounts(instances).length > 1);
    // The extra VMs landed where no stale one is at the top: take one anyway so the rollout moves on.
    const victims = balanced.length > 0 ? balanced : pickVictims(instances, ordering, 1, false);
    memory = { ...memory, surge: 0, batchReplaced: memory.batchReplaced + victims.length };
    return finish(victims, 'RollingBatch', memory, 'RollingForward');
  }

  let batchCompleted: number | undefined;
  if (memory.batchOpen && (memory.batchReplaced >= batchSize || eligible.length === 0)) {
    batchCompleted = memory.currentBatch;
    memory = { ...memory, batchOpen: false, batchReplaced: 0, lastBatchCompletedAt: input.now };
  }
  if (eligible.length === 0) {
    return finish([], 'RollingBatch', memory, 'Completed', { batchCompleted });
  }
  if (!memory.batchOpen) {
    const since = memory.lastBatchCompletedAt;
    const wait = since === undefined ? 0 : since + rolling.pauseTimeBetweenBatchesMs - input.now;
    if (wait > 0)
      return finish([], 'RollingBatch', memory, 'RollingForward', { waitMs: wait, batchCompleted });
    memory = { ...memory, batchOpen: true, batchReplaced: 0, currentBatch: memory.currentBatch + 1 };
  }
  // A round: delete one stale VM from each fullest zone, so every zone then holds the same count or one
  // fewer and the re-creates go one to a zone. When the stale VMs left sit only in zones holding one fewer
  // (the placement's tie-break keeps filling the same zones), or with maxSurge, surge first instead: one
  // extra VM in each least-filled zone evens them out, then a stale VM is deleted in each fullest zone.
  const remaining = batchSize - memory.batchReplaced;
  const perZone = zoneCounts(instances);
  const ordering = ordered(eligible, rolling.prioritizeUnhealthyInstances);
  if (perZone.length <= 1) {
    if (rolling.maxSurge) {
      memory = { ...memory, surge: Math.min(remaining, eligible.length) };
      return finish([], 'RollingBatch', memory, 'RollingForward', { batchCompleted });
    }
    const victims = pickVictims(instances, ordering, remaining, false);
    memory = { ...memory, batchReplaced: memory.batchReplaced + victims.length };
    return finish(victims, 'RollingBatch', memory, 'RollingForward', { batchCompleted });
  }
  const atMax = perZone.filter((c) => c === Math.max(...perZone)).length;
  const victims = rolling.maxSurge ? [] : pickVictims(instances, ordering, Math.min(remaining, atMax), true);
  if (victims.length > 0) {
    memory = { ...memory, batchReplaced: memory.batchReplaced + victims.length };
    return finish(victims, 'RollingBatch', memory, 'RollingForward', { batchCompleted });
  }
  const least = Math.min(...perZone);
  const atMin = perZone.length === atMax ? perZone.length : perZone.filter((c) => c === least).length;
  // Without maxSurge this evens out every least-filled zone even if that is more than the batch: the extra
  // VMs beyond the batch are scaled in again (newest first) once the surge ends.
  const surge = rolling.maxSurge ? Math.min(remaining, eligible.length, atMin) : atMin;
  memory = { ...memory, surge: Math.max(1, surge) };
  return finish([], 'RollingBatch', memory, 'RollingForward', { batchCompleted });
}

function rollingPhase(eligible: readonly UpgradeInstance[], memory: UpgradeMemory): UpgradePhase {
  return eligible.length === 0 && !memory.batchOpen && memory.surge === 0 ? 'Completed' : 'RollingForward';
}
