// GalleryImages for the ScaleSet reconcile: resolving `image: {source: Gallery}` to a concrete version, the
// replica throughput that bounds a scale-out, and the GalleryImage's own status (its versions and which one
// is latest), written by a small reconciler of its own.
import {
  GalleryImageSpec,
  compareVersions,
  parseWith,
  type GalleryImage,
  type GalleryImageStatus,
  type ImageStatus,
  type ParseResult,
  type ScaleSetSpec,
} from '../api/index.ts';
import { latestVersion, resolveGalleryVersion, throttleCreates } from '../engine/images.ts';
import type { Plan } from '../engine/index.ts';
import {
  computeConditions,
  type ConditionUpdate,
  type ReadonlyStore,
  type ReconcileRequest,
  type ReconcileResult,
  type StatusWriter,
  type Clock,
} from '../runtime/index.ts';
import { asConditions } from './group-status.ts';
import { GALLERYIMAGES } from './resources.ts';

export type ImageResolution =
  | { ok: true; spec: ScaleSetSpec; status: ImageStatus; maxProvisioning?: number }
  | { ok: false; reason: string; message: string };

/** The ScaleSet's spec with its image version made concrete, and the image part of its status. */
export function resolveImage(
  spec: ScaleSetSpec,
  namespace: string,
  galleries: ReadonlyStore<GalleryImage>,
): ImageResolution {
  const image = spec.image;
  if (image.source !== 'Gallery') {
    return { ok: true, spec, status: { source: image.source, name: image.name, version: image.version } };
  }
  const object = galleries.get(`${namespace}/${image.name}`);
  const parsed = object === undefined ? undefined : parseWith(GalleryImageSpec, object.spec);
  if (parsed !== undefined && !parsed.ok) {
    return {
      ok: false,
      reason: 'ImageNotFound',
      message: `GalleryImage "${image.name}" is invalid: ${parsed.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
    };
  }
  const resolved = resolveGalleryVersion(parsed?.value, image.name, image.version, spec.region);
  if (!resolved.ok) return { ok: false, reason: resolved.reason, message: resolved.message };
  return {
    ok: true,
    spec: { ...spec, image: { ...image, version: resolved.version } },
    status: {
      source: image.source,
      name: image.name,
      version: resolved.version,
      replicas: resolved.replicas,
      maxProvisioning: resolved.maxProvisioning,
      throttled: false,
    },
    maxProvisioning: resolved.maxProvisioning,
  };
}

/**
 * Trims the plan's creates to the version's replica throughput, `provisioning` VMs of the set booting from
 * it already; marks the image status throttled (with the figures) when that holds VMs back.
 */
export function throttlePlan(
  plan: Plan,
  status: ImageStatus,
  maxProvisioning: number,
  provisioning: number,
  existingByZone: ReadonlyMap<string, number>,
): { plan: Plan; held: number; status: ImageStatus } {
  const { creates, held } = throttleCreates(plan.creates, maxProvisioning, provisioning, existingByZone);
  if (held === 0) return { plan, held, status };
  return {
    plan: { ...plan, creates },
    held,
    status: {
      ...status,
      throttled: true,
      message: `${held} VM(s) held back: version ${status.version} has ${status.replicas ?? 0} replica(s) here, at most ${maxProvisioning} VMs provisioning from it at once (${provisioning} now)`,
    },
  };
}

/** Index of the ScaleSet cache: `<namespace>/<GalleryImage name>` of a ScaleSet using a gallery image. */
export const GALLERY_INDEX = 'gallery-image';

export function galleryImageOf(scaleSet: {
  metadata: { namespace?: string | undefined };
  spec?: unknown;
}): string[] {
  const image = (scaleSet.spec as { image?: { source?: unknown; name?: unknown } } | undefined)?.image;
  if (image?.source !== 'Gallery' || typeof image.name !== 'string') return [];
  return [`${scaleSet.metadata.namespace ?? ''}/${image.name}`];
}

export function galleryStatus(
  spec: GalleryImageSpec,
): Omit<GalleryImageStatus, 'conditions' | 'observedGeneration'> {
  const versions = [...spec.versions].sort((a, b) => compareVersions(b.name, a.name));
  const regions = [...new Set(spec.versions.flatMap((v) => v.regions.map((r) => r.name)))].sort();
  const latest = latestVersion(spec);
  return {
    ...(latest === undefined ? {} : { latestVersion: latest }),
    latestByRegion: regions.flatMap((region) => {
      const version = latestVersion(spec, region);
      return version === undefined ? [] : [{ region, version }];
    }),
    versions: versions.map((v) => ({
      name: v.name,
      excludeFromLatest: v.excludeFromLatest,
      regions: v.regions.map((r) => r.name),
      replicas: v.regions.reduce((n, r) => n + r.replicaCount, 0),
    })),
  };
}

/** Ready: some version is published; False with the reason when none is, or the spec is invalid. */
function readyCondition(parsed: ParseResult<GalleryImageSpec>): ConditionUpdate {
  if (!parsed.ok) {
    const message = parsed.errors.map((e) => `spec.${e.field}: ${e.message}`).join('; ');
    return { type: 'Ready', status: 'False', reason: 'InvalidSpec', message };
  }
  const count = parsed.value.versions.length;
  return count > 0
    ? { type: 'Ready', status: 'True', reason: 'Published', message: `${count} version(s)` }
    : { type: 'Ready', status: 'False', reason: 'NoVersions', message: 'no version is published' };
}

/** Writes a GalleryImage's status: its versions, highest first, and what `latest` means where. */
export class GalleryImageReconciler {
  private readonly store: ReadonlyStore<GalleryImage>;
  private readonly statusWriter: StatusWriter;
  private readonly clock: Clock;

  constructor(deps: {
    galleryImages: ReadonlyStore<GalleryImage>;
    statusWriter: StatusWriter;
    clock: Clock;
  }) {
    this.store = deps.galleryImages;
    this.statusWriter = deps.statusWriter;
    this.clock = deps.clock;
  }

  readonly reconcile = async (request: ReconcileRequest): Promise<ReconcileResult> => {
    const object = this.store.get(request.key);
    if (object === undefined) return {};
    const context = { generation: object.metadata.generation ?? 0, now: new Date(this.clock.now()) };
    const parsed = parseWith(GalleryImageSpec, object.spec);
    const ready = readyCondition(parsed);
    const status = {
      ...(parsed.ok ? galleryStatus(parsed.value) : {}),
      conditions: computeConditions(asConditions(object.status?.conditions), [ready], context),
    };
    await this.statusWriter.update(GALLERYIMAGES, object, status);
    return {};
  };
}
