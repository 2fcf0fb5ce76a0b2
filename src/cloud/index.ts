// The cloud layer: the CloudProvider boundary, the simulated cloud (the default provider), the
// unavailable-offerings cache, and the pure computations the engine and the Region controller need.
export type {
  AllocationFailure,
  AllocationRequest,
  AllocationResult,
  AllocationSuccess,
  BatchAllocationRequest,
  CloudProvider,
  EvictionNotice,
  EvictionReason,
  EvictionRequest,
  PoolsRequest,
} from './provider.ts';
export type { AllocationErrorCode, FailedOffering, QuotaExceeded } from './errors.ts';
export { SimulatedCloud, type SimulatedCloudOptions } from './simulated/provider.ts';
export { checkAllocation, simulatedProviderID } from './simulated/allocation.ts';
export { findEvictions, newestFirst, randomEvictionTime } from './simulated/evictions.ts';
export { activeFault } from './simulated/faults.ts';
export { findHealthChanges, repairDueAt, type HealthChange, type HealthRequest } from './simulated/health.ts';
export { DEFAULT_RESERVATION_HORIZON_MS } from './simulated/reservations.ts';
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
