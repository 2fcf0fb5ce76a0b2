// Kubernetes Events for decisions that matter (created N, evicted, blocked, shortfall).
//
// We write events.k8s.io/v1, not core/v1: it is the API client-go's current recorder uses, it names the
// reporting controller and instance and the action taken, and it has `series` for repeats. The API server
// serves the same objects through core/v1 too, so `kubectl get events` and `kubectl describe` show them.
//
// Repeats are aggregated as client-go's events recorder does: the first occurrence creates an Event, the
// second patches `series {count: 2, lastObservedTime}`, later ones only count in memory and are flushed
// by a periodic patch (only when the count moved). A series ends after `seriesExpiryMs` without repeats;
// the next occurrence starts a new Event. Recording never throws and never blocks a reconcile.

import { V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isNotFound, type EventBody, type EventClient } from './client.ts';
import { systemClock, type Clock, type TimerHandle } from './clock.ts';

export type EventType = 'Normal' | 'Warning';

/** The object an event is about. */
export interface EventSubject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
}

/** The Event subject of an object as the cache holds it (kind may be absent there: `fallbackKind`). */
export function eventSubjectOf(
  object: {
    apiVersion?: string | undefined;
    kind?: string | undefined;
    metadata: { name: string; namespace?: string | undefined; uid?: string | undefined };
  },
  fallbackKind: string,
): EventSubject {
  const { name, namespace, uid } = object.metadata;
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? fallbackKind,
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      ...(uid === undefined ? {} : { uid }),
    },
  };
}

export interface EventDetails {
  type: EventType;
  /** Why, one CamelCase word: `CapacityShortfall`, `Evicted`. */
  reason: string;
  /** What was done, one CamelCase word: `Create`, `Delete`, `Evict`, `Place`. */
  action: string;
  /** Human text, at most 1 kB (longer notes are cut). */
  note: string;
}

export interface EventRecorderOptions {
  client: EventClient;
  /** `reportingController`, e.g. `vmfleet.io/operator`. */
  reportingController: string;
  /** `reportingInstance`: the pod or host name of this process. */
  reportingInstance: string;
  logger: Logger;
  clock?: Clock;
  /** How often pending series counts are written. Defaults to 60 s. */
  seriesFlushIntervalMs?: number;
  /** A series without repeats for this long ends. Defaults to 6 min, as in client-go. */
  seriesExpiryMs?: number;
  /** Bound on remembered series. */
  maxSeries?: number;
}

interface SeriesEntry {
  subject: EventSubject;
  details: EventDetails;
  note: string;
  namespace: string;
  /** Name of the Event object; undefined until its create succeeded. */
  name: string | undefined;
  count: number;
  /** The count the API server last received. */
  writtenCount: number;
  lastObserved: number;
  /** Writes for one series run one after another (create before any patch). */
  pending: Promise<void>;
}

const MAX_NOTE_BYTES = 1024;

function truncateNote(note: string): string {
  if (Buffer.byteLength(note) <= MAX_NOTE_BYTES) return note;
  let cut = note.slice(0, MAX_NOTE_BYTES - 3);
  while (Buffer.byteLength(cut) > MAX_NOTE_BYTES - 3) cut = cut.slice(0, -1);
  return `${cut}...`;
}

export class EventRecorder {
  private readonly client: EventClient;
  private readonly reportingController: string;
  private readonly reportingInstance: string;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly flushIntervalMs: number;
  private readonly seriesExpiryMs: number;
  private readonly maxSeries: number;
  private readonly series = new Map<string, SeriesEntry>();
  private flushTimer: TimerHandle | undefined;
  private nameCounter = 0;
  private stopped = false;

  constructor(options: EventRecorderOptions) {
    this.client = options.client;
    this.reportingController = options.reportingController;
    this.reportingInstance = options.reportingInstance.slice(0, 128);
    this.logger = options.logger.child({ component: 'events' });
    this.clock = options.clock ?? systemClock;
    this.flushIntervalMs = options.seriesFlushIntervalMs ?? 60_000;
    this.seriesExpiryMs = options.seriesExpiryMs ?? 6 * 60_000;
    this.maxSeries = options.maxSeries ?? 4096;
  }

  /** Records an event about `subject`. Fire and forget: failures are logged, never thrown. */
  record(subject: EventSubject, details: EventDetails): void {
    if (this.stopped) return;
    const note = truncateNote(details.note);
    const namespace = subject.metadata.namespace ?? 'default';
    const key = JSON.stringify([
      subject.apiVersion,
      subject.kind,
      namespace,
      subject.metadata.name,
      subject.metadata.uid ?? '',
      details.type,
      details.reason,
      details.action,
      note,
    ]);
    const now = this.clock.now();
    const entry = this.series.get(key);
    if (entry !== undefined && now - entry.lastObserved < this.seriesExpiryMs) {
      entry.count++;
      entry.lastObserved = now;
      // Refresh LRU position.
      this.series.delete(key);
      this.series.set(key, entry);
      // The second occurrence turns the event into a series right away; later ones wait for the flush.
      if (entry.writtenCount === 1) this.enqueueWrite(entry, () => this.patchSeries(entry));
      else this.scheduleFlush();
      return;
    }
    const fresh: SeriesEntry = {
      subject: { apiVersion: subject.apiVersion, kind: subject.kind, metadata: { ...subject.metadata } },
      details: { ...details },
      note,
      namespace,
      name: undefined,
      count: 1,
      writtenCount: 0,
      lastObserved: now,
      pending: Promise.resolve(),
    };
    this.series.delete(key);
    this.series.set(key, fresh);
    this.evictOldSeries();
    this.enqueueWrite(fresh, () => this.create(fresh));
  }

  /** Writes pending series counts and waits for every write in flight. */
  async flush(): Promise<void> {
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    for (const entry of this.series.values()) {
      if (entry.count > entry.writtenCount && entry.writtenCount >= 1) {
        this.enqueueWrite(entry, () => this.patchSeries(entry));
      }
    }
    await Promise.all([...this.series.values()].map((entry) => entry.pending));
  }

  /** Flushes and stops recording (shutdown). */
  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
  }

  private enqueueWrite(entry: SeriesEntry, write: () => Promise<void>): void {
    entry.pending = entry.pending.then(write).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'event not recorded');
    });
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || this.stopped) return;
    this.flushTimer = this.clock.setTimer(this.flushIntervalMs, () => {
      this.flushTimer = undefined;
      void this.flush();
    });
  }

  private evictOldSeries(): void {
    while (this.series.size > this.maxSeries) {
      const oldest = this.series.keys().next();
      if (oldest.done === true) return;
      this.series.delete(oldest.value);
    }
  }

  private eventName(subjectName: string): string {
    // client-go uses `<name>.<unix nanos in hex>`; the counter keeps names unique within one millisecond.
    const stamp = BigInt(this.clock.now()) * 1_000_000n + BigInt(this.nameCounter++ % 1_000_000);
    return `${subjectName}.${stamp.toString(16)}`;
  }

  private async create(entry: SeriesEntry): Promise<void> {
    const { subject, details, note } = entry;
    const name = this.eventName(subject.metadata.name);
    const count = entry.count;
    const event: EventBody = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace: entry.namespace },
      // MicroTime: the API server rejects a 3-digit fraction.
      eventTime: new V1MicroTime(this.clock.now()),
      reportingController: this.reportingController,
      reportingInstance: this.reportingInstance,
      action: details.action,
      reason: details.reason,
      type: details.type,
      note,
      regarding: {
        apiVersion: subject.apiVersion,
        kind: subject.kind,
        name: subject.metadata.name,
        ...(subject.metadata.namespace === undefined ? {} : { namespace: subject.metadata.namespace }),
        ...(subject.metadata.uid === undefined ? {} : { uid: subject.metadata.uid }),
        ...(subject.metadata.resourceVersion === undefined
          ? {}
          : { resourceVersion: subject.metadata.resourceVersion }),
      },
      ...(count > 1 ? { series: { count, lastObservedTime: new V1MicroTime(entry.lastObserved) } } : {}),
    };
    await this.client.createEvent(entry.namespace, event);
    entry.name = name;
    entry.writtenCount = count;
    if (entry.count > count) this.scheduleFlush();
  }

  private async patchSeries(entry: SeriesEntry): Promise<void> {
    if (entry.name === undefined || entry.count <= entry.writtenCount) return;
    const count = entry.count;
    try {
      await this.client.patchEvent(entry.namespace, entry.name, {
        series: { count, lastObservedTime: new V1MicroTime(entry.lastObserved) },
      });
      entry.writtenCount = count;
    } catch (error) {
      // Events expire (the API server's event TTL, 1 h by default): start a new one if we still can.
      if (isNotFound(error)) {
        await this.create(entry);
        return;
      }
      throw error;
    }
  }
}
