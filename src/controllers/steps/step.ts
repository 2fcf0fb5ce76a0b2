// One reconcile of a group is an ordered list of steps (ScaleSet: autoscale, image, upgrade, place, repair,
// rebalance; ComputeFleet: place). A step reads the group, its Region, the state the steps before it left
// and its own memory, and returns what it wants: a spec change, a refusal, deletes, a plan, status fields,
// conditions, a requeue. It never writes: the group reconciler (group.ts) carries each result out before
// the next step runs — its one delete function takes every delete, with the same expectations and metrics
// — and writes status once at the end. Decisions stay in the engine; a step only maps the world onto it.
import type { Logger } from 'pino';
import type { FieldError, Instance, Region } from '../../api/index.ts';
import type { Plan } from '../../engine/index.ts';
import type { TerminationReason } from '../../metrics/index.ts';
import type { ConditionUpdate, DeepReadonly, EventRecorder } from '../../runtime/index.ts';
import type { GroupObject } from '../group.ts';

export type EventSubject = Parameters<EventRecorder['record']>[0];

export type StepName = 'autoscale' | 'image' | 'upgrade' | 'evictions' | 'place' | 'repair' | 'rebalance';

/** How the placement step is shaped by the steps before it. */
export interface PlacementHints {
  /** VMs on top of the spec's capacity (an upgrade's maxSurge), applied to the spec before normalising. */
  surge: number;
  /** Limits the plan before it is applied (an image's replica throughput). */
  limit?: ((plan: Plan, instances: readonly DeepReadonly<Instance>[]) => Plan) | undefined;
  /**
   * Scale-in protection owed to replacements (an upgrade replaced protected VMs): the first `owed` new VMs
   * are created protected, and `created` is told how many were.
   */
  protection?: { owed: number; created(count: number): void } | undefined;
  /**
   * ComputeFleet without `maintain`: Spot capacity units lost to evictions that deleted VMs, counted
   * beyond what status shows yet; the engine aims at the Spot target minus it, and status carries it.
   */
  lostToEviction?: number | undefined;
}

/** What the steps so far left for the next one. */
export interface StepState<S> {
  /** The spec to work with: autoscale's capacity, the image version resolved. */
  spec: S;
  /** The group's live VMs, less the ones earlier steps deleted (the plan's own deletes are not taken out). */
  instances: readonly DeepReadonly<Instance>[];
  placement: PlacementHints;
  /** The plan, once the place step made it. */
  plan?: Plan | undefined;
  /** Repairs are under way (a batch sent, restarts or replacements not finished): zone moves wait. */
  repairing: boolean;
}

export interface StepInput<S, M> {
  group: DeepReadonly<GroupObject>;
  region: DeepReadonly<Region>;
  now: Date;
  /** What-if mode: steps publish what they would do and act on nothing. */
  paused: boolean;
  logger: Logger;
  subject: EventSubject;
  /** The group's memory (one per uid, seeded from its status when first seen); steps keep their part. */
  memory: M;
  state: StepState<S>;
}

/** Deletes a step asks for; the reconciler sends them, counts them and waits for the cache to show them. */
export interface StepDeletes {
  victims: readonly { instance: DeepReadonly<Instance>; reason: TerminationReason }[];
  /**
   * One after the other in the given order, stopping at the first failure (an upgrade's order keeps the
   * zones within 1 after each delete); otherwise a pool of writes at a time.
   */
  inOrder?: boolean;
}

export interface PlanToApply<S> {
  plan: Plan;
  /** The spec new VMs are modelled on. */
  spec: S;
  /** The plan's scale-in takes back the extra VM of an abandoned zone move: reported as that. */
  scaleInUndoes?: ScaleInUndo | undefined;
}

export interface ScaleInUndo {
  reason: TerminationReason;
  event: string;
  note: string;
}

export interface StepResult<S> {
  /** The spec cannot be acted on (like an invalid spec): status says why, nothing is deleted. */
  refuse?: { errors: FieldError[]; reason: string } | undefined;
  /** The spec the following steps work with. */
  spec?: S | undefined;
  /** A capacity to write through the scale subresource (autoscale) before the next step runs. */
  scaleTo?: number | undefined;
  deletes?: StepDeletes | undefined;
  /** VMs to restart or reimage in place (automatic repairs). */
  restarts?: readonly { instance: DeepReadonly<Instance>; action: 'Restart' | 'Reimage' }[] | undefined;
  /** The placement: the reconciler reports a new generation, then applies its deletes and creates. */
  plan?: PlanToApply<S> | undefined;
  placement?: Partial<PlacementHints> | undefined;
  repairing?: boolean | undefined;
  /** Status fields this step owns, merged over the common ones in step order. */
  status?: Record<string, unknown> | undefined;
  /** Replace the common conditions of the same type, or add new types. */
  conditions?: readonly ConditionUpdate[] | undefined;
  /**
   * Called once the step's writes (scale, deletes) went through: what the step remembers of them takes
   * effect only then, so a failed write is decided and sent again by the retry.
   */
  commit?: (() => void) | undefined;
  /** Called after a status write that carried `status` (not when nothing changed). */
  onStatusWritten?: ((status: Record<string, unknown>) => void) | undefined;
  /** A timer of this step's (a pause, a grace period, a schedule change): look again then. */
  requeueAfterMs?: number | undefined;
}

export interface GroupStep<S, M> {
  readonly name: StepName;
  run(input: StepInput<S, M>): Promise<StepResult<S>>;
}
