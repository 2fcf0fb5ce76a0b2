// Instance: one VM, owned by its ScaleSet or ComputeFleet (DESIGN §3.4). Namespaced. The Instances are the
// simulated cloud's ledger: Region usage is counted from them.
import { z } from 'zod';
import {
  API_GROUP_VERSION,
  Conditions,
  EvictionPolicy,
  Image,
  ObjectMeta,
  Priority,
  RegionName,
  VmSizeName,
  immutable,
  withRules,
} from './common.ts';

export const INSTANCE_LABELS = {
  scaleSet: 'vmfleet.io/scaleset',
  computeFleet: 'vmfleet.io/computefleet',
  vmSize: 'vmfleet.io/vm-size',
  zone: 'vmfleet.io/zone',
  priority: 'vmfleet.io/priority',
  modelHash: 'vmfleet.io/model-hash',
} as const;

export const INSTANCE_FINALIZER = 'compute.vmfleet.io/release-vm';

export const InstancePhase = z.enum(['Pending', 'Provisioning', 'Running', 'Deallocated', 'Failed']);
export type InstancePhase = z.output<typeof InstancePhase>;

/** Health of a Running VM (the application health probe / health extension analogue). */
export const InstanceHealth = z.enum(['Healthy', 'Unhealthy']);
export type InstanceHealth = z.output<typeof InstanceHealth>;

const fixed = <S extends z.ZodType>(schema: S, field: string): S =>
  immutable(schema, `${field} is immutable`);

export const Protection = withRules(
  z.object({
    fromScaleIn: z.boolean().default(false).describe('Scale-in never removes this instance.'),
    fromScaleSetActions: z
      .boolean()
      .default(false)
      .describe('Upgrades, repairs and rebalancing also skip it (implies fromScaleIn).'),
  }),
  [
    {
      cel: '!self.fromScaleSetActions || self.fromScaleIn',
      holds: (p) => !p.fromScaleSetActions || p.fromScaleIn,
      message: 'fromScaleSetActions implies fromScaleIn: set both',
      fieldPath: '.fromScaleIn',
    },
  ],
);

export const InstanceSpec = withRules(
  z.object({
    region: fixed(RegionName, 'region'),
    instanceId: fixed(z.int().min(0), 'instanceId').describe(
      'Increasing per owner; the name is <owner>-<instanceId>.',
    ),
    vmSize: fixed(VmSizeName, 'vmSize'),
    zone: fixed(z.string().max(16), 'zone').describe('Zone, or "" for a regional VM.'),
    faultDomain: fixed(z.int().min(0).max(19), 'faultDomain'),
    priority: fixed(Priority, 'priority'),
    evictionPolicy: fixed(EvictionPolicy, 'evictionPolicy').optional().describe('Spot only.'),
    maxPricePerHour: fixed(z.number().min(-1), 'maxPricePerHour')
      .optional()
      .describe('Spot only: evicted when the Spot price rises above it; -1 = up to the Regular price.'),
    image: fixed(Image, 'image').optional(),
    protection: Protection.default({ fromScaleIn: false, fromScaleSetActions: false }),
  }),
  [
    {
      cel: "self.priority == 'Spot' || (!has(self.evictionPolicy) && !has(self.maxPricePerHour))",
      holds: (s) =>
        s.priority === 'Spot' || (s.evictionPolicy === undefined && s.maxPricePerHour === undefined),
      message: 'evictionPolicy and maxPricePerHour are for Spot instances only',
      fieldPath: '.evictionPolicy',
    },
  ],
);
export type InstanceSpec = z.output<typeof InstanceSpec>;

export const InstanceStatus = z.object({
  observedGeneration: z.int().min(0).optional(),
  phase: InstancePhase.optional(),
  reason: z.string().max(128).optional().describe('Azure error code when Failed, or why it moved.'),
  message: z.string().max(4096).optional(),
  pricePerHour: z.number().min(0).optional().describe('USD per hour while Running.'),
  providerID: z.string().max(512).optional(),
  launchedAt: z.iso.datetime().optional(),
  evictedAt: z.iso.datetime().optional(),
  health: InstanceHealth.optional().describe(
    'Application health as the simulated cloud reports it (absent: not probed yet, treated as Healthy).',
  ),
  healthChangedAt: z.iso.datetime().optional().describe('When health last changed.'),
  healthReason: z
    .string()
    .max(128)
    .optional()
    .describe('Why health last changed (fault reason, Restarted…).'),
  repair: z
    .object({ action: z.enum(['Restart', 'Reimage']), requestedAt: z.iso.datetime() })
    .optional()
    .describe('A repair of the owner in progress on this VM; the simulated cloud finishes it.'),
  repairedAt: z.iso.datetime().optional().describe('When the VM was last restarted or reimaged by a repair.'),
  conditions: Conditions.optional(),
});
export type InstanceStatus = z.output<typeof InstanceStatus>;

export const Instance = z.object({
  apiVersion: z.literal(API_GROUP_VERSION),
  kind: z.literal('Instance'),
  metadata: ObjectMeta,
  spec: InstanceSpec,
  status: InstanceStatus.optional(),
});
export type Instance = z.output<typeof Instance>;
