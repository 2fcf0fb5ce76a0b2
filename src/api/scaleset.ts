// ScaleSet: a group of identical VMs modelled on Azure Virtual Machine Scale Sets (DESIGN §3.2). Namespaced.
import { z } from 'zod';
import {
  API_GROUP_VERSION,
  type CrossFieldRule,
  DEFAULT_IMAGE,
  Duration,
  EvictionPolicy,
  GroupStatusFields,
  Image,
  MAX_PRICE_PER_HOUR,
  ObjectMeta,
  Priority,
  RegionName,
  VmSizeName,
  ZoneName,
  immutable,
  listMap,
  listSet,
  withRules,
} from './common.ts';
import {
  AutomaticRepairsPolicy,
  Autoscale,
  AutoscaleStatus,
  RebalanceStatus,
  RepairsStatus,
  ResiliencyPolicy,
} from './lifecycle.ts';

/** Hard limits of a scale set (reference/azure-domain.md §1.6). */
export const SCALESET_LIMITS = {
  maxCapacity: 1000,
  maxCapacityManagedImage: 600,
  maxCapacitySinglePlacementGroup: 100,
  maxSizes: 5,
} as const;

export const SkuProfile = z.object({
  vmSizes: listMap(
    z
      .array(
        z.object({
          name: VmSizeName,
          rank: z.int().min(0).max(65535).default(0).describe('Prioritized only: 0 is the highest priority.'),
        }),
      )
      .min(1)
      .max(SCALESET_LIMITS.maxSizes),
    ['name'],
  ).describe('Up to 5 VM sizes (instance mix).'),
  allocationStrategy: z
    .enum(['LowestPrice', 'CapacityOptimized', 'Prioritized'])
    .default('LowestPrice')
    .describe('How sizes are chosen: cheapest first, most free capacity first, or by rank.'),
});
export type SkuProfile = z.output<typeof SkuProfile>;

export const ScaleSetSpot = withRules(
  z.object({
    evictionPolicy: EvictionPolicy.default('Deallocate').describe(
      'Deallocate keeps an evicted VM (still counted, no compute cost); Delete removes it.',
    ),
    maxPricePerHour: z
      .number()
      .min(-1)
      .max(MAX_PRICE_PER_HOUR)
      .default(-1)
      .describe(
        'Highest Spot price (USD/h) to pay; -1 means up to the Regular price (never evicted for price).',
      ),
    restore: z
      .object({
        enabled: z
          .boolean()
          .default(false)
          .describe('Retry evicted (deallocated) VMs when capacity returns.'),
        timeout: Duration.default('1h').describe('Give up restoring after this long.'),
      })
      .default({ enabled: false, timeout: '1h' }),
  }),
  [
    {
      cel: 'self.maxPricePerHour == -1.0 || self.maxPricePerHour > 0.0',
      holds: (s) => s.maxPricePerHour === -1 || s.maxPricePerHour > 0,
      message: 'maxPricePerHour must be -1 or greater than 0',
      fieldPath: '.maxPricePerHour',
    },
  ],
);

export const PriorityMix = z.object({
  baseRegularPriorityCount: z.int().min(0).max(1000).default(0).describe('The first N VMs are Regular.'),
  regularPriorityPercentageAboveBase: z
    .int()
    .min(0)
    .max(100)
    .default(0)
    .describe('Percentage of VMs above the base that are Regular (rounded down; the rest are Spot).'),
});
export type PriorityMix = z.output<typeof PriorityMix>;

export const RollingUpgradePolicy = z.object({
  maxBatchInstancePercent: z.int().min(5).max(100).default(20),
  maxUnhealthyInstancePercent: z.int().min(5).max(100).default(20),
  maxUnhealthyUpgradedInstancePercent: z.int().min(0).max(100).default(20),
  pauseTimeBetweenBatches: Duration.default('0s'),
  maxSurge: z.boolean().default(false).describe('Create new-model VMs before deleting old ones.'),
  prioritizeUnhealthyInstances: z.boolean().default(false),
});

export const UpgradePolicy = z.object({
  mode: z
    .enum(['Automatic', 'Manual', 'Rolling'])
    .default('Manual')
    .describe('How instances follow a model change: all at once, on request, or in batches.'),
  // Every field has its own default, so the whole policy's default is what parsing nothing gives.
  rollingUpgradePolicy: RollingUpgradePolicy.default(RollingUpgradePolicy.parse({})),
  automaticOSUpgrade: z
    .boolean()
    .default(false)
    .describe('Roll to newly published image versions automatically.'),
});

export const ScaleInPolicy = z.object({
  rules: z
    .array(z.enum(['Default', 'NewestVM', 'OldestVM']))
    .min(1)
    .max(1)
    .default(['Default'])
    .describe(
      'Default and NewestVM remove the highest instance ID; OldestVM the lowest (after zone/FD balancing).',
    ),
  forceDeletion: z.boolean().default(false),
});

type ScaleSetSpecShape = z.output<typeof ScaleSetSpecObject>;

const ScaleSetSpecObject = z.object({
  region: RegionName.default('eastus'),
  zones: listSet(z.array(ZoneName).max(16))
    .default([])
    .describe('Zones to spread over; empty means regional (no zone). Zones can be added later, not removed.'),
  zoneBalance: z
    .boolean()
    .default(false)
    .describe(
      'Strict balance: refuse any scaling that would leave zones more than 1 apart. Needs more than one zone.',
    ),
  orchestrationMode: immutable(
    z.enum(['Uniform', 'Flexible']).default('Flexible'),
    'orchestrationMode is immutable',
  ).describe('Uniform: one size, one priority. Flexible: up to 5 sizes and Spot/Regular mixing. Immutable.'),
  capacity: z
    .int()
    .min(0)
    .max(SCALESET_LIMITS.maxCapacity)
    .describe('Desired number of VMs (the scale subresource; kubectl scale and HPA change it).'),
  vmSize: VmSizeName.optional().describe(
    'The VM size (Uniform, or Flexible with one size). Exclusive with skuProfile.',
  ),
  skuProfile: SkuProfile.optional().describe('Several sizes with an allocation strategy (Flexible only).'),
  priority: Priority.default('Regular').describe(
    'Regular, or Spot (with priorityMix: the priority above the Regular part).',
  ),
  spot: ScaleSetSpot.optional().describe('Spot settings (priority Spot only).'),
  priorityMix: PriorityMix.optional().describe(
    'Spot Priority Mix: Regular base plus a Regular percentage (Flexible, Spot).',
  ),
  platformFaultDomainCount: immutable(
    z.int().min(1).max(5).default(1),
    'platformFaultDomainCount is immutable',
  ).describe(
    '1 = max spreading over as many fault domains as the zone has; N > 1 = exactly N (fixed). Immutable.',
  ),
  singlePlacementGroup: z
    .boolean()
    .default(false)
    .describe('Confine the set to one placement group (caps at 100 VMs).'),
  image: Image.default({ ...DEFAULT_IMAGE }),
  scaleInPolicy: ScaleInPolicy.default({ rules: ['Default'], forceDeletion: false }),
  upgradePolicy: UpgradePolicy.default(UpgradePolicy.parse({})),
  paused: z
    .boolean()
    .default(false)
    .describe('What-if mode: compute and publish the plan in status, act on nothing.'),
  automaticRepairsPolicy: AutomaticRepairsPolicy.optional().describe(
    'Repair VMs Unhealthy for longer than the grace period, at most 5% of capacity per batch.',
  ),
  resiliencyPolicy: ResiliencyPolicy.optional(),
  autoscale: Autoscale.optional().describe('Schedule-based capacity profiles (writes spec.capacity).'),
});

export const SCALESET_RULES: readonly CrossFieldRule<ScaleSetSpecShape>[] = [
  {
    cel: 'has(self.vmSize) != has(self.skuProfile)',
    holds: (s) => (s.vmSize !== undefined) !== (s.skuProfile !== undefined),
    message: 'set exactly one of vmSize or skuProfile',
    fieldPath: '.vmSize',
  },
  {
    cel: "!has(self.skuProfile) || self.orchestrationMode == 'Flexible'",
    holds: (s) => s.skuProfile === undefined || s.orchestrationMode === 'Flexible',
    message: 'skuProfile requires orchestrationMode Flexible',
    fieldPath: '.skuProfile',
  },
  {
    cel: "!has(self.priorityMix) || self.orchestrationMode == 'Flexible'",
    holds: (s) => s.priorityMix === undefined || s.orchestrationMode === 'Flexible',
    message: 'priorityMix requires orchestrationMode Flexible',
    fieldPath: '.priorityMix',
  },
  {
    cel: "!has(self.priorityMix) || self.priority == 'Spot'",
    holds: (s) => s.priorityMix === undefined || s.priority === 'Spot',
    message: 'priorityMix requires priority Spot',
    fieldPath: '.priorityMix',
  },
  {
    cel: "!has(self.spot) || self.priority == 'Spot'",
    holds: (s) => s.spot === undefined || s.priority === 'Spot',
    message: 'spot settings require priority Spot',
    fieldPath: '.spot',
  },
  {
    cel: '!self.zoneBalance || size(self.zones) > 1',
    holds: (s) => !s.zoneBalance || s.zones.length > 1,
    message: 'zoneBalance needs more than one zone',
    fieldPath: '.zoneBalance',
  },
  {
    cel: "self.image.source != 'ManagedImage' || self.capacity <= 600",
    holds: (s) => s.image.source !== 'ManagedImage' || s.capacity <= SCALESET_LIMITS.maxCapacityManagedImage,
    message: 'capacity must be at most 600 with a ManagedImage image',
    fieldPath: '.capacity',
  },
  {
    cel: '!self.singlePlacementGroup || self.capacity <= 100',
    holds: (s) => !s.singlePlacementGroup || s.capacity <= SCALESET_LIMITS.maxCapacitySinglePlacementGroup,
    message: 'capacity must be at most 100 with singlePlacementGroup',
    fieldPath: '.capacity',
  },
  {
    cel: '!(self.singlePlacementGroup && has(self.priorityMix))',
    holds: (s) => !(s.singlePlacementGroup && s.priorityMix !== undefined),
    message: 'priorityMix cannot be used with singlePlacementGroup',
    fieldPath: '.singlePlacementGroup',
  },
  {
    cel: 'size(self.zones) == 0 || self.platformFaultDomainCount == 1 || self.platformFaultDomainCount == 5',
    holds: (s) =>
      s.zones.length === 0 || s.platformFaultDomainCount === 1 || s.platformFaultDomainCount === 5,
    message: 'platformFaultDomainCount must be 1 or 5 for a zonal scale set (2–4 are for regional sets only)',
    fieldPath: '.platformFaultDomainCount',
  },
];

export const ScaleSetSpec = withRules(ScaleSetSpecObject, SCALESET_RULES);
export type ScaleSetSpec = z.output<typeof ScaleSetSpec>;
export type ScaleSetSpecInput = z.input<typeof ScaleSetSpec>;

/** Annotation on an Instance (value "true"): Manual mode upgrades that instance to the latest model. */
export const UPGRADE_ANNOTATION = 'compute.vmfleet.io/upgrade';
/** Annotation on a ScaleSet: each new value upgrades every stale instance once (Manual mode). */
export const UPGRADE_ALL_ANNOTATION = 'compute.vmfleet.io/upgrade-all';

const InstanceNames = z.array(z.string().max(253)).max(50);

export const UpgradeStatus = z.object({
  mode: z.enum(['Automatic', 'Manual', 'Rolling']),
  targetModelHash: z.string().max(64).describe('The model hash every instance should carry.'),
  phase: z
    .enum(['RollingForward', 'Completed', 'Paused', 'ManualUpgradePending'])
    .describe('Paused: a rolling limit is breached (see the Progressing condition).'),
  successful: z.int().min(0).describe('Instances on the latest model, Running and healthy.'),
  failed: z.int().min(0).describe('Instances on the latest model that failed or are unhealthy.'),
  inProgress: z.int().min(0).describe('Replacements not Running yet (or not created yet).'),
  pending: z.int().min(0).describe('Stale instances still to upgrade (protected ones not counted).'),
  currentBatch: z.int().min(0).describe('Rolling: the batch in progress or last completed (1-based).'),
  totalBatches: z.int().min(0),
  batchSize: z.int().min(0).describe('Rolling: ceil(maxBatchInstancePercent% of capacity).'),
  lastBatchCompletedAt: z.iso.datetime().optional(),
  manualPending: InstanceNames.optional().describe('Manual: stale instances waiting for an upgrade request.'),
  protectedStale: InstanceNames.optional().describe(
    'Stale instances protected from scale-set actions: never upgraded.',
  ),
  // What the next step needs to remember (the operator's bookkeeping, shown for transparency).
  batchOpen: z.boolean().optional(),
  batchReplaced: z.int().min(0).optional(),
  surge: z.int().min(0).optional().describe('maxSurge: extra VMs held while a batch is replaced.'),
  revision: z
    .int()
    .min(0)
    .optional()
    .describe(
      'Counts the upgrade steps acted on (the operator trusts its in-process memory only while ahead of it).',
    ),
  protectionOwed: z
    .int()
    .min(0)
    .optional()
    .describe(
      'Replaced VMs that were protected from scale-in whose replacements are not created yet: the next new VMs get the protection.',
    ),
  handledUpgradeAll: z
    .string()
    .max(253)
    .optional()
    .describe(`The last ${UPGRADE_ALL_ANNOTATION} value acted on.`),
});
export type UpgradeStatus = z.output<typeof UpgradeStatus>;

export const ImageStatus = z.object({
  source: z.string().max(32),
  name: z.string().max(256),
  version: z.string().max(64).describe('The concrete version ("latest" resolved).'),
  replicas: z.int().min(0).optional().describe('Gallery: replicas of the version in this region.'),
  maxProvisioning: z
    .int()
    .min(0)
    .optional()
    .describe('Gallery: VMs that may provision from the version at once (replicas × VMs per replica).'),
  throttled: z.boolean().optional().describe('True while replica throughput holds back a scale-out.'),
  message: z.string().max(1024).optional(),
});
export type ImageStatus = z.output<typeof ImageStatus>;

export const ScaleSetStatus = z.object({
  ...GroupStatusFields,
  capacity: z
    .int()
    .min(0)
    .optional()
    .describe('Instances that exist now (the scale subresource’s status replicas).'),
  selector: z
    .string()
    .optional()
    .describe('Label selector of the Instances (for the scale subresource and HPA).'),
  byPriority: z.object({ regular: z.int().min(0), spot: z.int().min(0) }).optional(),
  repairs: RepairsStatus.optional().describe('Automatic repairs: what was repaired, what is in progress.'),
  rebalance: RebalanceStatus.optional().describe('Automatic zone rebalancing progress.'),
  autoscale: AutoscaleStatus.optional().describe('The schedule profile in force and when it changes.'),
  upgrade: UpgradeStatus.optional().describe('Progress of the instances towards the latest model.'),
  image: ImageStatus.optional().describe('The image new VMs get, as resolved from spec.image.'),
});
export type ScaleSetStatus = z.output<typeof ScaleSetStatus>;

export const ScaleSet = z.object({
  apiVersion: z.literal(API_GROUP_VERSION),
  kind: z.literal('ScaleSet'),
  metadata: ObjectMeta,
  spec: ScaleSetSpec,
  status: ScaleSetStatus.optional(),
});
export type ScaleSet = z.output<typeof ScaleSet>;
