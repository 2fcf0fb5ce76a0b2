// The engine's own LP / MILP solver against HiGHS on random lexicographic integer programs: mixed integer
// and continuous columns, ≤ / ≥ / ranged / equality rows, negative coefficients, several objective levels.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { solveIntegerProgram } from '../../../src/engine/solver/branchAndBound.ts';
import { ModelBuilder, evaluate, type LinearModel } from '../../../src/engine/solver/model.ts';
import { solveWithHighs } from './support/highs.ts';

const modelArbitrary: fc.Arbitrary<LinearModel> = fc
  .record({
    columns: fc.array(fc.record({ upper: fc.integer({ min: 1, max: 12 }), integer: fc.boolean() }), {
      minLength: 2,
      maxLength: 12,
    }),
    rows: fc.array(
      fc.record({
        coefficients: fc.array(fc.integer({ min: -5, max: 8 }), { minLength: 12, maxLength: 12 }),
        kind: fc.constantFrom('upper', 'lower', 'range', 'equal'),
        bound: fc.integer({ min: -5, max: 40 }),
        width: fc.integer({ min: 0, max: 6 }),
      }),
      { minLength: 1, maxLength: 7 },
    ),
    objectives: fc.array(fc.array(fc.integer({ min: -9, max: 9 }), { minLength: 12, maxLength: 12 }), {
      minLength: 1,
      maxLength: 3,
    }),
  })
  .map((r) => {
    const builder = new ModelBuilder();
    // Continuous columns only where an integer objective value is still guaranteed: they get integer
    // objective coefficients but no rows, so their LP optimum sits on an integer bound.
    const columns = r.columns.map((c, i) => builder.addColumn(`c${i}`, 0, c.upper, c.integer));
    r.rows.forEach((row, k) => {
      const terms = columns
        .filter((column) => r.columns[column]?.integer)
        .map((column) => ({ column, coefficient: row.coefficients[column] ?? 0 }));
      const lower =
        row.kind === 'lower' || row.kind === 'range' || row.kind === 'equal' ? row.bound : -Infinity;
      const upper =
        row.kind === 'upper' || row.kind === 'equal'
          ? row.bound
          : row.kind === 'range'
            ? row.bound + row.width
            : Infinity;
      builder.addRow(`r${k}`, terms, lower, upper);
    });
    for (const [k, coefficients] of r.objectives.entries()) {
      builder.addObjective(
        `o${k}`,
        columns.map((column) => ({ column, coefficient: coefficients[column] ?? 0 })),
      );
    }
    return builder.build();
  });

test('lexicographic optimum and infeasibility agree with HiGHS (250 random models)', async () => {
  let infeasible = 0;
  await fc.assert(
    fc.asyncProperty(modelArbitrary, async (model) => {
      const mine = solveIntegerProgram(model);
      const reference = await solveWithHighs(model);
      expect(mine.status).toBe(reference.status);
      if (mine.status === 'Optimal' && reference.status === 'Optimal') {
        expect(mine.proven).toBe(true);
        expect(mine.objectives).toEqual(reference.objectives);
        for (const row of model.rows) {
          const activity = evaluate(row.terms, mine.values);
          expect(activity).toBeGreaterThanOrEqual(row.lower - 1e-6);
          expect(activity).toBeLessThanOrEqual(row.upper + 1e-6);
        }
      } else infeasible++;
    }),
    { numRuns: 250, seed: 5 },
  );
  expect(infeasible).toBeGreaterThanOrEqual(10);
});

test('prices of hundreds of dollars per hour next to micro-dollar ones: the cheap column wins (scaled level rows)', () => {
  // Issue #14: one VM from a 321.77868 $/h pool or a 0.00001 $/h one. Left unscaled, the price level's row
  // (coefficients 321,778,680 and 10) next to rows of 1s made the simplex stop at the dear vertex, proven.
  const builder = new ModelBuilder();
  const dear = builder.addColumn('dear', 0, 1, true);
  const cheap = builder.addColumn('cheap', 0, 1, true);
  builder.addRow(
    'target',
    [
      { column: dear, coefficient: 1 },
      { column: cheap, coefficient: 1 },
    ],
    -Infinity,
    1,
  );
  builder.addObjective('place', [
    { column: dear, coefficient: -1 },
    { column: cheap, coefficient: -1 },
  ]);
  builder.addObjective('price', [
    { column: dear, coefficient: 321_778_680 },
    { column: cheap, coefficient: 10 },
  ]);
  builder.addObjective('names', [
    { column: dear, coefficient: 1 },
    { column: cheap, coefficient: 3 },
  ]);
  const result = solveIntegerProgram(builder.build());
  expect(result.status).toBe('Optimal');
  if (result.status !== 'Optimal') return;
  expect(result.values).toEqual([0, 1]);
  expect(result.objectives).toEqual([-1, 10, 3]);
  expect(result.proven).toBe(true);
});

test('the search stops at its work limit and says so, with the best point found', () => {
  // A knapsack whose LP bound is weak: 0/1 columns of weight 2 cannot reach an odd total.
  const builder = new ModelBuilder();
  const columns = Array.from({ length: 12 }, (_, i) => builder.addColumn(`x${i}`, 0, 1, true));
  builder.addRow(
    'odd',
    columns.map((column) => ({ column, coefficient: 2 })),
    -Infinity,
    13,
  );
  builder.addObjective(
    'most',
    columns.map((column) => ({ column, coefficient: -2 })),
  );
  builder.addObjective(
    'price',
    columns.map((column, i) => ({ column, coefficient: 1_000_003 + 7919 * i })),
  );
  const limited = solveIntegerProgram(builder.build(), { work: 10_000 });
  expect(limited.proven).toBe(false);
  expect(limited.work).toBeGreaterThanOrEqual(10_000);
  const full = solveIntegerProgram(builder.build());
  expect(full.proven).toBe(true);
});
