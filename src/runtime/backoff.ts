// Exponential backoff with jitter, in the two shapes the runtime needs: one sequence for a loop (the
// reflector's reconnects) and one counter per key (the work queue's retries).

export type RandomSource = () => number;

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Growth per failure; 2 doubles the delay. */
  factor?: number;
  /**
   * Adds up to `jitter × delay` on top of the delay (client-go's `wait.Jitter`). Spreads many clients
   * that failed at the same moment so they do not retry in lock step.
   */
  jitter?: number;
  random?: RandomSource;
}

/** Returns `delayMs` plus a random share of up to `jitter × delayMs`. */
export function jittered(delayMs: number, jitter: number, random: RandomSource = Math.random): number {
  if (jitter <= 0) return delayMs;
  return delayMs + random() * jitter * delayMs;
}

/** A uniformly random integer in [minInclusive, maxInclusive]. */
export function randomBetween(
  minInclusive: number,
  maxInclusive: number,
  random: RandomSource = Math.random,
): number {
  return minInclusive + Math.floor(random() * (maxInclusive - minInclusive + 1));
}

/**
 * One retry sequence: `next()` returns the delay before the next attempt and grows it; `reset()`
 * after a success. The reflector uses client-go's values: 800 ms doubling to 30 s, jitter 1.0.
 */
export class ExponentialBackoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: RandomSource;
  private attempt = 0;

  constructor(options: BackoffOptions) {
    this.initialMs = options.initialMs;
    this.maxMs = options.maxMs;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 0;
    this.random = options.random ?? Math.random;
  }

  /** How many delays were handed out since the last reset. */
  get failures(): number {
    return this.attempt;
  }

  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt++;
    return Math.min(this.maxMs, jittered(base, this.jitter, this.random));
  }

  reset(): void {
    this.attempt = 0;
  }
}

/**
 * Per-key exponential backoff for the work queue (client-go's `ItemExponentialFailureRateLimiter`):
 * 5 ms × 2^failures, capped at 1000 s. No jitter, so tests can assert exact delays; keys fail at
 * different times anyway.
 */
export class PerKeyBackoff {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly failuresByKey = new Map<string, number>();

  constructor(baseMs = 5, maxMs = 1_000_000) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  when(key: string): number {
    const failures = this.failuresByKey.get(key) ?? 0;
    this.failuresByKey.set(key, failures + 1);
    // 2^failures overflows to Infinity long after the cap is reached; Math.min handles that.
    return Math.min(this.maxMs, this.baseMs * 2 ** failures);
  }

  failures(key: string): number {
    return this.failuresByKey.get(key) ?? 0;
  }

  /** Clears the key's history after a success. */
  forget(key: string): void {
    this.failuresByKey.delete(key);
  }
}
