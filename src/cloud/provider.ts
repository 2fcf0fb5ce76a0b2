// The CloudProvider boundary: everything the controllers ask of a cloud. The simulated cloud
// (./simulated/provider.ts) is the default; a real Azure provider implements the same interface later.
//
// Controllers stay thin: they pass plain data read from their caches (the Region, the Instances) and get
// decisions back. A provider never talks to Kubernetes; the controllers write whatever it decides.
import type { Instance, Region } from '../api/index.ts';
import type { FailedOffering } from './errors.ts';
import type { HealthChange, HealthRequest } from './simulated/health.ts';
import type { RegionPools } from './pools.ts';
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

export interface EvictionRequest {
  region: DeepReadonly<Region>;
  /** Every Instance of the region. */
  instances: readonly DeepReadonly<Instance>[];
  now: Date;
  /** End of the previous evaluation; random evictions are drawn for (lastEvaluatedAt, now]. */
  lastEvaluatedAt?: Date | undefined;
}

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
  /** How long an accepted VM spends in Provisioning before it runs, in milliseconds. */
  provisioningDelayMs(region: DeepReadonly<Region>): number;
  /** Spot VMs the cloud takes back now; Regular VMs never appear. */
  evictions(request: EvictionRequest): Promise<EvictionNotice[]>;
  /** The region's pools with price, free capacity and quota headroom: the engine's view of the cloud. */
  pools(request: PoolsRequest): Promise<RegionPools>;
  /** Health changes of the region's VMs now (probe results, finished restarts); none when absent. */
  healthChanges?(request: HealthRequest): Promise<HealthChange[]>;
}
