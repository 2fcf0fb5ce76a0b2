import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { customResourceDefinition, EASTUS, RESOURCES, Region, parseWith } from '../../../src/api/index.ts';
import { generatedFiles } from '../../../src/cli/generated-files.ts';
import { driftedFiles } from '../../../src/cli/write-generated.ts';
import { loadYaml } from './fixtures.ts';

const ROOT = join(import.meta.dirname, '../../..');

describe('generated files', () => {
  it('crds/, deploy/regions/eastus.yaml and the README API reference match the generator', () => {
    expect(driftedFiles(ROOT, generatedFiles())).toEqual([]);
  });

  it('crds/ holds exactly one file per kind plus its kustomization', () => {
    const expected = [...RESOURCES.map((r) => `compute.vmfleet.io_${r.plural}.yaml`), 'kustomization.yaml'];
    expect(readdirSync(join(ROOT, 'crds')).sort()).toEqual(expected.sort());
  });

  it('the shipped eastus Region is the built-in catalogue and valid against its own schema', () => {
    const shipped = loadYaml(join(ROOT, 'deploy/regions/eastus.yaml'));
    const parsed = parseWith(Region, shipped);
    expect(parsed.ok && parsed.value).toEqual(EASTUS);
    expect(EASTUS.spec.vmSizes.length).toBeGreaterThanOrEqual(10);
    expect(EASTUS.spec.zones.map((z) => z.faultDomains)).toEqual([5, 5, 3]);
  });
});

describe('CRDs', () => {
  const crd = (kind: string) => {
    const resource = RESOURCES.find((r) => r.kind === kind);
    if (!resource) throw new Error(kind);
    return customResourceDefinition(resource) as {
      spec: {
        names: { shortNames: string[]; categories: string[] };
        versions: { subresources: Record<string, unknown>; additionalPrinterColumns: { name: string }[] }[];
      };
    };
  };

  it('ScaleSet has the scale subresource on spec.capacity with a selector for HPA', () => {
    expect(crd('ScaleSet').spec.versions[0]?.subresources).toEqual({
      status: {},
      scale: {
        specReplicasPath: '.spec.capacity',
        statusReplicasPath: '.status.capacity',
        labelSelectorPath: '.status.selector',
      },
    });
  });

  it.each([
    ['Region', 'rgn'],
    ['ScaleSet', 'vmss'],
    ['ComputeFleet', 'cfleet'],
    ['Instance', 'inst'],
  ])('%s has short name %s, category vmfleet and a status subresource', (kind, shortName) => {
    const { names, versions } = crd(kind).spec;
    expect(names.shortNames).toEqual([shortName]);
    expect(names.categories).toEqual(['vmfleet']);
    expect(versions[0]?.subresources).toHaveProperty('status');
  });

  it('printer columns show what `kubectl get` users look for', () => {
    const columns = (kind: string) => crd(kind).spec.versions[0]?.additionalPrinterColumns.map((c) => c.name);
    expect(columns('ScaleSet')).toEqual([
      'Mode',
      'Capacity',
      'Ready',
      'Zones',
      'Skew',
      'Cost/h',
      'Status',
      'Age',
    ]);
    expect(columns('Instance')).toEqual([
      'Size',
      'Zone',
      'FD',
      'Priority',
      'Phase',
      'Price',
      'Reason',
      'Age',
    ]);
  });

  it('emits no construct a structural schema forbids', () => {
    const text = JSON.stringify(RESOURCES.map((r) => customResourceDefinition(r)));
    for (const forbidden of [
      '"$ref"',
      '"anyOf"',
      '"oneOf"',
      '"additionalProperties":false',
      '"definitions"',
    ]) {
      expect(text).not.toContain(forbidden);
    }
  });
});
