// Region: the simulated cloud's catalogue of one location (DESIGN §3.1). Cluster-scoped.
import { z } from 'zod';
import {
  API_GROUP_VERSION,
  Architecture,
  AzureErrorCode,
  Conditions,
  Duration,
  MAX_PRICE_PER_HOUR,
  ObjectMeta,
  Priority,
  VmCategory,
  VmSizeName,
  ZoneName,
  listMap,
  withRules,
} from './common.ts';

export const RegionZone = z.object({
  name: ZoneName,
  faultDomains: z
    .int()
    .min(1)
    .max(20)
    .describe(
      'Fault domains in the zone. Fewer than a group’s fixed platformFaultDomainCount makes the zone ineligible.',
    ),
  available: z
    .boolean()
    .default(true)
    .describe('false simulates a zone outage: the zone takes no new VMs; running ones stay.'),
});
export type RegionZone = z.output<typeof RegionZone>;

export const ZoneCapacity = z.object({
  zone: ZoneName,
  regular: z.int().min(0).describe('How many Regular VMs of this size the zone can host for us.'),
  spot: z
    .int()
    .min(0)
    .describe('How many Spot VMs of this size the zone can host. Lowering it below usage evicts Spot VMs.'),
  spotPricePerHour: z
    .number()
    .min(0)
    .max(MAX_PRICE_PER_HOUR)
    .optional()
    .describe('Zone-specific Spot price (USD/h), overriding the size’s spotPricePerHour.'),
});
export type ZoneCapacity = z.output<typeof ZoneCapacity>;

export const RegionVmSize = withRules(
  z.object({
    name: VmSizeName,
    family: z
      .string()
      .max(32)
      .regex(/^[A-Za-z0-9]+$/)
      .describe('Quota family, e.g. "DSv5" (matched against spec.quotas.families).'),
    vCPUs: z.int().min(1).max(1024),
    memoryGiB: z.number().positive().max(32768),
    architecture: Architecture.default('x64'),
    category: VmCategory.default('GeneralPurpose'),
    burstable: z.boolean().default(false).describe('B-series. Burstable sizes are never Spot-capable.'),
    spotCapable: z.boolean().default(true),
    pricePerHour: z.number().min(0).max(MAX_PRICE_PER_HOUR).describe('Pay-as-you-go price, USD per hour.'),
    spotPricePerHour: z
      .number()
      .min(0)
      .max(MAX_PRICE_PER_HOUR)
      .optional()
      .describe('Spot price, USD per hour (required when spotCapable).'),
    capacity: listMap(z.array(ZoneCapacity).max(16), ['zone']).describe('Capacity per zone and priority.'),
  }),
  [
    {
      cel: '!self.burstable || !self.spotCapable',
      holds: (s) => !s.burstable || !s.spotCapable,
      message: 'burstable (B-series) sizes cannot be spotCapable',
      fieldPath: '.spotCapable',
    },
    {
      cel: '!self.spotCapable || has(self.spotPricePerHour)',
      holds: (s) => !s.spotCapable || s.spotPricePerHour !== undefined,
      message: 'spotPricePerHour is required when spotCapable is true',
      fieldPath: '.spotPricePerHour',
    },
  ],
);
export type RegionVmSize = z.output<typeof RegionVmSize>;

export const Quotas = z.object({
  regionalVCPUs: z.int().min(0).optional().describe('Total Regional Cores quota (Regular + Spot).'),
  spotVCPUs: z.int().min(0).optional().describe('Total Regional Low-priority (Spot) vCPUs quota.'),
  families: z
    .record(z.string(), z.int().min(0))
    .optional()
    .describe('Per-family vCPU quota for Regular VMs, keyed by family name.'),
});
export type Quotas = z.output<typeof Quotas>;

export const SimulatedFault = z.object({
  vmSize: VmSizeName.optional().describe('Size the fault applies to; all sizes when absent.'),
  zone: ZoneName.optional().describe('Zone the fault applies to; all zones when absent.'),
  priority: Priority.optional().describe('Priority the fault applies to; both when absent.'),
  code: AzureErrorCode.describe('The Azure error code new allocations in scope fail with.'),
  until: z.iso.datetime().optional().describe('The fault ends at this time; forever when absent.'),
});
export type SimulatedFault = z.output<typeof SimulatedFault>;

/**
 * An injected health failure: every Running VM of the region it selects (by name, or all in a zone) turns
 * Unhealthy with `reason`, once. A VM that was restarted or reimaged since (status.repairedAt) is fixed and no
 * longer selected; a replacement VM has another name, so only zone faults hit it again.
 */
export const HealthFault = withRules(
  z.object({
    instance: z.string().min(1).max(253).optional().describe('Name of the Instance (any namespace).'),
    zone: ZoneName.optional().describe('Every VM in this zone.'),
    reason: z
      .string()
      .max(128)
      .regex(/^[A-Za-z][A-Za-z0-9]*$/)
      .default('HealthProbeFailed')
      .describe('Written to the Instance status.healthReason.'),
  }),
  [
    {
      cel: 'has(self.instance) || has(self.zone)',
      holds: (f) => f.instance !== undefined || f.zone !== undefined,
      message: 'a health fault needs instance or zone',
      fieldPath: '.instance',
    },
  ],
);
export type HealthFault = z.output<typeof HealthFault>;

export const Simulation = z.object({
  provisioningDelay: Duration.default('5s').describe('Time from Provisioning to Running.'),
  spotEvictionRatePerHour: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe('Probability per Spot VM per hour of a random eviction (seeded, reproducible).'),
  seed: z.int().min(0).max(2147483647).default(1).describe('Seed of the simulation’s random choices.'),
  faults: z.array(SimulatedFault).max(64).default([]).describe('Injected allocation errors.'),
  unhealthyRatePerHour: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe('Probability per Running VM per hour of turning Unhealthy (seeded, reproducible).'),
  healthFaults: z.array(HealthFault).max(64).default([]).describe('Injected health failures.'),
});
export type Simulation = z.output<typeof Simulation>;

export const RegionSpec = withRules(
  z.object({
    zones: listMap(z.array(RegionZone).min(1).max(16), ['name']).describe(
      'Availability zones of the location.',
    ),
    vmSizes: listMap(z.array(RegionVmSize).min(1).max(64), ['name']).describe(
      'VM sizes offered, with prices and capacity.',
    ),
    quotas: Quotas.default({}).describe('vCPU quotas; absent limits are unlimited.'),
    simulation: Simulation.default({
      provisioningDelay: '5s',
      spotEvictionRatePerHour: 0,
      seed: 1,
      faults: [],
      unhealthyRatePerHour: 0,
      healthFaults: [],
    }),
  }),
  [
    {
      cel: 'self.vmSizes.all(s, s.capacity.all(c, self.zones.exists(z, z.name == c.zone)))',
      holds: (s) =>
        s.vmSizes.every((size) => size.capacity.every((c) => s.zones.some((zone) => zone.name === c.zone))),
      message: 'every vmSizes[].capacity[].zone must be one of spec.zones',
      fieldPath: '.vmSizes',
    },
  ],
);
export type RegionSpec = z.output<typeof RegionSpec>;

export const PoolUsage = z.object({
  vmSize: z.string(),
  zone: z.string(),
  priority: Priority,
  count: z.int().min(0),
  vCPUs: z.int().min(0),
});

export const QuotaUsage = z.object({
  name: z.string().describe('regionalVCPUs, spotVCPUs, or family/<name>.'),
  used: z.int().min(0),
  limit: z.int().min(0).optional(),
});

/**
 * Set by the operator on a Region while any Instance uses it, removed once none does: deleting a Region in
 * use waits for its VMs to go instead of orphaning them.
 */
export const REGION_FINALIZER = 'compute.vmfleet.io/region-in-use';

export const RegionStatus = z.object({
  observedGeneration: z.int().min(0).optional(),
  instances: z.int().min(0).optional().describe('VMs allocated in this region (all groups).'),
  usage: z.array(PoolUsage).max(4096).optional().describe('Usage per size × zone × priority.'),
  quotaUsage: listMap(z.array(QuotaUsage).max(300), ['name']).optional(),
  conditions: Conditions.optional(),
});
export type RegionStatus = z.output<typeof RegionStatus>;

export const Region = z.object({
  apiVersion: z.literal(API_GROUP_VERSION),
  kind: z.literal('Region'),
  metadata: ObjectMeta,
  spec: RegionSpec,
  status: RegionStatus.optional(),
});
export type Region = z.output<typeof Region>;
