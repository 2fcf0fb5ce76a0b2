// The Region controller keeps the simulated cloud's books and plays its weather: usage per pool and per
// quota in status, and what SimulatedCloud.observe reports: Spot evictions (capacity below usage, the Spot
// price above a VM's max price, the seeded random rate) and health changes. An evicted VM with Delete goes;
// with Deallocate it stays, Deallocated (still counted by its group, no compute cost).
// A Region in use carries a finalizer, so deleting it waits until no Instance uses it any more (an Event
// says why); an unused Region carries none and deletes at once.
//
// Why it lives here: the Region CRD is the simulated cloud's catalogue (capacity, quotas, prices, faults),
// so its controller belongs to the simulation, which registers it through CloudProvider.controllers. A
// real cloud keeps those books itself; the operator's controllers never depend on this one.
import { REGION_FINALIZER, type Instance, type Region } from '../../api/index.ts';
import { groupOfInstance } from '../../metrics/index.ts';
import {
  addFinalizer,
  computeConditions,
  formatTime,
  hasFinalizer,
  isBeingDeleted,
  isConflict,
  isNotFound,
  removeFinalizer,
  type DeepReadonly,
  type ReadonlyStore,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/index.ts';
import { asConditions } from '../../controllers/group-status.ts';
import { phaseOf } from '../../controllers/instances.ts';
import { Pacer } from '../../controllers/pacer.ts';
import { checkRegion, describeErrors } from '../../controllers/region-spec.ts';
import { INSTANCES, REGIONS } from '../../controllers/resources.ts';
import type { CloudProvider, EvictionNotice } from '../provider.ts';
import type { ProviderControllerDeps } from '../provider-controllers.ts';
import { computeRegionUsage } from '../region-usage.ts';
import { writeHealthChange } from './health-pass.ts';

/** What the operator hands the simulated cloud's controllers, with the caches' stores instead of reflectors. */
export interface RegionControllerDeps extends Omit<
  ProviderControllerDeps,
  'regions' | 'instances' | 'controllerOptions'
> {
  /** The cloud whose changes this controller applies (`observe`). */
  provider: Pick<CloudProvider, 'observe'>;
  regions: ReadonlyStore<Region>;
  instances: ReadonlyStore<Instance>;
}

/** After a finalizer write met a newer Region, look again this soon (the watch brings the newer one). */
const FINALIZER_RETRY_MS = 200;
/** A Region whose spec did not change is reconciled at most this often. */
const REGION_MIN_INTERVAL_MS = 1_000;
/** While a Region's deletion waits for its Instances, the DeletionBlocked Event is repeated this often. */
const BLOCKED_EVENT_PERIOD_MS = 60_000;

export class RegionReconciler {
  private readonly deps: RegionControllerDeps;
  /** End of the previous observation per region: the seeded draws cover the time since. */
  private readonly lastEvaluated = new Map<string, Date>();
  /** When the DeletionBlocked Event was last recorded per region. */
  private readonly blockedNoted = new Map<string, number>();

  private readonly pacer: Pacer;

  constructor(deps: RegionControllerDeps) {
    this.deps = deps;
    this.pacer = new Pacer(deps.clock, REGION_MIN_INTERVAL_MS);
  }

  readonly reconcile = async (
    request: ReconcileRequest,
    context: ReconcileContext,
  ): Promise<ReconcileResult> => {
    const region = this.deps.regions.get(request.key);
    if (region === undefined) {
      this.lastEvaluated.delete(request.key);
      this.blockedNoted.delete(request.key);
      this.pacer.forget(request.key);
      return {};
    }
    // Before the spec check: an invalid Region in use must not be deletable either. Every Instance event
    // of the region comes here (before the pacing below), so the count is the index's size, not a list.
    const inRegion = this.deps.regionInstances(region.metadata.name);
    const guard = await this.guardDeletion(region, inRegion.size());
    if (guard === 'retry') return { requeueAfterMs: FINALIZER_RETRY_MS };
    if (guard === 'done') return {};
    const check = checkRegion(region);
    if (!check.ok) {
      // Server-side apply cannot write the status of an object that does not match its schema either:
      // report it and wait for the spec to change (the Region watch reacts to a new generation).
      const problem = describeErrors(check.errors);
      context.logger.error({ errors: check.errors }, `Region ${region.metadata.name} is invalid: ${problem}`);
      this.deps.events.record(
        { apiVersion: region.apiVersion, kind: 'Region', metadata: { name: region.metadata.name } },
        { type: 'Warning', reason: 'InvalidSpec', action: 'Validate', note: problem },
      );
      return {};
    }
    // Every VM change of the region enqueues it; usage and evictions over all its VMs once a second suffice.
    const wait = this.pacer.delay(request.key, region.metadata.generation ?? 0);
    if (wait > 0) return { requeueAfterMs: wait };
    const now = new Date(this.deps.clock.now());
    const changes = await this.deps.provider.observe({
      region,
      instances: inRegion.list(),
      now,
      lastEvaluatedAt: this.lastEvaluated.get(request.key),
    });
    this.lastEvaluated.set(request.key, now);
    for (const notice of changes.evictions) {
      const instance = inRegion.get(`${notice.namespace}/${notice.name}`);
      if (instance !== undefined && ['Running', 'Provisioning'].includes(phaseOf(instance)))
        await this.evict(instance, notice);
    }
    if (changes.evictions.length > 0) {
      context.logger.info({ evicted: changes.evictions.length }, 'Spot VMs evicted');
    }
    for (const change of changes.health) {
      const instance = inRegion.get(`${change.namespace}/${change.name}`);
      if (instance !== undefined) await writeHealthChange(this.deps, instance, change);
    }

    const usage = computeRegionUsage(region.spec, inRegion);
    await this.deps.statusWriter.update(REGIONS, region, {
      ...usage,
      conditions: computeConditions(
        asConditions(region.status?.conditions),
        [{ type: 'Ready', status: 'True', reason: 'Serving', message: `${usage.instances} VM(s) allocated` }],
        { generation: region.metadata.generation ?? 0, now },
      ),
    });
    return changes.recheckAfterMs === undefined ? {} : { requeueAfterMs: changes.recheckAfterMs };
  };

  /**
   * Keeps the in-use finalizer on while `inUse` Instances reference the Region and takes it off when none
   * does. A Region being deleted that is still in use keeps serving its VMs (evictions, usage), and an
   * Event says what the deletion waits for; every Instance change of the Region reconciles it again, so
   * the finalizer goes as soon as the last VM has. Returns `done` when there is nothing more to do (the
   * Region is going away), `retry` when the finalizer write met a newer Region.
   */
  private async guardDeletion(
    region: DeepReadonly<Region>,
    inUse: number,
  ): Promise<'serve' | 'done' | 'retry'> {
    const deleting = isBeingDeleted(region);
    if (inUse === 0) {
      if (hasFinalizer(region, REGION_FINALIZER) && !(await this.patchFinalizer(region, 'remove')))
        return 'retry';
      return deleting ? 'done' : 'serve';
    }
    // The API server refuses new finalizers on an object being deleted; only a Region in use before its
    // deletion began is held back.
    if (!deleting) {
      if (!hasFinalizer(region, REGION_FINALIZER) && !(await this.patchFinalizer(region, 'add')))
        return 'retry';
      return 'serve';
    }
    const now = this.deps.clock.now();
    const last = this.blockedNoted.get(region.metadata.name);
    // Every Instance change of the Region reconciles it, and each count is another note: one Event when the
    // deletion is first seen waiting, then one a minute at most while it still waits.
    if (
      hasFinalizer(region, REGION_FINALIZER) &&
      (last === undefined || now - last >= BLOCKED_EVENT_PERIOD_MS)
    ) {
      this.blockedNoted.set(region.metadata.name, now);
      this.deps.events.record(
        { apiVersion: region.apiVersion, kind: 'Region', metadata: { name: region.metadata.name } },
        {
          type: 'Warning',
          reason: 'DeletionBlocked',
          action: 'Delete',
          note: `${String(inUse)} instance(s) still use region ${region.metadata.name}; deletion waits until they are gone`,
        },
      );
    }
    return 'serve';
  }

  /** Writes the finalizer change; false when the Region changed since the cache read it (409). */
  private async patchFinalizer(region: DeepReadonly<Region>, change: 'add' | 'remove'): Promise<boolean> {
    try {
      if (change === 'add') await addFinalizer(this.deps.client, REGIONS, region, REGION_FINALIZER);
      else await removeFinalizer(this.deps.client, REGIONS, region, REGION_FINALIZER);
    } catch (error) {
      // Someone changed the Region since our cache read it (a spec edit, our own status write not seen
      // yet), and the write's resourceVersion guard refused it: not an error, the newer Region is on its
      // way through the watch. Gone meanwhile: nothing left to guard.
      if (isConflict(error)) return false;
      if (!isNotFound(error)) throw error;
    }
    return true;
  }

  private async evict(instance: DeepReadonly<Instance>, notice: EvictionNotice): Promise<void> {
    const namespace = instance.metadata.namespace ?? '';
    const group = groupOfInstance(instance);
    if (instance.spec.evictionPolicy === 'Delete') {
      const owner =
        group?.kind === 'ComputeFleet' ? this.deps.fleetMaintains(namespace, group.name) : undefined;
      if (group !== undefined && owner === false) {
        this.deps.evictionLedger.record(
          `${namespace}/${group.name}`,
          `${namespace}/${instance.metadata.name}`,
        );
      }
      try {
        await this.deps.client.delete(INSTANCES, { namespace, name: instance.metadata.name });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    } else {
      const { observedGeneration: _ignored, ...status } = instance.status ?? {};
      try {
        await this.deps.statusWriter.update(INSTANCES, instance, {
          ...structuredClone(status),
          phase: 'Deallocated',
          reason: notice.reason,
          message: notice.message,
          evictedAt: formatTime(notice.at),
        });
      } catch (error) {
        // Scaled in and released since the cache showed it: there is nothing left to evict.
        if (isNotFound(error)) return;
        throw error;
      }
    }
    if (group !== undefined) this.deps.metrics.instanceTerminated(group, instance.spec.priority, 'eviction');
    const owner = instance.metadata.ownerReferences?.find((ref) => ref.controller === true);
    if (owner !== undefined) {
      this.deps.events.record(
        {
          apiVersion: owner.apiVersion,
          kind: owner.kind,
          metadata: { name: owner.name, namespace, uid: owner.uid },
        },
        {
          type: 'Warning',
          reason: 'SpotEvicted',
          action: 'Evict',
          note: `${instance.metadata.name} (${instance.spec.vmSize}, zone ${instance.spec.zone || '-'}) evicted: ${notice.message}; ${
            instance.spec.evictionPolicy === 'Delete' ? 'deleted' : 'deallocated'
          }`,
        },
      );
    }
  }
}
