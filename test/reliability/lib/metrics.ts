// Reading the operator's /metrics: the Prometheus text format, sums over label sets, and quantiles from
// histogram buckets computed the way PromQL's histogram_quantile does (linear within a bucket).

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = LINE.exec(line);
    if (match === null) continue;
    const [, name = '', labelText = '', valueText = ''] = match;
    const labels: Record<string, string> = {};
    for (const label of labelText.matchAll(LABEL)) labels[label[1] ?? ''] = label[2] ?? '';
    samples.push({ name, labels, value: Number(valueText) });
  }
  return samples;
}

export type LabelFilter = Record<string, string>;

function matches(sample: Sample, name: string, filter: LabelFilter): boolean {
  return sample.name === name && Object.entries(filter).every(([k, v]) => sample.labels[k] === v);
}

/** Sum of every series of `name` matching `filter` (0 when there is none). */
export function sum(samples: readonly Sample[], name: string, filter: LabelFilter = {}): number {
  return samples.filter((s) => matches(s, name, filter)).reduce((total, s) => total + s.value, 0);
}

export function max(samples: readonly Sample[], name: string, filter: LabelFilter = {}): number {
  return Math.max(0, ...samples.filter((s) => matches(s, name, filter)).map((s) => s.value));
}

/** Cumulative bucket counts of a histogram, summed over the matching series, by upper bound. */
export function buckets(
  samples: readonly Sample[],
  histogram: string,
  filter: LabelFilter = {},
): Map<number, number> {
  const byBound = new Map<number, number>();
  for (const sample of samples) {
    if (!matches(sample, `${histogram}_bucket`, filter)) continue;
    const le = sample.labels['le'];
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    byBound.set(bound, (byBound.get(bound) ?? 0) + sample.value);
  }
  return byBound;
}

/** Bucket counts of `after` minus `before`: the observations made between two scrapes. */
export function bucketDelta(after: Map<number, number>, before: Map<number, number>): Map<number, number> {
  const delta = new Map<number, number>();
  for (const [bound, count] of after) delta.set(bound, count - (before.get(bound) ?? 0));
  return delta;
}

/** histogram_quantile over cumulative buckets; NaN without observations. */
export function quantile(q: number, cumulative: Map<number, number>): number {
  const bounds = [...cumulative.keys()].sort((a, b) => a - b);
  const total = cumulative.get(Infinity) ?? 0;
  if (total <= 0 || bounds.length < 2) return Number.NaN;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bound of bounds) {
    const count = cumulative.get(bound) ?? 0;
    if (count >= rank) {
      // PromQL returns the highest finite bound when the rank falls into the +Inf bucket.
      if (bound === Infinity) return lowerBound;
      if (count === lowerCount) return bound;
      return lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

/** Mean of a histogram's observations (its _sum over its _count). */
export function mean(samples: readonly Sample[], histogram: string, filter: LabelFilter = {}): number {
  const count = sum(samples, `${histogram}_count`, filter);
  return count === 0 ? Number.NaN : sum(samples, `${histogram}_sum`, filter) / count;
}
