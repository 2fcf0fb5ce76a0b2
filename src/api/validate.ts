// Semantic validation: the rules a schema or CEL cannot say because they need the Region (sizes and zones
// must exist, B-series never Spot, one CPU architecture per group). The operator reports these as
// Ready=False with reason InvalidSpec; the CLI prints them and exits 2. Each error names its field path.
import type { ComputeFleetSpec, VmAttributes } from './computefleet.ts';
import type { RegionVmSize } from './region.ts';
import type { ScaleSetSpec } from './scaleset.ts';

export interface FieldError {
  /** Dotted path from the object root, e.g. `spec.skuProfile.vmSizes[1].name`. */
  field: string;
  message: string;
}

/** What the checks read of a Region: its zone names and its sizes (read-only, so cached objects fit). */
export interface RegionCatalogue {
  readonly zones: readonly { readonly name: string }[];
  readonly vmSizes: readonly CatalogueSize[];
}
type CatalogueSize = Readonly<Omit<RegionVmSize, 'capacity'>>;

export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}

function sizeIndex(region: RegionCatalogue): Map<string, CatalogueSize> {
  return new Map(region.vmSizes.map((s) => [s.name, s]));
}

function checkZones(zones: readonly string[], region: RegionCatalogue, regionName: string): FieldError[] {
  const known = new Set(region.zones.map((z) => z.name));
  return zones.flatMap((zone, i) =>
    known.has(zone)
      ? []
      : [{ field: `spec.zones[${i}]`, message: `zone "${zone}" does not exist in region ${regionName}` }],
  );
}

interface ListedSize {
  name: string;
  field: string;
}

function checkListedSizes(
  listed: readonly ListedSize[],
  sizes: Map<string, CatalogueSize>,
  regionName: string,
  mayBeSpot: boolean,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const { name, field } of listed) {
    const size = sizes.get(name);
    if (!size) {
      errors.push({ field, message: `VM size "${name}" does not exist in region ${regionName}` });
    } else if (mayBeSpot && size.burstable) {
      errors.push({ field, message: `${name} is a B-series (burstable) size and cannot run as Spot` });
    } else if (mayBeSpot && !size.spotCapable) {
      errors.push({ field, message: `${name} is not Spot-capable in region ${regionName}` });
    }
  }
  return errors;
}

function checkOneArchitecture(
  listed: readonly ListedSize[],
  sizes: Map<string, CatalogueSize>,
): FieldError[] {
  const first = listed.map((l) => sizes.get(l.name)).find((s) => s !== undefined);
  if (!first) return [];
  const other = listed.find((l) => {
    const size = sizes.get(l.name);
    return size !== undefined && size.architecture !== first.architecture;
  });
  return other
    ? [
        {
          field: other.field,
          message: `all sizes must share one CPU architecture (${first.name} is ${first.architecture})`,
        },
      ]
    : [];
}

export function validateScaleSet(
  spec: ScaleSetSpec,
  region: RegionCatalogue,
  regionName = spec.region,
): FieldError[] {
  const sizes = sizeIndex(region);
  const listed: ListedSize[] = spec.skuProfile
    ? spec.skuProfile.vmSizes.map((s, i) => ({ name: s.name, field: `spec.skuProfile.vmSizes[${i}].name` }))
    : spec.vmSize !== undefined
      ? [{ name: spec.vmSize, field: 'spec.vmSize' }]
      : [];
  return [
    ...checkZones(spec.zones, region, regionName),
    ...checkListedSizes(listed, sizes, regionName, spec.priority === 'Spot'),
    ...checkOneArchitecture(listed, sizes),
  ];
}

/** Sizes of the region that a fleet's attribute selection resolves to, in catalogue order. */
export function sizesMatchingAttributes(attrs: VmAttributes, region: RegionCatalogue): CatalogueSize[] {
  const within = (value: number, range: { min?: number | undefined; max?: number | undefined }) =>
    value >= (range.min ?? 0) && value <= (range.max ?? Number.POSITIVE_INFINITY);
  const categories = attrs.categories ?? ['GeneralPurpose'];
  const excluded = new Set(attrs.excludedVMSizes ?? []);
  return region.vmSizes.filter(
    (s) =>
      within(s.vCPUs, attrs.vCpuCount) &&
      within(s.memoryGiB, attrs.memoryGiB) &&
      (attrs.architectures === undefined || attrs.architectures.includes(s.architecture)) &&
      categories.includes(s.category) &&
      (attrs.burstable === 'Included' || (attrs.burstable === 'Required') === s.burstable) &&
      !excluded.has(s.name),
  );
}

export function validateComputeFleet(
  spec: ComputeFleetSpec,
  region: RegionCatalogue,
  regionName = spec.region,
): FieldError[] {
  const sizes = sizeIndex(region);
  const wantsSpot = (spec.spot?.capacity ?? 0) > 0;
  const errors = checkZones(spec.zones, region, regionName);
  if (spec.vmSizes) {
    const listed = spec.vmSizes.map((s, i) => ({ name: s.name, field: `spec.vmSizes[${i}].name` }));
    // Spot from a fleet only ever uses its Spot-capable sizes, so a listed B-series size is fine for Regular;
    // it is an error only when the fleet has nothing else to run Spot on.
    errors.push(
      ...checkListedSizes(listed, sizes, regionName, false),
      ...checkOneArchitecture(listed, sizes),
    );
    const spotCapable = spec.vmSizes.filter((s) => sizes.get(s.name)?.spotCapable === true);
    if (wantsSpot && spotCapable.length === 0) {
      errors.push({
        field: 'spec.spot.capacity',
        message: 'no listed VM size is Spot-capable (B-series never are)',
      });
    }
  } else if (spec.vmAttributes) {
    const matching = sizesMatchingAttributes(spec.vmAttributes, region);
    if (matching.length === 0) {
      errors.push({
        field: 'spec.vmAttributes',
        message: `no VM size in region ${regionName} matches these attributes`,
      });
    } else if (new Set(matching.map((s) => s.architecture)).size > 1) {
      errors.push({
        field: 'spec.vmAttributes.architectures',
        message: 'the attributes match sizes of more than one CPU architecture: pick one',
      });
    }
  }
  return errors;
}
