// The CloudProvider boundary: everything the controllers ask of a cloud. The simulated cloud
// (./simulated/provider.ts) is the default; a real Azure provider implements the same interface, and the
// controllers do not change: nothing under src/controllers knows which cloud it drives.
//
// Controllers stay thin: they pass plain data read from their caches (the Region, the Instances) and get
// decisions or observations back. A provider's calls never talk to Kubernetes; the controllers write
// whatever it answers. What only one cloud needs in the cluster (the simulated cloud keeps the Region
// CRD's books and plays its weather) it brings as controllers of its own, through `controllers`.
import type { Instance, InstanceHealth, InstanceStatus, Region } from '../api/index.ts';
import type { FailedOffering } from './errors.ts';
import type { RegionPools } from './pools.ts';
import type { ProviderControllerDeps, ProviderControllers } from './provider-controllers.ts';
import type { DeepReadonly } from './readonly.ts';
import type { RegionInstancesSource } from './region-instances.ts';

export interface AllocationRequest {
  /** The VM to allocate: its spec says size, zone ("" = regional), priority and max price. */
  instance: DeepReadonly<Instance>;
  region: DeepReadonly<Region>;
  /**
   * Every Instance of the region, all namespaces and owners, as the caller's cache holds them. It may lag
   * behind the provider's own answers: the provider counts allocations it accepted whose status the list
   * does not show yet (see SimulatedCloud). It must not be older than that overlay's horizon. A live view
   * with counts kept per pool (see region-instances.ts) spares the provider a recount per request.
   */
  allInstancesInRegion: RegionInstancesSource;
  now: Date;
}

/** Several VMs of one region at once (same fields as AllocationRequest, `instances` instead of `instance`). */
export interface BatchAllocationRequest extends Omit<AllocationRequest, 'instance'> {
  instances: readonly DeepReadonly<Instance>[];
}

export interface AllocationSuccess {
  ok: true;
  /** USD per hour the VM is billed while it runs. */
  pricePerHour: number;
  providerID: string;
}

export interface AllocationFailure extends FailedOffering {
  ok: false;
  /** Azure's wording, for Instance status.message and Events. */
  message: string;
}

export type AllocationResult = AllocationSuccess | AllocationFailure;

export type EvictionReason = 'CapacityReduced' | 'PriceAboveMax' | 'RandomEviction';

export interface EvictionNotice {
  namespace: string;
  name: string;
  reason: EvictionReason;
  message: string;
  /** When the eviction happened (for status.evictedAt); within (lastEvaluatedAt, now]. */
  at: Date;
}

export interface HealthChange {
  namespace: string;
  name: string;
  health: InstanceHealth;
  /** Why (a fault's reason, Restarted, Reimaged…), for status.healthReason and Events. */
  reason: string;
  at: Date;
  /** A Restart/Reimage repair finished: clear status.repair and set repairedAt. */
  repairCompleted: boolean;
}

export interface ObserveRequest {
  region: DeepReadonly<Region>;
  /** Every Instance of the region, as the caller's cache shows it. */
  instances: readonly DeepReadonly<Instance>[];
  now: Date;
  /** End of the previous observation of the region: what happened since then is reported. */
  lastEvaluatedAt?: Date | undefined;
}

/** What changed in the cloud for a region's VMs since the previous observation. */
export interface CloudChanges {
  /** Spot VMs the cloud took back; Regular VMs never appear. */
  evictions: EvictionNotice[];
  /** Health changes (probe results, finished restarts and reimages); never for a VM evicted here too. */
  health: HealthChange[];
  /**
   * When to observe again though nothing changes in the cluster (a seeded draw, a restart finishing), in
   * milliseconds; absent when only a change of the Region or its Instances can change the answer.
   */
  recheckAfterMs?: number | undefined;
}

/** Where a VM is, as the cloud sees it. Absent: the cloud holds no VM for the Instance. */
export type ObservedPhase = 'Provisioning' | 'Running' | 'Deallocated' | 'Absent';

/** One VM as the cloud reports it. */
export interface ObservedVm {
  namespace: string;
  name: string;
  phase: ObservedPhase;
  /** Application health (Running VMs the health probe reported on). */
  health?: InstanceHealth | undefined;
  providerID?: string | undefined;
  /** USD per hour the VM is billed while it runs. */
  pricePerHour?: number | undefined;
  /** For a Provisioning VM, when the cloud expects it to run: the caller looks again then. */
  readyAt?: Date | undefined;
}

export interface VmRequest {
  instance: DeepReadonly<Instance>;
  region: DeepReadonly<Region>;
  now: Date;
}

export interface ListRequest {
  region: DeepReadonly<Region>;
  /** Every Instance of the region, as the caller's cache shows it. */
  instances: RegionInstancesSource;
  now: Date;
}

/** A repair operation started on a VM: what the caller records in Instance status.repair until it ends. */
export type RepairOperation = NonNullable<InstanceStatus['repair']>;

export interface PoolsRequest {
  region: DeepReadonly<Region>;
  /** Every Instance of the region (a plain list, or the caller's live view). */
  instances: RegionInstancesSource;
  now: Date;
}

export interface CloudProvider {
  /**
   * Creates the VM, or says why not. Idempotent per Instance: asking again for an Instance already
   * accepted (same uid) answers the same without taking more capacity. A Deallocated Instance is
   * allocated afresh (Spot restore).
   */
  allocate(request: AllocationRequest): Promise<AllocationResult>;
  /** `allocate` for several VMs of one region, answered in order, as if allocated one after another. */
  allocateMany(request: BatchAllocationRequest): Promise<AllocationResult[]>;
  /** Deletes the VM (the Instance finalizer's job). Safe to call for a VM never created or already gone. */
  release(instance: DeepReadonly<Instance>): Promise<void>;
  /**
   * How long after an accepted allocation the Instance controller first looks (with `get`) whether the VM
   * runs, in milliseconds; 0: it runs at once (one status write instead of two). The simulated cloud
   * answers its Region's provisioningDelay; Azure would answer a typical boot time and `get` tells the rest.
   */
  provisioningDelayMs(region: DeepReadonly<Region>): number;
  /**
   * The observed state of one VM. Azure: GET the VM with its instance view (provisioning and power state,
   * the Application Health extension's status); Absent on 404. The simulated cloud derives it from the
   * Instance it is given and the allocations it accepted that the Instance does not show yet.
   */
  get(request: VmRequest): Promise<ObservedVm>;
  /**
   * The observed state of the region's VMs, by namespace/name: those of the Instances given and those the
   * cloud holds that the list does not show (an allocation accepted while the caller's cache lags). Azure:
   * list the VMs of the operator's resource group in the location, mapped back to Instances by tag.
   */
  list(request: ListRequest): Promise<ObservedVm[]>;
  /**
   * Starts restarting the VM and returns the operation for the caller to record (status.repair); `observe`
   * reports its end as a health change with repairCompleted. Azure: POST .../restart, keeping the
   * operation's start time.
   */
  restart(instance: DeepReadonly<Instance>, now: Date): Promise<RepairOperation>;
  /** As `restart`, reimaging the OS disk from the VM's image. Azure: POST .../reimage. */
  reimage(instance: DeepReadonly<Instance>, now: Date): Promise<RepairOperation>;
  /**
   * What changed in the cloud for the region's VMs since `lastEvaluatedAt`: evictions and health, asked
   * once per pass so the answers agree. Azure: Spot eviction notices (Scheduled Events or the activity
   * log) and the Application Health extension's reports since the previous pass, and finished operations.
   */
  observe(request: ObserveRequest): Promise<CloudChanges>;
  /** The region's pools with price, free capacity and quota headroom: the engine's view of the cloud. */
  pools(request: PoolsRequest): Promise<RegionPools>;
  /**
   * Controllers the provider needs in the cluster besides the operator's (the simulated cloud: the Region
   * controller, which keeps the Region CRD's books and applies `observe`); the operator registers them
   * with its manager. Absent: none.
   */
  controllers?(deps: ProviderControllerDeps): ProviderControllers;
}
