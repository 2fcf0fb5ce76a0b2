// The first decision for every VM: its priority. A ScaleSet is all one priority or splits its capacity by
// the Spot Priority Mix; a ComputeFleet has independent Regular and Spot targets.
import type { AllocationStrategy, GroupSpec, Priority, PriorityMix } from './types.ts';

/**
 * Spot Priority Mix (reference §1.11): regular = min(C, base) + floor(max(0, C − base) × pct / 100); the
 * rest is Spot, so rounding favours Spot. Example: C = 41, base 10, 50 % → 10 + floor(31 × 0.5) = 25
 * Regular, 16 Spot.
 */
export function priorityMixSplit(capacity: number, mix: PriorityMix): { regular: number; spot: number } {
  const base = Math.min(capacity, mix.baseRegularPriorityCount);
  const above = Math.max(0, capacity - mix.baseRegularPriorityCount);
  const regular = base + Math.floor((above * mix.regularPriorityPercentageAboveBase) / 100);
  return { regular, spot: capacity - regular };
}

/** Highest Spot price accepted for a size: a number, or the size's Regular price (ScaleSet −1). */
export type SpotPriceCap =
  | { readonly kind: 'None' }
  | { readonly kind: 'RegularPrice' }
  | { readonly kind: 'Fixed'; readonly value: number };

export interface Target {
  /** The priority new VMs of this target get. */
  readonly priority: Priority;
  /** Priorities whose instances count toward it (a plain ScaleSet counts both, so nothing is converted). */
  readonly counts: readonly Priority[];
  /** In capacity units. */
  readonly target: number;
  readonly minCapacity: number;
  readonly strategy: AllocationStrategy;
  readonly spotPriceCap: SpotPriceCap;
}

export function targetsOf(spec: GroupSpec): Target[] {
  if (spec.kind === 'ScaleSet') {
    const spotPriceCap: SpotPriceCap =
      spec.spotMaxPricePerHour === -1
        ? { kind: 'RegularPrice' }
        : { kind: 'Fixed', value: spec.spotMaxPricePerHour };
    if (spec.priorityMix && spec.priority === 'Spot') {
      const split = priorityMixSplit(spec.capacity, spec.priorityMix);
      return [
        target('Regular', ['Regular'], split.regular, spec.allocationStrategy, { kind: 'None' }),
        target('Spot', ['Spot'], split.spot, spec.allocationStrategy, spotPriceCap),
      ];
    }
    const cap: SpotPriceCap = spec.priority === 'Spot' ? spotPriceCap : { kind: 'None' };
    return [target(spec.priority, ['Regular', 'Spot'], spec.capacity, spec.allocationStrategy, cap)];
  }
  const targets: Target[] = [];
  if (spec.regular) {
    targets.push({
      ...target('Regular', ['Regular'], spec.regular.capacity, spec.regular.allocationStrategy, {
        kind: 'None',
      }),
      minCapacity: spec.regular.minCapacity,
    });
  }
  if (spec.spot) {
    const lost = spec.spot.maintain ? 0 : Math.min(spec.spot.capacity, spec.spot.lostToEviction);
    targets.push({
      ...target(
        'Spot',
        ['Spot'],
        spec.spot.capacity - lost,
        spec.spot.allocationStrategy,
        spec.spot.maxPricePerVM === undefined
          ? { kind: 'None' }
          : { kind: 'Fixed', value: spec.spot.maxPricePerVM },
      ),
      minCapacity: spec.spot.minCapacity,
    });
  }
  return targets;
}

function target(
  priority: Priority,
  counts: readonly Priority[],
  capacity: number,
  strategy: AllocationStrategy,
  spotPriceCap: SpotPriceCap,
): Target {
  return { priority, counts, target: capacity, minCapacity: 0, strategy, spotPriceCap };
}
