// Building blocks shared by every vmfleet resource schema. Each zod schema here is the single source of truth
// for a TypeScript type, a CRD OpenAPI fragment (through ./crd.ts) and the CLI's file parsing.
import { z } from 'zod';

/**
 * Objects handed out by the operator's caches are frozen; this type makes the compiler refuse writes to them
 * too. Every layer (runtime, cloud, controllers) uses this one definition.
 */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

export const API_GROUP = 'compute.vmfleet.io';
export const API_VERSION = 'v1alpha1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

/**
 * A cross-field rule stated twice, side by side: as CEL for the API server (`x-kubernetes-validations`) and as
 * a TypeScript predicate for the operator and the CLI, so a manifest is judged the same way everywhere. The
 * integration suite replays the invalid-manifest catalogue against a real API server to prove the pair agrees.
 */
export interface CrossFieldRule<T> {
  /** CEL expression evaluated with `self` bound to the object the rule is attached to. */
  readonly cel: string;
  /** The same rule in TypeScript: true when the object is valid. */
  readonly holds: (self: T) => boolean;
  readonly message: string;
  /** Path below the object the error is reported at, in CEL field-path syntax (e.g. `.zoneBalance`). */
  readonly fieldPath: string;
}

/** An immutability rule: CEL `self == oldSelf` on one field, plus the TypeScript comparison used by `validateUpdate`. */
export interface TransitionRule<T> {
  readonly field: string;
  readonly unchanged: (oldSelf: T, self: T) => boolean;
  readonly message: string;
}

/** Attaches cross-field rules to an object schema: zod refinement for parsing, CEL metadata for the CRD. */
export function withRules<S extends z.ZodType>(schema: S, rules: readonly CrossFieldRule<z.output<S>>[]): S {
  const refined = schema.superRefine((value, ctx) => {
    for (const rule of rules) {
      if (!rule.holds(value)) {
        ctx.addIssue({ code: 'custom', message: rule.message, path: celPathToZodPath(rule.fieldPath) });
      }
    }
  });
  return refined.meta({
    'x-kubernetes-validations': rules.map((rule) => ({
      rule: rule.cel,
      message: rule.message,
      fieldPath: rule.fieldPath,
    })),
  });
}

/** Marks a field immutable once set: the API server compares it with the stored object. */
export function immutable<S extends z.ZodType>(schema: S, message: string): S {
  return schema.meta({ 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message }] });
}

function celPathToZodPath(fieldPath: string): string[] {
  return fieldPath.split('.').filter((part) => part.length > 0);
}

/**
 * Declares a list whose items are identified by `keys`: the API server rejects duplicates (and SSA merges per
 * item); the zod refinement rejects them the same way, at the index of the repeat.
 */
export function listMap<S extends z.ZodType<readonly object[]>>(schema: S, keys: readonly string[]): S {
  const unique = schema.superRefine((items, ctx) => {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const key = JSON.stringify(keys.map((k) => (item as Record<string, unknown>)[k]));
      if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `Duplicate value: ${key}`, path: [index] });
      seen.add(key);
    });
  });
  return unique.meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': [...keys] });
}

/** Declares a list of unique scalars. */
export function listSet<S extends z.ZodType>(schema: S): S {
  return schema.meta({ 'x-kubernetes-list-type': 'set' });
}

export const ZoneName = z
  .string()
  .max(16)
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,15}$/)
  .describe('Availability zone name, e.g. "1".');

/**
 * The highest price per VM and hour the API accepts (USD; the dearest Azure VMs cost a few hundred). A bound
 * keeps absurd values out at the API server, naming the field, and keeps the optimiser's numbers in a range
 * where its arithmetic is exact (prices are integer micro-dollars: 1e9 per VM at the bound).
 */
export const MAX_PRICE_PER_HOUR = 1000;

export const VmSizeName = z
  .string()
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/)
  .describe('VM size name as Azure spells it, e.g. "Standard_D2s_v5".');

export const RegionName = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/)
  .describe('Name of the Region resource (the location) the group lives in.');

/** Go/Kubernetes-style duration ("5s", "1m30s", "2h"), as kubectl users write them. */
export const Duration = z
  .string()
  .max(32)
  .regex(/^([0-9]+(ms|s|m|h))+$/);

export const Priority = z.enum(['Regular', 'Spot']).describe('VM priority: Regular (pay-as-you-go) or Spot.');
export type Priority = z.output<typeof Priority>;

export const EvictionPolicy = z.enum(['Deallocate', 'Delete']);
export type EvictionPolicy = z.output<typeof EvictionPolicy>;

export const Architecture = z.enum(['x64', 'Arm64']);
export type Architecture = z.output<typeof Architecture>;

export const VmCategory = z.enum([
  'GeneralPurpose',
  'ComputeOptimized',
  'MemoryOptimized',
  'StorageOptimized',
  'GpuAccelerated',
  'HighPerformanceCompute',
]);
export type VmCategory = z.output<typeof VmCategory>;

/** Azure error codes the simulated cloud can answer with (reference/azure-domain.md §4). */
export const AzureErrorCode = z.enum([
  'AllocationFailed',
  'ZonalAllocationFailed',
  'SkuNotAvailable',
  'OverconstrainedAllocationRequest',
  'OperationNotAllowed',
]);
export type AzureErrorCode = z.output<typeof AzureErrorCode>;

export const ImageSource = z.enum(['Marketplace', 'Gallery', 'ManagedImage']);

export const DEFAULT_IMAGE = { source: 'Marketplace', name: 'ubuntu-24.04', version: 'latest' } as const;

export const Image = z
  .object({
    source: ImageSource.default('Marketplace').describe(
      'Where the image comes from. ManagedImage (a legacy custom image) caps a ScaleSet at 600 VMs.',
    ),
    name: z
      .string()
      .min(1)
      .max(256)
      .default(DEFAULT_IMAGE.name)
      .describe('Image name or gallery image definition.'),
    version: z
      .string()
      .min(1)
      .max(64)
      .default(DEFAULT_IMAGE.version)
      .describe('Image version; "latest" follows the newest published version.'),
  })
  .describe('OS image of the VMs. Changing it changes the instance model.');
export type Image = z.output<typeof Image>;

export const Condition = z.object({
  type: z.string().min(1).max(316).describe('Condition type: Ready, Progressing or Degraded.'),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: z
    .int()
    .min(0)
    .optional()
    .describe('metadata.generation the condition was computed from.'),
  lastTransitionTime: z.iso.datetime().describe('When status last changed.'),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
    .describe('One CamelCase word, e.g. CapacityShortfall.'),
  message: z.string().max(32768).describe('Human-readable detail.'),
});
export type Condition = z.output<typeof Condition>;

export const Conditions = listMap(z.array(Condition).max(16), ['type']).describe(
  'Ready, Progressing and Degraded, each with observedGeneration.',
);

export const ObjectMeta = z.looseObject({
  name: z.string().min(1).max(253),
  namespace: z.string().min(1).max(63).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  generation: z.int().optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z
    .array(
      z.looseObject({
        apiVersion: z.string(),
        kind: z.string(),
        name: z.string(),
        uid: z.string(),
        controller: z.boolean().optional(),
        blockOwnerDeletion: z.boolean().optional(),
      }),
    )
    .optional(),
});
export type ObjectMeta = z.output<typeof ObjectMeta>;

/** Spread of a group over zones and fault domains, as shown in status and metrics. */
export const Spread = z.object({
  zoneSkew: z.int().min(0).describe('Largest minus smallest instance count over the eligible zones.'),
  faultDomainSkew: z
    .int()
    .min(0)
    .describe('Largest minus smallest count over the fault domains within a zone, worst zone.'),
  largestZoneShare: z
    .number()
    .min(0)
    .max(1)
    .describe('Share of the instances held by the fullest zone (0–1).'),
});
export type Spread = z.output<typeof Spread>;

export const UnavailableOffering = z.object({
  vmSize: VmSizeName,
  zone: z.string().max(16).describe('Zone, or "" for a regional scope.'),
  priority: Priority,
  code: AzureErrorCode,
  until: z.iso.datetime().describe('The pool is skipped until this time.'),
});
export type UnavailableOffering = z.output<typeof UnavailableOffering>;

export const UnavailableOfferings = z
  .array(UnavailableOffering)
  .max(500)
  .describe('Pools blocked by recent capacity or quota errors, with the Azure code and expiry.');

/** What the engine wants next, published in status (and the only output of a paused group). */
export const PlanSummary = z.object({
  creates: z
    .array(
      z.object({
        vmSize: VmSizeName,
        zone: z.string().max(16),
        faultDomain: z.int().min(0),
        priority: Priority,
        count: z.int().min(1),
      }),
    )
    .max(500)
    .describe('Instances to create, grouped by pool and fault domain.'),
  deletes: z
    .array(
      z.object({ name: z.string(), rule: z.string().describe('The removal rule that chose this instance.') }),
    )
    .max(500)
    .describe('Instances to delete, each with the rule that chose it (bounded list).'),
  shortfall: z
    .array(
      z.object({
        priority: Priority,
        count: z.number().min(0).describe('Capacity units that cannot be placed (VMs, or vCPUs with VCpu).'),
        reason: z.string(),
        message: z.string(),
      }),
    )
    .max(10),
  projectedHourlyCost: z.number().min(0).describe('USD per hour once the plan is realised.'),
  decisions: z.array(z.string().max(1024)).max(20).describe('Why the engine chose what it chose, in words.'),
  searchLimitReached: z
    .boolean()
    .optional()
    .describe(
      "Set (true) only when the optimiser's search limit stopped it: the plan is the best placement found, not proven the cheapest.",
    ),
});
export type PlanSummary = z.output<typeof PlanSummary>;

/** Status fields a ScaleSet and a ComputeFleet share: where the instances are, cost, spread, the plan. */
export const GroupStatusFields = {
  observedGeneration: z.int().min(0).optional(),
  readyInstances: z.int().min(0).optional().describe('Instances Running.'),
  byZone: listMap(z.array(z.object({ zone: z.string(), count: z.int().min(0) })).max(16), ['zone'])
    .optional()
    .describe('Instances per zone (every eligible zone listed, 0 included).'),
  byFaultDomain: z
    .array(z.object({ zone: z.string(), faultDomain: z.int().min(0), count: z.int().min(0) }))
    .max(128)
    .optional()
    .describe('Instances per zone and fault domain.'),
  bySize: listMap(z.array(z.object({ vmSize: z.string(), count: z.int().min(0) })).max(32), ['vmSize'])
    .optional()
    .describe('Instances per VM size.'),
  hourlyCost: z.number().min(0).optional().describe('USD per hour of the Running instances.'),
  spread: Spread.optional(),
  staleInstances: z.int().min(0).optional().describe('Instances whose model no longer matches the spec.'),
  nextInstanceId: z
    .int()
    .min(0)
    .optional()
    .describe("The instanceId the next VM gets: IDs only grow, so a deleted VM's name is never reused."),
  plan: PlanSummary.optional(),
  unavailableOfferings: UnavailableOfferings.optional(),
  conditions: Conditions.optional(),
};
