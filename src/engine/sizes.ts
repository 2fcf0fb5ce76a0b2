// Which VM sizes a group may use: its size list (truncated to the group's limit), or the region's sizes that
// match its attributes; and which of them may run as Spot.
import type { SizeInfo, SizeSelection, VmAttributeFilter } from './types.ts';

export interface AllowedSize {
  readonly info: SizeInfo;
  readonly rank: number;
}

export interface SizeResolution {
  /** Sorted by name, so every later pass walks sizes in one documented order. */
  readonly allowed: readonly AllowedSize[];
  readonly notes: readonly string[];
}

export function resolveSizes(
  selection: SizeSelection,
  catalogue: readonly SizeInfo[],
  maxSizes: number,
): SizeResolution {
  const byName = new Map(catalogue.map((size) => [size.name, size]));
  const notes: string[] = [];
  let allowed: AllowedSize[];
  if (selection.kind === 'List') {
    // Over the limit: keep the most preferred (rank, then name), as validation would have refused the rest.
    const ordered = [...selection.sizes].sort((a, b) => a.rank - b.rank || compareNames(a.name, b.name));
    const kept = ordered.slice(0, maxSizes);
    if (ordered.length > maxSizes) {
      notes.push(
        `${ordered.length} sizes listed, the limit is ${maxSizes}: ignoring ${ordered
          .slice(maxSizes)
          .map((s) => s.name)
          .join(', ')}`,
      );
    }
    allowed = [];
    for (const choice of kept) {
      const info = byName.get(choice.name);
      if (info) allowed.push({ info, rank: choice.rank });
      else notes.push(`${choice.name} is not offered in this region`);
    }
  } else {
    allowed = catalogue
      .filter((size) => matchesAttributes(size, selection.attributes))
      .map((info) => ({ info, rank: 0 }));
    if (allowed.length === 0) notes.push('no size in this region matches the attributes');
  }
  allowed.sort((a, b) => compareNames(a.info.name, b.info.name));
  return { allowed, notes };
}

/** Azure's attribute semantics: unset min = 0, unset max = unbounded, categories default GeneralPurpose. */
export function matchesAttributes(size: SizeInfo, attributes: VmAttributeFilter): boolean {
  const within = (value: number, range: { min?: number | undefined; max?: number | undefined }) =>
    value >= (range.min ?? 0) && value <= (range.max ?? Number.POSITIVE_INFINITY);
  const categories = attributes.categories ?? ['GeneralPurpose'];
  const burstableOk =
    attributes.burstable === 'Included' || (attributes.burstable === 'Required') === isBurstable(size);
  return (
    within(size.vCPUs, attributes.vCpuCount) &&
    within(size.memoryGiB, attributes.memoryGiB) &&
    (attributes.architectures === undefined || attributes.architectures.includes(size.architecture)) &&
    categories.includes(size.category) &&
    burstableOk &&
    !attributes.excludedSizes.includes(size.name)
  );
}

/** B-series sizes are burstable; the name check also catches a catalogue that forgot the flag. */
export function isBurstable(size: SizeInfo): boolean {
  return size.burstable || /^Standard_B\d/i.test(size.name);
}

/** B-series never run as Spot, whatever the catalogue says. */
export function canRunSpot(size: SizeInfo): boolean {
  return size.spotCapable && !isBurstable(size);
}

/** Plain code-unit order: locale-independent, so the same input sorts the same everywhere. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
