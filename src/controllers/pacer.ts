// Spaces out the reconciles of one object that only follow its children's churn. Scaling a group to
// thousands of VMs produces a status change per VM; reconciling the group (a plan over the whole region and
// a status write) for each of them would cost more than the VMs themselves. A spec change (new generation)
// always goes through at once; otherwise a key runs at most once per interval and the skipped events are
// folded into one reconcile at the end of it (level-triggered, so nothing is lost).
import type { Clock } from '../runtime/index.ts';

export class Pacer {
  private readonly last = new Map<string, { at: number; generation: number }>();
  private readonly clock: Clock;
  private readonly intervalMs: number;

  constructor(clock: Clock, intervalMs: number) {
    this.clock = clock;
    this.intervalMs = intervalMs;
  }

  /** 0 when the key may run now (the run is recorded), else how long to wait. */
  delay(key: string, generation: number): number {
    const now = this.clock.now();
    const previous = this.last.get(key);
    if (previous !== undefined && previous.generation === generation && now - previous.at < this.intervalMs) {
      return this.intervalMs - (now - previous.at);
    }
    this.last.set(key, { at: now, generation });
    return 0;
  }

  forget(key: string): void {
    this.last.delete(key);
  }
}
