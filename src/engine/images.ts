// Gallery image versions: which version `latest` means in a region, and how many VMs may provision from a
// version at once (its replicas × the simulated throughput per replica). Pure: the controller passes the
// GalleryImage's spec and the counts it sees.
import { VMS_PER_REPLICA, compareVersions, type GalleryImageSpec } from '../api/index.ts';
import type { CreateGroup } from './types.ts';

export type GalleryResolution =
  | { ok: true; version: string; replicas: number; maxProvisioning: number }
  | { ok: false; reason: 'ImageNotFound' | 'ImageVersionNotFound'; message: string };

function replicasIn(version: GalleryImageSpec['versions'][number], region: string): number {
  return version.regions.find((r) => r.name === region)?.replicaCount ?? 0;
}

/** The highest version not excluded from latest, replicated to `region` (any region when undefined). */
export function latestVersion(spec: GalleryImageSpec, region?: string): string | undefined {
  const candidates = spec.versions.filter(
    (v) => !v.excludeFromLatest && (region === undefined ? v.regions.length > 0 : replicasIn(v, region) > 0),
  );
  candidates.sort((a, b) => compareVersions(b.name, a.name));
  return candidates[0]?.name;
}

export function resolveGalleryVersion(
  gallery: GalleryImageSpec | undefined,
  imageName: string,
  requested: string,
  region: string,
): GalleryResolution {
  if (gallery === undefined) {
    return { ok: false, reason: 'ImageNotFound', message: `GalleryImage "${imageName}" does not exist` };
  }
  const name = requested === 'latest' ? latestVersion(gallery, region) : requested;
  const version = gallery.versions.find((v) => v.name === name);
  if (name === undefined || version === undefined) {
    return {
      ok: false,
      reason: 'ImageVersionNotFound',
      message:
        requested === 'latest'
          ? `GalleryImage "${imageName}" has no version replicated to region ${region} that is not excluded from latest`
          : `GalleryImage "${imageName}" has no version ${requested}`,
    };
  }
  const replicas = replicasIn(version, region);
  if (replicas === 0) {
    return {
      ok: false,
      reason: 'ImageVersionNotFound',
      message: `GalleryImage "${imageName}" version ${version.name} is not replicated to region ${region}`,
    };
  }
  return { ok: true, version: version.name, replicas, maxProvisioning: replicas * VMS_PER_REPLICA };
}

/**
 * Keeps the creates within what the version's replicas can serve while `provisioning` VMs already boot from
 * it. The room is dealt one VM at a time to the zone holding the fewest (counting `existing` per zone and
 * what was dealt; ties: zone name), taking that zone's create groups in plan order, so a throttled scale-out
 * keeps its zone spread. Returns the creates that fit (in plan order) and how many were held back.
 */
export function throttleCreates(
  creates: readonly CreateGroup[],
  maxProvisioning: number,
  provisioning: number,
  existing: ReadonlyMap<string, number> = new Map(),
): { creates: CreateGroup[]; held: number } {
  let room = Math.max(0, maxProvisioning - provisioning);
  const total = creates.reduce((n, c) => n + c.count, 0);
  if (total <= room) return { creates: [...creates], held: 0 };
  const counts = creates.map(() => 0);
  const inZone = new Map<string, number>();
  for (const c of creates) inZone.set(c.zone, existing.get(c.zone) ?? 0);
  while (room > 0) {
    const open = [...inZone.keys()].filter((zone) =>
      creates.some((c, n) => c.zone === zone && (counts[n] ?? 0) < c.count),
    );
    open.sort((a, b) => (inZone.get(a) ?? 0) - (inZone.get(b) ?? 0) || a.localeCompare(b));
    const zone = open[0];
    if (zone === undefined) break;
    const n = creates.findIndex((c, i) => c.zone === zone && (counts[i] ?? 0) < c.count);
    counts[n] = (counts[n] ?? 0) + 1;
    inZone.set(zone, (inZone.get(zone) ?? 0) + 1);
    room -= 1;
  }
  const kept = creates.flatMap((c, n) => ((counts[n] ?? 0) > 0 ? [{ ...c, count: counts[n] ?? 0 }] : []));
  return { creates: kept, held: total - kept.reduce((n, c) => n + c.count, 0) };
}
