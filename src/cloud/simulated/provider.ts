// The simulated cloud: the default CloudProvider (DESIGN §5). Deterministic given its inputs: the Region
// (catalogue, capacity, quotas, faults, seed), the Instances (the ledger) and the `now` of each request.
//
// Its only state is the reservation overlay per region (./reservations.ts), which makes allocation safe
// against a lagging Instance cache. Allocation is serialised per region by an async mutex, so a check and
// its reservation are never interleaved with another allocation in the same region.
//
// Everything the Region's spec.simulation drives lives under this directory: allocation faults, Spot
// evictions, health, the provisioning delay, and the Region controller that applies them (`controllers`).
import type { Instance, Region } from '../../api/index.ts';
import { formatTime } from '../../runtime/index.ts';
import { parseDuration } from '../duration.ts';
import { KeyedMutex } from '../keyed-mutex.ts';
import { instanceKey, ledgerEntryOf, placementOf } from '../ledger.ts';
import { UsageTally } from '../tally.ts';
import { computePoolsFromTally, type RegionPools } from '../pools.ts';
import { isRequested, regionInstances } from '../region-instances.ts';
import { compareText } from '../order.ts';
import { billedPrice } from '../prices.ts';
import type {
  AllocationRequest,
  AllocationResult,
  BatchAllocationRequest,
  CloudChanges,
  CloudProvider,
  ListRequest,
  ObservedVm,
  ObserveRequest,
  PoolsRequest,
  RepairOperation,
  VmRequest,
} from '../provider.ts';
import type { ProviderControllerDeps, ProviderControllers } from '../provider-controllers.ts';
import type { DeepReadonly } from '../readonly.ts';
import { checkAllocation, simulatedProviderID } from './allocation.ts';
import { findChanges } from './changes.ts';
import { simulatedControllers } from './controllers.ts';
import { observeInstance, observeUnlisted } from './observed.ts';
import { DEFAULT_RESERVATION_HORIZON_MS, ReservationOverlay } from './reservations.ts';

export interface SimulatedCloudOptions {
  /** How long an accepted allocation is counted while lists do not show it (default 10 min). */
  reservationHorizonMs?: number;
}

export class SimulatedCloud implements CloudProvider {
  private readonly locks = new KeyedMutex();
  private readonly overlays = new Map<string, ReservationOverlay>();
  private readonly horizonMs: number;

  constructor(options: SimulatedCloudOptions = {}) {
    this.horizonMs = options.reservationHorizonMs ?? DEFAULT_RESERVATION_HORIZON_MS;
  }

  /** Takes the region's lock itself: do not call it from inside `withRegionLock` for the same region. */
  async allocate(request: AllocationRequest): Promise<AllocationResult> {
    const { instance, ...rest } = request;
    const [result] = await this.allocateMany({ ...rest, instances: [instance] });
    if (result === undefined) throw new Error('allocateMany answered nothing');
    return result;
  }

  /**
   * Runs `work` under the region's allocation lock, for callers that must make several decisions about a
   * region atomically with respect to allocations. Not reentrant.
   */
  withRegionLock<T>(regionName: string, work: () => T | Promise<T>): Promise<T> {
    return this.locks.run(regionName, work);
  }

  release(instance: DeepReadonly<Instance>): Promise<void> {
    this.overlays.get(instance.spec.region)?.release(instance);
    return Promise.resolve();
  }

  provisioningDelayMs(region: DeepReadonly<Region>): number {
    return parseDuration(region.spec.simulation.provisioningDelay);
  }

  get(request: VmRequest): Promise<ObservedVm> {
    const { instance, region, now } = request;
    const accepted = this.overlays.get(region.metadata.name)?.unsettledFor(instance);
    return Promise.resolve(observeInstance(instance, accepted, this.provisioningDelayMs(region), now));
  }

  list(request: ListRequest): Promise<ObservedVm[]> {
    const { region, now } = request;
    const delayMs = this.provisioningDelayMs(region);
    const listed = regionInstances(request.instances);
    const overlay = this.overlays.get(region.metadata.name);
    overlay?.prune(listed, now);
    const vms = listed
      .list()
      .map((instance) => observeInstance(instance, overlay?.unsettledFor(instance), delayMs, now));
    for (const { key, ...accepted } of overlay?.unlisted(listed) ?? []) {
      vms.push(observeUnlisted(key, accepted, delayMs, now));
    }
    return Promise.resolve(
      vms.sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.name, b.name)),
    );
  }

  /** The simulated restart is a record: the health pass makes the VM Healthy after provisioningDelay. */
  restart(_instance: DeepReadonly<Instance>, now: Date): Promise<RepairOperation> {
    return Promise.resolve({ action: 'Restart', requestedAt: formatTime(now) });
  }

  /** As `restart`; the simulation finishes both alike (the health pass reports Reimaged, not Restarted). */
  reimage(_instance: DeepReadonly<Instance>, now: Date): Promise<RepairOperation> {
    return Promise.resolve({ action: 'Reimage', requestedAt: formatTime(now) });
  }

  observe(request: ObserveRequest): Promise<CloudChanges> {
    return Promise.resolve(findChanges(request, this.provisioningDelayMs(request.region)));
  }

  /** The Region controller: the Region CRD is this cloud's catalogue, and it applies `observe`. */
  controllers(deps: ProviderControllerDeps): ProviderControllers {
    return simulatedControllers(this, deps);
  }

  /**
   * Pools as the engine sees them, counting the allocations accepted but not yet in the list, and the VMs
   * requested but not allocated yet (Pending): they are about to take their pool's capacity and quota, so
   * a plan must not count that room again (it would create VMs bound to fail).
   */
  pools(request: PoolsRequest): Promise<RegionPools> {
    const { spec } = request.region;
    const listed = regionInstances(request.instances);
    const overlay = this.overlays.get(request.region.metadata.name);
    overlay?.prune(listed, request.now);
    const unsettled = overlay?.unsettled(listed) ?? [];
    const tally = new UsageTally(spec, unsettled).addPools(listed.counts(), true);
    // A requested VM whose allocation was accepted is counted by its reservation already.
    for (const entry of unsettled) {
      const instance = listed.get(entry.key);
      if (instance !== undefined && isRequested(instance)) tally.add(entry, -1);
    }
    return Promise.resolve(computePoolsFromTally(spec, tally));
  }

  /** Reservations held for a region (for tests and diagnostics). */
  reservationCount(regionName: string): number {
    return this.overlays.get(regionName)?.size ?? 0;
  }

  /**
   * Allocates several VMs of one region under one lock, counting the region's ledger once for all of them
   * (each accepted VM is added before the next is checked). Scaling out to thousands of VMs one allocation
   * at a time would recount every VM of the region for every new one.
   */
  allocateMany(request: BatchAllocationRequest): Promise<AllocationResult[]> {
    return this.withRegionLock(request.region.metadata.name, () => this.allocateLocked(request));
  }

  private allocateLocked(request: BatchAllocationRequest): AllocationResult[] {
    const { region, now } = request;
    const overlay = this.overlayFor(region.metadata.name);
    const listed = regionInstances(request.allInstancesInRegion);
    overlay.prune(listed, now);
    // The batch's own VMs are left out of the count, then added back one by one with what each holds
    // after its own decision.
    const batch = new Set(request.instances.map(instanceKey));
    const tally = new UsageTally(
      region.spec,
      overlay.unsettled(listed).filter((entry) => !batch.has(entry.key)),
    ).addPools(listed.counts());
    for (const key of batch) {
      const instance = listed.get(key);
      const listedEntry = instance === undefined ? undefined : ledgerEntryOf(instance);
      if (listedEntry !== undefined) tally.add(listedEntry, -1);
    }
    return request.instances.map((instance) => {
      const result = this.decide(instance, region, overlay, tally, now);
      const holds = result.ok
        ? { ...placementOf(instance), key: instanceKey(instance), holdsCapacity: true, holdsQuota: true }
        : ledgerEntryOf(instance);
      if (holds) tally.add(holds);
      return result;
    });
  }

  private decide(
    instance: DeepReadonly<Instance>,
    region: DeepReadonly<Region>,
    overlay: ReservationOverlay,
    tally: UsageTally,
    now: Date,
  ): AllocationResult {
    const phase = instance.status?.phase;
    if (phase === 'Provisioning' || phase === 'Running') return this.alreadyAllocated(instance, region);
    if (phase === 'Deallocated') overlay.release(instance);
    const earlier = overlay.find(instance);
    if (earlier) return earlier;
    const result = checkAllocation({
      instance,
      spec: region.spec,
      location: region.metadata.name,
      ledger: tally,
      now,
    });
    if (result.ok) overlay.reserve(instance, placementOf(instance), result, now);
    return result;
  }

  /** The caller's own Instance says the VM exists: answer as before, without taking capacity again. */
  private alreadyAllocated(instance: DeepReadonly<Instance>, region: DeepReadonly<Region>): AllocationResult {
    const size = region.spec.vmSizes.find((s) => s.name === instance.spec.vmSize);
    const pricePerHour =
      instance.status?.pricePerHour ??
      (size ? billedPrice(size, instance.spec.zone, instance.spec.priority) : 0);
    return {
      ok: true,
      pricePerHour,
      providerID: instance.status?.providerID ?? simulatedProviderID(instance),
    };
  }

  private overlayFor(regionName: string): ReservationOverlay {
    let overlay = this.overlays.get(regionName);
    if (!overlay) {
      overlay = new ReservationOverlay(this.horizonMs);
      this.overlays.set(regionName, overlay);
    }
    return overlay;
  }
}
