// Time as a dependency: the work queue, backoff, leader election and event aggregation all schedule
// work, and their unit tests must drive time by hand instead of sleeping.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `callback` once after `delayMs`. The timer never keeps the process alive on its own. */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, callback) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    timer.unref();
    return {
      cancel: () => {
        clearTimeout(timer);
      },
    };
  },
};

/**
 * Resolves after `delayMs`, or rejects with the signal's reason as soon as `signal` aborts, so a
 * loop waiting out a backoff stops promptly on shutdown.
 */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(abortReason(signal));
    };
    const timer = clock.setTimer(delayMs, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Reads `signal.aborted` afresh. TypeScript keeps a narrowed `signal.aborted` across `await`, which makes
 * re-checks after an await look redundant to it (and to the linter); this call is never narrowed.
 */
export function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException('aborted', 'AbortError');
}

/**
 * A clock that only moves when told to. `advance` fires due timers in deadline order, each seeing
 * `now()` equal to its own deadline, which keeps tests deterministic.
 */
export class ManualClock implements Clock {
  private current: number;
  private readonly timers = new Map<number, { due: number; callback: () => void }>();
  private nextId = 0;

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { due: this.current + Math.max(0, delayMs), callback });
    return { cancel: () => this.timers.delete(id) };
  }

  /** Number of timers not yet fired or cancelled. */
  pendingTimers(): number {
    return this.timers.size;
  }

  advance(deltaMs: number): void {
    const target = this.current + deltaMs;
    for (;;) {
      let nextId: number | undefined;
      let nextDue = Infinity;
      for (const [id, timer] of this.timers) {
        if (timer.due <= target && (timer.due < nextDue || (timer.due === nextDue && id < (nextId ?? 0)))) {
          nextId = id;
          nextDue = timer.due;
        }
      }
      if (nextId === undefined) break;
      const timer = this.timers.get(nextId);
      this.timers.delete(nextId);
      this.current = Math.max(this.current, nextDue);
      timer?.callback();
    }
    this.current = target;
  }
}

/**
 * Real time plus an offset that only grows. Timers run on real time, but `advance` moves the clock forward
 * and brings every pending timer forward with it, so work waiting for "ten minutes from now" runs at once.
 * For tests of a whole operator against a real API server, where time must pass normally (watches,
 * retries) yet schedules and grace periods must be crossed in seconds.
 */
export class AdjustableClock implements Clock {
  private offsetMs = 0;
  private nextId = 0;
  private readonly timers = new Map<
    number,
    { due: number; callback: () => void; handle: ReturnType<typeof setTimeout> | undefined }
  >();

  now(): number {
    return Date.now() + this.offsetMs;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { due: this.now() + Math.max(0, delayMs), callback, handle: undefined });
    this.arm(id);
    return {
      cancel: () => {
        const timer = this.timers.get(id);
        if (timer?.handle !== undefined) clearTimeout(timer.handle);
        this.timers.delete(id);
      },
    };
  }

  /** Moves the clock forward by `deltaMs`; timers that fall due run as soon as the event loop lets them. */
  advance(deltaMs: number): void {
    this.offsetMs += Math.max(0, deltaMs);
    for (const id of this.timers.keys()) this.arm(id);
  }

  private arm(id: number): void {
    const timer = this.timers.get(id);
    if (timer === undefined) return;
    if (timer.handle !== undefined) clearTimeout(timer.handle);
    timer.handle = setTimeout(
      () => {
        this.timers.delete(id);
        timer.callback();
      },
      Math.max(0, timer.due - this.now()),
    );
    timer.handle.unref();
  }
}
