// The simulated cloud's answer to one allocation, given the ledger. Pure; the provider serialises calls
// and keeps the reservation overlay.
//
// Checks, in order (the first failure answers):
//   1. the size exists in the Region                          → SkuNotAvailable
//   2. the zone exists in the Region                          → SkuNotAvailable
//   3. Spot on a size that cannot run Spot (B-series)         → SkuNotAvailable
//   4. an injected fault matches (spec.simulation.faults)     → the fault's code
//   5. Spot price ≤ the VM's max price                        → SpotPriceGreaterThanProvidedMaxPrice
//   6. quotas: Spot → spotVCPUs; Regular → regionalVCPUs, then its family   → OperationNotAllowed
//   7. the zone takes new VMs (no outage)                     → ZonalAllocationFailed
//   8. free capacity in the pool                              → ZonalAllocationFailed (AllocationFailed for
//                                                               a regional VM)
// Static validity comes first (a fault cannot make a non-existent size exist); faults come before the
// live checks so that a test can force any code; quota precedes capacity as in Azure, where quota is
// checked when the request is accepted and capacity only when the VM is placed.
import type { Instance, RegionSpec, RegionVmSize } from '../../api/index.ts';
import { poolCapacity } from '../capacity.ts';
import {
  allocationFailedMessage,
  overconstrainedMessage,
  quotaExceededMessage,
  skuNotAvailableMessage,
  spotNotSupportedMessage,
  spotPriceMessage,
  zonalAllocationFailedMessage,
  type AllocationErrorCode,
  type QuotaExceeded,
} from '../errors.ts';
import { placementOf, type LedgerEntry, type Placement } from '../ledger.ts';
import { billedPrice, effectiveMaxPrice, poolPrice } from '../prices.ts';
import type { AllocationFailure, AllocationResult } from '../provider.ts';
import { familyQuotaName, quotaLimit, quotaNamesFor, SPOT_QUOTA } from '../quota.ts';
import type { DeepReadonly } from '../readonly.ts';
import { UsageTally } from '../tally.ts';
import { activeFault } from './faults.ts';

export interface AllocationCheck {
  instance: DeepReadonly<Instance>;
  spec: DeepReadonly<RegionSpec>;
  /** The Region's name, as Azure's messages say "Location: eastus". */
  location: string;
  /**
   * What the region holds, without the instance being allocated: its entries, or their tally when the
   * caller checks several allocations against one count (see SimulatedCloud.allocateMany).
   */
  ledger: Iterable<LedgerEntry> | UsageTally;
  now: Date;
}

/** A fake but well-formed Azure resource ID: the namespace plays the resource group. */
export function simulatedProviderID(instance: DeepReadonly<Instance>): string {
  const group = `vmfleet-${instance.metadata.namespace ?? 'default'}`;
  return (
    'azure:///subscriptions/00000000-0000-0000-0000-000000000000' +
    `/resourceGroups/${group}/providers/Microsoft.Compute/virtualMachines/${instance.metadata.name}`
  );
}

export function checkAllocation(check: AllocationCheck): AllocationResult {
  const { instance, spec, location, now } = check;
  const placement = placementOf(instance);
  const fail = (code: AllocationErrorCode, message: string, quota?: QuotaExceeded): AllocationFailure => ({
    ok: false,
    ...placement,
    code,
    message,
    ...(quota ? { quota } : {}),
  });

  const size = spec.vmSizes.find((s) => s.name === placement.vmSize);
  if (!size)
    return fail('SkuNotAvailable', skuNotAvailableMessage(placement.vmSize, location, placement.zone));
  const zone = placement.zone === '' ? undefined : spec.zones.find((z) => z.name === placement.zone);
  if (placement.zone !== '' && !zone) {
    return fail('SkuNotAvailable', skuNotAvailableMessage(placement.vmSize, location, placement.zone));
  }
  if (placement.priority === 'Spot' && (!size.spotCapable || size.burstable)) {
    return fail('SkuNotAvailable', spotNotSupportedMessage(size.name, location));
  }

  const tally = check.ledger instanceof UsageTally ? check.ledger : new UsageTally(spec, check.ledger);
  const fault = activeFault(spec, placement, now);
  if (fault) {
    const detail =
      fault.fault.code === 'OperationNotAllowed' ? injectedQuota(spec, size, placement, tally) : undefined;
    const message = messageFor(fault.fault.code, placement, location, detail);
    return fail(fault.fault.code, `${message} (simulated: spec.simulation.faults[${fault.index}])`, detail);
  }

  if (placement.priority === 'Spot') {
    const spotPrice = poolPrice(size, placement.zone, 'Spot') ?? size.pricePerHour;
    const maxPrice = effectiveMaxPrice(instance.spec.maxPricePerHour);
    if (spotPrice > maxPrice) {
      return fail('SpotPriceGreaterThanProvidedMaxPrice', spotPriceMessage(spotPrice, maxPrice));
    }
  }

  for (const name of quotaNamesFor(size, placement.priority)) {
    const limit = quotaLimit(spec, name);
    const used = tally.quotaUsed(name);
    if (limit !== undefined && used + size.vCPUs > limit) {
      const quota = { name, limit, used, required: size.vCPUs };
      return fail('OperationNotAllowed', quotaExceededMessage(quota, location), quota);
    }
  }

  if (zone && !zone.available) return fail('ZonalAllocationFailed', zonalAllocationFailedMessage());
  if (poolCapacity(spec, size, placement.zone, placement.priority, tally).free < 1) {
    return placement.zone === ''
      ? fail('AllocationFailed', allocationFailedMessage())
      : fail('ZonalAllocationFailed', zonalAllocationFailedMessage());
  }

  return {
    ok: true,
    pricePerHour: billedPrice(size, placement.zone, placement.priority),
    providerID: simulatedProviderID(instance),
  };
}

/** An injected quota fault reports the quota a VM of this priority would hit first. */
function injectedQuota(
  spec: DeepReadonly<RegionSpec>,
  size: DeepReadonly<RegionVmSize>,
  placement: Placement,
  tally: UsageTally,
): QuotaExceeded {
  const name = placement.priority === 'Spot' ? SPOT_QUOTA : familyQuotaName(size.family);
  const used = tally.quotaUsed(name);
  return { name, limit: quotaLimit(spec, name) ?? used, used, required: size.vCPUs };
}

function messageFor(
  code: AllocationErrorCode,
  placement: Placement,
  location: string,
  quota: QuotaExceeded | undefined,
): string {
  switch (code) {
    case 'AllocationFailed':
      return allocationFailedMessage();
    case 'ZonalAllocationFailed':
      return zonalAllocationFailedMessage();
    case 'OverconstrainedAllocationRequest':
      return overconstrainedMessage(placement.vmSize, placement.zone, placement.priority);
    case 'SkuNotAvailable':
      return skuNotAvailableMessage(placement.vmSize, location, placement.zone);
    case 'OperationNotAllowed':
      return quota
        ? quotaExceededMessage(quota, location)
        : 'Operation could not be completed: quota exceeded.';
    case 'SpotPriceGreaterThanProvidedMaxPrice':
      return 'Unable to perform operation because the current Spot price is greater than the provided max price.';
  }
}
