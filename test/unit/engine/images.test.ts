// Gallery image versions: `latest` per region (excluded and unreplicated versions skipped, numeric order),
// explicit versions, and the replica throughput that trims a scale-out.
import { describe, expect, test } from 'vitest';
import { GalleryImageSpec, VMS_PER_REPLICA, compareVersions } from '../../../src/api/index.ts';
import { galleryStatus } from '../../../src/controllers/gallery.ts';
import { latestVersion, resolveGalleryVersion, throttleCreates } from '../../../src/engine/images.ts';

const spec = GalleryImageSpec.parse({
  versions: [
    { name: '1.9.0', regions: [{ name: 'eastus', replicaCount: 2 }] },
    { name: '1.10.0', regions: [{ name: 'westus' }] },
    { name: '2.0.0', excludeFromLatest: true, regions: [{ name: 'eastus' }] },
  ],
});

describe('gallery versions', () => {
  test('versions order numerically, not as text', () => {
    expect(compareVersions('1.10.0', '1.9.0')).toBeGreaterThan(0);
    expect(compareVersions('1.0.0', '1.0.0')).toBe(0);
  });

  test('latest: highest not excluded, replicated to the region', () => {
    expect(latestVersion(spec, 'eastus')).toBe('1.9.0');
    expect(latestVersion(spec, 'westus')).toBe('1.10.0');
    expect(latestVersion(spec)).toBe('1.10.0');
    expect(latestVersion(spec, 'northeurope')).toBeUndefined();
  });

  test('resolving gives the version, its replicas here and the provisioning bound', () => {
    expect(resolveGalleryVersion(spec, 'img', 'latest', 'eastus')).toEqual({
      ok: true,
      version: '1.9.0',
      replicas: 2,
      maxProvisioning: 2 * VMS_PER_REPLICA,
    });
    expect(resolveGalleryVersion(spec, 'img', '2.0.0', 'eastus')).toMatchObject({
      ok: true,
      version: '2.0.0',
    });
  });

  test('missing image, version, or replication: a reason and a message, never a guess', () => {
    expect(resolveGalleryVersion(undefined, 'img', 'latest', 'eastus')).toMatchObject({
      ok: false,
      reason: 'ImageNotFound',
    });
    expect(resolveGalleryVersion(spec, 'img', '3.0.0', 'eastus')).toMatchObject({
      ok: false,
      reason: 'ImageVersionNotFound',
      message: 'GalleryImage "img" has no version 3.0.0',
    });
    expect(resolveGalleryVersion(spec, 'img', '1.10.0', 'eastus')).toMatchObject({
      ok: false,
      message: 'GalleryImage "img" version 1.10.0 is not replicated to region eastus',
    });
  });

  test('status lists versions highest first and latest per region', () => {
    expect(galleryStatus(spec)).toEqual({
      latestVersion: '1.10.0',
      latestByRegion: [
        { region: 'eastus', version: '1.9.0' },
        { region: 'westus', version: '1.10.0' },
      ],
      versions: [
        { name: '2.0.0', excludeFromLatest: true, regions: ['eastus'], replicas: 1 },
        { name: '1.10.0', excludeFromLatest: false, regions: ['westus'], replicas: 1 },
        { name: '1.9.0', excludeFromLatest: false, regions: ['eastus'], replicas: 2 },
      ],
    });
  });
});

describe('replica throughput', () => {
  const create = (zone: string, count: number) => ({
    size: 'Standard_D2s_v5',
    zone,
    faultDomain: 0,
    priority: 'Regular' as const,
    count,
    pricePerHour: 0.096,
  });

  test('the room left goes to the emptiest zone first, so the zones fill evenly', () => {
    const creates = [create('1', 5), { ...create('1', 5), faultDomain: 1 }, create('2', 10), create('3', 10)];
    const result = throttleCreates(creates, 20, 5);
    expect(result.creates.map((c) => [c.zone, c.faultDomain, c.count])).toEqual([
      ['1', 0, 5],
      ['2', 0, 5],
      ['3', 0, 5],
    ]);
    expect(result.held).toBe(15);
    const withExisting = throttleCreates([create('1', 10), create('2', 10)], 6, 0, new Map([['1', 4]]));
    expect(withExisting.creates.map((c) => [c.zone, c.count])).toEqual([
      ['1', 1],
      ['2', 5],
    ]);
  });

  test('nothing held when there is room', () => {
    expect(throttleCreates([create('1', 3)], 20, 0)).toEqual({ creates: [create('1', 3)], held: 0 });
  });
});
