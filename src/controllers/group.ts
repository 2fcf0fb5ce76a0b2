// The reconcile shared by ScaleSets and ComputeFleets: read the group, its Region and its Instances from
// the caches; refuse an invalid spec (status InvalidSpec, instances untouched); run the group's ordered
// steps (steps/: ScaleSet autoscale, image, upgrade, place, repair, rebalance; ComputeFleet place), carrying
// out what each asks for before the next runs — one function sends every delete — and write status once.
// The kind-specific data mapping (spec parsing, normalisation, status shape) comes from a `GroupAdapter`.
import type { Logger } from 'pino';
import type {
  FieldError,
  Instance,
  InstanceStatus,
  ObjectMeta,
  ParseResult,
  Region,
  UnavailableOffering,
} from '../api/index.ts';
import type { CloudProvider, RegionInstances, UnavailableOfferingsByRegion } from '../cloud/index.ts';
import type { GroupSpec, Plan } from '../engine/index.ts';
import type { LifecycleMetrics } from '../metrics/index.ts';
import {
  eventSubjectOf,
  isAlreadyExists,
  isBeingDeleted,
  isNotFound,
  computeConditions,
  type Clock,
  type Condition,
  type ConditionUpdate,
  type DeepReadonly,
  type EventRecorder,
  type ReadonlyStore,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
  type KubeClient,
  type ResourceType,
  type StatusWriter,
  writePooled,
} from '../runtime/index.ts';
import { Expectations } from './expectations.ts';
import { Pacer } from './pacer.ts';
import {
  asConditions,
  groupConditions,
  invalidSpecConditions,
  placementCounts,
  planSummary,
  unavailableForStatus,
  type PlacementCounts,
} from './group-status.ts';
import {
  OWNER_INDEX,
  deleteExactly,
  liveInstances,
  newInstance,
  ownerIndexValue,
  phaseOf,
  type GroupKind,
  type InstanceModel,
} from './instances.ts';
import { checkRegion, describeErrors } from './region-spec.ts';
import type {
  GroupStep,
  PlacementHints,
  PlanToApply,
  StepDeletes,
  StepResult,
  StepState,
} from './steps/step.ts';
import { INSTANCES } from './resources.ts';

/** A group object as the cache holds it: only metadata is trusted before the spec is parsed. */
export interface GroupObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: Record<string, unknown> & { conditions?: Condition[] };
}

export type SpecCheck<S> = { ok: true; spec: S } | { ok: false; errors: FieldError[] };

/** A group's spec parsed with its zod schema, each error's field named from `spec.` as kubectl shows it. */
export function specCheckOf<S>(parsed: ParseResult<S>): SpecCheck<S> {
  return parsed.ok
    ? { ok: true, spec: parsed.value }
    : { ok: false, errors: parsed.errors.map((e) => ({ ...e, field: `spec.${e.field}` })) };
}

/** What differs between a ScaleSet and a ComputeFleet. */
export interface GroupAdapter<S> {
  kind: GroupKind;
  resource: ResourceType;
  /** zod parse of the spec (schema + the CEL-equivalent rules). */
  parse(spec: unknown): SpecCheck<S>;
  regionName(spec: S): string;
  /** Region-dependent checks (sizes and zones exist, B-series never Spot…). */
  validate(spec: S, region: DeepReadonly<Region>): FieldError[];
  paused(spec: S): boolean;
  zones(spec: S): readonly string[];
  platformFaultDomainCount(spec: S): number;
  /** The engine's view of the spec, given the group's status (for counts it keeps there). */
  groupSpec(spec: S, group: DeepReadonly<GroupObject>, placement?: PlacementHints): GroupSpec;
  /** The instance model new VMs of this priority get. */
  model(spec: S, priority: 'Regular' | 'Spot', groupSpec: GroupSpec): InstanceModel;
  /** The kind-specific status fields, merged over the common ones. */
  status(input: {
    spec: S;
    group: DeepReadonly<GroupObject>;
    instances: readonly DeepReadonly<Instance>[];
    plan: Plan;
    counts: PlacementCounts;
    region: DeepReadonly<Region>;
    placement: PlacementHints;
  }): Record<string, unknown>;
  /** The spec with `extra` VMs on top of its capacity (an upgrade's surge); kinds without surges omit it. */
  withSurge?(spec: S, extra: number): S;
}

/** A group kind's ordered steps, and its memory (one per group uid, seeded from status when first seen). */
export interface GroupSteps<S, M> {
  steps: readonly GroupStep<S, M>[];
  seed(group: DeepReadonly<GroupObject>): M;
}

export interface GroupControllerDeps {
  client: Pick<KubeClient, 'get' | 'create' | 'delete' | 'patchScale'>;
  provider: CloudProvider;
  unavailable: UnavailableOfferingsByRegion;
  regions: ReadonlyStore<Region>;
  instances: ReadonlyStore<Instance>;
  /** A region's Instances with the ledger's counts (see cloud/region-instances.ts). */
  regionInstances: (region: string) => RegionInstances;
  statusWriter: StatusWriter;
  events: EventRecorder;
  metrics: LifecycleMetrics;
  clock: Clock;
}

/** How long to wait for the cache to show our own writes before looking again. */
const EXPECTATION_RECHECK_MS = 1_000;
/** A group whose spec did not change is reconciled at most this often (see Pacer). */
const GROUP_MIN_INTERVAL_MS = 500;
export class GroupReconciler<S, M = Record<string, never>> {
  private readonly adapter: GroupAdapter<S>;
  private readonly deps: GroupControllerDeps;
  private readonly groups: ReadonlyStore<GroupObject>;
  private readonly steps: GroupSteps<S, M>;
  private readonly expectations: Expectations;
  private readonly pacer: Pacer;
  /** The steps' memory per group uid, and the uid each key had (to forget it once the group is gone). */
  private readonly memories = new Map<string, M>();
  private readonly uids = new Map<string, string>();

  constructor(
    adapter: GroupAdapter<S>,
    groups: ReadonlyStore<GroupObject>,
    deps: GroupControllerDeps,
    steps: GroupSteps<S, M>,
  ) {
    this.adapter = adapter;
    this.groups = groups;
    this.deps = deps;
    this.steps = steps;
    this.expectations = new Expectations(deps.clock);
    this.pacer = new Pacer(deps.clock, GROUP_MIN_INTERVAL_MS);
  }

  readonly reconcile = async (
    request: ReconcileRequest,
    context: ReconcileContext,
  ): Promise<ReconcileResult> => {
    const group = this.groups.get(request.key);
    const ownerValue = ownerIndexValue(this.adapter.kind, request.namespace ?? '', request.name);
    if (group === undefined || isBeingDeleted(group)) {
      // Garbage collection removes the Instances through their owner reference; nothing for us to do.
      this.expectations.forget(ownerValue);
      this.pacer.forget(request.key);
      this.forgetMemory(request.key);
      return {};
    }
    const inCache = (name: string) => this.cacheState(request.namespace ?? '', name);
    if (!this.expectations.satisfied(ownerValue, inCache)) {
      // A write lost with the API server may never show in the cache: ask the server, not the clock.
      await this.confirmUncertain(ownerValue, request.namespace ?? '');
      if (!this.expectations.satisfied(ownerValue, inCache))
        return { requeueAfterMs: EXPECTATION_RECHECK_MS };
    }
    const wait = this.pacer.delay(request.key, group.metadata.generation ?? 0);
    if (wait > 0) return { requeueAfterMs: wait };
    const now = new Date(this.deps.clock.now());
    const context_ = { generation: group.metadata.generation ?? 0, now };

    const parsed = this.adapter.parse(group.spec);
    if (!parsed.ok) return this.refuse(group, parsed.errors, context_, context.logger);
    const spec = parsed.spec;
    const region = this.deps.regions.get(this.adapter.regionName(spec));
    if (region === undefined) {
      const errors = [
        { field: 'spec.region', message: `Region "${this.adapter.regionName(spec)}" does not exist` },
      ];
      return this.refuse(group, errors, context_, context.logger, 'RegionNotFound');
    }
    const regionCheck = checkRegion(region);
    if (!regionCheck.ok) {
      const message = `Region "${region.metadata.name}" is invalid: ${describeErrors(regionCheck.errors)}`;
      return this.refuse(
        group,
        [{ field: 'spec.region', message }],
        context_,
        context.logger,
        'RegionInvalid',
      );
    }
    const semantic = this.adapter.validate(spec, region);
    if (semantic.length > 0) return this.refuse(group, semantic, context_, context.logger);

    const paused = this.adapter.paused(spec);
    const memory = this.memoryOf(request.key, group);
    const subject = eventSubjectOf(group, this.adapter.kind);
    let state: StepState<S> = {
      spec,
      instances: liveInstances(this.deps.instances.byIndex(OWNER_INDEX, ownerValue)),
      placement: { surge: 0 },
      repairing: false,
    };
    const outcome: StepOutcomes = { status: [], conditions: [], timers: [], onStatusWritten: [] };
    const report = (planned: Planned, nextId: number, keepPrevious = false) =>
      this.writeStatus(group, state, region, planned, paused, nextId, context_, outcome, keepPrevious);
    /** The VMs the plan was made from: status counts them (deletes of later steps show next time). */
    let planned: Planned | undefined;
    let nextInstanceId: number | undefined;
    for (const step of this.steps.steps) {
      const result = await step.run({
        group,
        region,
        now,
        paused,
        logger: context.logger,
        subject,
        memory,
        state,
      });
      if (result.refuse !== undefined) {
        return this.refuse(group, result.refuse.errors, context_, context.logger, result.refuse.reason);
      }
      if (result.scaleTo !== undefined) {
        await this.deps.client.patchScale(
          this.adapter.resource,
          { namespace: group.metadata.namespace ?? '', name: group.metadata.name },
          result.scaleTo,
        );
      }
      if (result.deletes !== undefined) await this.deleteInstances(group, result.deletes);
      if (result.restarts !== undefined) await this.restartInstances(result.restarts, now);
      if (result.status !== undefined) outcome.status.push(result.status);
      outcome.conditions.push(...(result.conditions ?? []));
      if (result.requeueAfterMs !== undefined) outcome.timers.push(result.requeueAfterMs);
      if (result.onStatusWritten !== undefined) outcome.onStatusWritten.push(result.onStatusWritten);
      const toApply = result.plan;
      if (toApply !== undefined) {
        planned = { plan: toApply.plan, instances: state.instances };
        if (!paused && group.status?.observedGeneration !== context_.generation) {
          // A new generation is reported before the plan is acted on: creating or deleting a batch takes
          // seconds, and until status said otherwise `kubectl get` showed the previous generation's Ready
          // reason as current. The rest of the previous status is kept until the write below.
          await report(planned, this.nextInstanceId(group, ownerValue), true);
        }
        nextInstanceId = paused
          ? this.nextInstanceId(group, ownerValue)
          : await this.apply(group, toApply, state.instances, state.placement.protection, context.logger);
      }
      result.commit?.();
      const deleted = new Set(result.deletes?.victims.map((v) => v.instance.metadata.name));
      state = {
        spec: result.spec ?? state.spec,
        // Until the plan is made the steps work from what is left; after it, from what it was made from.
        instances:
          planned === undefined && deleted.size > 0
            ? state.instances.filter((i) => !deleted.has(i.metadata.name))
            : state.instances,
        placement: { ...state.placement, ...result.placement },
        plan: toApply?.plan ?? state.plan,
        repairing: result.repairing ?? state.repairing,
      };
    }
    if (planned === undefined) throw new Error(`${this.adapter.kind} steps made no plan`);
    await report(planned, nextInstanceId ?? this.nextInstanceId(group, ownerValue));
    const { plan, instances: owned } = planned;
    const waiting = owned.some((i) => phaseOf(i) !== 'Running' && phaseOf(i) !== 'Deallocated');
    // Unavailable pools expire; look again then, so capacity that came back is used.
    const nextExpiry = Math.min(...plan.unavailable.map((u) => u.until));
    const untilExpiry = Number.isFinite(nextExpiry) ? Math.max(1_000, nextExpiry - now.getTime()) : undefined;
    // Instance events wake a group that waits on its VMs; the steps' timers (pauses, grace periods,
    // schedule changes) do not come with an event, so they stand either way.
    const timers = Math.min(...outcome.timers);
    const recheck = waiting ? timers : Math.min(untilExpiry ?? Infinity, timers);
    return Number.isFinite(recheck) ? { requeueAfterMs: recheck } : {};
  };

  /** The group's memory, by uid: a group deleted and created again under the same name starts afresh. */
  private memoryOf(key: string, group: DeepReadonly<GroupObject>): M {
    const uid = group.metadata.uid ?? key;
    const previousUid = this.uids.get(key);
    if (previousUid !== undefined && previousUid !== uid) this.memories.delete(previousUid);
    this.uids.set(key, uid);
    let memory = this.memories.get(uid);
    if (memory === undefined) {
      memory = this.steps.seed(group);
      this.memories.set(uid, memory);
    }
    return memory;
  }

  private forgetMemory(key: string): void {
    const uid = this.uids.get(key);
    if (uid !== undefined) this.memories.delete(uid);
    this.uids.delete(key);
  }

  /**
   * Asks the API server about the writes that failed without saying whether they happened. A create it
   * does not have, or a delete of a VM it still holds unmarked, did not happen: stop waiting for it. One
   * that did happen will reach the cache. No answer (the server is still away): ask again next time.
   */
  private async confirmUncertain(ownerValue: string, namespace: string): Promise<void> {
    const { creates, deletes } = this.expectations.uncertain(ownerValue);
    const serverState = async (name: string): Promise<Presence | undefined> => {
      try {
        return presenceOf(
          (await this.deps.client.get(INSTANCES, { namespace, name })) as DeepReadonly<Instance>,
        );
      } catch (error) {
        return isNotFound(error) ? 'absent' : undefined;
      }
    };
    const settle = async (name: string, notDone: (state: Presence) => boolean) => {
      const state = await serverState(name);
      if (state !== undefined)
        this.expectations.confirm(ownerValue, name, notDone(state) ? 'notDone' : 'happened');
    };
    await Promise.all([
      ...creates.map((name) => settle(name, (state) => state === 'absent')),
      ...deletes.map((name) => settle(name, (state) => state === 'present')),
    ]);
  }

  private cacheState(namespace: string, name: string): Presence {
    return presenceOf(this.deps.instances.get(`${namespace}/${name}`));
  }

  /** Applies a plan: its deletes (through `deleteInstances`), then its creates; returns the next instanceId. */
  private async apply(
    group: DeepReadonly<GroupObject>,
    toApply: PlanToApply<S>,
    owned: readonly DeepReadonly<Instance>[],
    protection: PlacementHints['protection'],
    logger: Logger,
  ): Promise<number> {
    const { plan, spec, scaleInUndoes } = toApply;
    const namespace = group.metadata.namespace ?? '';
    const ownerValue = ownerIndexValue(this.adapter.kind, namespace, group.metadata.name);
    const byId = new Map(owned.map((i) => [i.spec.instanceId, i]));
    const subject = eventSubjectOf(group, this.adapter.kind);

    const deletes = plan.deletes.flatMap((d) => {
      const instance = byId.get(d.id);
      return instance ? [{ decision: d, instance }] : [];
    });
    if (deletes.length > 0) {
      await this.deleteInstances(group, {
        victims: deletes.map(({ decision, instance }) => ({
          instance,
          reason: decision.rule === 'Failed' ? 'failure' : (scaleInUndoes?.reason ?? 'scale-in'),
        })),
      });
      const failed = deletes.filter((d) => d.decision.rule === 'Failed').length;
      this.deps.events.record(subject, {
        type: 'Normal',
        reason: failed === deletes.length ? 'ReplacingFailed' : (scaleInUndoes?.event ?? 'ScaledIn'),
        action: 'Delete',
        note: `${scaleInUndoes && failed < deletes.length ? `${scaleInUndoes.note}; ` : ''}deleted ${deletes.length} instance(s): ${deletes
          .slice(0, 5)
          .map((d) => `${d.instance.metadata.name} (${d.decision.rule})`)
          .join(', ')}${deletes.length > 5 ? ', …' : ''}`,
      });
      logger.info({ deleted: deletes.length }, 'instances deleted');
    }

    let nextId = this.nextInstanceId(group, ownerValue);
    if (plan.creates.length > 0) {
      const groupSpec = this.adapter.groupSpec(spec, group);
      const ref = {
        kind: this.adapter.kind,
        name: group.metadata.name,
        namespace,
        uid: group.metadata.uid ?? '',
        region: this.adapter.regionName(spec),
      };
      const objects: Instance[] = [];
      for (const create of plan.creates) {
        const model = this.adapter.model(spec, create.priority, groupSpec);
        for (let n = 0; n < create.count; n++) objects.push(newInstance(ref, create, nextId++, model));
      }
      // Protection carries over to the replacements of protected VMs, as Azure keeps it through an upgrade.
      const owed = Math.min(protection?.owed ?? 0, objects.length);
      for (const object of objects.slice(0, owed)) object.spec.protection.fromScaleIn = true;
      let protectedCreated = 0;
      this.expectations.expect(ownerValue, { creates: objects.map((o) => o.metadata.name) });
      let created = 0;
      // Told even when a write fails: the reconcile is retried, and what was created stays accounted for.
      await writePooled(
        objects,
        async (object) => {
          try {
            await this.deps.client.create(INSTANCES, object);
            created += 1;
            if (object.spec.protection.fromScaleIn) protectedCreated += 1;
            this.deps.metrics.instanceCreated(this.metricGroup(group), object.spec.priority);
          } catch (error) {
            // Created by an earlier attempt whose answer we never saw: the cache will show it.
            if (!isAlreadyExists(error)) throw error;
            if (object.spec.protection.fromScaleIn) protectedCreated += 1;
          }
        },
        (notCreated, uncertain) => {
          const names = (objects: readonly Instance[]) => objects.map((o) => o.metadata.name);
          this.expectations.writesFailed(ownerValue, 'creates', names(notCreated), names(uncertain));
        },
      ).finally(() => protection?.created(protectedCreated));
      const summary = plan.creates
        .slice(0, 6)
        .map((c) => `${c.count}× ${c.size} zone ${c.zone || '-'} FD ${c.faultDomain} ${c.priority}`)
        .join(', ');
      this.deps.events.record(subject, {
        type: 'Normal',
        reason: 'ScaledOut',
        action: 'Create',
        note: `created ${created} instance(s): ${summary}${plan.creates.length > 6 ? ', …' : ''}`,
      });
      logger.info({ created, names: objects.length }, 'instances created');
    }

    for (const outcome of plan.outcomes) {
      if (outcome.shortfall <= 0) continue;
      const reason = outcome.reasons[0];
      this.deps.events.record(subject, {
        type: 'Warning',
        reason: reason?.reason ?? 'CapacityShortfall',
        action: 'Place',
        note: `${outcome.priority}: ${outcome.shortfall} of ${outcome.target} cannot be placed: ${reason?.message ?? ''}`,
      });
    }
    return nextId;
  }

  /**
   * The next instanceId: after the highest the cache shows (deleting ones included) and after the highest
   * ever handed out, which status keeps — so a name is never reused once its VM was deleted, and IDs keep
   * growing (scale-in rules read them as age).
   */
  private nextInstanceId(group: DeepReadonly<GroupObject>, ownerValue: string): number {
    const all = this.deps.instances.byIndex(OWNER_INDEX, ownerValue);
    const recorded = group.status?.nextInstanceId;
    return Math.max(
      Math.max(-1, ...all.map((i) => i.spec.instanceId)) + 1,
      typeof recorded === 'number' ? recorded : 0,
    );
  }

  private async writeStatus(
    group: DeepReadonly<GroupObject>,
    { spec, placement }: Pick<StepState<S>, 'spec' | 'placement'>,
    region: DeepReadonly<Region>,
    planned: Planned,
    paused: boolean,
    nextInstanceId: number,
    context: { generation: number; now: Date },
    outcome: StepOutcomes,
    /** Keep what the previous status has and this write does not compute (the later steps' fields). */
    keepPrevious = false,
  ): Promise<void> {
    const { plan, instances: owned } = planned;
    const counts = placementCounts(
      owned,
      {
        zones: this.adapter.zones(spec),
        platformFaultDomainCount: this.adapter.platformFaultDomainCount(spec),
      },
      region,
    );
    const notReady = owned.filter((i) => ['Pending', 'Provisioning'].includes(phaseOf(i))).length;
    const failed = owned.filter((i) => phaseOf(i) === 'Failed').length;
    const deallocated = owned.filter((i) => phaseOf(i) === 'Deallocated').length;
    const regionName = region.metadata.name;
    const unavailable: UnavailableOffering[] = unavailableForStatus(
      this.deps.unavailable.forRegion(regionName).list(context.now),
    );
    const stepStatus = outcome.status.reduce<Record<string, unknown>>((all, s) => ({ ...all, ...s }), {});
    const status: Record<string, unknown> = {
      ...(keepPrevious ? structuredClone(group.status ?? {}) : {}),
      readyInstances: counts.readyInstances,
      byZone: counts.byZone,
      byFaultDomain: counts.byFaultDomain,
      bySize: counts.bySize,
      hourlyCost: counts.hourlyCost,
      spread: counts.spread,
      staleInstances: plan.stale.length,
      nextInstanceId,
      plan: planSummary(plan),
      unavailableOfferings: unavailable,
      ...this.adapter.status({ spec, group, instances: owned, plan, counts, region, placement }),
      ...stepStatus,
      conditions: withStepConditions(
        groupConditions(
          asConditions(group.status?.conditions),
          { plan, paused, notReady, failed, deallocated },
          context,
        ),
        asConditions(group.status?.conditions),
        outcome.conditions,
        context,
      ),
    };
    const result = await this.deps.statusWriter.update(this.adapter.resource, group, status);
    if (result.written) for (const written of outcome.onStatusWritten) written(status);
  }

  private async refuse(
    group: DeepReadonly<GroupObject>,
    errors: readonly FieldError[],
    context: { generation: number; now: Date },
    logger: Logger,
    reason = 'InvalidSpec',
  ): Promise<ReconcileResult> {
    // Keep everything the status said about the instances; only the conditions change. Nothing is deleted.
    const previous = group.status ?? {};
    await this.deps.statusWriter.update(this.adapter.resource, group, {
      ...structuredClone(previous),
      conditions: invalidSpecConditions(asConditions(group.status?.conditions), errors, context, reason),
    });
    this.deps.events.record(eventSubjectOf(group, this.adapter.kind), {
      type: 'Warning',
      reason,
      action: 'Validate',
      note: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    });
    logger.info({ errors }, 'spec refused');
    // The spec (or the Region) has to change before anything else can happen, and both are watched.
    return {};
  }

  /**
   * The one place deletes are sent: a pool of writes at a time (or one after the other, in order), each
   * counted as terminated for its reason, with the cache awaited (expectations) before the next reconcile
   * acts.
   */
  private async deleteInstances(group: DeepReadonly<GroupObject>, deletes: StepDeletes): Promise<void> {
    const ownerValue = ownerIndexValue(
      this.adapter.kind,
      group.metadata.namespace ?? '',
      group.metadata.name,
    );
    const { victims } = deletes;
    const names = (items: readonly { instance: DeepReadonly<Instance> }[]) =>
      items.map((v) => v.instance.metadata.name);
    this.expectations.expect(ownerValue, { deletes: names(victims) });
    await writePooled(
      victims,
      async ({ instance, reason }) => {
        await deleteExactly(this.deps.client, instance);
        this.deps.metrics.instanceTerminated(this.metricGroup(group), instance.spec.priority, reason);
      },
      (notDone, uncertain) => {
        this.expectations.writesFailed(ownerValue, 'deletes', names(notDone), names(uncertain));
      },
      deletes.inOrder === true ? 1 : undefined,
    );
  }

  /**
   * Has the cloud restart or reimage each VM and records the operation on its Instance (status.repair),
   * where the cloud's observation reports it done.
   */
  private async restartInstances(restarts: NonNullable<StepResult<S>['restarts']>, now: Date): Promise<void> {
    const { provider } = this.deps;
    for (const { instance, action } of restarts) {
      const { observedGeneration: _generation, ...rest } = structuredClone(
        instance.status ?? {},
      ) as InstanceStatus;
      const repair =
        action === 'Restart' ? await provider.restart(instance, now) : await provider.reimage(instance, now);
      try {
        await this.deps.statusWriter.update(INSTANCES, instance, { ...rest, repair });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
  }

  private metricGroup(group: DeepReadonly<GroupObject>) {
    return { namespace: group.metadata.namespace ?? '', kind: this.adapter.kind, name: group.metadata.name };
  }
}

type Presence = 'present' | 'deleting' | 'absent';

function presenceOf(instance: DeepReadonly<Instance> | undefined): Presence {
  if (instance === undefined) return 'absent';
  return isBeingDeleted(instance) ? 'deleting' : 'present';
}

/** A plan and the VMs it was made from. */
interface Planned {
  plan: Plan;
  instances: readonly DeepReadonly<Instance>[];
}

/** What the steps asked for besides writes: status fields, condition updates, timers. */
interface StepOutcomes {
  status: Record<string, unknown>[];
  conditions: ConditionUpdate[];
  timers: number[];
  onStatusWritten: ((status: Record<string, unknown>) => void)[];
}

/** The common conditions with the steps' updates in place of the same types, new types after. */
function withStepConditions(
  common: readonly Condition[],
  previous: readonly Condition[] | undefined,
  updates: readonly ConditionUpdate[],
  context: { generation: number; now: Date },
): Condition[] {
  if (updates.length === 0) return [...common];
  const computed = computeConditions(previous, updates, context);
  const byType = new Map(computed.map((c) => [c.type, c]));
  const replaced = common.map((c) => byType.get(c.type) ?? c);
  return [...replaced, ...computed.filter((c) => !common.some((k) => k.type === c.type))];
}
