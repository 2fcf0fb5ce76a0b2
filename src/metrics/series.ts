// A set of samples keyed by their label values, so several contributions to one series add up (or keep
// the maximum) instead of overwriting each other.

export type Labels<L extends string> = { readonly [K in L]: string };

export interface Sample<L extends string> {
  readonly labels: Labels<L>;
  readonly value: number;
}

function seriesKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((name) => [name, labels[name]]),
  );
}

export class SeriesSet<L extends string> {
  private readonly series = new Map<string, { labels: Labels<L>; value: number }>();

  /** Adds `value` to the series (creating it at 0 first); `add(labels, 0)` zero-fills. */
  add(labels: Labels<L>, value: number): void {
    const key = seriesKey(labels);
    const existing = this.series.get(key);
    if (existing === undefined) this.series.set(key, { labels, value });
    else existing.value += value;
  }

  /** Keeps the larger of the current and the given value. */
  max(labels: Labels<L>, value: number): void {
    const key = seriesKey(labels);
    const existing = this.series.get(key);
    if (existing === undefined) this.series.set(key, { labels, value });
    else existing.value = Math.max(existing.value, value);
  }

  samples(): Sample<L>[] {
    return [...this.series.values()].map(({ labels, value }) => ({ labels, value }));
  }
}
