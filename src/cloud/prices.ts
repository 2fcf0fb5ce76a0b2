// What one VM costs per hour in a pool.
import type { Priority, RegionVmSize } from '../api/index.ts';
import type { DeepReadonly } from './readonly.ts';

/**
 * Regular: the size's pay-as-you-go price. Spot: the zone's Spot price when the Region sets one, else the
 * size's; a regional (zone "") Spot VM pays the size's Spot price. Undefined when the size has no Spot price.
 */
export function poolPrice(
  size: DeepReadonly<RegionVmSize>,
  zone: string,
  priority: Priority,
): number | undefined {
  if (priority === 'Regular') return size.pricePerHour;
  const zonal = zone === '' ? undefined : size.capacity.find((c) => c.zone === zone)?.spotPricePerHour;
  return zonal ?? size.spotPricePerHour;
}

/**
 * The most a Spot VM agrees to pay. Azure: -1 (and an absent max price, its default) means "up to the
 * pay-as-you-go price": such a VM is never refused or evicted for price.
 */
export function effectiveMaxPrice(maxPricePerHour: number | undefined): number {
  return maxPricePerHour === undefined || maxPricePerHour < 0 ? Number.POSITIVE_INFINITY : maxPricePerHour;
}

/** What a VM is billed: Azure never bills a Spot VM above the pay-as-you-go price. */
export function billedPrice(size: DeepReadonly<RegionVmSize>, zone: string, priority: Priority): number {
  const price = poolPrice(size, zone, priority) ?? size.pricePerHour;
  return Math.min(price, size.pricePerHour);
}
