// The cloud layer: the CloudProvider boundary, the default provider (the simulated cloud), the
// unavailable-offerings cache, and the pure computations the engine and the controllers need.
// The simulated cloud's internals (evictions, health, faults, the Region controller) are not exported:
// only the SimulatedCloud itself, for callers that construct one (tests, wrappers around it).
export type {
  AllocationFailure,
  AllocationRequest,
  AllocationResult,
  AllocationSuccess,
  BatchAllocationRequest,
  CloudChanges,
  CloudProvider,
  EvictionNotice,
  EvictionReason,
  HealthChange,
  ListRequest,
  ObservedPhase,
  ObservedVm,
  ObserveRequest,
  PoolsRequest,
  RepairOperation,
  VmRequest,
} from './provider.ts';
export type {
  EvictionRecorder,
  ProviderControllerDeps,
  ProviderControllers,
} from './provider-controllers.ts';
export type { AllocationErrorCode, FailedOffering, QuotaExceeded } from './errors.ts';
export { createDefaultProvider } from './default-provider.ts';
export { SimulatedCloud, type SimulatedCloudOptions } from './simulated/provider.ts';
export {
  UNAVAILABLE_TTL_MS,
  UnavailableOfferingsByRegion,
  UnavailableOfferingsCache,
  blockScope,
  type BlockScope,
} from './unavailable-offerings.ts';
export { compareText } from './order.ts';
export {
  computePools,
  computePoolsFromLedger,
  computePoolsFromTally,
  type Pool,
  type QuotaState,
  type RegionPools,
} from './pools.ts';
export { computeRegionUsage, type RegionUsage } from './region-usage.ts';
export {
  LedgerCounts,
  regionInstances,
  type InstanceLookup,
  type PoolCount,
  type RegionInstances,
  type RegionInstancesSource,
} from './region-instances.ts';
export { poolCapacity, zoneCapacity, type PoolCapacity } from './capacity.ts';
export {
  holdsCapacity,
  holdsQuota,
  instanceKey,
  ledgerEntryOf,
  ledgerOf,
  placementOf,
  type LedgerEntry,
  type Placement,
} from './ledger.ts';
export {
  REGIONAL_QUOTA,
  SPOT_QUOTA,
  familyQuotaName,
  familyOfQuota,
  quotaLimit,
  quotaNamesFor,
  type QuotaName,
} from './quota.ts';
export { billedPrice, effectiveMaxPrice, poolPrice } from './prices.ts';
export { parseDuration, tryParseDuration } from './duration.ts';
export { hash32, mulberry32, unitHash } from './random.ts';
export { KeyedMutex } from './keyed-mutex.ts';
export type { DeepReadonly } from './readonly.ts';
export { toEngineRegion, toEngineUnavailable } from './engine-input.ts';
