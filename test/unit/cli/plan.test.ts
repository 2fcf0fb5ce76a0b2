import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { newInstance } from '../../../src/controllers/instances.ts';
import { capturePlan } from './support.ts';
import { loadInvalidFixtures, INVALID_DIR } from '../api/fixtures.ts';

const ROOT = join(import.meta.dirname, '../../..');
const EXAMPLES = join(ROOT, 'deploy/examples');

describe('vmfleet plan', () => {
  it.each(readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')))(
    'plans %s with the built-in eastus',
    (file) => {
      const result = capturePlan(['-f', join(EXAMPLES, file), '-o', 'json']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const plan = JSON.parse(result.stdout) as {
        hourlyCost: number;
        outcomes: { target: number; achievable: number; shortfall: number }[];
        creates: { count: number; pricePerHour: number }[];
      };
      for (const outcome of plan.outcomes) expect(outcome.shortfall).toBe(0);
      const cost = plan.creates.reduce((sum, c) => sum + c.count * c.pricePerHour, 0);
      expect(plan.hourlyCost).toBeCloseTo(cost, 9);
    },
  );

  it('prints the table a person reads: counts per pool and fault domain, cost per hour and month, spread, decisions', () => {
    const { code, stdout } = capturePlan(['-f', join(EXAMPLES, 'scaleset-web.yaml')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^SIZE +ZONE +FD +PRIORITY +COUNT +\$\/H EACH$/m);
    const counts = [...stdout.matchAll(/^Standard_D2s_v5 +(\d) +(\d) +Regular +(\d+) +0\.096$/gm)];
    expect(counts.reduce((sum, m) => sum + Number(m[3]), 0)).toBe(6);
    expect(new Set(counts.map((m) => m[1]))).toEqual(new Set(['1', '2', '3']));
    expect(stdout).toContain('cost:     0.576 $/h, 420.48 $/month (730 h)');
    expect(stdout).toContain('spread:   zone skew 0');
    expect(stdout).toMatch(/decisions:\n {2}- /);
  });

  it('plans a scale-in against --current instances, naming what it deletes and why', () => {
    const group = {
      kind: 'ScaleSet' as const,
      name: 'web',
      namespace: 'default',
      uid: 'u',
      region: 'eastus',
    };
    const image = { source: 'Marketplace' as const, name: 'ubuntu-24.04', version: 'latest' };
    const current = Array.from({ length: 9 }, (_, id) => ({
      ...newInstance(
        group,
        {
          size: 'Standard_D2s_v5',
          zone: String((id % 3) + 1),
          faultDomain: Math.floor(id / 3),
          priority: 'Regular',
        },
        id,
        { image, modelHash: 'any' },
      ),
      status: { phase: 'Running' as const, pricePerHour: 0.096 },
    }));
    const files = { '/current.yaml': current.map((i) => stringify(i)).join('---\n') };
    const result = capturePlan(
      ['-f', join(EXAMPLES, 'scaleset-web.yaml'), '--current', '/current.yaml', '-o', 'json'],
      files,
    );
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as { creates: unknown[]; deletes: { id: number; rule: string }[] };
    expect(plan.creates).toEqual([]);
    // OldestVM (the example's rule) removes the lowest IDs, one per zone to stay balanced: 0, 1, 2.
    expect(plan.deletes.map((d) => d.id).sort()).toEqual([0, 1, 2]);
    expect(new Set(plan.deletes.map((d) => d.rule))).toEqual(new Set(['OldestVM']));
  });

  it.each(loadInvalidFixtures().filter((f) => f.documents.length === 1 && f.file.match(/^(ss|cf)-/)))(
    'refuses $file with exit 2, naming the file and $field, printing nothing else',
    (fixture) => {
      const file = join(INVALID_DIR, fixture.file);
      const result = capturePlan(['-f', file]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`${file}: ${fixture.field}: `);
    },
  );

  it('plans with the shipped deploy/regions/eastus.yaml as --region', () => {
    const result = capturePlan([
      '-f',
      join(EXAMPLES, 'scaleset-web.yaml'),
      '--region',
      join(ROOT, 'deploy/regions/eastus.yaml'),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it.each([
    [
      'ScaleSet',
      'scaleset-resilient.yaml',
      (text: string) =>
        text
          .replace('  zones:', '  zoneBalanse: true\n  zones:')
          .replace('    gracePeriod:', '    gracePeriode:')
          .replace('      rebalanceBehavior:', '      rebalanceBehaviour:')
          .replace('  namespace: default', '  namespace: default\n  lables: {a: b}'),
      [
        'spec.zoneBalanse',
        'spec.automaticRepairsPolicy.gracePeriode',
        'spec.resiliencyPolicy.automaticZoneRebalancing.rebalanceBehaviour',
        'metadata.lables',
      ],
    ],
    [
      'ComputeFleet',
      'computefleet-mixed.yaml',
      (text: string) =>
        text
          .replace(
            '    - name: Standard_D4as_v5\n      rank: 1',
            '    - name: Standard_D4as_v5\n      rnak: 1',
          )
          .replace('maintain:', 'maintian:'),
      ['spec.vmSizes[1].rnak', 'spec.spot.maintian'],
    ],
  ])(
    'refuses unknown fields in a %s as the API server does: exit 2, one line each',
    (_kind, example, typo, fields) => {
      const original = readFileSync(join(EXAMPLES, example), 'utf8');
      const files = { '/typo.yaml': typo(original) };
      expect(files['/typo.yaml']).not.toBe(original);
      const result = capturePlan(['-f', '/typo.yaml'], files);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines.map((l) => l.slice(0, l.indexOf(': unknown field')))).toEqual(
        expect.arrayContaining(fields.map((f) => `/typo.yaml: ${f}`)),
      );
      expect(lines).toHaveLength(fields.length);
    },
  );

  it('refuses unknown fields in the --region and --current files', () => {
    const region = readFileSync(join(ROOT, 'deploy/regions/eastus.yaml'), 'utf8')
      .replace('      faultDomains: 5', '      faultDomain: 5')
      .replace('regionalVCPUs:', 'regionalVCPU:');
    const instance = {
      ...newInstance(
        { kind: 'ScaleSet', name: 'web', namespace: 'default', uid: 'u', region: 'eastus' },
        { size: 'Standard_D2s_v5', zone: '1', faultDomain: 0, priority: 'Regular' },
        0,
        { image: { source: 'Marketplace', name: 'ubuntu-24.04', version: 'latest' }, modelHash: 'x' },
      ),
      status: { phase: 'Running', pricePerHour: 0.096, healthh: 'Healthy' },
    };
    const files = {
      '/region.yaml': region,
      '/current.yaml': stringify({ apiVersion: 'v1', kind: 'List', items: [instance] }),
    };
    const bad = capturePlan(['-f', join(EXAMPLES, 'scaleset-web.yaml'), '--region', '/region.yaml'], files);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('/region.yaml: spec.zones[0].faultDomain: unknown field');
    const current = capturePlan(
      ['-f', join(EXAMPLES, 'scaleset-web.yaml'), '--current', '/current.yaml'],
      files,
    );
    expect(current.code).toBe(2);
    expect(current.stderr).toBe(
      '/current.yaml: [0].status.healthh: unknown field "status.healthh" (did you mean "health"?)\n',
    );
  });

  it('refuses a group in a region that is not built in unless --region is given', () => {
    const files = {
      '/g.yaml': stringify({
        apiVersion: 'compute.vmfleet.io/v1alpha1',
        kind: 'ScaleSet',
        metadata: { name: 'x' },
        spec: { region: 'westus', vmSize: 'Standard_D2s_v5', capacity: 1 },
      }),
    };
    const result = capturePlan(['-f', '/g.yaml'], files);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('spec.region: Region "westus" is not built in; pass it with --region');
  });

  it('runs as the vmfleet binary: usage errors exit 2', () => {
    const node = join(ROOT, 'node_modules/.bin/node');
    const ok = spawnSync(
      node,
      [join(ROOT, 'src/cli/main.ts'), 'plan', '-f', join(EXAMPLES, 'computefleet-mixed.yaml')],
      {
        encoding: 'utf8',
      },
    );
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('Spot      target 24 VMs, achievable 24');
    const bad = spawnSync(node, [join(ROOT, 'src/cli/main.ts'), 'plan', '-o', 'xml'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
  });
});
