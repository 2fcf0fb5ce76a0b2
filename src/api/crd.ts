// Generates the CustomResourceDefinitions from the zod schemas, so the API server enforces exactly the types,
// defaults, bounds and cross-field rules the operator and CLI use. Output is deterministic: `vmfleet crds`
// writes crds/*.yaml and a unit test fails when the committed files drift from this generator.
import { z } from 'zod';
import { stringify } from 'yaml';
import { API_GROUP, API_VERSION } from './common.ts';
import { ComputeFleetSpec, ComputeFleetStatus } from './computefleet.ts';
import { GalleryImageSpec, GalleryImageStatus } from './galleryimage.ts';
import { InstanceSpec, InstanceStatus } from './instance.ts';
import { RegionSpec, RegionStatus } from './region.ts';
import { ScaleSetSpec, ScaleSetStatus } from './scaleset.ts';

export interface PrinterColumn {
  name: string;
  type: 'integer' | 'number' | 'string' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface ResourceDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  printerColumns: PrinterColumn[];
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
}

const readyColumn: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
};
const ageColumn: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export const RESOURCES: readonly ResourceDefinition[] = [
  {
    kind: 'Region',
    plural: 'regions',
    singular: 'region',
    shortNames: ['rgn'],
    scope: 'Cluster',
    description:
      'The simulated cloud’s catalogue of one location: zones, VM sizes, prices, capacity, quotas, faults.',
    spec: RegionSpec,
    status: RegionStatus,
    printerColumns: [
      { name: 'Instances', type: 'integer', jsonPath: '.status.instances' },
      readyColumn,
      ageColumn,
    ],
  },
  {
    kind: 'ScaleSet',
    plural: 'scalesets',
    singular: 'scaleset',
    shortNames: ['vmss'],
    scope: 'Namespaced',
    description:
      'A group of identical VMs spread over zones and fault domains, modelled on Azure VM Scale Sets.',
    spec: ScaleSetSpec,
    status: ScaleSetStatus,
    printerColumns: [
      { name: 'Mode', type: 'string', jsonPath: '.spec.orchestrationMode' },
      { name: 'Capacity', type: 'integer', jsonPath: '.spec.capacity' },
      { name: 'Ready', type: 'integer', jsonPath: '.status.readyInstances' },
      { name: 'Zones', type: 'string', jsonPath: '.spec.zones' },
      { name: 'Skew', type: 'integer', jsonPath: '.status.spread.zoneSkew' },
      { name: 'Cost/h', type: 'number', jsonPath: '.status.hourlyCost' },
      {
        name: 'Status',
        type: 'string',
        jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
        priority: 1,
      },
      ageColumn,
    ],
    scale: {
      specReplicasPath: '.spec.capacity',
      statusReplicasPath: '.status.capacity',
      labelSelectorPath: '.status.selector',
    },
  },
  {
    kind: 'ComputeFleet',
    plural: 'computefleets',
    singular: 'computefleet',
    shortNames: ['cfleet'],
    scope: 'Namespaced',
    description:
      'Up to 10,000 VMs over up to 15 sizes with independent Regular and Spot targets (Azure Compute Fleet).',
    spec: ComputeFleetSpec,
    status: ComputeFleetStatus,
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.spec.capacityType' },
      { name: 'Regular', type: 'number', jsonPath: '.spec.regular.capacity' },
      { name: 'Spot', type: 'number', jsonPath: '.spec.spot.capacity' },
      { name: 'Ready', type: 'integer', jsonPath: '.status.readyInstances' },
      { name: 'Skew', type: 'integer', jsonPath: '.status.spread.zoneSkew' },
      { name: 'Cost/h', type: 'number', jsonPath: '.status.hourlyCost' },
      {
        name: 'Status',
        type: 'string',
        jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
        priority: 1,
      },
      ageColumn,
    ],
  },
  {
    kind: 'Instance',
    plural: 'instances',
    singular: 'instance',
    shortNames: ['inst'],
    scope: 'Namespaced',
    description: 'One VM, owned by its ScaleSet or ComputeFleet.',
    spec: InstanceSpec,
    status: InstanceStatus,
    printerColumns: [
      { name: 'Size', type: 'string', jsonPath: '.spec.vmSize' },
      { name: 'Zone', type: 'string', jsonPath: '.spec.zone' },
      { name: 'FD', type: 'integer', jsonPath: '.spec.faultDomain' },
      { name: 'Priority', type: 'string', jsonPath: '.spec.priority' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Price', type: 'number', jsonPath: '.status.pricePerHour' },
      { name: 'Reason', type: 'string', jsonPath: '.status.reason', priority: 1 },
      ageColumn,
    ],
  },
  {
    kind: 'GalleryImage',
    plural: 'galleryimages',
    singular: 'galleryimage',
    shortNames: ['gimg'],
    scope: 'Namespaced',
    description:
      'An image definition of a compute gallery: published versions, each replicated to regions with replicas.',
    spec: GalleryImageSpec,
    status: GalleryImageStatus,
    printerColumns: [
      { name: 'Latest', type: 'string', jsonPath: '.status.latestVersion' },
      { name: 'OS', type: 'string', jsonPath: '.spec.osType' },
      ageColumn,
    ],
  },
];

type JsonSchema = Record<string, unknown>;

const FORBIDDEN_KEYS = [
  '$ref',
  'definitions',
  '$defs',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'patternProperties',
];

/**
 * Rewrites zod's OpenAPI 3.0 output into a structural schema (CRD docs, "Specifying a structural schema"):
 * no `additionalProperties: false` (pruning is the CRD default), no zod date-time regex (RE2 cannot run it and
 * `format` already says it), no ±2^53 bounds zod adds to every int. Anything structural schemas forbid is a
 * generator bug, so it throws rather than emitting a CRD the API server would refuse.
 */
export function toStructural(node: JsonSchema, path = '$'): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (FORBIDDEN_KEYS.includes(key))
      throw new Error(`${path}: '${key}' is not allowed in a structural schema`);
    if (key === 'additionalProperties' && value === false) continue;
    if (key === 'pattern' && node.format === 'date-time') continue;
    if ((key === 'minimum' || key === 'maximum') && Math.abs(Number(value)) === Number.MAX_SAFE_INTEGER)
      continue;
    if (key === 'properties' && isRecord(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [
          name,
          toStructural(asRecord(child), `${path}.${name}`),
        ]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && isRecord(value)) {
      out[key] = toStructural(value, `${path}[]`);
    } else {
      out[key] = value;
    }
  }
  if (typeof out.type !== 'string') throw new Error(`${path}: every node needs a type`);
  return out;
}

function isRecord(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asRecord(value: unknown): JsonSchema {
  if (!isRecord(value)) throw new Error('expected a JSON object in the schema');
  return value;
}

export function openApiSchema(schema: z.ZodType): JsonSchema {
  return toStructural(
    asRecord(
      z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', cycles: 'throw', reused: 'inline' }),
    ),
  );
}

export function customResourceDefinition(resource: ResourceDefinition): JsonSchema {
  const subresources: JsonSchema = { status: {} };
  if (resource.scale) subresources.scale = { ...resource.scale };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${resource.plural}.${API_GROUP}` },
    spec: {
      group: API_GROUP,
      scope: resource.scope,
      names: {
        kind: resource.kind,
        listKind: `${resource.kind}List`,
        plural: resource.plural,
        singular: resource.singular,
        shortNames: resource.shortNames,
        categories: ['vmfleet'],
      },
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources,
          additionalPrinterColumns: resource.printerColumns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: resource.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: openApiSchema(resource.spec),
                status: openApiSchema(resource.status),
              },
            },
          },
        },
      ],
    },
  };
}

const GENERATED_HEADER = '# Generated by `vmfleet crds` from src/api/. Do not edit by hand.\n';

/** File name → YAML text for every CRD (plus the kustomization that lists them). */
export function renderCrdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const resource of RESOURCES) {
    const name = `${API_GROUP}_${resource.plural}.yaml`;
    files.set(name, GENERATED_HEADER + stringify(customResourceDefinition(resource), { lineWidth: 0 }));
  }
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [...files.keys()],
  };
  files.set('kustomization.yaml', GENERATED_HEADER + stringify(kustomization));
  return files;
}
