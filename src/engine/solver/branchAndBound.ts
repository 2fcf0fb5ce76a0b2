// Depth-first branch and bound over the lexicographic LP relaxation.
//
// Every model the engine builds has integer-valued objectives at integer points (VM and vCPU counts, ranks,
// prices in micro-dollars, position weights), which the search exploits twice:
//
// - Level branching. Each objective k gets a value column z_k (row obj_k − z_k = 0). When the LP optimum of
//   a node is fractional at level k (levels before k integral), the node's integer points split into
//   A: z_j = v_j for j < k and z_k ≥ ⌈v_k⌉, and for each j < k, B_j: z_i = v_i for i < j and z_j ≥ v_j + 1.
//   A is explored first; the B_j are lexicographically worse at level j and fall to the first incumbent
//   that reaches v_j. Without this, a fractional early level (a zone total of 333⅓) would leave every later
//   level without a usable bound and nothing could be pruned. Only levels with small coefficients (counts,
//   leximin sums, ranks, positions: an LP–integer gap of a few units) — and only when every level before
//   them is small too — are rounded this way: rounding a price level in micro-dollars, or creating its
//   "≥ v + 1" sibling, would creep up one micro-dollar per node, so there column branching decides.
// - Pruning. A node whose (integral) levels are lexicographically no better than the incumbent's is cut.
//
// Then the most fractional integer column is branched on as usual. All of this is exact: the incumbent
// returned is a lexicographic optimum, unless the node limit stops the search (which is reported).
import { evaluate, type LinearModel, type LinearRow } from './model.ts';
import { solveLexicographicLp } from './simplex.ts';

const INTEGRALITY_TOLERANCE = 1e-6;
const DEFAULT_NODE_LIMIT = 50_000;
/** Levels whose coefficients stay within this are rounded by level branching (see above). */
const LEVEL_BRANCHING_MAX_COEFFICIENT = 1000;

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

interface Incumbent {
  readonly values: number[];
  readonly objectives: number[];
}

export function solveIntegerProgram(model: LinearModel, nodeLimit = DEFAULT_NODE_LIMIT): MilpResult {
  const extended = withLevelColumns(model);
  const levelColumn = (level: number) => model.columnNames.length + level;
  const stack: Node[] = [
    { lower: Float64Array.from(extended.lower), upper: Float64Array.from(extended.upper) },
  ];
  let incumbent: Incumbent | undefined;
  let nodes = 0;
  // Level branching also creates "level j ≥ v_j + 1" siblings for every earlier level, so it is used only
  // while all levels up to the fractional one have small coefficients.
  let smallLevels = extended.objectives.findIndex((o) => (o.scale ?? 0) > LEVEL_BRANCHING_MAX_COEFFICIENT);
  if (smallLevels < 0) smallLevels = extended.objectives.length;
  while (stack.length > 0) {
    if (nodes >= nodeLimit) return finish(model, incumbent, false, nodes);
    const node = stack.pop();
    if (!node) break;
    nodes++;
    const relaxation = solveLexicographicLp(extended, node.lower, node.upper);
    if (!relaxation) continue;
    const bound = relaxation.objectives;
    if (incumbent && !mayImprove(bound, incumbent.objectives)) continue;

    const fractionalLevel = bound.findIndex((value) => !isIntegral(value));
    if (fractionalLevel >= 0 && smallLevels > fractionalLevel) {
      const fixedBefore = (child: Node, upTo: number) => {
        for (let j = 0; j < upTo; j++) {
          const column = levelColumn(j);
          child.lower[column] = Math.round(bound[j] ?? 0);
          child.upper[column] = Math.round(bound[j] ?? 0);
        }
      };
      for (let j = fractionalLevel - 1; j >= 0; j--) {
        const worse = copy(node);
        fixedBefore(worse, j);
        worse.lower[levelColumn(j)] = Math.round(bound[j] ?? 0) + 1;
        stack.push(worse);
      }
      const rounded = copy(node);
      fixedBefore(rounded, fractionalLevel);
      rounded.lower[levelColumn(fractionalLevel)] = Math.ceil(bound[fractionalLevel] ?? 0);
      stack.push(rounded);
      continue;
    }

    const branch = mostFractionalColumn(model, relaxation.values);
    if (branch < 0) {
      const candidate = integralPoint(model, relaxation.values);
      if (!incumbent || lexicographicallyLess(candidate.objectives, incumbent.objectives))
        incumbent = candidate;
      continue;
    }
    const value = relaxation.values[branch] ?? 0;
    const down = copy(node);
    down.upper[branch] = Math.floor(value);
    const up = copy(node);
    up.lower[branch] = Math.ceil(value);
    // The child nearer the LP value is explored first (pushed last), which finds good incumbents early.
    if (value - Math.floor(value) < 0.5) stack.push(up, down);
    else stack.push(down, up);
  }
  return finish(model, incumbent, true, nodes);
}

function finish(
  model: LinearModel,
  incumbent: Incumbent | undefined,
  proven: boolean,
  nodes: number,
): MilpResult {
  if (!incumbent) return { status: 'Infeasible', proven, nodes };
  return {
    status: 'Optimal',
    values: incumbent.values.slice(0, model.columnNames.length),
    objectives: incumbent.objectives,
    proven,
    nodes,
  };
}

function copy(node: Node): Node {
  return { lower: node.lower.slice(), upper: node.upper.slice() };
}

/** Integral up to an absolute 1e-6 plus 1e-12 relative (level values reach 1e10 micro-dollars). */
function isIntegral(value: number): boolean {
  return Math.abs(value - Math.round(value)) <= INTEGRALITY_TOLERANCE + 1e-12 * Math.abs(value);
}

/**
 * The model with a value column per objective: z_k ∈ [min, max of obj_k over the column box], a row
 * obj_k − z_k = 0, and objective k replaced by z_k, so levels can be bounded like columns.
 */
function withLevelColumns(model: LinearModel): LinearModel {
  const n = model.columnNames.length;
  const lower = [...model.lower];
  const upper = [...model.upper];
  const rows: LinearRow[] = [...model.rows];
  model.objectives.forEach((objective, k) => {
    let least = 0;
    let most = 0;
    for (const term of objective.terms) {
      const a = term.coefficient * (model.lower[term.column] ?? 0);
      const b = term.coefficient * (model.upper[term.column] ?? 0);
      least += Math.min(a, b);
      most += Math.max(a, b);
    }
    lower.push(Math.floor(least));
    upper.push(Math.ceil(most));
    rows.push({
      name: `level/${objective.name}`,
      terms: [...objective.terms, { column: n + k, coefficient: -1 }],
      lower: 0,
      upper: 0,
    });
  });
  return {
    columnNames: [...model.columnNames, ...model.objectives.map((o) => `level/${o.name}`)],
    lower,
    upper,
    integer: [...model.integer, ...model.objectives.map(() => false)],
    rows,
    objectives: model.objectives.map((o, k) => ({
      name: o.name,
      terms: [{ column: n + k, coefficient: 1 }],
      scale: Math.max(o.scale ?? 1, ...o.terms.map((t) => Math.abs(t.coefficient))),
    })),
  };
}

/** Can a node with this LP bound still hold an integer point lexicographically better than the incumbent? */
function mayImprove(bound: readonly number[], incumbent: readonly number[]): boolean {
  for (let level = 0; level < incumbent.length; level++) {
    const relaxed = bound[level] ?? 0;
    const best = incumbent[level] ?? 0;
    const integerBound = Math.ceil(relaxed - INTEGRALITY_TOLERANCE);
    if (integerBound > best) return false;
    if (integerBound < best) return true;
    if (!isIntegral(relaxed)) return true;
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
  for (let column = 0; column < model.columnNames.length; column++) {
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

function integralPoint(model: LinearModel, values: Float64Array): Incumbent {
  const point = Array.from(values.subarray(0, model.columnNames.length), (value, column) =>
    model.integer[column] ? Math.round(value) : value,
  );
  const objectives = model.objectives.map((objective) => Math.round(evaluate(objective.terms, point)));
  return { values: point, objectives };
}
