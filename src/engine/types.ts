// The strategy engine's input and output: plain data, no Kubernetes or zod types, so the engine can be fed
// from the API objects (see ./normalize.ts), from a test, or from the CLI alike.

export type Priority = 'Regular' | 'Spot';
export const PRIORITIES: readonly Priority[] = ['Regular', 'Spot'];

/** What a capacity number counts: VMs, or vCPUs (ComputeFleet `capacityType: VCpu`). */
export type CapacityUnit = 'VM' | 'VCpu';

export type AllocationStrategy =
  'LowestPrice' | 'Prioritized' | 'CapacityOptimized' | 'PriceCapacityOptimized';

export type InstancePhase = 'Pending' | 'Provisioning' | 'Running' | 'Deallocated' | 'Failed';

export type ScaleInRule = 'Default' | 'NewestVM' | 'OldestVM';

export type Architecture = 'x64' | 'Arm64';

// ---------------------------------------------------------------------------------------------------------
// The group spec, normalised from a ScaleSet or a ComputeFleet.

export interface SizeChoice {
  readonly name: string;
  /** Prioritized only: 0 is the highest priority; ties and gaps allowed. */
  readonly rank: number;
}

export interface NumberRange {
  readonly min?: number | undefined;
  readonly max?: number | undefined;
}

/** Attribute-based size selection (ComputeFleet `vmAttributes`). */
export interface VmAttributeFilter {
  readonly vCpuCount: NumberRange;
  readonly memoryGiB: NumberRange;
  /** All architectures when absent. */
  readonly architectures?: readonly Architecture[] | undefined;
  /** GeneralPurpose only when absent (Azure's default). */
  readonly categories?: readonly string[] | undefined;
  readonly burstable: 'Excluded' | 'Included' | 'Required';
  readonly excludedSizes: readonly string[];
}

export type SizeSelection =
  | { readonly kind: 'List'; readonly sizes: readonly SizeChoice[] }
  | { readonly kind: 'Attributes'; readonly attributes: VmAttributeFilter };

/**
 * How new VMs are spread over the group's zones (ignored when the group is regional, i.e. has no zones).
 * - Balanced: ScaleSet always (strict with `zoneBalance: true`), ComputeFleet `Balanced`.
 * - SingleZone: ComputeFleet `BestEffortSingleZone`.
 * - Prioritized: ComputeFleet `Prioritized`, zones by rank (0 first); unranked zones come last.
 */
export type ZonePolicy =
  | { readonly kind: 'Balanced'; readonly strict: boolean }
  | { readonly kind: 'SingleZone' }
  | {
      readonly kind: 'Prioritized';
      readonly ranks: readonly { readonly zone: string; readonly rank: number }[];
    };

export interface GroupLimits {
  /** Most instances the group may hold (ScaleSet 1,000 / 600 / 100; ComputeFleet 10,000). */
  readonly maxInstances: number;
  /** Most sizes a size list may name (ScaleSet Flexible 5, Uniform 1; ComputeFleet 15). */
  readonly maxSizes: number;
}

interface GroupSpecCommon {
  /** Zones the group may use; empty means regional (placed in the region's "" pseudo-zone). */
  readonly zones: readonly string[];
  readonly zonePolicy: ZonePolicy;
  readonly sizes: SizeSelection;
  readonly capacityUnit: CapacityUnit;
  /** 1 = max spreading over the zone's fault domains; N > 1 = exactly N fault domains (fixed spreading). */
  readonly platformFaultDomainCount: number;
  readonly scaleInRule: ScaleInRule;
  readonly limits: GroupLimits;
  /** Hash of the instance model (size list excluded); instances with another hash are stale. */
  readonly modelHash: string;
}

export interface PriorityMix {
  readonly baseRegularPriorityCount: number;
  readonly regularPriorityPercentageAboveBase: number;
}

export interface ScaleSetGroupSpec extends GroupSpecCommon {
  readonly kind: 'ScaleSet';
  readonly capacity: number;
  /** The priority of new VMs; with a priority mix, the priority above the Regular part (always Spot). */
  readonly priority: Priority;
  readonly allocationStrategy: 'LowestPrice' | 'CapacityOptimized' | 'Prioritized';
  /** Spot only, USD/h; −1 means up to the size's Regular price. */
  readonly spotMaxPricePerHour: number;
  readonly priorityMix?: PriorityMix | undefined;
}

export interface FleetRegularProfile {
  readonly capacity: number;
  readonly minCapacity: number;
  readonly allocationStrategy: 'LowestPrice' | 'Prioritized';
}

export interface FleetSpotProfile {
  readonly capacity: number;
  readonly minCapacity: number;
  readonly allocationStrategy: 'LowestPrice' | 'CapacityOptimized' | 'PriceCapacityOptimized';
  /** Sizes whose Spot price is above this are not launched; no cap when absent. */
  readonly maxPricePerVM?: number | undefined;
  readonly maintain: boolean;
  /**
   * Spot capacity (in capacity units) lost to evictions that deleted VMs. Without `maintain` it is not
   * replaced, so the engine aims at `capacity − lostToEviction`; the controller keeps the count.
   */
  readonly lostToEviction: number;
}

export interface ComputeFleetGroupSpec extends GroupSpecCommon {
  readonly kind: 'ComputeFleet';
  readonly regular?: FleetRegularProfile | undefined;
  readonly spot?: FleetSpotProfile | undefined;
}

export type GroupSpec = ScaleSetGroupSpec | ComputeFleetGroupSpec;

// ---------------------------------------------------------------------------------------------------------
// The region.

export interface SizeInfo {
  readonly name: string;
  /** Quota family, e.g. "DSv5". */
  readonly family: string;
  readonly vCPUs: number;
  readonly memoryGiB: number;
  readonly architecture: Architecture;
  readonly category: string;
  /** B-series: never Spot. */
  readonly burstable: boolean;
  readonly spotCapable: boolean;
}

export interface ZoneInfo {
  /** "" is the regional pseudo-zone used by groups without zones. */
  readonly name: string;
  readonly faultDomains: number;
  /** false: the zone takes no new VMs (outage). */
  readonly available: boolean;
}

/** One pool: size × zone × priority. */
export interface PoolInfo {
  readonly size: string;
  readonly zone: string;
  readonly priority: Priority;
  readonly pricePerHour: number;
  /** VMs of this size the zone can still host for this priority (capacity minus usage by everyone). */
  readonly free: number;
}

/**
 * vCPU quota headroom (limit minus usage by everyone); absent = unlimited. Regular VMs count against the
 * regional and their family's quota, Spot VMs against the regional and the Spot quota (as in the Region API).
 */
export interface QuotaHeadroom {
  readonly regionalVCpus?: number | undefined;
  readonly spotVCpus?: number | undefined;
  readonly familyVCpus?: Readonly<Record<string, number>> | undefined;
}

export interface RegionInput {
  readonly zones: readonly ZoneInfo[];
  readonly sizes: readonly SizeInfo[];
  readonly pools: readonly PoolInfo[];
  readonly quota: QuotaHeadroom;
}

/** A pool blocked by a recent allocation error (the unavailable-offerings cache). */
export interface UnavailablePool {
  readonly size: string;
  /** The zone, "" for the regional scope; absent = every zone. */
  readonly zone?: string | undefined;
  /** Absent = both priorities. */
  readonly priority?: Priority | undefined;
  /** Azure error code, e.g. ZonalAllocationFailed. */
  readonly code: string;
  /** Epoch milliseconds; the entry is ignored from then on. */
  readonly until: number;
}

export interface CurrentInstance {
  /** instanceId: increasing per owner, so higher is newer. */
  readonly id: number;
  readonly name?: string | undefined;
  readonly size: string;
  readonly zone: string;
  readonly faultDomain: number;
  readonly priority: Priority;
  readonly phase: InstancePhase;
  readonly protectedFromScaleIn: boolean;
  readonly protectedFromScaleSetActions: boolean;
  readonly modelHash: string;
}

export interface PlanInput {
  readonly spec: GroupSpec;
  readonly region: RegionInput;
  readonly current: readonly CurrentInstance[];
  readonly unavailable: readonly UnavailablePool[];
  /** Epoch milliseconds; the engine never reads the clock. */
  readonly now: number;
}

// ---------------------------------------------------------------------------------------------------------
// The plan.

export interface CreateGroup {
  readonly size: string;
  readonly zone: string;
  readonly faultDomain: number;
  readonly priority: Priority;
  readonly count: number;
  readonly pricePerHour: number;
}

/**
 * Why an instance is removed: Failed (always cleaned up), or scale-in of a priority over its target, by tier
 * (NotYetRunning, Deallocated, OutsideZones) and finally by the scale-in rule (Default, NewestVM, OldestVM).
 */
export type RemovalRule =
  | 'Failed'
  | 'NotYetRunning'
  | 'Deallocated'
  | 'OutsideZones'
  | 'Default'
  | 'NewestVM'
  | 'OldestVM'
  /** Taken back so strict zone balance holds after another zone failed to allocate (removal.ts). */
  | 'ZoneBalance';

export interface DeleteDecision {
  readonly id: number;
  readonly name?: string | undefined;
  readonly priority: Priority;
  readonly rule: RemovalRule;
  /** e.g. "zone 2 (4, the fullest), fault domain 1 (2, the fullest), highest instanceId". */
  readonly reason: string;
}

export type ShortfallReason =
  | 'CapacityShortfall'
  | 'ZoneBalanceBlocked'
  | 'FaultDomainsUnavailable'
  | 'QuotaExceeded'
  | 'MinCapacityNotMet'
  | 'InstanceLimitReached'
  | 'NoEligibleSize'
  | 'ProtectedInstances'
  | 'SearchLimitReached';

export interface ShortfallDetail {
  readonly reason: ShortfallReason;
  readonly message: string;
}

export interface PriorityOutcome {
  readonly priority: Priority;
  readonly unit: CapacityUnit;
  /** The spec's target in capacity units (after `lostToEviction` without maintain). */
  readonly target: number;
  /** Units held before the plan (every instance that is not Failed). */
  readonly current: number;
  /** Units held once the plan is realised. */
  readonly achievable: number;
  /** target − achievable when positive (0 when the target is met or exceeded by overshoot). */
  readonly shortfall: number;
  readonly reasons: readonly ShortfallDetail[];
  /** Units to create and to remove. */
  readonly adding: number;
  readonly removing: number;
}

export interface Spread {
  /** Largest minus smallest instance count over the group's zones (0 for a regional group). */
  readonly zoneSkew: number;
  /** Largest minus smallest count over a zone's fault domains, worst zone. */
  readonly faultDomainSkew: number;
  /** Share of the instances in the fullest zone, 0–1. */
  readonly largestZoneShare: number;
}

export type StaleReason = 'ModelChanged' | 'SizeNotAllowed' | 'PriorityChanged';

export interface StaleInstance {
  readonly id: number;
  readonly name?: string | undefined;
  readonly reasons: readonly StaleReason[];
}

/** Instances per size × zone × fault domain × priority once the plan is realised. */
export interface PoolCount {
  readonly size: string;
  readonly zone: string;
  readonly faultDomain: number;
  readonly priority: Priority;
  readonly count: number;
}

export interface Plan {
  readonly creates: readonly CreateGroup[];
  readonly deletes: readonly DeleteDecision[];
  readonly outcomes: readonly PriorityOutcome[];
  /** USD per hour once the plan is realised (Deallocated instances cost nothing). */
  readonly hourlyCost: number;
  readonly spread: Spread;
  readonly distribution: readonly PoolCount[];
  readonly stale: readonly StaleInstance[];
  /** The unavailable pools still in force at `now`. */
  readonly unavailable: readonly UnavailablePool[];
  /** Plain-words reasons, bounded (see MAX_DECISIONS). */
  readonly decisions: readonly string[];
  /** false when the optimiser's search limit stopped it before it proved the placement optimal. */
  readonly provenOptimal: boolean;
  /**
   * true when the search limit was reached (the same as !provenOptimal): the plan is the best placement found
   * within the limit, which bounds the time one plan takes. Shown in status.plan and `vmfleet plan`.
   */
  readonly searchLimitReached: boolean;
}
