// The operator's validation path fuzzed in-process (no cluster, so it runs many cases): seeded fast-check
// damage to the examples' specs goes through exactly what a group reconcile does before it acts — the
// adapter's parse (schema and CEL-equivalent rules), the Region checks, then normalisation and the engine's
// plan — which must never throw, must explain every refusal with a field, and, for what it accepts, must
// never plan more VMs than the target. Damaged Regions must be caught by the Region check; what it lets
// through (with the CRD's defaults filled in, as the API server serves it) must not crash the pools.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  EASTUS,
  RegionSpec,
  parseWith,
  type ComputeFleetSpec,
  type Region,
  type ScaleSetSpec,
} from '../../src/api/index.ts';
import { computePools, toEngineRegion } from '../../src/cloud/index.ts';
import { computeFleetAdapter } from '../../src/controllers/computefleet.ts';
import type { GroupAdapter } from '../../src/controllers/group.ts';
import { checkRegion } from '../../src/controllers/region-spec.ts';
import { scaleSetAdapter } from '../../src/controllers/scaleset.ts';
import { plan } from '../../src/engine/index.ts';
import { normalizeComputeFleet, normalizeScaleSet } from '../../src/engine/normalize.ts';
import type { GroupSpec } from '../../src/engine/index.ts';
import { damagedSpecArb } from './lib/mutations.ts';
import { ROOT } from './lib/plane.ts';

const RUNS = 300;

function example(file: string): { kind: string; spec: Record<string, unknown> } {
  return parseYaml(readFileSync(join(ROOT, 'deploy', 'examples', file), 'utf8')) as {
    kind: string;
    spec: Record<string, unknown>;
  };
}

interface Outcome {
  stage: 'parse' | 'region' | 'plan';
  fields: string[];
  planned: number;
  target: number;
}

/** Runs one spec through the reconciler's decision path (minus the API calls). */
function decide<S>(
  adapter: GroupAdapter<S>,
  normalize: (spec: S) => GroupSpec,
  spec: unknown,
  region: Region,
): Outcome {
  const parsed = adapter.parse(spec);
  if (!parsed.ok) return { stage: 'parse', fields: parsed.errors.map((e) => e.field), planned: 0, target: 0 };
  const errors = adapter.validate(parsed.spec, region);
  if (errors.length > 0)
    return { stage: 'region', fields: errors.map((e) => e.field), planned: 0, target: 0 };
  const groupSpec = normalize(parsed.spec);
  const result = plan({
    spec: groupSpec,
    region: toEngineRegion(region.spec, computePools(region.spec, [])),
    current: [],
    unavailable: [],
    now: Date.parse('2026-01-01T00:00:00Z'),
  });
  const target = result.outcomes.reduce((n, o) => n + o.target, 0);
  const planned = result.creates.reduce((n, c) => n + c.count, 0);
  return { stage: 'plan', fields: [], planned, target };
}

const cases = [
  {
    file: 'scaleset-web.yaml',
    run: (spec: unknown) => decide<ScaleSetSpec>(scaleSetAdapter, normalizeScaleSet, spec, EASTUS),
  },
  {
    file: 'scaleset-batch-spot-mix.yaml',
    run: (spec: unknown) => decide<ScaleSetSpec>(scaleSetAdapter, normalizeScaleSet, spec, EASTUS),
  },
  {
    file: 'computefleet-mixed.yaml',
    run: (spec: unknown) =>
      decide<ComputeFleetSpec>(computeFleetAdapter, (s) => normalizeComputeFleet(s), spec, EASTUS),
  },
  {
    file: 'computefleet-vcpu.yaml',
    run: (spec: unknown) =>
      decide<ComputeFleetSpec>(computeFleetAdapter, (s) => normalizeComputeFleet(s), spec, EASTUS),
  },
];

describe('validation path fuzzed with damaged specs', () => {
  for (const { file, run } of cases) {
    it(`${file}: never throws, explains every refusal, never plans above the target`, () => {
      const stages = { parse: 0, region: 0, plan: 0 };
      fc.assert(
        fc.property(damagedSpecArb(example(file).spec), ({ spec }) => {
          const outcome = run(spec);
          stages[outcome.stage]++;
          if (outcome.stage !== 'plan') {
            expect(outcome.fields.length).toBeGreaterThan(0);
            for (const field of outcome.fields) expect(field).toMatch(/^spec\b/);
          } else {
            expect(outcome.planned).toBeLessThanOrEqual(outcome.target);
          }
        }),
        { numRuns: RUNS, seed: 20261123 },
      );
      // Both gates were reached: damage the schema catches and damage only the Region check catches.
      expect(stages.parse).toBeGreaterThan(0);
      expect(stages.parse + stages.region).toBeGreaterThan(RUNS / 3);
    });
  }

  it('the undamaged examples pass every gate (the fuzzing starts from valid specs)', () => {
    for (const { file, run } of cases) expect(run(example(file).spec).stage, file).toBe('plan');
  });

  it('damaged Regions are caught by the Region check and never crash the pool computation', () => {
    let refused = 0;
    fc.assert(
      fc.property(damagedSpecArb(EASTUS.spec as unknown as Record<string, unknown>), ({ spec }) => {
        const region = { ...EASTUS, spec } as unknown as Region;
        const check = checkRegion(region);
        if (!check.ok) {
          refused++;
          expect(check.errors.length).toBeGreaterThan(0);
          return;
        }
        // The API server fills the CRD's defaults in (also when reading old objects), as the parse does.
        const served = parseWith(RegionSpec, spec);
        if (!served.ok) throw new Error('checkRegion accepted what the schema refuses');
        expect(() => toEngineRegion(served.value, computePools(served.value, []))).not.toThrow();
      }),
      { numRuns: RUNS, seed: 7 },
    );
    expect(refused).toBeGreaterThan(RUNS / 3);
  });
});
