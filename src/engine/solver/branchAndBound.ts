// Depth-first branch and bound over the lexicographic LP relaxation.
//
// Every model the engine builds has integer-valued objectives at integer points (VM and vCPU counts, ranks,
// prices in micro-dollars, position weights), so a node whose LP bound, rounded up, is already worse than
// the incumbent at the first level where they differ is pruned; when the bound is fractional at a level, the
// later levels of the bound say nothing and the node is explored. With these rules the search is exact: the
// incumbent it returns is a lexicographic optimum (unless the node limit stops it, which it reports).
import { evaluate, type LinearModel } from './model.ts';
import { solveLexicographicLp } from './simplex.ts';

const INTEGRALITY_TOLERANCE = 1e-6;
const DEFAULT_NODE_LIMIT = 20_000;

export type MilpResult =
  | {
      readonly status: 'Optimal';
      /** Column values; integer columns are exact integers. */
      readonly values: readonly number[];
      /** Objective values at `values`, rounded to the integers they are. */
      readonly objectives: readonly number[];
      /** false when the node limit stopped the search before optimality was proven. */
      readonly proven: boolean;
      readonly nodes: number;
    }
  | { readonly status: 'Infeasible'; readonly proven: boolean; readonly nodes: number };

interface Node {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

export function solveIntegerProgram(model: LinearModel, nodeLimit = DEFAULT_NODE_LIMIT): MilpResult {
  const stack: Node[] = [{ lower: Float64Array.from(model.lower), upper: Float64Array.from(model.upper) }];
  let incumbent: { values: number[]; objectives: number[] } | undefined;
  let nodes = 0;
  while (stack.length > 0) {
    if (nodes >= nodeLimit) {
      return incumbent
        ? { status: 'Optimal', ...incumbent, proven: false, nodes }
        : { status: 'Infeasible', proven: false, nodes };
    }
    const node = stack.pop();
    if (!node) break;
    nodes++;
    const relaxation = solveLexicographicLp(model, node.lower, node.upper);
    if (!relaxation) continue;
    if (incumbent && !mayImprove(relaxation.objectives, incumbent.objectives)) continue;
    const branch = mostFractionalColumn(model, relaxation.values);
    if (branch < 0) {
      const candidate = integralPoint(model, relaxation.values);
      if (!incumbent || lexicographicallyLess(candidate.objectives, incumbent.objectives))
        incumbent = candidate;
      continue;
    }
    const value = relaxation.values[branch] ?? 0;
    const down: Node = { lower: node.lower.slice(), upper: node.upper.slice() };
    down.upper[branch] = Math.floor(value);
    const up: Node = { lower: node.lower.slice(), upper: node.upper.slice() };
    up.lower[branch] = Math.ceil(value);
    // The child nearer the LP value is explored first (pushed last), which finds good incumbents early.
    if (value - Math.floor(value) < 0.5) stack.push(up, down);
    else stack.push(down, up);
  }
  return incumbent
    ? { status: 'Optimal', ...incumbent, proven: true, nodes }
    : { status: 'Infeasible', proven: true, nodes };
}

/** Can a node with this LP bound still hold an integer point lexicographically better than the incumbent? */
function mayImprove(bound: readonly number[], incumbent: readonly number[]): boolean {
  for (let level = 0; level < incumbent.length; level++) {
    const relaxed = bound[level] ?? 0;
    const best = incumbent[level] ?? 0;
    const integerBound = Math.ceil(relaxed - INTEGRALITY_TOLERANCE);
    if (integerBound > best) return false;
    if (integerBound < best) return true;
    if (Math.abs(relaxed - integerBound) > INTEGRALITY_TOLERANCE) return true;
  }
  return false;
}

function lexicographicallyLess(a: readonly number[], b: readonly number[]): boolean {
  for (let level = 0; level < a.length; level++) {
    const difference = (a[level] ?? 0) - (b[level] ?? 0);
    if (difference < -0.5) return true;
    if (difference > 0.5) return false;
  }
  return false;
}

/** The integer column farthest from an integer (ties: lowest index); −1 when all are integral. */
function mostFractionalColumn(model: LinearModel, values: Float64Array): number {
  let best = -1;
  let bestDistance = INTEGRALITY_TOLERANCE;
  for (let column = 0; column < values.length; column++) {
    if (!model.integer[column]) continue;
    const value = values[column] ?? 0;
    const distance = Math.abs(value - Math.round(value));
    if (distance > bestDistance) {
      best = column;
      bestDistance = distance;
    }
  }
  return best;
}

function integralPoint(model: LinearModel, values: Float64Array): { values: number[]; objectives: number[] } {
  const point = Array.from(values, (value, column) => (model.integer[column] ? Math.round(value) : value));
  const objectives = model.objectives.map((objective) => Math.round(evaluate(objective.terms, point)));
  return { values: point, objectives };
}
