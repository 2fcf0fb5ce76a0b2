// The strategy engine: pure, synchronous, deterministic placement for ScaleSets and ComputeFleets.
export { plan } from './plan.ts';
export type * from './types.ts';
export { PRIORITIES } from './types.ts';
export { priorityMixSplit } from './priority.ts';
export { fleetLimits, scaleSetLimits } from './limits.ts';
export { matchesAttributes, canRunSpot } from './sizes.ts';
export { HOURS_PER_MONTH, formatPrice, monthlyCost, roundHourly } from './money.ts';
export { MAX_DECISIONS } from './explain.ts';
