import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readFileSync } from 'node:fs';
import { parseResourceStrict, parseStrict, Region, structuralErrors } from '../../../src/api/index.ts';
import { loadInvalidFixtures } from './fixtures.ts';

const DEPLOY = join(import.meta.dirname, '../../../deploy');

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(dir, f))
    .sort();
}

function objectsOf(file: string): { kind: string; object: unknown }[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter((o): o is { kind: string } => typeof (o as { kind?: unknown } | null)?.kind === 'string')
    .map((o) => ({ kind: o.kind, object: o }));
}

const SCALESET = {
  apiVersion: 'compute.vmfleet.io/v1alpha1',
  kind: 'ScaleSet',
  metadata: { name: 'web', namespace: 'default', labels: { tier: 'web' } },
  spec: {
    region: 'eastus',
    orchestrationMode: 'Flexible',
    capacity: 4,
    zones: ['1', '2'],
    zoneBalance: true,
    skuProfile: {
      vmSizes: [{ name: 'Standard_D2s_v5', rank: 0 }],
      allocationStrategy: 'LowestPrice',
    },
    priority: 'Spot',
    spot: { evictionPolicy: 'Delete', restore: { enabled: true, timeout: '30m' } },
    upgradePolicy: { mode: 'Rolling', rollingUpgradePolicy: { maxBatchInstancePercent: 50 } },
  },
};

const FLEET = {
  apiVersion: 'compute.vmfleet.io/v1alpha1',
  kind: 'ComputeFleet',
  metadata: { name: 'batch' },
  spec: {
    zones: ['1'],
    zoneAllocationPolicy: { distributionStrategy: 'Prioritized', zonePreferences: [{ zone: '1', rank: 0 }] },
    vmAttributes: { vCpuCount: { min: 2, max: 8 }, memoryGiB: { min: 4 } },
    regular: { capacity: 2 },
    spot: { capacity: 3, allocationStrategy: 'LowestPrice' },
  },
};

const REGION = {
  apiVersion: 'compute.vmfleet.io/v1alpha1',
  kind: 'Region',
  metadata: { name: 'lab' },
  spec: {
    zones: [{ name: '1', faultDomains: 2 }],
    vmSizes: [
      {
        name: 'Standard_D2s_v5',
        family: 'DSv5',
        vCPUs: 2,
        memoryGiB: 8,
        architecture: 'x64',
        category: 'GeneralPurpose',
        pricePerHour: 0.096,
        spotPricePerHour: 0.02,
        capacity: [{ zone: '1', regular: 10, spot: 5 }],
      },
    ],
    quotas: { families: { DSv5: 100 } },
    simulation: { faults: [{ code: 'AllocationFailed', zone: '1' }] },
  },
};

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A deep copy of `base` with each path (`spec.vmSizes[0].name`) set to its value, or removed (undefined). */
function edit(base: object, changes: Record<string, Json | undefined>): { kind: string } {
  const copy = structuredClone(base) as { kind: string };
  for (const [path, value] of Object.entries(changes)) {
    const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.');
    const last = parts.pop() ?? '';
    let node = copy as unknown as Record<string, Json>;
    for (const part of parts) node = node[part] as Record<string, Json>;
    if (value === undefined) Reflect.deleteProperty(node, last);
    else node[last] = value;
  }
  return copy;
}

describe('structural schema check (what the API server refuses before anything else)', () => {
  it.each([
    ['ScaleSet', SCALESET],
    ['ComputeFleet', FLEET],
    ['Region', REGION],
  ])('a valid %s passes, and parses', (kind, object) => {
    expect(structuralErrors(kind, object)).toEqual([]);
    expect(parseResourceStrict(object)).toMatchObject({ ok: true });
  });

  const shipped = yamlFilesUnder(DEPLOY).flatMap((file) =>
    objectsOf(file)
      .filter((o) => ['ScaleSet', 'ComputeFleet', 'Region', 'GalleryImage'].includes(o.kind))
      .map((o) => [file.slice(DEPLOY.length + 1), o.kind, o.object] as const),
  );
  it('covers the shipped examples and regions', () => {
    expect(shipped.map(([file]) => file)).toEqual(
      expect.arrayContaining([
        'regions/eastus.yaml',
        'examples/scaleset-web.yaml',
        'examples/gallery/galleryimage.yaml',
      ]),
    );
  });
  it.each(shipped)('deploy/%s (%s) passes', (_file, kind, object) => {
    expect(structuralErrors(kind, object)).toEqual([]);
  });

  const fixtures = loadInvalidFixtures();
  it.each(fixtures.filter((f) => f.side === 'operator').map((f) => [f.file, f] as const))(
    '%s (the server accepts it) passes',
    (_file, fixture) => {
      const object = fixture.documents[0] as { kind: string };
      expect(structuralErrors(object.kind, object)).toEqual([]);
    },
  );
  it.each(fixtures.filter((f) => f.side === 'server').map((f) => [f.file, f] as const))(
    '%s: whatever the schema check finds is at the fixture’s field',
    (_file, fixture) => {
      const object = fixture.documents.at(-1) as { kind: string };
      for (const error of structuralErrors(object.kind, object)) expect(error.field).toBe(fixture.field);
    },
  );

  it.each([
    ['ScaleSet top level', SCALESET, { specs: {} }, 'specs', 'spec'],
    ['ScaleSet spec', SCALESET, { 'spec.zoneBalanse': true }, 'spec.zoneBalanse', 'zoneBalance'],
    ['ScaleSet metadata', SCALESET, { 'metadata.lables': {} }, 'metadata.lables', 'labels'],
    [
      'ScaleSet nested object',
      SCALESET,
      { 'spec.spot.restore.timout': '1h' },
      'spec.spot.restore.timout',
      'timeout',
    ],
    [
      'ScaleSet list item',
      SCALESET,
      { 'spec.skuProfile.vmSizes[0].rnak': 1 },
      'spec.skuProfile.vmSizes[0].rnak',
      'rank',
    ],
    [
      'ScaleSet deep nested object',
      SCALESET,
      { 'spec.upgradePolicy.rollingUpgradePolicy.maxSurges': true },
      'spec.upgradePolicy.rollingUpgradePolicy.maxSurges',
      'maxSurge',
    ],
    [
      'ComputeFleet spec',
      FLEET,
      { 'spec.zoneAllocationPolicies': {} },
      'spec.zoneAllocationPolicies',
      'zoneAllocationPolicy',
    ],
    [
      'ComputeFleet nested object',
      FLEET,
      { 'spec.vmAttributes.vCpuCount.mx': 4 },
      'spec.vmAttributes.vCpuCount.mx',
      'max',
    ],
    [
      'ComputeFleet list item',
      FLEET,
      { 'spec.zoneAllocationPolicy.zonePreferences[0].zon': '1' },
      'spec.zoneAllocationPolicy.zonePreferences[0].zon',
      'zone',
    ],
    ['Region spec', REGION, { 'spec.quota': {} }, 'spec.quota', 'quotas'],
    ['Region list item', REGION, { 'spec.vmSizes[0].vCPU': 2 }, 'spec.vmSizes[0].vCPU', 'vCPUs'],
    [
      'Region list in a list',
      REGION,
      { 'spec.vmSizes[0].capacity[0].spotPrice': 0.01 },
      'spec.vmSizes[0].capacity[0].spotPrice',
      undefined,
    ],
    [
      'Region list item in an object',
      REGION,
      { 'spec.simulation.faults[0].zones': ['1'] },
      'spec.simulation.faults[0].zones',
      'zone',
    ],
  ])('refuses an unknown field: %s', (_name, base, change, field, meant) => {
    const object = edit(base, change);
    const errors = structuralErrors(object.kind, object);
    const hint = meant === undefined ? '' : ` (did you mean "${meant}"?)`;
    expect(errors).toEqual([{ field, message: `unknown field "${field}"${hint}` }]);
  });

  it('reports several unknown fields at once, one per problem', () => {
    const object = edit(SCALESET, {
      'spec.zoneBalanse': true,
      'spec.skuProfile.vmSizes[0].rnak': 1,
      'spec.skuProfile.vmSizes[1]': { name: 'Standard_D4s_v5', wieght: 2 },
    });
    // In document order: the typo added last to spec comes after the list's.
    expect(structuralErrors('ScaleSet', object).map((e) => e.field)).toEqual([
      'spec.skuProfile.vmSizes[0].rnak',
      'spec.skuProfile.vmSizes[1].wieght',
      'spec.zoneBalanse',
    ]);
  });

  it.each([
    ['a string for an integer', { 'spec.capacity': '4' }, 'spec.capacity', /must be of type integer/],
    ['a fraction for an integer', { 'spec.capacity': 1.5 }, 'spec.capacity', /must be of type integer/],
    ['a scalar for an object', { 'spec.spot': 'Delete' }, 'spec.spot', /must be of type object/],
    ['a scalar for a list', { 'spec.zones': '1' }, 'spec.zones', /must be of type array/],
    [
      'a value outside the enum',
      { 'spec.priority': 'Low' },
      'spec.priority',
      /^Unsupported value: "Low": supported values: "Regular", "Spot"$/,
    ],
    ['a number above the maximum', { 'spec.capacity': 1001 }, 'spec.capacity', /less than or equal to 1000/],
    ['a number below the minimum', { 'spec.capacity': -1 }, 'spec.capacity', /greater than or equal to 0/],
    ['a string off the pattern', { 'spec.zones': ['1', 'zone one'] }, 'spec.zones[1]', /should match/],
    ['a string too long', { 'spec.region': 'r'.repeat(64) }, 'spec.region', /Too long/],
    [
      'too many items',
      { 'spec.zones': Array.from({ length: 17 }, (_, i) => `z${i}`) },
      'spec.zones',
      /at most 16/,
    ],
    ['a repeated set item', { 'spec.zones': ['1', '2', '1'] }, 'spec.zones[2]', /Duplicate value: "1"/],
    [
      'a missing required field',
      { 'spec.skuProfile.vmSizes[0].name': undefined },
      'spec.skuProfile.vmSizes[0].name',
      /Required value/,
    ],
  ])('refuses %s', (_name, change, field, message) => {
    const object = edit(SCALESET, change);
    const errors = structuralErrors('ScaleSet', object);
    expect(new Set(errors.map((e) => e.field))).toEqual(new Set([field]));
    expect(errors.map((e) => e.message)).toContainEqual(expect.stringMatching(message));
  });

  it('checks the values of a map (additionalProperties) and an exclusive minimum', () => {
    const object = edit(REGION, { 'spec.quotas.families.DSv5': -5, 'spec.vmSizes[0].memoryGiB': 0 });
    expect(structuralErrors('Region', object).map((e) => e.field)).toEqual([
      'spec.vmSizes[0].memoryGiB',
      'spec.quotas.families.DSv5',
    ]);
  });

  it('checks metadata as the API server checks ObjectMeta: namespace, label and annotation keys, label values', () => {
    const good = edit(SCALESET, {
      'metadata.labels': { 'app.kubernetes.io/name': 'web', 'vmfleet.io/zone': '1', empty: '' },
      'metadata.annotations': { 'compute.vmfleet.io/upgrade-all': 'any text, even with spaces' },
    });
    expect(structuralErrors('ScaleSet', good)).toEqual([]);
    const bad = edit(SCALESET, {
      'metadata.namespace': 'Prod',
      'metadata.labels': { tier: 'web tier', 'Bad.Prefix/x': 'a', ok: 'b' },
      'metadata.annotations': { 'no spaces please': 'x' },
    });
    const errors = structuralErrors('ScaleSet', bad);
    expect(errors.map((e) => e.field)).toEqual([
      'metadata.namespace',
      'metadata.labels',
      'metadata.labels',
      'metadata.annotations',
    ]);
    expect(errors.map((e) => e.message.slice(0, e.message.indexOf(':', 16)))).toEqual([
      'Invalid value: "Prod"',
      'Invalid value: "web tier"',
      'Invalid value: "Bad.Prefix/x"',
      'Invalid value: "no spaces please"',
    ]);
  });

  it('prunes a null like the API server does, then defaults the field, instead of refusing it', () => {
    const object = edit(SCALESET, { 'spec.zoneBalance': null, 'spec.spot.restore.enabled': null });
    expect(structuralErrors('ScaleSet', object)).toEqual([]);
    const parsed = parseResourceStrict(object);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.value.kind === 'ScaleSet' && parsed.value.spec).toMatchObject({
      zoneBalance: false,
      spot: { restore: { enabled: false } },
    });
    // A null in a list item is no field: the server refuses it.
    expect(structuralErrors('ScaleSet', edit(SCALESET, { 'spec.zones[1]': null }))).toEqual([
      { field: 'spec.zones[1]', message: 'Invalid value: "null": must be of type string' },
    ]);
  });
});

describe('strict parsing', () => {
  it('refuses what zod alone would silently drop', () => {
    const object = edit(SCALESET, { 'spec.zoneBalanse': true });
    expect(parseResourceStrict(SCALESET).ok).toBe(true);
    expect(parseResourceStrict(object)).toEqual({
      ok: false,
      errors: [
        {
          field: 'spec.zoneBalanse',
          message: 'unknown field "spec.zoneBalanse" (did you mean "zoneBalance"?)',
        },
      ],
    });
  });

  it('reports a problem the schema check and zod both see once, in the API server’s words', () => {
    const parsed = parseResourceStrict(edit(SCALESET, { 'spec.capacity': 'four' }));
    expect(parsed.ok ? [] : parsed.errors).toEqual([
      { field: 'spec.capacity', message: 'Invalid value: "string": must be of type integer' },
    ]);
  });

  it('keeps what only zod sees (a CEL rule’s twin) beside the unknown fields', () => {
    // zoneBalance with one zone breaks a CEL rule: the schema check leaves it to zod's twin of the rule.
    const parsed = parseResourceStrict(edit(SCALESET, { 'spec.zoneBalanse': true, 'spec.zones': ['1'] }));
    expect(parsed.ok ? [] : parsed.errors.map((e) => e.field)).toEqual([
      'spec.zoneBalanse',
      'spec.zoneBalance',
    ]);
  });

  it('applies to any kind with its schema (a Region)', () => {
    const object = edit(REGION, { 'spec.zone': [] });
    const parsed = parseStrict('Region', Region, object);
    expect(parsed.ok ? [] : parsed.errors.map((e) => e.field)).toEqual(['spec.zone']);
  });
});
