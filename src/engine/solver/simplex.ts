// A bounded-variable primal simplex with a lexicographic objective, on a dense tableau, warm-startable.
//
// Why hand-written: the engine must stay pure and synchronous, and its models are tiny (a column per pool,
// a few dozen rows) however many VMs are placed, so a dense tableau is both the simplest and the fastest
// choice. Why lexicographic: the placement rules are ordered (capacity first, then zones, then sizes, then
// names), and comparing reduced costs as vectors solves all levels in one pass, with no big-M weights.
// Why warm starts: branch and bound solves many LPs that differ from an earlier one by a few bounds; starting
// from that LP's final basis takes a handful of pivots instead of re-solving from scratch.
//
// Conventions. Each row i becomes an equality Σ a_ij x_j − r_i = 0 whose activity column r_i carries the
// row's bounds. The tableau keeps B⁻¹A, so Σ_j T[i][j]·x_j = 0 for every row, with T[i][basis[i]] = 1.
// Nonbasic columns sit at a bound. A cold start makes every r_i basic with the structural columns at their
// lower bounds; a warm start takes another solve's basis and moves the nonbasic columns onto the new bounds.
// Either way basic columns may violate their bounds, and phase 1 minimises the sum of those violations
// (a composite phase 1: no artificial columns). Phase 2 then minimises the objectives lexicographically.
// Anti-cycling: Dantzig pricing, switching to Bland's rule after a run of degenerate pivots.
import type { LinearModel } from './model.ts';

const PIVOT_TOLERANCE = 1e-9;
const FEASIBILITY_TOLERANCE = 1e-7;
const REDUCED_COST_TOLERANCE = 1e-9;
const MAX_ITERATIONS = 100_000;
const DEGENERATE_RUN_BEFORE_BLAND = 50;

const BASIC = 0;
const AT_LOWER = 1;
const AT_UPPER = 2;

/** A solved tableau, to start a later solve of the same model (same rows and columns) from. */
export interface WarmStart {
  readonly cells: Float64Array;
  readonly basis: Int32Array;
  readonly state: Uint8Array;
  readonly x: Float64Array;
  /** Solves since the basic values were last recomputed from scratch (they are updated incrementally). */
  readonly age: number;
}

/** Basic values are recomputed from scratch this often along a chain of warm starts, against drift. */
const RECOMPUTE_EVERY = 16;

export interface LpSolution {
  /** Values of the model's columns. */
  readonly values: Float64Array;
  /** Value of each objective, in the model's order. */
  readonly objectives: readonly number[];
  /** The final basis, for warm-starting a related solve. */
  readonly warmStart: WarmStart;
}

/**
 * Minimises the model's objectives lexicographically over its LP relaxation with the given column bounds
 * (which override the model's, so branch and bound can tighten them). Returns undefined when infeasible.
 */
export function solveLexicographicLp(
  model: LinearModel,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  warmStart?: WarmStart,
  work?: WorkCounter,
): LpSolution | undefined {
  const tableau = new Tableau(model, lower, upper, warmStart);
  try {
    if (!tableau.runPhaseOne()) return undefined;
    tableau.runPhaseTwo();
    return tableau.solution();
  } finally {
    if (work) work.cells += tableau.cellUpdates + SOLVE_OVERHEAD_CELLS;
  }
}

/** A solve's fixed cost (allocation, setup) in cell updates: about 20 µs, measured on small models. */
const SOLVE_OVERHEAD_CELLS = 2_000;

/**
 * Work done, in tableau cell updates (pivots, pricing, building the tableau) plus a fixed charge per solve:
 * deterministic (unlike a clock) and roughly proportional to time (about 10 ns per cell on the bench
 * machine), so a search can be bounded by it and give the same answer on every machine.
 */
export interface WorkCounter {
  cells: number;
}

class Tableau {
  private readonly model: LinearModel;
  private readonly rowCount: number;
  private readonly columnCount: number;
  private readonly width: number;
  private readonly cells: Float64Array;
  private readonly basis: Int32Array;
  private readonly state: Uint8Array;
  private readonly lo: Float64Array;
  private readonly up: Float64Array;
  private readonly x: Float64Array;
  private objectiveRows: Float64Array[] = [];
  private objectiveTolerances: number[] = [];
  private age = 0;
  /** Cells touched by pivots and bound flips so far (see WorkCounter). */
  cellUpdates = 0;

  constructor(model: LinearModel, lower: ArrayLike<number>, upper: ArrayLike<number>, warmStart?: WarmStart) {
    this.model = model;
    const n = model.lower.length;
    const m = model.rows.length;
    this.rowCount = m;
    this.columnCount = n;
    this.width = n + m;
    this.lo = new Float64Array(this.width);
    this.up = new Float64Array(this.width);
    // Copying or building the tableau touches every cell once.
    this.cellUpdates = m * this.width;
    for (let j = 0; j < n; j++) {
      this.lo[j] = lower[j] ?? 0;
      this.up[j] = upper[j] ?? 0;
    }
    model.rows.forEach((row, i) => {
      this.lo[n + i] = row.lower;
      this.up[n + i] = row.upper;
    });
    if (warmStart && warmStart.cells.length === m * this.width) {
      this.cells = warmStart.cells.slice();
      this.basis = warmStart.basis.slice();
      this.state = warmStart.state.slice();
      this.x = warmStart.x.slice();
      // Nonbasic columns move onto their (possibly new) bounds, carrying the basic values with them.
      this.age = warmStart.age + 1;
      for (let j = 0; j < this.width; j++) {
        const state = this.state[j];
        if (state === BASIC) continue;
        const atUpper = state === AT_UPPER && Number.isFinite(this.up[j] ?? 0);
        const target = atUpper ? (this.up[j] ?? 0) : (this.lo[j] ?? 0);
        this.state[j] = atUpper ? AT_UPPER : AT_LOWER;
        const delta = target - (this.x[j] ?? 0);
        if (delta === 0) continue;
        this.x[j] = target;
        for (let i = 0; i < m; i++) {
          const alpha = this.cells[i * this.width + j] ?? 0;
          if (alpha === 0) continue;
          const basic = this.basis[i] ?? 0;
          this.x[basic] = (this.x[basic] ?? 0) - alpha * delta;
        }
      }
      if (this.age >= RECOMPUTE_EVERY) {
        this.recomputeBasicValues();
        this.age = 0;
      }
      return;
    }
    this.cells = new Float64Array(m * this.width);
    this.basis = new Int32Array(m);
    this.state = new Uint8Array(this.width);
    this.x = new Float64Array(this.width);
    for (let j = 0; j < n; j++) {
      this.x[j] = this.lo[j] ?? 0;
      this.state[j] = AT_LOWER;
    }
    // Cold start: r_i = Σ a_ij x_j is basic, the row reads −Σ a_ij x_j + r_i = 0.
    model.rows.forEach((row, i) => {
      const offset = i * this.width;
      let activity = 0;
      for (const term of row.terms) {
        this.cells[offset + term.column] = -term.coefficient;
        activity += term.coefficient * (this.x[term.column] ?? 0);
      }
      this.cells[offset + n + i] = 1;
      this.basis[i] = n + i;
      this.state[n + i] = BASIC;
      this.x[n + i] = activity;
    });
  }

  /** Composite phase 1: drives every basic column within its bounds; false when that is impossible. */
  runPhaseOne(): boolean {
    let degenerateRun = 0;
    for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
      const signs = this.infeasibilitySigns();
      if (!signs) return true;
      const reduced = new Float64Array(this.width);
      this.cellUpdates += this.rowCount * this.width;
      for (let i = 0; i < this.rowCount; i++) {
        const sign = signs[i] ?? 0;
        if (sign === 0) continue;
        const offset = i * this.width;
        for (let j = 0; j < this.width; j++)
          reduced[j] = (reduced[j] ?? 0) - sign * (this.cells[offset + j] ?? 0);
      }
      this.objectiveRows = [reduced];
      this.objectiveTolerances = [REDUCED_COST_TOLERANCE];
      const useBland = degenerateRun > DEGENERATE_RUN_BEFORE_BLAND;
      const entering = this.chooseEntering(useBland);
      if (entering < 0) return false;
      const direction = this.state[entering] === AT_LOWER ? 1 : -1;
      const step = this.ratioTest(entering, direction, useBland, true);
      degenerateRun = step.theta <= PIVOT_TOLERANCE ? degenerateRun + 1 : 0;
      this.cellUpdates += this.width;
      this.applyStep(entering, direction, step);
    }
    throw new Error('simplex: phase 1 iteration limit reached');
  }

  runPhaseTwo(): void {
    this.objectiveRows = [];
    this.objectiveTolerances = [];
    for (const objective of this.model.objectives) {
      this.cellUpdates += this.rowCount * this.width;
      const costs = new Float64Array(this.width);
      let scale = Math.max(1, objective.scale ?? 1);
      for (const term of objective.terms) {
        costs[term.column] = term.coefficient;
        scale = Math.max(scale, Math.abs(term.coefficient));
      }
      this.objectiveRows.push(this.reducedCosts(costs));
      this.objectiveTolerances.push(REDUCED_COST_TOLERANCE * scale);
    }
    if (this.objectiveRows.length === 0) return;
    let degenerateRun = 0;
    for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
      const useBland = degenerateRun > DEGENERATE_RUN_BEFORE_BLAND;
      const entering = this.chooseEntering(useBland);
      if (entering < 0) return;
      const direction = this.state[entering] === AT_LOWER ? 1 : -1;
      const step = this.ratioTest(entering, direction, useBland, false);
      degenerateRun = step.theta <= PIVOT_TOLERANCE ? degenerateRun + 1 : 0;
      this.cellUpdates += this.width;
      this.applyStep(entering, direction, step);
    }
    throw new Error('simplex: phase 2 iteration limit reached');
  }

  solution(): LpSolution {
    const values = this.x.slice(0, this.columnCount);
    const objectives = this.model.objectives.map((objective) => {
      let sum = 0;
      for (const term of objective.terms) sum += term.coefficient * (values[term.column] ?? 0);
      return sum;
    });
    return {
      values,
      objectives,
      warmStart: { cells: this.cells, basis: this.basis, state: this.state, x: this.x, age: this.age },
    };
  }

  /** Per row: −1 when its basic column is below its lower bound, +1 above its upper, 0 within; or none. */
  private infeasibilitySigns(): Int8Array | undefined {
    let any = false;
    const signs = new Int8Array(this.rowCount);
    for (let i = 0; i < this.rowCount; i++) {
      const basic = this.basis[i] ?? 0;
      const value = this.x[basic] ?? 0;
      const lo = this.lo[basic] ?? 0;
      const up = this.up[basic] ?? 0;
      if (value < lo - FEASIBILITY_TOLERANCE * (1 + Math.abs(lo))) {
        signs[i] = -1;
        any = true;
      } else if (value > up + FEASIBILITY_TOLERANCE * (1 + Math.abs(up))) {
        signs[i] = 1;
        any = true;
      }
    }
    return any ? signs : undefined;
  }

  /** d_j = c_j − Σ_i c_basis(i) T[i][j]. */
  private reducedCosts(costs: Float64Array): Float64Array {
    const reduced = costs.slice();
    for (let i = 0; i < this.rowCount; i++) {
      const basicCost = costs[this.basis[i] ?? 0] ?? 0;
      if (basicCost === 0) continue;
      const offset = i * this.width;
      for (let j = 0; j < this.width; j++) {
        reduced[j] = (reduced[j] ?? 0) - basicCost * (this.cells[offset + j] ?? 0);
      }
    }
    return reduced;
  }

  private recomputeBasicValues(): void {
    for (let i = 0; i < this.rowCount; i++) {
      const offset = i * this.width;
      const basic = this.basis[i] ?? 0;
      let value = 0;
      for (let j = 0; j < this.width; j++) {
        if (this.state[j] === BASIC) continue;
        const coefficient = this.cells[offset + j] ?? 0;
        if (coefficient !== 0) value -= coefficient * (this.x[j] ?? 0);
      }
      this.x[basic] = value;
    }
  }

  /** A nonbasic column whose move improves the first objective level it affects; −1 when optimal. */
  private chooseEntering(useBland: boolean): number {
    let best = -1;
    let bestLevel = Number.POSITIVE_INFINITY;
    let bestMagnitude = 0;
    const levels = this.objectiveRows.length;
    for (let j = 0; j < this.width; j++) {
      const state = this.state[j];
      if (state === BASIC) continue;
      if ((this.up[j] ?? 0) - (this.lo[j] ?? 0) <= PIVOT_TOLERANCE) continue;
      const direction = state === AT_LOWER ? 1 : -1;
      for (let level = 0; level < levels; level++) {
        const reduced = this.objectiveRows[level]?.[j] ?? 0;
        const tolerance = this.objectiveTolerances[level] ?? REDUCED_COST_TOLERANCE;
        if (reduced <= tolerance && reduced >= -tolerance) continue;
        if (direction * reduced < 0) {
          if (useBland) return j;
          const magnitude = Math.abs(reduced) / tolerance;
          if (level < bestLevel || (level === bestLevel && magnitude > bestMagnitude)) {
            best = j;
            bestLevel = level;
            bestMagnitude = magnitude;
          }
        }
        break;
      }
    }
    return best;
  }

  /**
   * How far the entering column can move. In phase 1 a basic column outside its bounds may move toward
   * them until it reaches the nearer one (where the infeasibility sum changes slope) and freely away from
   * them; columns within their bounds must stay there, as in phase 2.
   */
  private ratioTest(
    entering: number,
    direction: number,
    useBland: boolean,
    phaseOne: boolean,
  ): { theta: number; row: number; toLower: boolean } {
    let theta = (this.up[entering] ?? 0) - (this.lo[entering] ?? 0);
    let row = -1;
    let toLower = false;
    let rowPivot = 0;
    for (let i = 0; i < this.rowCount; i++) {
      const alpha = this.cells[i * this.width + entering] ?? 0;
      if (alpha < PIVOT_TOLERANCE && alpha > -PIVOT_TOLERANCE) continue;
      const basic = this.basis[i] ?? 0;
      const rate = -alpha * direction;
      const value = this.x[basic] ?? 0;
      const lo = this.lo[basic] ?? 0;
      const up = this.up[basic] ?? 0;
      let limit: number;
      let hitsLower: boolean;
      if (phaseOne && value < lo - FEASIBILITY_TOLERANCE * (1 + Math.abs(lo))) {
        if (rate <= 0) continue;
        limit = (lo - value) / rate;
        hitsLower = true;
      } else if (phaseOne && value > up + FEASIBILITY_TOLERANCE * (1 + Math.abs(up))) {
        if (rate >= 0) continue;
        limit = (value - up) / -rate;
        hitsLower = false;
      } else if (rate < 0) {
        limit = (value - lo) / -rate;
        hitsLower = true;
      } else {
        if (up === Number.POSITIVE_INFINITY) continue;
        limit = (up - value) / rate;
        hitsLower = false;
      }
      if (limit < 0) limit = 0;
      // On a tie with the bound flip, flip (no pivot needed). Among tied rows: Bland's smallest index when
      // guarding against cycling, otherwise the largest pivot element for numerical stability.
      let better = limit < theta - PIVOT_TOLERANCE;
      if (!better && row >= 0 && limit <= theta + PIVOT_TOLERANCE) {
        better = useBland ? basic < (this.basis[row] ?? 0) : Math.abs(alpha) > Math.abs(rowPivot);
      }
      if (better) {
        theta = limit;
        row = i;
        toLower = hitsLower;
        rowPivot = alpha;
      }
    }
    if (theta === Number.POSITIVE_INFINITY) throw new Error('simplex: unbounded model');
    return { theta, row, toLower };
  }

  private applyStep(
    entering: number,
    direction: number,
    step: { theta: number; row: number; toLower: boolean },
  ): void {
    if (step.theta > 0) {
      for (let i = 0; i < this.rowCount; i++) {
        const alpha = this.cells[i * this.width + entering] ?? 0;
        if (alpha === 0) continue;
        const basic = this.basis[i] ?? 0;
        this.x[basic] = (this.x[basic] ?? 0) - alpha * direction * step.theta;
      }
      this.x[entering] = (this.x[entering] ?? 0) + direction * step.theta;
    }
    if (step.row < 0) {
      // Bound flip: the entering column crosses to its other bound without a basis change.
      this.state[entering] = direction > 0 ? AT_UPPER : AT_LOWER;
      this.x[entering] = direction > 0 ? (this.up[entering] ?? 0) : (this.lo[entering] ?? 0);
      return;
    }
    const leaving = this.basis[step.row] ?? 0;
    this.x[leaving] = step.toLower ? (this.lo[leaving] ?? 0) : (this.up[leaving] ?? 0);
    this.state[leaving] = step.toLower ? AT_LOWER : AT_UPPER;
    this.pivot(step.row, entering);
  }

  private pivot(row: number, entering: number): void {
    const width = this.width;
    this.cellUpdates += this.rowCount * width;
    const cells = this.cells;
    const rowOffset = row * width;
    const inverse = 1 / (cells[rowOffset + entering] ?? 1);
    const nonzero: number[] = [];
    for (let j = 0; j < width; j++) {
      const value = (cells[rowOffset + j] ?? 0) * inverse;
      cells[rowOffset + j] = value;
      if (value !== 0) nonzero.push(j);
    }
    cells[rowOffset + entering] = 1;
    for (let i = 0; i < this.rowCount; i++) {
      if (i === row) continue;
      const offset = i * width;
      const factor = cells[offset + entering] ?? 0;
      if (factor === 0) continue;
      for (const j of nonzero)
        cells[offset + j] = (cells[offset + j] ?? 0) - factor * (cells[rowOffset + j] ?? 0);
      cells[offset + entering] = 0;
    }
    for (const reduced of this.objectiveRows) {
      const factor = reduced[entering] ?? 0;
      if (factor === 0) continue;
      for (const j of nonzero) reduced[j] = (reduced[j] ?? 0) - factor * (cells[rowOffset + j] ?? 0);
      reduced[entering] = 0;
    }
    // The caller has already given the leaving column its bound state.
    this.basis[row] = entering;
    this.state[entering] = BASIC;
  }
}
