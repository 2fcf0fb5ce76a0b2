// Many writes of one kind (a scale-out's creates, a scale-in's deletes) sent as a bounded pool: fast
// against a real API server, gentle on it, and one slow answer does not hold back the rest.
import { KubeApiError } from './client.ts';

/** Writes in flight at most. */
export const WRITE_CONCURRENCY = 16;

/**
 * Runs the writes with at most `concurrency` in flight; after a failure it starts nothing new, waits for
 * what is in flight and rethrows the first failure. `notDone` gets the items whose write certainly did not
 * happen (never sent, or refused with an answer that says nothing was done), and the items whose write
 * failed without saying (a timeout, a lost connection): those may or may not have happened.
 */
export async function writePooled<T>(
  items: readonly T[],
  run: (item: T) => Promise<unknown>,
  notDone: (items: readonly T[], uncertain: readonly T[]) => void = () => undefined,
  /** 1 sends the writes one after the other, in order, and stops at the first failure. */
  concurrency = WRITE_CONCURRENCY,
): Promise<void> {
  let next = 0;
  const failures: { item: T; error: unknown }[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length && failures.length === 0) {
      const item = items[next++] as T;
      try {
        await run(item);
      } catch (error) {
        failures.push({ item, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failures.length === 0) return;
  const refused = failures.filter((f) => certainlyNotDone(f.error));
  const uncertain = failures.filter((f) => !certainlyNotDone(f.error));
  notDone(
    [...refused.map((f) => f.item), ...items.slice(next)],
    uncertain.map((f) => f.item),
  );
  throw failures[0]?.error;
}

/**
 * An API answer that says the write was not carried out. Timeouts, lost connections and internal errors
 * are not: the write may have happened, and the cache will tell (or an expectation expires).
 */
export function certainlyNotDone(error: unknown): boolean {
  if (!(error instanceof KubeApiError)) return false;
  return (
    error.code === 429 || error.code === 503 || (error.code >= 400 && error.code < 500 && error.code !== 408)
  );
}
