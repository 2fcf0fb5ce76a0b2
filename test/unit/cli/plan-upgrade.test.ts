// `vmfleet plan --current`: the stale VMs an upgrade would replace and what the upgrade policy does now.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ComputeFleet, ScaleSet, type Instance } from '../../../src/api/index.ts';
import { capturePlan } from './support.ts';
import { newInstance } from '../../../src/controllers/instances.ts';
import { normalizeComputeFleet, normalizeScaleSet } from '../../../src/engine/normalize.ts';

const ROOT = join(import.meta.dirname, '../../..');
const EXAMPLES = join(ROOT, 'deploy/examples');
const example = (file: string): string => readFileSync(join(EXAMPLES, file), 'utf8');

/** The model hash the operator labels a group's VMs with, for the manifest as written (image resolved). */
function hashOf(manifest: string, resolvedVersion?: string): string {
  const doc = parse(manifest) as { kind: string };
  if (doc.kind === 'ComputeFleet') return normalizeComputeFleet(ComputeFleet.parse(doc).spec).modelHash;
  const spec = ScaleSet.parse(doc).spec;
  const image = resolvedVersion === undefined ? spec.image : { ...spec.image, version: resolvedVersion };
  return normalizeScaleSet({ ...spec, image }).modelHash;
}

/** `count` Running VMs of a group, round-robin over zones 1–3, labelled with `hashes[i]`. */
function vms(
  kind: 'ScaleSet' | 'ComputeFleet',
  name: string,
  size: string,
  hashes: readonly string[],
  change: (instance: Instance, id: number) => void = () => undefined,
): string {
  const items = hashes.map((modelHash, id) => {
    const instance: Instance = {
      ...newInstance(
        { kind, name, namespace: 'default', uid: 'u', region: 'eastus' },
        { size, zone: String((id % 3) + 1), faultDomain: 0, priority: 'Regular' },
        id,
        { image: { source: 'Marketplace', name: 'ubuntu-24.04', version: 'latest' }, modelHash },
      ),
      status: { phase: 'Running', pricePerHour: 0.096 },
    };
    change(instance, id);
    return instance;
  });
  return stringify({ apiVersion: 'v1', kind: 'List', items });
}

interface PlanJson {
  stale: { name: string; reasons: string[]; zone: string; vmSize: string; protected: boolean }[];
  upgrade: {
    mode: string;
    configuredMode?: string;
    staleCount: number;
    byReason: Record<string, number>;
    batchSize?: number;
    totalBatches?: number;
    replaceNow: string[];
    surge: number;
    pending: number;
    manualPending: string[];
    protectedStale: string[];
    summary: string[];
  };
}

function planJson(files: Record<string, string>, extra: string[] = []): PlanJson {
  const result = capturePlan(
    ['-f', '/group.yaml', '--current', '/current.yaml', ...extra, '-o', 'json'],
    files,
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as PlanJson;
}

describe('vmfleet plan --current: stale VMs and the upgrade', () => {
  const web = example('scaleset-web.yaml'); // Rolling, 6 × Standard_D2s_v5 over zones 1–3
  const resized = web.replace('vmSize: Standard_D2s_v5', 'vmSize: Standard_D4s_v5');
  const oldHash = hashOf(web);

  it('a resized ScaleSet: every VM stale, listed with why, and Rolling replaces them in batches', () => {
    const files = {
      '/group.yaml': resized,
      '/current.yaml': vms('ScaleSet', 'web', 'Standard_D2s_v5', Array(6).fill(oldHash)),
    };
    const plan = planJson(files);
    expect(plan.stale.map((s) => s.name)).toEqual(['web-0', 'web-1', 'web-2', 'web-3', 'web-4', 'web-5']);
    expect(plan.stale[0]).toMatchObject({
      vmSize: 'Standard_D2s_v5',
      zone: '1',
      reasons: ['ModelChanged', 'SizeNotAllowed'],
      protected: false,
    });
    // 20% of 6 rounded up: batches of 2, one VM from each of the two fullest zones (ties: zone name).
    expect(plan.upgrade).toMatchObject({
      mode: 'Rolling',
      staleCount: 6,
      byReason: { ModelChanged: 6, SizeNotAllowed: 6 },
      batchSize: 2,
      totalBatches: 3,
      replaceNow: ['web-0', 'web-1'],
      pending: 4,
    });

    const text = capturePlan(['-f', '/group.yaml', '--current', '/current.yaml'], files);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('stale:    6 of 6 instance(s) (ModelChanged 6, SizeNotAllowed 6)');
    expect(text.stdout).toMatch(
      /^ {2}web-3 +Standard_D2s_v5 +1 +0 +Regular +Running +ModelChanged,SizeNotAllowed$/m,
    );
    expect(text.stdout).toContain(
      'upgrade:  Rolling: batches of 2 (20% of capacity 6, rounded up), 3 batch(es)\n' +
        '          batch 1 of 3 replaces now: web-0, web-1\n',
    );
  });

  it('only the VMs of another model are stale; Automatic replaces them all at once', () => {
    const automatic = web.replace('mode: Rolling', 'mode: Automatic');
    // The upgrade mode is not part of the model: only the size, the image and the Spot settings are.
    expect(hashOf(automatic)).toBe(oldHash);
    const newImage = automatic.replace(
      '  upgradePolicy:',
      '  image: {source: Marketplace, name: ubuntu-24.04, version: 24.04.202611}\n  upgradePolicy:',
    );
    const newHash = hashOf(newImage);
    const plan = planJson({
      '/group.yaml': newImage,
      '/current.yaml': vms('ScaleSet', 'web', 'Standard_D2s_v5', [
        oldHash,
        newHash,
        oldHash,
        newHash,
        newHash,
        oldHash,
      ]),
    });
    expect(plan.stale.map((s) => s.name)).toEqual(['web-0', 'web-2', 'web-5']);
    expect(plan.upgrade).toMatchObject({
      mode: 'Automatic',
      staleCount: 3,
      byReason: { ModelChanged: 3 },
      replaceNow: ['web-0', 'web-2', 'web-5'],
      pending: 0,
    });
    expect(plan.upgrade.summary[0]).toBe('Automatic: all 3 replaced at once: web-0, web-2, web-5');
  });

  it('Manual waits for the annotation: a requested VM is replaced, the rest wait, protected ones never', () => {
    const manual = resized.replace('mode: Rolling', 'mode: Manual');
    const current = vms('ScaleSet', 'web', 'Standard_D2s_v5', Array(6).fill(oldHash), (instance, id) => {
      if (id === 1) instance.metadata.annotations = { 'compute.vmfleet.io/upgrade': 'true' };
      if (id === 4) instance.spec.protection = { fromScaleIn: true, fromScaleSetActions: true };
    });
    const plan = planJson({ '/group.yaml': manual, '/current.yaml': current });
    expect(plan.upgrade).toMatchObject({
      mode: 'Manual',
      staleCount: 6,
      replaceNow: ['web-1'],
      manualPending: ['web-0', 'web-2', 'web-3', 'web-5'],
      protectedStale: ['web-4'],
    });
    expect(plan.stale.find((s) => s.name === 'web-4')?.protected).toBe(true);
    expect(plan.upgrade.summary.join('\n')).toContain(
      'annotate an Instance compute.vmfleet.io/upgrade="true"',
    );
    expect(plan.upgrade.summary).toContain('asked for now: web-1');
    expect(plan.upgrade.summary).toContain('protected from scale-set actions, never upgraded: web-4');
  });

  it('Rolling checks its limits and waits for the set to settle, as the operator does', () => {
    const unhealthy = vms('ScaleSet', 'web', 'Standard_D2s_v5', Array(6).fill(oldHash), (instance, id) => {
      if (id < 2) instance.status = { phase: 'Running', pricePerHour: 0.096, health: 'Unhealthy' };
    });
    const stopped = planJson({ '/group.yaml': resized, '/current.yaml': unhealthy });
    expect(stopped.upgrade).toMatchObject({ replaceNow: [], staleCount: 6 });
    expect(stopped.upgrade.summary[1]).toBe(
      'stopped now: 2 of 6 instances unhealthy (33.3%) exceeds maxUnhealthyInstancePercent 20%',
    );
    const booting = vms('ScaleSet', 'web', 'Standard_D2s_v5', Array(6).fill(oldHash), (instance, id) => {
      if (id === 5) instance.status = { phase: 'Provisioning' };
    });
    const waiting = planJson({ '/group.yaml': resized, '/current.yaml': booting });
    expect(waiting.upgrade.replaceNow).toEqual([]);
    expect(waiting.upgrade.summary[1]).toMatch(/^waits until every instance is Running/);
  });

  it('automaticOSUpgrade makes a Manual policy roll like Rolling, and says so', () => {
    const os = resized.replace('mode: Rolling', 'mode: Manual\n    automaticOSUpgrade: true');
    const plan = planJson({
      '/group.yaml': os,
      '/current.yaml': vms('ScaleSet', 'web', 'Standard_D2s_v5', Array(6).fill(oldHash)),
    });
    expect(plan.upgrade).toMatchObject({ mode: 'Rolling', configuredMode: 'Manual', batchSize: 2 });
    expect(plan.upgrade.summary[0]).toMatch(
      /^Rolling \(automaticOSUpgrade on a Manual policy\): batches of 2/,
    );
  });

  it('nothing stale when the VMs run the current model', () => {
    const plan = planJson({
      '/group.yaml': web,
      '/current.yaml': vms('ScaleSet', 'web', 'Standard_D2s_v5', Array(6).fill(oldHash)),
    });
    expect(plan.stale).toEqual([]);
    expect(plan.upgrade).toMatchObject({ staleCount: 0, replaceNow: [], pending: 0 });
    expect(plan.upgrade.summary).toEqual(['Rolling: nothing to replace']);
  });

  it('a ComputeFleet has no upgrade policy: stale VMs are listed and left running', () => {
    const fleet = example('computefleet-mixed.yaml');
    const changed = fleet.replace('evictionPolicy: Delete', 'evictionPolicy: Deallocate');
    const files = {
      '/group.yaml': changed,
      '/current.yaml': vms('ComputeFleet', 'analytics', 'Standard_D4as_v5', Array(3).fill(hashOf(fleet))),
    };
    const plan = planJson(files);
    expect(plan.stale.map((s) => s.name)).toEqual(['analytics-0', 'analytics-1', 'analytics-2']);
    expect(plan.upgrade).toMatchObject({ mode: 'None', staleCount: 3, replaceNow: [] });
    const text = capturePlan(['-f', '/group.yaml', '--current', '/current.yaml'], files);
    expect(text.stdout).toContain('upgrade:  a ComputeFleet has no upgrade policy');
  });

  it('without --current the table has no stale section', () => {
    const text = capturePlan(['-f', join(EXAMPLES, 'scaleset-web.yaml')], {});
    expect(text.code).toBe(0);
    expect(text.stdout).not.toContain('stale:');
    expect(text.stdout).not.toContain('upgrade:');
  });

  describe('a Gallery image on "latest"', () => {
    const gallerySet = readFileSync(join(EXAMPLES, 'gallery/scaleset.yaml'), 'utf8');
    const gallery = readFileSync(join(EXAMPLES, 'gallery/galleryimage.yaml'), 'utf8');
    const built = (version: string) =>
      vms('ScaleSet', 'web-gallery', 'Standard_D2s_v5', Array(6).fill(hashOf(gallerySet, version)));

    it('needs --gallery to tell stale VMs: without it, exit 2 naming the field', () => {
      const result = capturePlan(['-f', '/group.yaml', '--current', '/current.yaml'], {
        '/group.yaml': gallerySet,
        '/current.yaml': built('1.1.0'),
      });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^\/group\.yaml: spec\.image\.version: .*--gallery\n$/);
    });

    it('resolves "latest" as the operator does: VMs on it are current, older ones stale', () => {
      const files = { '/group.yaml': gallerySet, '/gallery.yaml': gallery };
      // eastus's latest is 1.1.0 (2.0.0 is excluded from latest).
      const current = planJson({ ...files, '/current.yaml': built('1.1.0') }, ['--gallery', '/gallery.yaml']);
      expect(current.upgrade.staleCount).toBe(0);
      const older = planJson({ ...files, '/current.yaml': built('1.0.0') }, ['--gallery', '/gallery.yaml']);
      expect(older.upgrade).toMatchObject({ staleCount: 6, mode: 'Rolling', batchSize: 2 });
    });

    it('refuses an image whose GalleryImage is not given (exit 2, naming spec.image)', () => {
      const result = capturePlan(
        ['-f', '/group.yaml', '--current', '/current.yaml', '--gallery', '/gallery.yaml'],
        {
          '/group.yaml': gallerySet.replace('name: web-image', 'name: other-image'),
          '/gallery.yaml': gallery,
          '/current.yaml': built('1.1.0'),
        },
      );
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^\/group\.yaml: spec\.image: GalleryImage "other-image" does not exist\n$/,
      );
    });
  });
});
