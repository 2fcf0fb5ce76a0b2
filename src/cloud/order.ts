// Deterministic ordering for everything the cloud layer lists (pools, usage, cache entries, evictions):
// code-unit order, independent of the process locale, so status and metrics never reorder between runs.
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
