// The linear model the placement problem is written in: bounded columns, ranged rows and a lexicographic list
// of objectives (all minimised, the first one most important). Kept separate from the algorithms so the
// engine can build a model and tests can hand the very same model to an independent solver.

export interface LinearTerm {
  readonly column: number;
  readonly coefficient: number;
}

export interface LinearRow {
  readonly name: string;
  readonly terms: readonly LinearTerm[];
  /** −Infinity when the row has no lower bound. */
  readonly lower: number;
  /** +Infinity when the row has no upper bound. */
  readonly upper: number;
}

export interface LinearObjective {
  readonly name: string;
  readonly terms: readonly LinearTerm[];
  /**
   * Magnitude of the coefficients the objective really has, when `terms` only point at a column standing
   * for it; the simplex scales its reduced-cost tolerance by it.
   */
  readonly scale?: number | undefined;
}

export interface LinearModel {
  readonly columnNames: readonly string[];
  /** Finite lower bounds: every column starts at its lower bound. */
  readonly lower: readonly number[];
  /** Finite upper bounds too, so no model is ever unbounded. */
  readonly upper: readonly number[];
  readonly integer: readonly boolean[];
  /** Integer columns with a higher priority are branched on first (default 0). */
  readonly branchPriority?: readonly number[] | undefined;
  readonly rows: readonly LinearRow[];
  /** Minimised in order: a later objective only breaks ties of the earlier ones. */
  readonly objectives: readonly LinearObjective[];
}

/** Incremental construction of a LinearModel. */
export class ModelBuilder {
  private readonly names: string[] = [];
  private readonly lowerBounds: number[] = [];
  private readonly upperBounds: number[] = [];
  private readonly integrality: boolean[] = [];
  private readonly priorities: number[] = [];
  private readonly rowList: LinearRow[] = [];
  private readonly objectiveList: LinearObjective[] = [];

  addColumn(name: string, lower: number, upper: number, integer: boolean, branchPriority = 0): number {
    if (!Number.isFinite(lower) || !Number.isFinite(upper) || upper < lower) {
      throw new Error(`column ${name}: bounds [${lower}, ${upper}] must be finite and ordered`);
    }
    this.names.push(name);
    this.lowerBounds.push(lower);
    this.upperBounds.push(upper);
    this.integrality.push(integer);
    this.priorities.push(branchPriority);
    return this.names.length - 1;
  }

  addRow(name: string, terms: readonly LinearTerm[], lower: number, upper: number): void {
    const merged = mergeTerms(terms);
    // An empty row is dropped only when 0 satisfies it; otherwise it must stay to make the model infeasible.
    if (merged.length === 0 && lower <= 0 && upper >= 0) return;
    this.rowList.push({ name, terms: merged, lower, upper });
  }

  addObjective(name: string, terms: readonly LinearTerm[]): void {
    const merged = mergeTerms(terms);
    if (merged.length === 0) return;
    this.objectiveList.push({ name, terms: merged });
  }

  build(): LinearModel {
    return {
      columnNames: [...this.names],
      lower: [...this.lowerBounds],
      upper: [...this.upperBounds],
      integer: [...this.integrality],
      branchPriority: [...this.priorities],
      rows: [...this.rowList],
      objectives: [...this.objectiveList],
    };
  }
}

/** Sums repeated columns and drops zero coefficients, keeping the first-seen column order. */
function mergeTerms(terms: readonly LinearTerm[]): LinearTerm[] {
  const byColumn = new Map<number, number>();
  for (const term of terms) byColumn.set(term.column, (byColumn.get(term.column) ?? 0) + term.coefficient);
  const merged: LinearTerm[] = [];
  for (const [column, coefficient] of byColumn) if (coefficient !== 0) merged.push({ column, coefficient });
  return merged;
}

/** Value of a row or objective at a point. */
export function evaluate(terms: readonly LinearTerm[], values: readonly number[]): number {
  let sum = 0;
  for (const term of terms) sum += term.coefficient * (values[term.column] ?? 0);
  return sum;
}
