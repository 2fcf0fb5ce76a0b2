// Allocation errors the way Azure words them (reference/azure-domain.md §4). The simulated cloud answers
// with these so Events, status and logs read like a real Azure deployment's.
import type { AzureErrorCode, Priority } from '../api/index.ts';
import { azureQuotaName, type QuotaName } from './quota.ts';

/**
 * Azure error codes an allocation can fail with: the API's codes, plus the Spot price check. Azure answers
 * `SpotPriceGreaterThanProvidedMaxPrice` when the Spot price is above the VM's max price; it says nothing
 * about capacity, so it is never put in the unavailable-offerings cache (another group with a higher max
 * price may use the pool), and the engine already skips such pools (spot price ≤ max price).
 */
export type AllocationErrorCode = AzureErrorCode | 'SpotPriceGreaterThanProvidedMaxPrice';

/** The numbers of an OperationNotAllowed quota error, parsed into status by the controllers. */
export interface QuotaExceeded {
  name: QuotaName;
  limit: number;
  used: number;
  required: number;
}

/** What failed, where: enough for the unavailable-offerings cache to decide what to block. */
export interface FailedOffering {
  vmSize: string;
  zone: string;
  priority: Priority;
  code: AllocationErrorCode;
  quota?: QuotaExceeded | undefined;
}

const ALLOCATION_GUIDANCE =
  'Read more about improving likelihood of allocation success at http://aka.ms/allocation-guidance';

export function zonalAllocationFailedMessage(): string {
  return `Allocation failed. We do not have sufficient capacity for the requested VM size in this zone. ${ALLOCATION_GUIDANCE}`;
}

export function allocationFailedMessage(): string {
  return `Allocation failed. We do not have sufficient capacity for the requested VM size in this region. ${ALLOCATION_GUIDANCE}`;
}

export function overconstrainedMessage(vmSize: string, zone: string, priority: Priority): string {
  const constraints = [
    `VM Size: ${vmSize}`,
    ...(zone === '' ? [] : [`Availability Zone: ${zone}`]),
    ...(priority === 'Spot' ? ['Low Priority VMs'] : []),
  ];
  return (
    'Allocation failed. VM(s) with the following constraints cannot be allocated, because the condition is too ' +
    `restrictive. Please remove some constraints and try again. Constraints applied are: ${constraints.join(', ')}.`
  );
}

export function skuNotAvailableMessage(vmSize: string, location: string, zone: string): string {
  const where = zone === '' ? `location '${location}'` : `location '${location}' zones '${zone}'`;
  return (
    `The requested VM size '${vmSize}' is currently not available in ${where}. Please try another size or ` +
    'deploy to a different location or zones. See https://aka.ms/azureskunotavailable for details.'
  );
}

export function spotNotSupportedMessage(vmSize: string, location: string): string {
  return (
    `The requested VM size '${vmSize}' is not available for Spot (Low Priority) VMs in location '${location}' ` +
    '(AzureSpotIsNotSupportedForThisVMSize). B-series and promo sizes cannot run as Spot.'
  );
}

export function spotPriceMessage(spotPrice: number, maxPrice: number): string {
  return (
    `Unable to perform operation because the current Spot price ${spotPrice} USD/hour is greater than the ` +
    `provided max price ${maxPrice} USD/hour. Increase the max price or use -1 to pay up to the ` +
    'pay-as-you-go price.'
  );
}

export function quotaExceededMessage(quota: QuotaExceeded, location: string): string {
  return (
    `Operation could not be completed as it results in exceeding approved ${azureQuotaName(quota.name)} quota. ` +
    `Additional details - Deployment Model: Resource Manager, Location: ${location}, ` +
    `Current Limit: ${quota.limit}, Current Usage: ${quota.used}, Additional Required: ${quota.required}, ` +
    `(Minimum) New Limit Required: ${quota.used + quota.required}. Submit a request for Quota increase ` +
    'by specifying parameters listed in the ‘Details’ section for deployment to succeed.'
  );
}
