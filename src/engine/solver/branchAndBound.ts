// Exact lexicographic integer optimisation: one level at a time, each by depth-first branch and bound.
//
// Each objective k gets a value column z_k (row obj_k − z_k = 0) so a level can be fixed by bounds. Stage k:
//   1. Solve the LP relaxation lexicographically over levels k, k+1, …, with levels before k fixed at their
//      integer optima. If that vertex is integral it is the lexicographic integer optimum of everything that
//      is left (an LP optimum that happens to be integral cannot be beaten by an integer point): done.
//   2. Otherwise find the integer optimum of level k alone by branch and bound over LPs with that one
//      objective, starting from the previous stage's solution (feasible here, so its level-k value is a
//      first bound), then fix z_k at it and go on.
// Every objective the engine builds is integer-valued at integer points (counts, vCPUs, ranks, positions,
// micro-dollars; leximin sums at their LP optimum), which gives two exact tools inside a stage:
//   - pruning: a node whose LP bound, rounded up, is not below the incumbent's value cannot improve it;
//   - rounding: a fractional LP bound v may be raised to ⌈v⌉ (z_k ≥ ⌈v⌉ cuts off no integer point). Only
//     levels with small coefficients are rounded this way: on prices in micro-dollars each round would gain
//     a single micro-dollar, so there the search branches on a column instead.
// The result is a lexicographic optimum, unless the work limit stops the search (which is reported).
//
// Numerics. Level rows are scaled by a power of two so their largest coefficient is at most 1 (prices in
// micro-dollars reach 1e9 per VM at 1,000 $/h; left unscaled, one such row next to rows of 1s made the
// simplex's tolerances meaningless and it stopped at a wrong vertex). Scaling by a power of two is exact in
// floating point, and every level value the search compares is evaluated exactly at integer points.
//
// Bounded work. The search counts the tableau cells its pivots touch (a deterministic measure of time, so the
// same input gives the same plan on any machine) and stops at a budget: the best plan found so far is
// returned with `proven: false` and `limitReached: true`, which the plan reports.
import { evaluate, type LinearModel, type LinearObjective, type LinearRow } from './model.ts';
import { solveLexicographicLp, type LpSolution, type WarmStart, type WorkCounter } from './simplex.ts';

const INTEGRALITY_TOLERANCE = 1e-6;
/**
 * Work (see WorkCounter) before the search stops: about 0.1 s of one core on the bench machine, shared by
 * all of one plan's searches; far above what the plans the tests and benches make need.
 */
export const DEFAULT_WORK_LIMIT = 10_000_000;
/** Nodes before the search stops, a second bound in case many nodes each take little work. */
const DEFAULT_NODE_LIMIT = 50_000;
/** Levels whose coefficients stay within this are rounded up instead of branched on (see above). */
const ROUNDING_MAX_COEFFICIENT = 1000;

export type MilpResult =
  | {
      readonly status: 'Optimal';
      /** Column values; integer columns are exact integers. */
      readonly values: readonly number[];
      /** Objective values at `values`, rounded to the integers they are. */
      readonly objectives: readonly number[];
      /** false when the work limit stopped the search before optimality was proven. */
      readonly proven: boolean;
      readonly nodes: number;
      /** Tableau cells touched (see WorkCounter). */
      readonly work: number;
    }
  | {
      readonly status: 'Infeasible';
      readonly proven: boolean;
      readonly nodes: number;
      readonly work: number;
    };

export interface SearchLimits {
  readonly nodes?: number | undefined;
  /** Stop once `counter.cells` reaches this. */
  readonly work?: number | undefined;
  /** Shared by several searches (one plan's), so the limit bounds them together; a fresh one otherwise. */
  readonly counter?: WorkCounter | undefined;
}

interface Incumbent {
  readonly values: number[];
  readonly objectives: number[];
}

interface Bounds {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

interface Node extends Bounds {
  /** The parent's final basis: a child differs from it by one bound, so a few pivots re-solve it. */
  readonly warmStart: WarmStart | undefined;
}

/** The search's shared state: node and work counts and limits, and the latest basis to start from. */
interface Search {
  nodes: number;
  readonly nodeLimit: number;
  readonly work: WorkCounter;
  readonly workLimit: number;
  latest: WarmStart | undefined;
  /** Per level: the power of two its row was divided by (level column value × scale = level value). */
  readonly scales: readonly number[];
}

export function solveIntegerProgram(model: LinearModel, limits: SearchLimits = {}): MilpResult {
  const objectives: readonly LinearObjective[] =
    model.objectives.length > 0 ? model.objectives : [{ name: 'feasibility', terms: [] }];
  const { model: extended, scales } = withLevelColumns({ ...model, objectives });
  const columnCount = model.columnNames.length;
  const bounds: Bounds = {
    lower: Float64Array.from(extended.lower),
    upper: Float64Array.from(extended.upper),
  };
  const search: Search = {
    nodes: 0,
    nodeLimit: limits.nodes ?? DEFAULT_NODE_LIMIT,
    work: limits.counter ?? { cells: 0 },
    workLimit: limits.work ?? DEFAULT_WORK_LIMIT,
    latest: undefined,
    scales,
  };
  let incumbent: Incumbent | undefined;
  for (let level = 0; level < objectives.length; level++) {
    const remaining = { ...extended, objectives: extended.objectives.slice(level) };
    const root = solveLexicographicLp(remaining, bounds.lower, bounds.upper, search.latest, search.work);
    search.nodes++;
    if (!root) return finish(model, incumbent, true, search);
    search.latest = root.warmStart;
    if (mostFractionalColumn(model, root.values) < 0) {
      return finish(model, integralPoint(model, objectives, root.values), true, search);
    }
    const stage = optimiseLevel(extended, model, objectives, level, bounds, incumbent, search);
    if (!stage.incumbent) return finish(model, incumbent, stage.proven, search);
    incumbent = stage.incumbent;
    if (!stage.proven) return finish(model, incumbent, false, search);
    const value = (incumbent.objectives[level] ?? 0) / (scales[level] ?? 1);
    bounds.lower[columnCount + level] = value;
    bounds.upper[columnCount + level] = value;
  }
  return finish(model, incumbent, true, search);
}

function exhausted(search: Search): boolean {
  return search.nodes >= search.nodeLimit || search.work.cells >= search.workLimit;
}

/** The integer optimum of one level by depth-first branch and bound, the levels before it fixed. */
function optimiseLevel(
  extended: LinearModel,
  model: LinearModel,
  objectives: readonly LinearObjective[],
  level: number,
  bounds: Bounds,
  start: Incumbent | undefined,
  search: Search,
): { incumbent: Incumbent | undefined; proven: boolean } {
  const single = { ...extended, objectives: [extended.objectives[level] ?? { name: 'none', terms: [] }] };
  const levelColumn = model.columnNames.length + level;
  const scale = search.scales[level] ?? 1;
  const roundable = (objectives[level]?.terms ?? []).every(
    (t) => Math.abs(t.coefficient) <= ROUNDING_MAX_COEFFICIENT,
  );
  let incumbent = start;
  const stack: Node[] = [
    { lower: bounds.lower.slice(), upper: bounds.upper.slice(), warmStart: search.latest },
  ];
  while (stack.length > 0) {
    if (exhausted(search)) return { incumbent, proven: false };
    const node = stack.pop();
    if (!node) break;
    search.nodes++;
    const relaxation: LpSolution | undefined = solveLexicographicLp(
      single,
      node.lower,
      node.upper,
      node.warmStart,
      search.work,
    );
    if (!relaxation) continue;
    search.latest = relaxation.warmStart;
    const bound = (relaxation.objectives[0] ?? 0) * scale;
    if (incumbent && Math.ceil(bound - INTEGRALITY_TOLERANCE) >= (incumbent.objectives[level] ?? 0)) continue;
    if (roundable && !isIntegral(bound)) {
      const rounded = copy(node, relaxation.warmStart);
      rounded.lower[levelColumn] = Math.max(rounded.lower[levelColumn] ?? 0, Math.ceil(bound) / scale);
      stack.push(rounded);
      continue;
    }
    const branch = mostFractionalColumn(model, relaxation.values);
    if (branch < 0) {
      const candidate = polished(extended, model, objectives, level, node, relaxation, search.work);
      if (!incumbent || (candidate.objectives[level] ?? 0) < (incumbent.objectives[level] ?? 0)) {
        incumbent = candidate;
      }
      continue;
    }
    const value = relaxation.values[branch] ?? 0;
    const down = copy(node, relaxation.warmStart);
    down.upper[branch] = Math.floor(value);
    const up = copy(node, relaxation.warmStart);
    up.lower[branch] = Math.ceil(value);
    // The child nearer the LP value is explored first (pushed last), which finds good incumbents early.
    if (value - Math.floor(value) < 0.5) stack.push(up, down);
    else stack.push(down, up);
  }
  return { incumbent, proven: true };
}

/**
 * An integral point's continuous columns (leximin thresholds, covers) were optimised for this level only;
 * re-solving with the integer columns fixed makes them optimal for the later levels too, so the levels the
 * incumbent reports are the integers it truly reaches.
 */
function polished(
  extended: LinearModel,
  model: LinearModel,
  objectives: readonly LinearObjective[],
  level: number,
  node: Bounds,
  relaxation: LpSolution,
  work: WorkCounter,
): Incumbent {
  const fixed = copy(node, undefined);
  for (let column = 0; column < model.columnNames.length; column++) {
    if (!model.integer[column]) continue;
    const value = Math.round(relaxation.values[column] ?? 0);
    fixed.lower[column] = value;
    fixed.upper[column] = value;
  }
  const remaining = { ...extended, objectives: extended.objectives.slice(level) };
  const solution = solveLexicographicLp(remaining, fixed.lower, fixed.upper, relaxation.warmStart, work);
  return integralPoint(model, objectives, solution?.values ?? relaxation.values);
}

function finish(
  model: LinearModel,
  incumbent: Incumbent | undefined,
  proven: boolean,
  search: Search,
): MilpResult {
  const { nodes } = search;
  const work = search.work.cells;
  if (!incumbent) return { status: 'Infeasible', proven, nodes, work };
  return {
    status: 'Optimal',
    values: incumbent.values,
    objectives: incumbent.objectives.slice(0, model.objectives.length),
    proven,
    nodes,
    work,
  };
}

function copy(node: Bounds, warmStart: WarmStart | undefined): Node {
  return { lower: node.lower.slice(), upper: node.upper.slice(), warmStart };
}

/** Integral up to an absolute 1e-6 plus 1e-12 relative (level values reach 1e10 micro-dollars). */
function isIntegral(value: number): boolean {
  return Math.abs(value - Math.round(value)) <= INTEGRALITY_TOLERANCE + 1e-12 * Math.abs(value);
}

/**
 * The model with a value column per objective: z_k ∈ [min, max of obj_k over the column box] / s_k, a row
 * obj_k / s_k − z_k = 0, and objective k replaced by z_k, so levels can be bounded like columns. s_k is the
 * power of two at or above the objective's largest coefficient, so every row's coefficients stay within 1
 * (see Numerics above); the level's value is z_k · s_k.
 */
function withLevelColumns(model: LinearModel): { model: LinearModel; scales: number[] } {
  const n = model.columnNames.length;
  const lower = [...model.lower];
  const upper = [...model.upper];
  const rows: LinearRow[] = [...model.rows];
  const scales: number[] = [];
  model.objectives.forEach((objective, k) => {
    let least = 0;
    let most = 0;
    let largest = 0;
    for (const term of objective.terms) {
      const a = term.coefficient * (model.lower[term.column] ?? 0);
      const b = term.coefficient * (model.upper[term.column] ?? 0);
      least += Math.min(a, b);
      most += Math.max(a, b);
      largest = Math.max(largest, Math.abs(term.coefficient));
    }
    const scale = largest > 1 ? 2 ** Math.ceil(Math.log2(largest)) : 1;
    scales.push(scale);
    lower.push(Math.floor(least) / scale);
    upper.push(Math.ceil(most) / scale);
    rows.push({
      name: `level/${objective.name}`,
      terms: [
        ...objective.terms.map((t) => ({ column: t.column, coefficient: t.coefficient / scale })),
        { column: n + k, coefficient: -1 },
      ],
      lower: 0,
      upper: 0,
    });
  });
  return {
    scales,
    model: {
      columnNames: [...model.columnNames, ...model.objectives.map((o) => `level/${o.name}`)],
      lower,
      upper,
      integer: [...model.integer, ...model.objectives.map(() => false)],
      branchPriority: model.branchPriority
        ? [...model.branchPriority, ...model.objectives.map(() => 0)]
        : undefined,
      rows,
      objectives: model.objectives.map((o, k) => ({
        name: o.name,
        terms: [{ column: n + k, coefficient: 1 }],
      })),
    },
  };
}

/**
 * The integer column to branch on: among the fractional ones of the highest branch priority, the farthest
 * from an integer (ties: lowest index); −1 when all are integral.
 */
function mostFractionalColumn(model: LinearModel, values: Float64Array): number {
  let best = -1;
  let bestPriority = Number.NEGATIVE_INFINITY;
  let bestDistance = 0;
  for (let column = 0; column < model.columnNames.length; column++) {
    if (!model.integer[column]) continue;
    const value = values[column] ?? 0;
    const distance = Math.abs(value - Math.round(value));
    if (distance <= INTEGRALITY_TOLERANCE) continue;
    const priority = model.branchPriority?.[column] ?? 0;
    if (priority > bestPriority || (priority === bestPriority && distance > bestDistance)) {
      best = column;
      bestPriority = priority;
      bestDistance = distance;
    }
  }
  return best;
}

/** The LP point with integer columns rounded, and every level evaluated there (integers by construction). */
function integralPoint(
  model: LinearModel,
  objectives: readonly LinearObjective[],
  values: Float64Array,
): Incumbent {
  const point = Array.from(values.subarray(0, model.columnNames.length), (value, column) =>
    model.integer[column] ? Math.round(value) : value,
  );
  return {
    values: point,
    objectives: objectives.map((objective) => Math.round(evaluate(objective.terms, point))),
  };
}
