// Lease-based leader election, a port of client-go's tools/leaderelection:
// - acquire or renew = read the Lease, then create it or replace it carrying the resourceVersion we read,
//   so of two candidates writing at once exactly one wins and the other gets 409;
// - another holder's lease counts as expired only when its record has not changed for leaseDuration
//   measured on OUR clock since we first saw that record; remote timestamps are never compared with local
//   time, so clock skew between replicas cannot make two leaders;
// - a leader that has not renewed successfully for renewDeadline stops acting (its leadership signal
//   aborts) before the lease can expire for the others: renewDeadline < leaseDuration is the safety margin;
// - on shutdown the leader releases the lease by clearing holderIdentity, so a standby takes over at once
//   instead of waiting out the lease.
// Lease times are MicroTime: written through V1MicroTime (6-digit fraction) by the client.

import type { Logger } from 'pino';
import { jittered, type RandomSource } from './backoff.ts';
import { isAlreadyExists, isConflict, toKubeApiError, type LeaseClient, type LeaseRecord } from './client.ts';
import { isAborted, sleep, systemClock, type Clock } from './clock.ts';
import { observe, type LeaderElectionObserver } from './observer.ts';

export interface LeaderElectionTiming {
  /** How long a lease holds without renewal (15 s). */
  leaseDurationMs: number;
  /** How long a leader keeps trying to renew before it gives up leading (10 s). */
  renewDeadlineMs: number;
  /** Interval between acquire or renew attempts (2 s). */
  retryPeriodMs: number;
}

export const defaultLeaderElectionTiming: LeaderElectionTiming = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** client-go's jitter on retries while not leading. */
const JITTER_FACTOR = 1.2;

/** Rejects timings that would allow two leaders or flapping (client-go's checks). */
export function validateTiming(timing: LeaderElectionTiming): void {
  if (timing.leaseDurationMs <= timing.renewDeadlineMs) {
    throw new Error('leader election: leaseDuration must be greater than renewDeadline');
  }
  if (timing.renewDeadlineMs <= JITTER_FACTOR * timing.retryPeriodMs) {
    throw new Error('leader election: renewDeadline must be greater than retryPeriod × 1.2');
  }
  if (timing.retryPeriodMs <= 0) throw new Error('leader election: retryPeriod must be positive');
}

/** What we know about the lease as last read, and when (local clock) it last changed. */
export interface Observation {
  record: LeaseRecord;
  observedAtMs: number;
}

/** A lease record's identity for change detection: any of these moving means its holder is alive. */
function recordFingerprint(record: LeaseRecord): string {
  return JSON.stringify([
    record.holderIdentity,
    record.renewTime,
    record.acquireTime,
    record.leaseDurationSeconds,
    record.leaseTransitions,
  ]);
}

/** Updates the observation with a fresh read; the observation time only moves when the record changed. */
export function observeRecord(
  previous: Observation | undefined,
  record: LeaseRecord,
  nowMs: number,
): Observation {
  if (previous !== undefined && recordFingerprint(previous.record) === recordFingerprint(record)) {
    return { record, observedAtMs: previous.observedAtMs };
  }
  return { record, observedAtMs: nowMs };
}

/** True when someone else holds the lease and it has not yet expired by our clock. */
export function heldByOther(observation: Observation, identity: string, nowMs: number): boolean {
  const { record, observedAtMs } = observation;
  if (record.holderIdentity === '' || record.holderIdentity === identity) return false;
  return observedAtMs + record.leaseDurationSeconds * 1000 > nowMs;
}

export interface LeaderElectorOptions extends Partial<LeaderElectionTiming> {
  client: LeaseClient;
  namespace: string;
  /** Lease name, stable per operator (e.g. `vmfleet-operator`). */
  name: string;
  /** Unique per process, e.g. `<hostname>_<uuid>`. */
  identity: string;
  logger: Logger;
  clock?: Clock;
  random?: RandomSource;
  observer?: LeaderElectionObserver;
}

export interface LeaderCallbacks {
  /** Called once the lease is ours; `leadership` aborts the moment we stop leading. */
  onStartedLeading(leadership: AbortSignal): void;
  /** Called when leading ends: lost (could not renew in time) or released on shutdown. */
  onStoppedLeading(reason: 'lost' | 'released'): void;
  /** Called when another identity is seen holding the lease. */
  onNewLeader?(identity: string): void;
}

export type ElectionOutcome = 'stopped' | 'lost' | 'released';

export class LeaderElector {
  readonly identity: string;
  readonly leaseName: string;
  private readonly client: LeaseClient;
  private readonly namespace: string;
  private readonly timing: LeaderElectionTiming;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly observer: LeaderElectionObserver | undefined;
  private observation: Observation | undefined;
  private leading = false;
  /** Local time at which the last successful acquire or renew request was sent. */
  private renewedAtMs: number | undefined;
  private lastReportedLeader = '';
  private callbacks: LeaderCallbacks | undefined;

  constructor(options: LeaderElectorOptions) {
    this.client = options.client;
    this.namespace = options.namespace;
    this.leaseName = options.name;
    this.identity = options.identity;
    this.timing = {
      leaseDurationMs: options.leaseDurationMs ?? defaultLeaderElectionTiming.leaseDurationMs,
      renewDeadlineMs: options.renewDeadlineMs ?? defaultLeaderElectionTiming.renewDeadlineMs,
      retryPeriodMs: options.retryPeriodMs ?? defaultLeaderElectionTiming.retryPeriodMs,
    };
    validateTiming(this.timing);
    this.logger = options.logger.child({
      lease: `${options.namespace}/${options.name}`,
      identity: options.identity,
    });
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.observer = options.observer;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * True while this process leads and its last successful acquire or renew was sent less than
   * renewDeadline ago, i.e. while no other candidate can have taken the lease over. Unlike `isLeader`,
   * which the election loop updates on its own schedule, this looks at the clock at the moment it is
   * asked, so a process that was frozen past its lease (SIGSTOP, a stalled VM) answers false as soon as it
   * runs again. The manager checks it before every write its controllers make.
   */
  holdsFreshLease(): boolean {
    return (
      this.leading &&
      this.renewedAtMs !== undefined &&
      this.clock.now() - this.renewedAtMs < this.timing.renewDeadlineMs
    );
  }

  /** The holder seen in the last read of the lease ('' if none or never read). */
  get observedLeader(): string {
    return this.observation?.record.holderIdentity ?? '';
  }

  /**
   * Campaigns until the lease is ours, then renews it until `signal` aborts (→ release the lease,
   * `'released'`) or renewal fails for renewDeadline (→ `'lost'`). Resolves `'stopped'` when aborted
   * before ever leading.
   */
  async run(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<ElectionOutcome> {
    this.callbacks = callbacks;
    this.logger.info('campaigning for leadership');
    while (!(await this.tryAcquireOrRenew(signal, this.timing.renewDeadlineMs))) {
      if (!(await this.pause(jittered(this.timing.retryPeriodMs, JITTER_FACTOR, this.random), signal)))
        return 'stopped';
    }
    if (signal.aborted) {
      await this.release();
      return 'released';
    }
    const leadership = new AbortController();
    this.setLeading(true);
    this.logger.info('became leader');
    callbacks.onStartedLeading(leadership.signal);

    let lastRenewMs = this.clock.now();
    for (;;) {
      if (!(await this.pause(this.timing.retryPeriodMs, signal))) break;
      const remaining = lastRenewMs + this.timing.renewDeadlineMs - this.clock.now();
      if (remaining > 0 && (await this.tryAcquireOrRenew(signal, remaining))) {
        lastRenewMs = this.clock.now();
        continue;
      }
      if (isAborted(signal)) break;
      if (this.clock.now() - lastRenewMs >= this.timing.renewDeadlineMs) {
        this.logger.error(
          { renewDeadlineMs: this.timing.renewDeadlineMs },
          'could not renew the lease in time; stopping leading',
        );
        this.setLeading(false);
        leadership.abort(new Error('leadership lost'));
        callbacks.onStoppedLeading('lost');
        return 'lost';
      }
    }
    // Shutdown: the caller has stopped its controllers before aborting `signal`; hand the lease over.
    await this.release();
    this.setLeading(false);
    leadership.abort(new Error('leadership released'));
    callbacks.onStoppedLeading('released');
    return 'released';
  }

  private async pause(delayMs: number, signal: AbortSignal): Promise<boolean> {
    try {
      await sleep(this.clock, delayMs, signal);
      return true;
    } catch {
      return false;
    }
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    observe(() => this.observer?.leaderStatus?.(this.leaseName, leading));
  }

  /** One attempt; never throws. Requests are bounded by `deadlineMs` so a hung call cannot outlive the renew deadline. */
  private async tryAcquireOrRenew(signal: AbortSignal, deadlineMs: number): Promise<boolean> {
    if (signal.aborted) return false;
    const requestSignal = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, Math.round(deadlineMs)))]);
    const startedAt = this.clock.now();
    try {
      if (this.leading && (await this.tryFastRenew(requestSignal))) return this.renewed(startedAt);
      const record = await this.client.readLease(this.namespace, this.leaseName, requestSignal);
      const now = this.clock.now();
      if (record === undefined) {
        const created = await this.client.createLease(
          this.namespace,
          this.leaseName,
          {
            holderIdentity: this.identity,
            leaseDurationSeconds: Math.ceil(this.timing.leaseDurationMs / 1000),
            acquireTime: new Date(now),
            renewTime: new Date(now),
            leaseTransitions: 0,
          },
          requestSignal,
        );
        this.observation = { record: created, observedAtMs: now };
        return this.renewed(startedAt);
      }
      this.observation = observeRecord(this.observation, record, now);
      this.reportLeader(record.holderIdentity);
      if (heldByOther(this.observation, this.identity, now)) return false;

      const renewing = record.holderIdentity === this.identity;
      const updated = await this.client.updateLease(
        this.namespace,
        this.leaseName,
        record.resourceVersion,
        {
          holderIdentity: this.identity,
          leaseDurationSeconds: Math.ceil(this.timing.leaseDurationMs / 1000),
          acquireTime:
            renewing && record.acquireTime !== undefined ? new Date(record.acquireTime) : new Date(now),
          renewTime: new Date(now),
          leaseTransitions: renewing ? record.leaseTransitions : record.leaseTransitions + 1,
        },
        requestSignal,
      );
      this.observation = { record: updated, observedAtMs: now };
      return this.renewed(startedAt);
    } catch (error) {
      if (!isAborted(signal)) {
        const apiError = toKubeApiError(error, 'lease');
        const level = isConflict(apiError) || isAlreadyExists(apiError) ? 'debug' : 'warn';
        this.logger[level]({ err: apiError }, 'lease acquire/renew attempt failed');
      }
      return false;
    }
  }

  private renewed(sentAtMs: number): true {
    this.renewedAtMs = sentAtMs;
    return true;
  }

  /**
   * A leader renews by writing straight over the record it last wrote (one request instead of a read
   * and a write, as client-go does). Any failure falls back to the read-then-write path, which also
   * notices a new holder; a 409 here only means our record is stale.
   */
  private async tryFastRenew(signal: AbortSignal): Promise<boolean> {
    const observation = this.observation;
    if (observation?.record.holderIdentity !== this.identity) return false;
    const { record } = observation;
    const now = this.clock.now();
    try {
      const updated = await this.client.updateLease(
        this.namespace,
        this.leaseName,
        record.resourceVersion,
        {
          holderIdentity: this.identity,
          leaseDurationSeconds: Math.ceil(this.timing.leaseDurationMs / 1000),
          acquireTime: record.acquireTime === undefined ? new Date(now) : new Date(record.acquireTime),
          renewTime: new Date(now),
          leaseTransitions: record.leaseTransitions,
        },
        signal,
      );
      this.observation = { record: updated, observedAtMs: now };
      return true;
    } catch (error) {
      if (!isConflict(toKubeApiError(error, 'lease'))) throw error;
      observe(() => this.observer?.leaderSlowPath?.(this.leaseName));
      return false;
    }
  }

  private reportLeader(holder: string): void {
    if (holder === this.lastReportedLeader) return;
    this.lastReportedLeader = holder;
    if (holder === '' || holder === this.identity) return;
    this.logger.info({ leader: holder }, 'new leader observed');
    const callbacks = this.callbacks;
    observe(() => callbacks?.onNewLeader?.(holder));
  }

  /** Gives the lease up (holderIdentity cleared) if we hold it. Best effort, bounded by renewDeadline. */
  private async release(): Promise<void> {
    const observation = this.observation;
    if (observation === undefined || observation.record.holderIdentity !== this.identity) return;
    const signal = AbortSignal.timeout(this.timing.renewDeadlineMs);
    try {
      const now = new Date(this.clock.now());
      const released = await this.client.updateLease(
        this.namespace,
        this.leaseName,
        observation.record.resourceVersion,
        {
          holderIdentity: '',
          // client-go releases with 1 s so a reader that still sees the old record waits only briefly.
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: observation.record.leaseTransitions,
        },
        signal,
      );
      this.observation = { record: released, observedAtMs: this.clock.now() };
      this.logger.info('lease released');
    } catch (error) {
      this.logger.warn(
        { err: toKubeApiError(error, 'lease') },
        'could not release the lease; it will expire',
      );
    }
  }
}
