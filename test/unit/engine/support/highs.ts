// HiGHS (compiled to wasm) as an independent referee: a LinearModel is written as CPLEX LP text and its
// lexicographic objectives are solved one stage at a time, each optimum fixed as a constraint for the next.
// The package's types read as CommonJS (so TypeScript puts the loader at `.default.default`) while Node loads
// its ES module build (loader at `.default`); the loader is therefore picked at run time and typed by hand.
import * as highsModule from 'highs';
import type { Highs } from 'highs';
import type { LinearModel, LinearTerm } from '../../../../src/engine/solver/model.ts';

type Loader = () => Promise<Highs>;

function loader(): Loader {
  const candidate: unknown = highsModule.default;
  if (typeof candidate === 'function') return candidate as Loader;
  return (candidate as { default: Loader }).default;
}

let instance: Highs | undefined;

export async function highs(): Promise<Highs> {
  instance ??= await loader()();
  return instance;
}

export type ReferenceResult =
  { status: 'Optimal'; objectives: number[]; values: number[] } | { status: 'Infeasible' };

const OPTIONS = { output_flag: false, mip_rel_gap: 0, mip_abs_gap: 1e-7, presolve: 'on' } as const;

function column(index: number): string {
  return `x${index}`;
}

function linear(terms: readonly LinearTerm[]): string {
  if (terms.length === 0) return '0 x0';
  return terms
    .map((t, i) => {
      const sign = t.coefficient < 0 ? '-' : i === 0 ? '' : '+';
      return `${sign} ${Math.abs(t.coefficient)} ${column(t.column)}`;
    })
    .join(' ');
}

/** CPLEX LP text of the model with one objective and extra rows (earlier stages' optima). */
export function lpText(
  model: LinearModel,
  objective: readonly LinearTerm[],
  extraRows: readonly { terms: readonly LinearTerm[]; upper: number }[],
): string {
  const lines = ['Minimize', ` obj: ${linear(objective)}`, 'Subject To'];
  let n = 0;
  for (const row of model.rows) {
    if (row.lower === row.upper) lines.push(` c${n++}: ${linear(row.terms)} = ${row.lower}`);
    else {
      if (Number.isFinite(row.lower)) lines.push(` c${n++}: ${linear(row.terms)} >= ${row.lower}`);
      if (Number.isFinite(row.upper)) lines.push(` c${n++}: ${linear(row.terms)} <= ${row.upper}`);
    }
  }
  for (const row of extraRows) lines.push(` c${n++}: ${linear(row.terms)} <= ${row.upper}`);
  lines.push('Bounds');
  model.lower.forEach((lower, i) => lines.push(` ${lower} <= ${column(i)} <= ${model.upper[i] ?? 0}`));
  const integers = model.integer.flatMap((isInteger, i) => (isInteger ? [column(i)] : []));
  if (integers.length > 0) lines.push('Generals', ` ${integers.join(' ')}`);
  lines.push('End');
  return lines.join('\n');
}

/** Lexicographic optimum by successive HiGHS solves; objectives are integer-valued by construction. */
export async function solveWithHighs(model: LinearModel): Promise<ReferenceResult> {
  const solver = await highs();
  const fixed: { terms: readonly LinearTerm[]; upper: number }[] = [];
  const objectives: number[] = [];
  let values: number[] = model.lower.map(() => 0);
  const stages = model.objectives.length === 0 ? [{ terms: [] as LinearTerm[] }] : model.objectives;
  for (const stage of stages) {
    const result = solver.solve(lpText(model, stage.terms, fixed), OPTIONS);
    if (result.Status === 'Infeasible') return { status: 'Infeasible' };
    if (result.Status !== 'Optimal') throw new Error(`HiGHS: ${result.Status}`);
    const optimum = Math.round(result.ObjectiveValue);
    values = model.lower.map((_, i) => {
      const col = result.Columns[column(i)];
      return col && 'Primal' in col ? col.Primal : 0;
    });
    objectives.push(optimum);
    fixed.push({ terms: stage.terms, upper: optimum });
  }
  return { status: 'Optimal', objectives: model.objectives.length === 0 ? [] : objectives, values };
}
