// An async mutex per key: work under the same key runs one at a time, in arrival order; different keys run
// independently. The simulated cloud keys it by region so two reconciles cannot oversubscribe one region's
// pools even when a provider's check-and-reserve spans awaits (a real cloud's calls always do).

export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `work` once every earlier `run` with the same key has settled. Not reentrant: never nest a key. */
  async run<T>(key: string, work: () => T | Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(work);
    const tail = current.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      // Drop the entry once nothing queued behind us, so idle keys hold no memory.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with work running or queued (for tests and diagnostics). */
  activeKeys(): string[] {
    return [...this.tails.keys()].sort();
  }
}
