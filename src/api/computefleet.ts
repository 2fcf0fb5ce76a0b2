// ComputeFleet: up to 10,000 VMs over up to 15 sizes with independent Regular and Spot targets, modelled on
// Azure Compute Fleet (DESIGN §3.3). Namespaced.
import { z } from 'zod';
import {
  API_GROUP_VERSION,
  Architecture,
  type CrossFieldRule,
  DEFAULT_IMAGE,
  EvictionPolicy,
  GroupStatusFields,
  Image,
  MAX_PRICE_PER_HOUR,
  ObjectMeta,
  RegionName,
  VmCategory,
  VmSizeName,
  ZoneName,
  immutable,
  listMap,
  listSet,
  withRules,
} from './common.ts';

export const FLEET_LIMITS = { maxVMs: 10000, maxSizes: 15, maxExcludedSizes: 100 } as const;

const Range = <T extends z.ZodNumber>(bound: T, what: string) =>
  withRules(
    z.object({
      min: bound.optional().describe(`Lowest ${what} (inclusive); 0 when absent.`),
      max: bound.optional().describe(`Highest ${what} (inclusive); unbounded when absent.`),
    }),
    [
      {
        cel: '!has(self.min) || !has(self.max) || self.min <= self.max',
        holds: (r) => r.min === undefined || r.max === undefined || r.min <= r.max,
        message: 'min must not exceed max',
        fieldPath: '.min',
      },
      {
        cel: 'has(self.min) || has(self.max)',
        holds: (r) => r.min !== undefined || r.max !== undefined,
        message: 'set min, max or both',
        fieldPath: '.min',
      },
    ],
  );

export const VmAttributes = z.object({
  vCpuCount: Range(z.int().min(0).max(1024), 'vCPU count'),
  memoryGiB: Range(z.number().min(0).max(32768), 'memory in GiB'),
  architectures: listSet(z.array(Architecture).max(2))
    .optional()
    .describe('Allowed CPU architectures; all when absent (a fleet still uses one architecture).'),
  categories: listSet(z.array(VmCategory).max(6))
    .optional()
    .describe('Allowed size categories; GeneralPurpose when absent.'),
  burstable: z
    .enum(['Excluded', 'Included', 'Required'])
    .default('Excluded')
    .describe('Whether B-series (burstable) sizes may, or must, be chosen.'),
  excludedVMSizes: listSet(z.array(VmSizeName).max(FLEET_LIMITS.maxExcludedSizes))
    .optional()
    .describe('Sizes never chosen.'),
});
export type VmAttributes = z.output<typeof VmAttributes>;

const CapacityTarget = z
  .int()
  .min(0)
  .max(10_000_000)
  .describe('Target, in VMs (capacityType VM) or vCPUs (capacityType VCpu).');

const MinCapacity = immutable(z.int().min(0).max(10_000_000).default(0), 'minCapacity is immutable').describe(
  'If this much cannot be placed, nothing is created (Ready=False, MinCapacityNotMet). Immutable.',
);

const minNotAboveTarget: CrossFieldRule<{ capacity: number; minCapacity: number }> = {
  cel: 'self.minCapacity <= self.capacity',
  holds: (p) => p.minCapacity <= p.capacity,
  message: 'minCapacity must not exceed capacity',
  fieldPath: '.minCapacity',
};

export const RegularProfile = withRules(
  z.object({
    capacity: CapacityTarget,
    minCapacity: MinCapacity,
    allocationStrategy: z.enum(['LowestPrice', 'Prioritized']).default('LowestPrice'),
  }),
  [minNotAboveTarget],
);
export type RegularProfile = z.output<typeof RegularProfile>;

export const SpotProfile = withRules(
  z.object({
    capacity: CapacityTarget,
    minCapacity: MinCapacity,
    maxPricePerVM: z
      .number()
      .positive()
      .max(MAX_PRICE_PER_HOUR)
      .optional()
      .describe('Sizes whose Spot price is above this (USD/h) are not launched; no cap when absent.'),
    evictionPolicy: EvictionPolicy.default('Delete').describe(
      'Fleet default is Delete (a VMSS defaults to Deallocate).',
    ),
    allocationStrategy: z
      .enum(['PriceCapacityOptimized', 'LowestPrice', 'CapacityOptimized'])
      .default('PriceCapacityOptimized'),
    maintain: z
      .boolean()
      .default(true)
      .describe('Replace evicted Spot capacity; without it evicted VMs are not replaced.'),
  }),
  [minNotAboveTarget],
);
export type SpotProfile = z.output<typeof SpotProfile>;

export const ZoneAllocationPolicy = z.object({
  distributionStrategy: z
    .enum(['BestEffortSingleZone', 'Prioritized', 'Balanced'])
    .default('BestEffortSingleZone')
    .describe(
      'BestEffortSingleZone (Azure default): one zone, spill when full. Prioritized: by zonePreferences rank. Balanced (vmfleet): zones within 1.',
    ),
  zonePreferences: listMap(
    z
      .array(
        z.object({ zone: ZoneName, rank: z.int().min(0).max(65535).describe('0 is the most preferred.') }),
      )
      .max(16),
    ['zone'],
  ).optional(),
});

type FleetSpecShape = z.output<typeof FleetSpecObject>;

const FleetSpecObject = z.object({
  region: RegionName.default('eastus'),
  zones: listSet(z.array(ZoneName).max(16))
    .default([])
    .describe('Zones the fleet may use; empty means regional.'),
  zoneAllocationPolicy: ZoneAllocationPolicy.default({ distributionStrategy: 'BestEffortSingleZone' }),
  vmSizes: listMap(
    z
      .array(
        z.object({
          name: VmSizeName,
          rank: z.int().min(0).max(65535).default(0).describe('Prioritized only: 0 is the highest priority.'),
        }),
      )
      .min(1)
      .max(FLEET_LIMITS.maxSizes),
    ['name'],
  )
    .optional()
    .describe('Up to 15 sizes. Exclusive with vmAttributes.'),
  vmAttributes: VmAttributes.optional().describe('Choose sizes by attributes instead of listing them.'),
  capacityType: immutable(z.enum(['VM', 'VCpu']).default('VM'), 'capacityType is immutable').describe(
    'Whether capacities count VMs or vCPUs. Immutable.',
  ),
  platformFaultDomainCount: immutable(
    z.int().min(1).max(5).default(1),
    'platformFaultDomainCount is immutable',
  ).describe('1 = max spreading; N > 1 = exactly N fault domains per zone. Immutable.'),
  image: Image.default({ ...DEFAULT_IMAGE }),
  regular: RegularProfile.optional().describe('Regular (pay-as-you-go) capacity.'),
  spot: SpotProfile.optional().describe(
    'Spot capacity, independent of Regular: evictions never spill into Regular.',
  ),
  paused: z
    .boolean()
    .default(false)
    .describe('What-if mode: compute and publish the plan in status, act on nothing.'),
});

const noAttributeSelectionWith = (s: FleetSpecShape): boolean =>
  s.vmAttributes === undefined ||
  (s.regular?.allocationStrategy !== 'Prioritized' &&
    s.spot?.allocationStrategy !== 'PriceCapacityOptimized');

export const FLEET_RULES: readonly CrossFieldRule<FleetSpecShape>[] = [
  {
    cel: 'has(self.vmSizes) != has(self.vmAttributes)',
    holds: (s) => (s.vmSizes !== undefined) !== (s.vmAttributes !== undefined),
    message: 'set exactly one of vmSizes or vmAttributes',
    fieldPath: '.vmSizes',
  },
  {
    cel: 'has(self.regular) || has(self.spot)',
    holds: (s) => s.regular !== undefined || s.spot !== undefined,
    message: 'set regular, spot or both',
    fieldPath: '.regular',
  },
  {
    cel:
      "!has(self.vmAttributes) || ((!has(self.regular) || self.regular.allocationStrategy != 'Prioritized') && " +
      "(!has(self.spot) || self.spot.allocationStrategy != 'PriceCapacityOptimized'))",
    holds: noAttributeSelectionWith,
    message: 'vmAttributes cannot be used with the Prioritized or PriceCapacityOptimized allocation strategy',
    fieldPath: '.vmAttributes',
  },
  {
    cel:
      "self.capacityType != 'VM' || (has(self.regular) ? self.regular.capacity : 0) + " +
      '(has(self.spot) ? self.spot.capacity : 0) <= 10000',
    holds: (s) =>
      s.capacityType !== 'VM' || (s.regular?.capacity ?? 0) + (s.spot?.capacity ?? 0) <= FLEET_LIMITS.maxVMs,
    message: 'regular.capacity + spot.capacity must be at most 10000 VMs',
    fieldPath: '.regular',
  },
  {
    cel: "self.zoneAllocationPolicy.distributionStrategy != 'Prioritized' || has(self.zoneAllocationPolicy.zonePreferences)",
    holds: (s) =>
      s.zoneAllocationPolicy.distributionStrategy !== 'Prioritized' ||
      s.zoneAllocationPolicy.zonePreferences !== undefined,
    message: 'distributionStrategy Prioritized needs zonePreferences',
    fieldPath: '.zoneAllocationPolicy.zonePreferences',
  },
  {
    cel:
      '!has(self.zoneAllocationPolicy.zonePreferences) || ' +
      'self.zoneAllocationPolicy.zonePreferences.all(p, p.zone in self.zones)',
    holds: (s) => (s.zoneAllocationPolicy.zonePreferences ?? []).every((p) => s.zones.includes(p.zone)),
    message: 'every zonePreferences[].zone must be listed in zones',
    fieldPath: '.zoneAllocationPolicy.zonePreferences',
  },
];

export const ComputeFleetSpec = withRules(FleetSpecObject, FLEET_RULES);
export type ComputeFleetSpec = z.output<typeof ComputeFleetSpec>;
export type ComputeFleetSpecInput = z.input<typeof ComputeFleetSpec>;

const PriorityStatus = z.object({
  target: z.number().min(0).describe('Target in capacity units.'),
  fulfilled: z.number().min(0).describe('Capacity units held (Running, plus Deallocated Spot).'),
  instances: z.int().min(0),
  vCPUs: z.int().min(0),
  lostToEviction: z
    .number()
    .min(0)
    .optional()
    .describe(
      'Spot only, without maintain: capacity units lost to evictions that deleted VMs (not replaced).',
    ),
});

export const ComputeFleetStatus = z.object({
  ...GroupStatusFields,
  regular: PriorityStatus.optional(),
  spot: PriorityStatus.optional(),
});
export type ComputeFleetStatus = z.output<typeof ComputeFleetStatus>;

export const ComputeFleet = z.object({
  apiVersion: z.literal(API_GROUP_VERSION),
  kind: z.literal('ComputeFleet'),
  metadata: ObjectMeta,
  spec: ComputeFleetSpec,
  status: ComputeFleetStatus.optional(),
});
export type ComputeFleet = z.output<typeof ComputeFleet>;
