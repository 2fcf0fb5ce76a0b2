// `vmfleet plan` and what the engine reports: money rounded for people (issue #14), and the search-limit
// field and exit code.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { EXIT_SEARCH_LIMIT } from '../../../src/cli/plan.ts';
import { capturePlan } from './support.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function region(sizes: { name: string; vCPUs: number; price: number; free: number }[], zones = ['1']) {
  return stringify({
    apiVersion: 'compute.vmfleet.io/v1alpha1',
    kind: 'Region',
    metadata: { name: 'lab' },
    spec: {
      zones: zones.map((name) => ({ name, faultDomains: 3 })),
      vmSizes: sizes.map((s) => ({
        name: s.name,
        family: 'DSv5',
        vCPUs: s.vCPUs,
        memoryGiB: 4 * s.vCPUs,
        pricePerHour: s.price,
        spotPricePerHour: s.price / 5,
        capacity: zones.map((zone) => ({ zone, regular: s.free, spot: 0 })),
      })),
    },
  });
}

describe('vmfleet plan money', () => {
  it('rounds the monthly cost to the cent and the hourly cost to the micro-dollar (no float noise)', () => {
    // 8.2635 × 730 is 6032.3550000000005 in floating point.
    const files = {
      '/r.yaml': region([{ name: 'Standard_D2s_v5', vCPUs: 2, price: 8.2635, free: 10 }]),
      '/g.yaml': stringify({
        apiVersion: 'compute.vmfleet.io/v1alpha1',
        kind: 'ScaleSet',
        metadata: { name: 'x' },
        spec: { region: 'lab', zones: ['1'], vmSize: 'Standard_D2s_v5', capacity: 1 },
      }),
    };
    const json = capturePlan(['-f', '/g.yaml', '--region', '/r.yaml', '-o', 'json'], files);
    expect(json.code).toBe(0);
    expect(json.stdout).toContain('"monthlyCost": 6032.36,');
    expect(json.stdout).toContain('"hourlyCost": 8.2635,');
    expect(json.stdout).not.toContain('searchLimitReached');
    const table = capturePlan(['-f', '/g.yaml', '--region', '/r.yaml'], files);
    expect(table.stdout).toContain('cost:     8.2635 $/h, 6032.36 $/month (730 h)');
  });
});

describe('vmfleet plan search limit', () => {
  it('prints the plan, says searchLimitReached in -o json, and exits 3 when the search limit stopped the optimiser', () => {
    const argv = [
      '-f',
      join(FIXTURES, 'search-limit-fleet.yaml'),
      '--region',
      join(FIXTURES, 'search-limit-region.yaml'),
    ];
    const json = capturePlan([...argv, '-o', 'json'], {});
    expect(EXIT_SEARCH_LIMIT).toBe(3);
    expect(json.code).toBe(3);
    expect(json.stderr).toBe('');
    const document = JSON.parse(json.stdout) as { searchLimitReached?: boolean; decisions: string[] };
    expect(document.searchLimitReached).toBe(true);
    expect(document.decisions).toContain(
      'the optimiser hit its search limit: this is the best placement it found, not proven the cheapest',
    );
    const table = capturePlan(argv, {});
    expect(table.code).toBe(3);
    expect(table.stdout).toContain('decisions:');
  });
});
