import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EASTUS_SPEC,
  ScaleSetSpec,
  ComputeFleetSpec,
  formatPath,
  parseResource,
  parseYamlDocuments,
  sizesMatchingAttributes,
  validateComputeFleet,
  validateScaleSet,
} from '../../../src/api/index.ts';
import { loadYaml } from './fixtures.ts';

const EXAMPLES = join(import.meta.dirname, '../../../deploy/examples');

describe('examples', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

  it('ship the five documented examples', () => {
    expect(files.sort()).toEqual([
      'computefleet-mixed.yaml',
      'computefleet-vcpu.yaml',
      'scaleset-batch-spot-mix.yaml',
      'scaleset-resilient.yaml',
      'scaleset-web.yaml',
    ]);
  });

  it.each(files)('%s parses and is valid against the eastus Region', (file) => {
    const parsed = parseResource(loadYaml(join(EXAMPLES, file)));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const resource = parsed.value;
    const errors =
      resource.kind === 'ScaleSet'
        ? validateScaleSet(resource.spec, EASTUS_SPEC)
        : resource.kind === 'ComputeFleet'
          ? validateComputeFleet(resource.spec, EASTUS_SPEC)
          : [];
    expect(errors).toEqual([]);
  });
});

describe('defaults', () => {
  it('a minimal ScaleSet gets the documented defaults', () => {
    const spec = ScaleSetSpec.parse({ vmSize: 'Standard_D2s_v5', capacity: 3 });
    expect(spec).toMatchObject({
      region: 'eastus',
      zones: [],
      zoneBalance: false,
      orchestrationMode: 'Flexible',
      priority: 'Regular',
      platformFaultDomainCount: 1,
      singlePlacementGroup: false,
      image: { source: 'Marketplace', version: 'latest' },
      scaleInPolicy: { rules: ['Default'], forceDeletion: false },
      upgradePolicy: { mode: 'Manual', rollingUpgradePolicy: { maxBatchInstancePercent: 20 } },
      paused: false,
    });
  });

  it('a ComputeFleet Spot profile defaults to PriceCapacityOptimized, Delete and maintain', () => {
    const spec = ComputeFleetSpec.parse({ vmSizes: [{ name: 'Standard_D4s_v5' }], spot: { capacity: 4 } });
    expect(spec.spot).toEqual({
      capacity: 4,
      minCapacity: 0,
      evictionPolicy: 'Delete',
      allocationStrategy: 'PriceCapacityOptimized',
      maintain: true,
    });
    expect(spec.capacityType).toBe('VM');
    expect(spec.zoneAllocationPolicy.distributionStrategy).toBe('BestEffortSingleZone');
  });
});

describe('semantic validation', () => {
  it('resolves attribute selection against the Region: 2–4 vCPU x64 general purpose', () => {
    const names = sizesMatchingAttributes(
      {
        vCpuCount: { min: 2, max: 4 },
        memoryGiB: { min: 8 },
        architectures: ['x64'],
        burstable: 'Excluded',
      },
      EASTUS_SPEC,
    ).map((s) => s.name);
    expect(names).toContain('Standard_D4s_v5');
    expect(names).not.toContain('Standard_B2s'); // burstable excluded
    expect(names).not.toContain('Standard_F4s_v2'); // ComputeOptimized, not the default category
    expect(names).not.toContain('Standard_D4ps_v5'); // Arm64
    expect(names).not.toContain('Standard_D8s_v5'); // 8 vCPUs
  });

  it('lets a fleet list a B-series size for Regular next to Spot-capable ones', () => {
    const spec = ComputeFleetSpec.parse({
      vmSizes: [{ name: 'Standard_B2s' }, { name: 'Standard_D2s_v5' }],
      regular: { capacity: 2 },
      spot: { capacity: 2, allocationStrategy: 'LowestPrice' },
    });
    expect(validateComputeFleet(spec, EASTUS_SPEC)).toEqual([]);
  });
});

describe('parsing helpers', () => {
  it('formats zod paths the way the API server names fields', () => {
    expect(formatPath(['spec', 'skuProfile', 'vmSizes', 1, 'name'])).toBe('spec.skuProfile.vmSizes[1].name');
  });

  it('refuses a wrong apiVersion or kind before looking at the spec', () => {
    expect(parseResource({ apiVersion: 'v1', kind: 'ScaleSet' })).toEqual({
      ok: false,
      errors: [{ field: 'apiVersion', message: 'expected compute.vmfleet.io/v1alpha1' }],
    });
    const wrongKind = parseResource({ apiVersion: 'compute.vmfleet.io/v1alpha1', kind: 'Pool' });
    expect(wrongKind.ok ? [] : wrongKind.errors.map((e) => e.field)).toEqual(['kind']);
  });

  it('reports YAML syntax errors with their line', () => {
    const result = parseYamlDocuments('a: 1\nb: [unclosed\n');
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.errors[0]?.field).toMatch(/^\(yaml line \d+\)$/);
  });
});
