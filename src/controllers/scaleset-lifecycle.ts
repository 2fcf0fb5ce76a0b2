// The ScaleSet lifecycle steps around the group reconcile (group.ts): schedule-based autoscale and the
// rebalancing surge before the engine plans; automatic repairs and zone moves after it. The decisions are
// the engine's (engine/schedule.ts, repairs.ts, rebalance.ts); this file reads the caches, acts, remembers
// what is in flight and reports it in status.
//
// What is in flight (a zone move, the last repair batch, the capacity autoscale just wrote) is kept in
// memory, seeded from status when the operator (re)starts: the cache may still show the status from before
// our last write, and acting on that would e.g. end a move twice.
import {
  AutoscaleStatus,
  RebalanceStatus,
  RepairsStatus,
  durationMs,
  type Instance,
  type InstanceStatus,
  type Region,
  type ScaleSetSpec,
} from '../api/index.ts';
import type { Plan } from '../engine/index.ts';
import { blockingEntry } from '../engine/pools.ts';
import { decideRebalance, skewOf, zoneCounts, type InFlightMove } from '../engine/rebalance.ts';
import { decideRepairs } from '../engine/repairs.ts';
import { decideAutoscale, nextScheduleChange } from '../engine/schedule.ts';
import type { TerminationReason } from '../metrics/index.ts';
import {
  eventSubjectOf,
  formatTime,
  isNotFound,
  type Clock,
  type DeepReadonly,
  type EventRecorder,
  type KubeClient,
  type StatusWriter,
} from '../runtime/index.ts';
import type { GroupObject } from './group.ts';
import { phaseOf } from './instances.ts';
import { INSTANCES, SCALESETS } from './resources.ts';

type EventSubject = Parameters<EventRecorder['record']>[0];

/** What the group reconciler lends the lifecycle steps. */
export interface LifecycleActions {
  deleteInstances(instances: readonly DeepReadonly<Instance>[], reason: TerminationReason): Promise<void>;
  subject: EventSubject;
}

export interface LifecycleBeforeInput<S> {
  key: string;
  group: DeepReadonly<GroupObject>;
  spec: S;
  now: Date;
  paused: boolean;
}

export interface LifecycleAfterInput<S> extends LifecycleBeforeInput<S> {
  owned: readonly DeepReadonly<Instance>[];
  plan: Plan;
  region: DeepReadonly<Region>;
  actions: LifecycleActions;
}

/** The hook the group reconciler calls around planning (ScaleSets only). */
export interface GroupLifecycle<S> {
  /**
   * The spec to plan with (autoscale may have set capacity), how many VMs to surge (a zone move), and
   * whether the plan's scale-in is undoing an abandoned move (so it is reported as that, not as a scale-in).
   */
  before(input: LifecycleBeforeInput<S>): Promise<LifecycleBefore<S>>;
  /** Repairs and zone moves once the plan is applied; status fields and when to look again. */
  after(
    input: LifecycleAfterInput<S>,
  ): Promise<{ status: Record<string, unknown>; requeueAfterMs?: number | undefined }>;
  forget(key: string): void;
}

export interface LifecycleBefore<S> {
  spec: S;
  surge: number;
  scaleInUndoes?: { reason: TerminationReason; event: string; note: string } | undefined;
}

/**
 * Whether automatic zone rebalancing applies: enabled, zonal with more than one zone, and best-effort
 * balance (Azure: it works only without strict zoneBalance). One predicate for the surge before the plan
 * and the move after it, so the two never disagree.
 */
export function rebalancingApplies(spec: ScaleSetSpec): boolean {
  return (
    spec.resiliencyPolicy?.automaticZoneRebalancing.enabled === true &&
    spec.zones.length > 1 &&
    !spec.zoneBalance
  );
}

/**
 * Zones where the set's sizes can take a new VM of one of its priorities: available in the Region and not
 * every size blocked there by the unavailable-offerings cache (a move must not aim at such a zone).
 */
export function placeableZones(
  spec: ScaleSetSpec,
  region: DeepReadonly<Region>,
  unavailable: Plan['unavailable'],
): string[] {
  const sizes =
    spec.vmSize !== undefined ? [spec.vmSize] : (spec.skuProfile?.vmSizes.map((s) => s.name) ?? []);
  const priorities: ('Regular' | 'Spot')[] =
    spec.priorityMix === undefined ? [spec.priority] : ['Regular', 'Spot'];
  return region.spec.zones
    .filter((z) => z.available)
    .map((z) => z.name)
    .filter((zone) =>
      sizes.some((size) => priorities.some((p) => !blockingEntry(unavailable, size, zone, p))),
    );
}

export interface ScaleSetLifecycleDeps {
  client: Pick<KubeClient, 'patchScale'>;
  statusWriter: StatusWriter;
  events: EventRecorder;
  clock: Clock;
}

interface Memory {
  autoscale?: { profile: string; since: string } | undefined;
  /** Capacity written through the scale subresource, until the cache shows a newer generation. */
  wroteCapacity?: { capacity: number; generation: number } | undefined;
  repaired: number;
  lastRepairAt?: string | undefined;
  lastBatch?: string[] | undefined;
  inFlight?: InFlightMove | undefined;
  moved: number;
  lastMoveAt?: string | undefined;
  /** After an abandoned move, no new one before this (ms). */
  cooldownUntil?: number | undefined;
  rebalanceMessage?: string | undefined;
  /** A move was abandoned with its extra VM still there: the next plan's scale-in takes it back. */
  undoMove?: string | undefined;
}

/** Azure waits up to 90 minutes for the new VM of a move to be healthy. */
const MOVE_TIMEOUT_MS = 90 * 60_000;
const MOVE_COOLDOWN_MS = 10 * 60_000;
/** Look again soon after starting a move, so the surge VM is created without waiting for an event. */
const SOON_MS = 200;

function settledState(
  owned: readonly DeepReadonly<Instance>[],
  capacity: number,
  plan: Plan,
): string | undefined {
  if (plan.creates.length > 0 || plan.deletes.length > 0) return 'scaling';
  if (owned.length !== capacity) return 'scaling';
  if (owned.some((i) => !['Running', 'Deallocated'].includes(phaseOf(i)))) return 'waiting for VMs to start';
  return undefined;
}

export class ScaleSetLifecycle implements GroupLifecycle<ScaleSetSpec> {
  private readonly deps: ScaleSetLifecycleDeps;
  private readonly memory = new Map<string, Memory>();

  constructor(deps: ScaleSetLifecycleDeps) {
    this.deps = deps;
  }

  forget(key: string): void {
    this.memory.delete(key);
  }

  private remember(key: string, group: DeepReadonly<GroupObject>): Memory {
    let m = this.memory.get(key);
    if (m !== undefined) return m;
    const repairs = RepairsStatus.safeParse(group.status?.['repairs']);
    const rebalance = RebalanceStatus.safeParse(group.status?.['rebalance']);
    const autoscale = AutoscaleStatus.safeParse(group.status?.['autoscale']);
    const inFlight = rebalance.success ? rebalance.data.inFlight : undefined;
    m = {
      repaired: repairs.success ? repairs.data.repairedTotal : 0,
      lastRepairAt: repairs.success ? repairs.data.lastRepairAt : undefined,
      lastBatch: repairs.success ? repairs.data.lastBatch : undefined,
      moved: rebalance.success ? rebalance.data.moved : 0,
      lastMoveAt: rebalance.success ? rebalance.data.lastMoveAt : undefined,
      inFlight:
        inFlight === undefined
          ? undefined
          : {
              fromZone: inFlight.fromZone,
              toZone: inFlight.toZone,
              startedAt: Date.parse(inFlight.startedAt),
            },
      autoscale: autoscale.success
        ? { profile: autoscale.data.activeProfile ?? '', since: autoscale.data.since ?? '' }
        : undefined,
    };
    this.memory.set(key, m);
    return m;
  }

  async before(input: LifecycleBeforeInput<ScaleSetSpec>): Promise<LifecycleBefore<ScaleSetSpec>> {
    const m = this.remember(input.key, input.group);
    const generation = input.group.metadata.generation ?? 0;
    if (m.wroteCapacity !== undefined && m.wroteCapacity.generation !== generation)
      m.wroteCapacity = undefined;
    let spec =
      m.wroteCapacity === undefined ? input.spec : { ...input.spec, capacity: m.wroteCapacity.capacity };
    const autoscale = spec.autoscale;
    if (
      autoscale !== undefined &&
      (autoscale.profiles.length > 0 || autoscale.defaultCapacity !== undefined)
    ) {
      const decision = decideAutoscale({
        profiles: autoscale.profiles,
        defaultCapacity: autoscale.defaultCapacity,
        recordedProfile: m.autoscale?.profile,
        capacity: spec.capacity,
        nowMs: input.now.getTime(),
      });
      if (!input.paused) {
        if (decision.changed) {
          m.autoscale = { profile: decision.schedule.profile ?? '', since: formatTime(input.now) };
        }
        if (decision.capacity !== undefined) {
          await this.deps.client.patchScale(
            SCALESETS,
            { namespace: input.group.metadata.namespace ?? '', name: input.group.metadata.name },
            decision.capacity,
          );
          this.deps.events.record(eventSubjectOf(input.group, 'ScaleSet'), {
            type: 'Normal',
            reason: 'AutoscaleCapacity',
            action: 'Scale',
            note: `${decision.schedule.profile === undefined ? 'default capacity' : `profile ${decision.schedule.profile}`}: capacity ${String(spec.capacity)} → ${String(decision.capacity)}${decision.changed ? ' (profile started)' : ' (clamped to the profile’s bounds)'}`,
          });
          m.wroteCapacity = { capacity: decision.capacity, generation };
          spec = { ...spec, capacity: decision.capacity };
        }
      }
    }
    if (m.inFlight !== undefined && !input.paused && !rebalancingApplies(spec)) {
      // Turned off (or strict zoneBalance turned on) mid-move: the move ends here, its extra VM goes now.
      this.abandon(m, input.now.getTime(), 'zone rebalancing no longer applies to this set', input.group);
    }
    const undo = m.undoMove;
    m.undoMove = undefined;
    return {
      spec,
      surge: m.inFlight !== undefined && !input.paused ? 1 : 0,
      scaleInUndoes:
        undo === undefined
          ? undefined
          : {
              reason: 'rebalance',
              event: 'ZoneRebalanceAbandoned',
              note: `zone move abandoned (${undo}): its extra VM is taken back`,
            },
    };
  }

  /** Ends the move in flight without finishing it; the next plan takes its extra VM back (see before). */
  private abandon(m: Memory, nowMs: number, message: string, group: DeepReadonly<GroupObject>): void {
    m.inFlight = undefined;
    m.cooldownUntil = nowMs + MOVE_COOLDOWN_MS;
    m.rebalanceMessage = message;
    m.undoMove = message;
    this.deps.events.record(eventSubjectOf(group, 'ScaleSet'), {
      type: 'Warning',
      reason: 'ZoneRebalanceAbandoned',
      action: 'Rebalance',
      note: message,
    });
  }

  async after(
    input: LifecycleAfterInput<ScaleSetSpec>,
  ): Promise<{ status: Record<string, unknown>; requeueAfterMs?: number | undefined }> {
    const m = this.remember(input.key, input.group);
    const status: Record<string, unknown> = {};
    const rechecks: number[] = [];
    const { spec, now } = input;

    const autoscale = spec.autoscale;
    if (
      autoscale !== undefined &&
      (autoscale.profiles.length > 0 || autoscale.defaultCapacity !== undefined)
    ) {
      const next = nextScheduleChange(autoscale.profiles, now.getTime());
      const active = autoscale.profiles.find((p) => p.name === m.autoscale?.profile);
      const bounds =
        active?.capacity ?? (m.autoscale?.profile === '' ? autoscale.defaultCapacity : undefined);
      status['autoscale'] = {
        ...(m.autoscale?.profile ? { activeProfile: m.autoscale.profile } : {}),
        ...(m.autoscale?.since ? { since: m.autoscale.since } : {}),
        ...(next === undefined ? {} : { nextChangeAt: formatTime(new Date(next)) }),
        ...(bounds === undefined ? {} : { minimum: bounds.minimum, maximum: bounds.maximum }),
      };
      if (next !== undefined) rechecks.push(Math.max(100, next - now.getTime()));
    }

    const rebalancing = rebalancingApplies(spec);
    const surge = m.inFlight !== undefined ? 1 : 0;
    const settled = input.paused ? 'paused' : settledState(input.owned, spec.capacity + surge, input.plan);

    let repairing = false;
    const repairs = spec.automaticRepairsPolicy;
    if (repairs?.enabled === true) {
      const result = await this.repair(
        input,
        m,
        settled ?? (m.inFlight !== undefined ? 'rebalancing' : undefined),
      );
      status['repairs'] = result.status;
      repairing = result.busy;
      if (result.recheckMs !== undefined) rechecks.push(result.recheckMs);
    }

    if (rebalancing) {
      const result = await this.rebalance(input, m, settled, repairing);
      status['rebalance'] = result.status;
      if (result.recheckMs !== undefined) rechecks.push(result.recheckMs);
    }
    const recheck = Math.min(...rechecks);
    return { status, requeueAfterMs: Number.isFinite(recheck) ? recheck : undefined };
  }

  private async repair(
    input: LifecycleAfterInput<ScaleSetSpec>,
    m: Memory,
    suspended: string | undefined,
  ): Promise<{ status: Record<string, unknown>; busy: boolean; recheckMs?: number | undefined }> {
    const policy = input.spec.automaticRepairsPolicy;
    const action = policy?.repairAction ?? 'Replace';
    const nowMs = input.now.getTime();
    const decision = decideRepairs({
      instances: input.owned.map((i) => ({
        name: i.metadata.name,
        phase: phaseOf(i),
        unhealthy: i.status?.health === 'Unhealthy',
        healthChangedAt: parseTime(i.status?.healthChangedAt),
        launchedAt: parseTime(i.status?.launchedAt),
        protectedFromScaleSetActions: i.spec.protection.fromScaleSetActions,
        repairInProgress: i.status?.repair !== undefined,
      })),
      capacity: input.spec.capacity,
      gracePeriodMs: durationMs(policy?.gracePeriod ?? '10m'),
      nowMs,
      suspended,
    });
    const batch = input.owned.filter((i) => decision.batch.includes(i.metadata.name));
    if (batch.length > 0) {
      if (action === 'Replace') {
        await input.actions.deleteInstances(batch, 'repair');
      } else {
        for (const instance of batch) await this.requestRestart(instance, action, input.now);
      }
      m.repaired += batch.length;
      m.lastRepairAt = formatTime(input.now);
      m.lastBatch = batch.map((i) => i.metadata.name);
      this.deps.events.record(input.actions.subject, {
        type: 'Normal',
        reason: 'RepairingInstances',
        action,
        note: `${action} ${String(batch.length)} unhealthy instance(s): ${m.lastBatch.join(', ')}${
          decision.protectedSkipped.length > 0
            ? `; skipped (protected): ${decision.protectedSkipped.slice(0, 5).join(', ')}`
            : ''
        }`,
      });
    }
    // A replaced VM's successor is in flight until it runs; a restart until the cloud reports it done.
    const running = input.owned.filter((i) => phaseOf(i) === 'Running').length;
    const replacing =
      action === 'Replace' && m.lastBatch !== undefined ? Math.max(0, input.spec.capacity - running) : 0;
    const inProgress =
      batch.length > 0 ? batch.length : decision.inProgress + Math.min(replacing, m.lastBatch?.length ?? 0);
    const stillSuspended = batch.length > 0 ? 'batch in flight' : decision.suspended;
    return {
      status: {
        action,
        unhealthy: decision.unhealthy,
        repairedTotal: m.repaired,
        inProgress,
        ...(m.lastRepairAt === undefined ? {} : { lastRepairAt: m.lastRepairAt }),
        ...(m.lastBatch === undefined ? {} : { lastBatch: m.lastBatch }),
        ...(stillSuspended === undefined || decision.unhealthy === 0 ? {} : { suspended: stillSuspended }),
      },
      busy: inProgress > 0 || batch.length > 0,
      recheckMs: decision.nextDueAt === undefined ? undefined : Math.max(100, decision.nextDueAt - nowMs),
    };
  }

  private async requestRestart(
    instance: DeepReadonly<Instance>,
    action: 'Restart' | 'Reimage',
    now: Date,
  ): Promise<void> {
    const { observedGeneration: _generation, ...rest } = structuredClone(
      instance.status ?? {},
    ) as InstanceStatus;
    try {
      await this.deps.statusWriter.update(INSTANCES, instance, {
        ...rest,
        repair: { action, requestedAt: formatTime(now) },
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  private async rebalance(
    input: LifecycleAfterInput<ScaleSetSpec>,
    m: Memory,
    settled: string | undefined,
    repairing: boolean,
  ): Promise<{ status: Record<string, unknown>; recheckMs?: number | undefined }> {
    const nowMs = input.now.getTime();
    const spec = input.spec;
    const instances = input.owned.map((i) => ({
      id: i.spec.instanceId,
      name: i.metadata.name,
      zone: i.spec.zone,
      phase: phaseOf(i),
      protectedFromScaleSetActions: i.spec.protection.fromScaleSetActions,
    }));
    const availableZones = placeableZones(spec, input.region, input.plan.unavailable);
    let phase: 'Balanced' | 'Moving' | 'Blocked' | 'Waiting';
    let recheckMs: number | undefined;
    const base = {
      zones: spec.zones,
      availableZones,
      instances,
      capacity: spec.capacity,
      nowMs,
      moveTimeoutMs: MOVE_TIMEOUT_MS,
    };
    if (input.paused) {
      phase = 'Waiting';
      m.rebalanceMessage = 'paused';
    } else if (m.inFlight !== undefined) {
      const decision = decideRebalance({ ...base, inFlight: m.inFlight });
      if (decision.kind === 'wait') {
        phase = 'Moving';
      } else if (decision.kind === 'finish') {
        const victim = input.owned.find((i) => i.metadata.name === decision.victim);
        if (victim !== undefined) await input.actions.deleteInstances([victim], 'rebalance');
        m.moved += 1;
        m.lastMoveAt = formatTime(input.now);
        m.rebalanceMessage = `moved one VM from zone ${decision.move.fromZone} to zone ${decision.move.toZone}`;
        this.deps.events.record(input.actions.subject, {
          type: 'Normal',
          reason: 'ZoneRebalanced',
          action: 'Rebalance',
          note: `${m.rebalanceMessage} (deleted ${decision.victim})`,
        });
        m.inFlight = undefined;
        phase = 'Moving';
      } else {
        this.abandon(m, nowMs, decision.kind === 'abandon' ? decision.message : 'move ended', input.group);
        phase = 'Blocked';
        // Right away: the next reconcile takes the extra VM back.
        recheckMs = SOON_MS;
      }
    } else if (skewOf(zoneCounts(spec.zones, instances)) <= 1) {
      // Balanced, whatever an earlier move or block said: nothing stale stays in status.
      phase = 'Balanced';
      m.rebalanceMessage = undefined;
    } else if (settled !== undefined || repairing) {
      phase = 'Waiting';
      m.rebalanceMessage = `waiting: ${settled ?? 'repairs in progress'}`;
    } else if (m.cooldownUntil !== undefined && nowMs < m.cooldownUntil) {
      phase = 'Blocked';
      recheckMs = m.cooldownUntil - nowMs;
    } else {
      const decision = decideRebalance({ ...base, inFlight: undefined });
      if (decision.kind === 'start') {
        m.inFlight = decision.move;
        m.rebalanceMessage = `creating a VM in zone ${decision.move.toZone} to replace one of zone ${decision.move.fromZone}`;
        this.deps.events.record(input.actions.subject, {
          type: 'Normal',
          reason: 'ZoneRebalancing',
          action: 'Rebalance',
          note: m.rebalanceMessage,
        });
        phase = 'Moving';
        recheckMs = SOON_MS;
      } else if (decision.kind === 'blocked') {
        phase = 'Blocked';
        m.rebalanceMessage = decision.message;
      } else {
        phase = 'Balanced';
        m.rebalanceMessage = undefined;
      }
    }
    return {
      status: {
        phase,
        moved: m.moved,
        ...(m.lastMoveAt === undefined ? {} : { lastMoveAt: m.lastMoveAt }),
        ...(m.inFlight === undefined
          ? {}
          : {
              inFlight: {
                fromZone: m.inFlight.fromZone,
                toZone: m.inFlight.toZone,
                startedAt: formatTime(new Date(m.inFlight.startedAt)),
              },
            }),
        ...(m.rebalanceMessage === undefined ? {} : { message: m.rebalanceMessage }),
      },
      recheckMs,
    };
  }
}

function parseTime(stamp: string | undefined): number | undefined {
  if (stamp === undefined) return undefined;
  const ms = Date.parse(stamp);
  return Number.isNaN(ms) ? undefined : ms;
}
