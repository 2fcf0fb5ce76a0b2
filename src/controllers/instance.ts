// The Instance controller drives one VM through the provider: Pending → (allocation: capacity, quota and
// faults checked) → Provisioning → Running once the provider reports it running (`get`), or Failed with
// the Azure code (the pool then goes into the unavailable-offerings cache and the owner replaces the VM
// elsewhere).
// A Deallocated Spot VM of a ScaleSet with `spot.restore` is retried until the restore timeout. Deletion
// releases the VM in the provider before the finalizer lets the object go.
import type { AzureErrorCode, Instance, InstanceStatus, Region, ScaleSet } from '../api/index.ts';
import { INSTANCE_FINALIZER } from '../api/index.ts';
import {
  parseDuration,
  type CloudProvider,
  type RegionInstances,
  type UnavailableOfferingsByRegion,
} from '../cloud/index.ts';
import { groupOfInstance, type LifecycleMetrics } from '../metrics/index.ts';
import {
  formatTime,
  hasFinalizer,
  isBeingDeleted,
  isConflict,
  isNotFound,
  removeFinalizer,
  type Clock,
  type DeepReadonly,
  type EventRecorder,
  type ReadonlyStore,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
  type ResourceClient,
  type StatusWriter,
} from '../runtime/index.ts';
import { AllocationBatcher } from './allocation-batcher.ts';
import { phaseOf } from './instances.ts';
import { INSTANCES } from './resources.ts';

export interface InstanceControllerDeps {
  client: Pick<ResourceClient, 'patch'>;
  provider: CloudProvider;
  unavailable: UnavailableOfferingsByRegion;
  instances: ReadonlyStore<Instance>;
  regions: ReadonlyStore<Region>;
  scaleSets: ReadonlyStore<ScaleSet>;
  /** A region's Instances with the ledger's counts (see cloud/region-instances.ts). */
  regionInstances: (region: string) => RegionInstances;
  statusWriter: StatusWriter;
  events: EventRecorder;
  metrics: LifecycleMetrics;
  clock: Clock;
}

/** How often a Deallocated VM with restore enabled retries while capacity is short. */
const RESTORE_RETRY_MS = 15_000;
/** After the finalizer write met a newer Instance, look again this soon. */
const FINALIZER_RETRY_MS = 200;
/** How often a VM whose Region is missing looks again. */
const REGION_MISSING_RETRY_MS = 10_000;
/** How often a Provisioning VM is looked at when the provider cannot say when it will run. */
const PROVISIONING_POLL_MS = 10_000;

export class InstanceReconciler {
  private readonly deps: InstanceControllerDeps;

  private readonly batcher: AllocationBatcher;

  constructor(deps: InstanceControllerDeps) {
    this.deps = deps;
    this.batcher = new AllocationBatcher(deps.provider, deps.clock, deps.regionInstances);
  }

  readonly reconcile = async (
    request: ReconcileRequest,
    context: ReconcileContext,
  ): Promise<ReconcileResult> => {
    const instance = this.deps.instances.get(request.key);
    if (instance === undefined) return {};
    if (isBeingDeleted(instance)) {
      if (hasFinalizer(instance, INSTANCE_FINALIZER)) {
        await this.deps.provider.release(instance);
        if (!(await this.removeFinalizer(instance))) return { requeueAfterMs: FINALIZER_RETRY_MS };
        context.logger.debug('VM released');
      }
      return {};
    }
    const region = this.deps.regions.get(instance.spec.region);
    if (region === undefined) return { requeueAfterMs: REGION_MISSING_RETRY_MS };
    const now = new Date(this.deps.clock.now());
    switch (phaseOf(instance)) {
      case 'Pending':
        return this.allocate(instance, region, now);
      case 'Provisioning':
        return this.finishProvisioning(instance, region, now);
      case 'Deallocated':
        return this.restore(instance, region, now);
      case 'Running':
      case 'Failed':
        return {};
    }
  };

  /** False when the Instance changed since the cache read it (409): the release is done, the write waits. */
  private async removeFinalizer(instance: DeepReadonly<Instance>): Promise<boolean> {
    try {
      await removeFinalizer(this.deps.client, INSTANCES, instance, INSTANCE_FINALIZER);
    } catch (error) {
      // A label edit or a status write since our cache read it: the resourceVersion guard refused the write.
      // Not an error; the newer Instance is on its way through the watch.
      if (isConflict(error)) return false;
      if (!isNotFound(error)) throw error;
    }
    return true;
  }

  private async allocate(
    instance: DeepReadonly<Instance>,
    region: DeepReadonly<Region>,
    now: Date,
  ): Promise<ReconcileResult> {
    const result = await this.batcher.allocate(instance, region);
    if (result.ok) {
      // With no boot delay the VM runs at once: one status write instead of two.
      const delayMs = this.deps.provider.provisioningDelayMs(region);
      await this.writeStatus(instance, {
        phase: delayMs > 0 ? 'Provisioning' : 'Running',
        pricePerHour: result.pricePerHour,
        providerID: result.providerID,
        launchedAt: formatTime(now),
      });
      return delayMs > 0 ? { requeueAfterMs: delayMs } : {};
    }
    await this.writeStatus(instance, { phase: 'Failed', reason: result.code, message: result.message });
    const blocked = this.deps.unavailable.forRegion(region.metadata.name).record(result, region.spec, now);
    const group = groupOfInstance(instance);
    if (group !== undefined && result.code !== 'SpotPriceGreaterThanProvidedMaxPrice') {
      this.deps.metrics.allocationFailure(
        group,
        instance.spec.priority,
        result.code satisfies AzureErrorCode,
      );
    }
    const until = blocked[0]?.until;
    this.deps.events.record(this.ownerSubject(instance), {
      type: 'Warning',
      reason: result.code,
      action: 'Allocate',
      note: `${instance.metadata.name}: ${instance.spec.vmSize} zone ${instance.spec.zone || '-'} ${instance.spec.priority}: ${result.message}${until === undefined ? '' : ` (pool skipped until ${until})`}`,
    });
    return {};
  }

  /** The provider says when the VM runs; until then it is looked at again when the provider expects it. */
  private async finishProvisioning(
    instance: DeepReadonly<Instance>,
    region: DeepReadonly<Region>,
    now: Date,
  ): Promise<ReconcileResult> {
    const vm = await this.deps.provider.get({ instance, region, now });
    if (vm.phase !== 'Running') {
      // Provisioning until readyAt. A cloud that cannot say, is late, or reports something else (a real one
      // might) is polled.
      const waitMs = (vm.readyAt?.getTime() ?? now.getTime()) - now.getTime();
      return { requeueAfterMs: waitMs > 0 ? waitMs : PROVISIONING_POLL_MS };
    }
    await this.writeStatus(instance, { ...instance.status, phase: 'Running' });
    return {};
  }

  /** Spot Try & Restore: a ScaleSet with `spot.restore.enabled` retries its deallocated VMs until the timeout. */
  private async restore(
    instance: DeepReadonly<Instance>,
    region: DeepReadonly<Region>,
    now: Date,
  ): Promise<ReconcileResult> {
    const owner = instance.metadata.ownerReferences?.find((ref) => ref.controller === true);
    if (owner?.kind !== 'ScaleSet') return {};
    const scaleSet = this.deps.scaleSets.get(`${instance.metadata.namespace ?? ''}/${owner.name}`);
    const restore = scaleSet?.spec.spot?.restore;
    if (restore?.enabled !== true) return {};
    const evictedAt = Date.parse(instance.status?.evictedAt ?? '') || now.getTime();
    if (now.getTime() > evictedAt + parseDuration(restore.timeout)) return {};
    const result = await this.batcher.allocate(instance, region);
    if (!result.ok) return { requeueAfterMs: RESTORE_RETRY_MS };
    await this.writeStatus(instance, {
      phase: 'Provisioning',
      pricePerHour: result.pricePerHour,
      providerID: result.providerID,
      launchedAt: formatTime(now),
      reason: 'Restored',
      message: 'Spot VM restored after eviction',
    });
    this.deps.events.record(this.ownerSubject(instance), {
      type: 'Normal',
      reason: 'Restored',
      action: 'Allocate',
      note: `${instance.metadata.name}: Spot VM restored in zone ${instance.spec.zone || '-'}`,
    });
    return { requeueAfterMs: this.deps.provider.provisioningDelayMs(region) };
  }

  private async writeStatus(
    instance: DeepReadonly<Instance>,
    status: DeepReadonly<InstanceStatus>,
  ): Promise<void> {
    // Server-side apply of the whole status under one field manager: fields left out would be removed.
    const { observedGeneration: _ignored, ...rest } = status;
    await this.deps.statusWriter.update(INSTANCES, instance, structuredClone(rest));
  }

  private ownerSubject(instance: DeepReadonly<Instance>) {
    const owner = instance.metadata.ownerReferences?.find((ref) => ref.controller === true);
    const namespace = instance.metadata.namespace ?? '';
    return owner === undefined
      ? {
          apiVersion: instance.apiVersion,
          kind: 'Instance',
          metadata: {
            name: instance.metadata.name,
            namespace,
            ...(instance.metadata.uid ? { uid: instance.metadata.uid } : {}),
          },
        }
      : {
          apiVersion: owner.apiVersion,
          kind: owner.kind,
          metadata: { name: owner.name, namespace, uid: owner.uid },
        };
  }
}
