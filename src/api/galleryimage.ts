// GalleryImage: an image definition of a compute gallery (the Azure Compute Gallery analogue) with its
// published versions, each replicated to regions with a replica count. Namespaced; ScaleSets in the same
// namespace use it with `image: {source: Gallery, name: <GalleryImage name>, version: <version>|latest}`.
import { z } from 'zod';
import { API_GROUP_VERSION, Conditions, ObjectMeta, RegionName, listMap } from './common.ts';

/**
 * Simulated replica throughput: how many VMs one replica of a version can be provisioning from at the same
 * time. Azure recommends a replica per 20 concurrent VM deployments; the simulated cloud enforces it.
 */
export const VMS_PER_REPLICA = 20;

/** `Major.Minor.Patch`, each a number, as gallery image versions are named. */
export const GalleryVersionName = z
  .string()
  .max(64)
  .regex(/^[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}$/)
  .describe('Major.Minor.Patch, e.g. 1.0.0; "latest" is the highest one not excluded.');

export const GalleryImageVersion = z.object({
  name: GalleryVersionName,
  publishedAt: z.iso.datetime().optional().describe('When the version was published (informational).'),
  excludeFromLatest: z
    .boolean()
    .default(false)
    .describe('Never chosen as "latest" (it can still be named explicitly).'),
  regions: listMap(
    z
      .array(
        z.object({
          name: RegionName,
          replicaCount: z
            .int()
            .min(1)
            .max(100)
            .default(1)
            .describe(`Replicas in this region; each serves ${VMS_PER_REPLICA} VMs provisioning at once.`),
        }),
      )
      .max(64),
    ['name'],
  ).describe(
    'Regions the version is replicated to; a ScaleSet can only use a version replicated to its region.',
  ),
});
export type GalleryImageVersion = z.output<typeof GalleryImageVersion>;

export const GalleryImageSpec = z.object({
  osType: z.enum(['Linux', 'Windows']).default('Linux'),
  description: z.string().max(1024).optional(),
  versions: listMap(z.array(GalleryImageVersion).max(200), ['name']).default([]),
});
export type GalleryImageSpec = z.output<typeof GalleryImageSpec>;

export const GalleryImageStatus = z.object({
  observedGeneration: z.int().min(0).optional(),
  latestVersion: z.string().max(64).optional().describe('Highest version not excluded from latest.'),
  latestByRegion: listMap(z.array(z.object({ region: z.string(), version: z.string().max(64) })).max(64), [
    'region',
  ])
    .optional()
    .describe('Per region, the version "latest" resolves to there (it must be replicated there).'),
  versions: z
    .array(
      z.object({
        name: z.string().max(64),
        excludeFromLatest: z.boolean(),
        regions: z.array(z.string()).max(64),
        replicas: z.int().min(0).describe('Replicas over all regions.'),
      }),
    )
    .max(200)
    .optional()
    .describe('The published versions, highest first.'),
  conditions: Conditions.optional(),
});
export type GalleryImageStatus = z.output<typeof GalleryImageStatus>;

export const GalleryImage = z.object({
  apiVersion: z.literal(API_GROUP_VERSION),
  kind: z.literal('GalleryImage'),
  metadata: ObjectMeta,
  spec: GalleryImageSpec,
  status: GalleryImageStatus.optional(),
});
export type GalleryImage = z.output<typeof GalleryImage>;

/** Orders `Major.Minor.Patch` names numerically; negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}
