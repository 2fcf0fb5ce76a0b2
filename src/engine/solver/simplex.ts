// A bounded-variable primal simplex with a lexicographic objective, on a dense tableau.
//
// Why hand-written: the engine must stay pure and synchronous, and its models are tiny (a column per pool,
// a few dozen rows) however many VMs are placed, so a dense tableau is both the simplest and the fastest
// choice. Why lexicographic: the placement rules are ordered (capacity first, then zones, then sizes, then
// names), and comparing reduced costs as vectors solves all levels in one pass, with no big-M weights whose
// sums could lose precision.
//
// Conventions. Each row i becomes an equality Σ a_ij x_j − r_i = 0 whose activity column r_i carries the
// row's bounds. Columns start at their lower bound; a row violated there gets an artificial column, and
// phase 1 drives the artificials to zero. The tableau keeps B⁻¹A, so Σ_j T[i][j]·x_j = 0 for every row with
// T[i][basis[i]] = 1. Anti-cycling: Dantzig pricing, switching to Bland's rule after a run of degenerate
// pivots.
import type { LinearModel } from './model.ts';

const PIVOT_TOLERANCE = 1e-9;
const FEASIBILITY_TOLERANCE = 1e-7;
const REDUCED_COST_TOLERANCE = 1e-9;
const MAX_ITERATIONS = 100_000;

const BASIC = 0;
const AT_LOWER = 1;
const AT_UPPER = 2;

export interface LpSolution {
  /** Values of the model's columns. */
  readonly values: Float64Array;
  /** Value of each objective, in the model's order. */
  readonly objectives: readonly number[];
}

/**
 * Minimises the model's objectives lexicographically over its LP relaxation with the given column bounds
 * (which override the model's, so branch and bound can tighten them). Returns undefined when infeasible.
 */
export function solveLexicographicLp(
  model: LinearModel,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
): LpSolution | undefined {
  const tableau = new Tableau(model, lower, upper);
  if (!tableau.runPhaseOne()) return undefined;
  tableau.runPhaseTwo();
  return tableau.solution();
}

class Tableau {
  private readonly rowCount: number;
  private readonly columnCount: number;
  private readonly width: number;
  private readonly cells: Float64Array;
  private readonly basis: Int32Array;
  private readonly state: Uint8Array;
  private readonly lo: Float64Array;
  private readonly up: Float64Array;
  private readonly x: Float64Array;
  private readonly artificialStart: number;
  private readonly model: LinearModel;
  private objectiveRows: Float64Array[] = [];
  private objectiveTolerances: number[] = [];

  constructor(model: LinearModel, lower: ArrayLike<number>, upper: ArrayLike<number>) {
    this.model = model;
    const n = model.lower.length;
    const m = model.rows.length;
    const activities = new Float64Array(m);
    const violated: number[] = [];
    model.rows.forEach((row, i) => {
      let activity = 0;
      for (const term of row.terms) activity += term.coefficient * (lower[term.column] ?? 0);
      activities[i] = activity;
      if (activity < row.lower - FEASIBILITY_TOLERANCE || activity > row.upper + FEASIBILITY_TOLERANCE) {
        violated.push(i);
      }
    });
    this.rowCount = m;
    this.columnCount = n;
    this.artificialStart = n + m;
    this.width = n + m + violated.length;
    this.cells = new Float64Array(m * this.width);
    this.basis = new Int32Array(m);
    this.state = new Uint8Array(this.width);
    this.lo = new Float64Array(this.width);
    this.up = new Float64Array(this.width);
    this.x = new Float64Array(this.width);
    for (let j = 0; j < n; j++) {
      this.lo[j] = lower[j] ?? 0;
      this.up[j] = upper[j] ?? 0;
      this.x[j] = this.lo[j] ?? 0;
      this.state[j] = AT_LOWER;
    }
    let artificial = this.artificialStart;
    const isViolated = new Set(violated);
    model.rows.forEach((row, i) => {
      const activityColumn = n + i;
      const activity = activities[i] ?? 0;
      const offset = i * this.width;
      this.lo[activityColumn] = row.lower;
      this.up[activityColumn] = row.upper;
      if (!isViolated.has(i)) {
        // r_i = Σ a_ij x_j is basic: the row reads −Σ a_ij x_j + r_i = 0.
        for (const term of row.terms) this.cells[offset + term.column] = -term.coefficient;
        this.cells[offset + activityColumn] = 1;
        this.basis[i] = activityColumn;
        this.state[activityColumn] = BASIC;
        this.x[activityColumn] = activity;
        return;
      }
      // r_i sits at the violated bound; the artificial a_i = (r_i − Σ a_ij x_j)/σ ≥ 0 absorbs the gap.
      const bound = activity < row.lower ? row.lower : row.upper;
      const sign = bound > activity ? 1 : -1;
      for (const term of row.terms) this.cells[offset + term.column] = term.coefficient / sign;
      this.cells[offset + activityColumn] = -1 / sign;
      this.cells[offset + artificial] = 1;
      this.x[activityColumn] = bound;
      this.state[activityColumn] = bound === row.lower ? AT_LOWER : AT_UPPER;
      this.lo[artificial] = 0;
      this.up[artificial] = Number.POSITIVE_INFINITY;
      this.x[artificial] = Math.abs(bound - activity);
      this.state[artificial] = BASIC;
      this.basis[i] = artificial;
      artificial++;
    });
  }

  /** Minimises the sum of artificials; false when it stays positive (the model is infeasible). */
  runPhaseOne(): boolean {
    if (this.width === this.artificialStart) return true;
    const costs = new Float64Array(this.width);
    for (let j = this.artificialStart; j < this.width; j++) costs[j] = 1;
    this.objectiveRows = [this.reducedCosts(costs)];
    this.objectiveTolerances = [REDUCED_COST_TOLERANCE];
    this.iterate();
    let infeasibility = 0;
    for (let j = this.artificialStart; j < this.width; j++) infeasibility += this.x[j] ?? 0;
    if (infeasibility > FEASIBILITY_TOLERANCE * (1 + this.scaleOfRows())) return false;
    // Artificials may no longer move; any still basic sits at zero and leaves on the first pivot in its row.
    for (let j = this.artificialStart; j < this.width; j++) {
      this.up[j] = 0;
      if (this.state[j] !== BASIC) {
        this.x[j] = 0;
        this.state[j] = AT_LOWER;
      }
    }
    this.driveOutArtificials();
    return true;
  }

  runPhaseTwo(): void {
    this.objectiveRows = [];
    this.objectiveTolerances = [];
    for (const objective of this.model.objectives) {
      const costs = new Float64Array(this.width);
      let scale = Math.max(1, objective.scale ?? 1);
      for (const term of objective.terms) {
        costs[term.column] = term.coefficient;
        scale = Math.max(scale, Math.abs(term.coefficient));
      }
      this.objectiveRows.push(this.reducedCosts(costs));
      this.objectiveTolerances.push(REDUCED_COST_TOLERANCE * scale);
    }
    if (this.objectiveRows.length > 0) this.iterate();
  }

  solution(): LpSolution {
    this.recomputeBasicValues();
    const values = this.x.slice(0, this.columnCount);
    const objectives = this.model.objectives.map((objective) => {
      let sum = 0;
      for (const term of objective.terms) sum += term.coefficient * (values[term.column] ?? 0);
      return sum;
    });
    return { values, objectives };
  }

  private scaleOfRows(): number {
    let scale = 0;
    for (const row of this.model.rows) {
      if (Number.isFinite(row.lower)) scale = Math.max(scale, Math.abs(row.lower));
      if (Number.isFinite(row.upper)) scale = Math.max(scale, Math.abs(row.upper));
    }
    return scale;
  }

  /** d_j = c_j − Σ_i c_basis(i) T[i][j]. */
  private reducedCosts(costs: Float64Array): Float64Array {
    const reduced = costs.slice();
    for (let i = 0; i < this.rowCount; i++) {
      const basicCost = costs[this.basis[i] ?? 0] ?? 0;
      if (basicCost === 0) continue;
      const offset = i * this.width;
      for (let j = 0; j < this.width; j++)
        reduced[j] = (reduced[j] ?? 0) - basicCost * (this.cells[offset + j] ?? 0);
    }
    return reduced;
  }

  private recomputeBasicValues(): void {
    for (let i = 0; i < this.rowCount; i++) {
      const offset = i * this.width;
      const basic = this.basis[i] ?? 0;
      let value = 0;
      for (let j = 0; j < this.width; j++) {
        if (j === basic || this.state[j] === BASIC) continue;
        const coefficient = this.cells[offset + j] ?? 0;
        if (coefficient !== 0) value -= coefficient * (this.x[j] ?? 0);
      }
      this.x[basic] = value;
    }
  }

  private driveOutArtificials(): void {
    for (let i = 0; i < this.rowCount; i++) {
      if ((this.basis[i] ?? 0) < this.artificialStart) continue;
      const offset = i * this.width;
      let entering = -1;
      let best = 1e-7;
      for (let j = 0; j < this.artificialStart; j++) {
        if (this.state[j] === BASIC) continue;
        const magnitude = Math.abs(this.cells[offset + j] ?? 0);
        if (magnitude > best) {
          best = magnitude;
          entering = j;
        }
      }
      if (entering < 0) continue; // a redundant row: its artificial stays basic, fixed at zero
      const leaving = this.basis[i] ?? 0;
      this.x[leaving] = 0;
      this.state[leaving] = AT_LOWER;
      this.pivot(i, entering);
    }
  }

  private iterate(): void {
    let degenerateRun = 0;
    for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
      const useBland = degenerateRun > 50;
      const entering = this.chooseEntering(useBland);
      if (entering < 0) return;
      const direction = this.state[entering] === AT_LOWER ? 1 : -1;
      const step = this.ratioTest(entering, direction, useBland);
      degenerateRun = step.theta <= PIVOT_TOLERANCE ? degenerateRun + 1 : 0;
      this.move(entering, direction, step.theta);
      if (step.row < 0) {
        // Bound flip: the entering column crosses to its other bound without a basis change.
        this.state[entering] = direction > 0 ? AT_UPPER : AT_LOWER;
        this.x[entering] = direction > 0 ? (this.up[entering] ?? 0) : (this.lo[entering] ?? 0);
        continue;
      }
      const leaving = this.basis[step.row] ?? 0;
      this.x[leaving] = step.toLower ? (this.lo[leaving] ?? 0) : (this.up[leaving] ?? 0);
      this.state[leaving] = step.toLower ? AT_LOWER : AT_UPPER;
      this.pivot(step.row, entering);
    }
    throw new Error('simplex: iteration limit reached');
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

  private ratioTest(
    entering: number,
    direction: number,
    useBland: boolean,
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
      let limit: number;
      let hitsLower: boolean;
      if (rate < 0) {
        limit = (value - (this.lo[basic] ?? 0)) / -rate;
        hitsLower = true;
      } else {
        const bound = this.up[basic] ?? 0;
        if (bound === Number.POSITIVE_INFINITY) continue;
        limit = (bound - value) / rate;
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

  private move(entering: number, direction: number, theta: number): void {
    if (theta === 0) return;
    for (let i = 0; i < this.rowCount; i++) {
      const alpha = this.cells[i * this.width + entering] ?? 0;
      if (alpha === 0) continue;
      const basic = this.basis[i] ?? 0;
      this.x[basic] = (this.x[basic] ?? 0) - alpha * direction * theta;
    }
    this.x[entering] = (this.x[entering] ?? 0) + direction * theta;
  }

  private pivot(row: number, entering: number): void {
    const width = this.width;
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
