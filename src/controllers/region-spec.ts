// Region specs are checked once more before the controllers trust them. The API server validates a Region
// when it is written, but an object stored under an older or looser CRD schema is served as it is stored:
// the reliability suite stored a Region whose `zones` was a string, and the group controller then failed
// on every retry with "region.zones.map is not a function" while the Region controller's status writes
// failed with HTTP 500. A Region that does not parse is now reported (log, Event) and left alone, and the
// groups in it are refused with a status that names it.
import { RegionSpec, parseWith, type FieldError, type Region } from '../api/index.ts';
import type { DeepReadonly } from '../runtime/index.ts';

export type RegionCheck = { ok: true } | { ok: false; errors: FieldError[] };

/** Cached objects are frozen and replaced on every change, so one check per object is enough. */
const checked = new WeakMap<object, RegionCheck>();

export function checkRegion(region: DeepReadonly<Region>): RegionCheck {
  const known = checked.get(region);
  if (known !== undefined) return known;
  const parsed = parseWith(RegionSpec, region.spec);
  const result: RegionCheck = parsed.ok
    ? { ok: true }
    : { ok: false, errors: parsed.errors.map((e) => ({ ...e, field: `spec.${e.field}` })) };
  checked.set(region, result);
  return result;
}

/** "spec.zones: expected array, received string; …" (at most `max` errors). */
export function describeErrors(errors: readonly FieldError[], max = 3): string {
  const shown = errors.slice(0, max).map((e) => `${e.field}: ${e.message}`);
  return errors.length > max ? `${shown.join('; ')}; …` : shown.join('; ');
}
