import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { EventBody, EventClient } from '../../../src/runtime/client.ts';
import { ManualClock } from '../../../src/runtime/clock.ts';
import { EventRecorder, type EventSubject } from '../../../src/runtime/events.ts';

interface Call {
  verb: 'create' | 'patch';
  namespace: string;
  name: string;
  count: number | undefined;
}

/** Records what the recorder sends; every call succeeds. (The API side is tested on the real plane.) */
function recordingClient(): { calls: Call[]; client: EventClient } {
  const calls: Call[] = [];
  return {
    calls,
    client: {
      createEvent: (namespace: string, event: EventBody) => {
        calls.push({ verb: 'create', namespace, name: event.metadata.name, count: event.series?.count });
        return Promise.resolve(event);
      },
      patchEvent: (namespace: string, name: string, patch: unknown) => {
        calls.push({
          verb: 'patch',
          namespace,
          name,
          count: (patch as { series: { count: number } }).series.count,
        });
        return Promise.resolve(patch);
      },
    },
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const subject: EventSubject = {
  apiVersion: 'compute.vmfleet.io/v1alpha1',
  kind: 'ScaleSet',
  metadata: { name: 'web', namespace: 'team-a', uid: 'u1' },
};
const shortfall = {
  type: 'Warning' as const,
  reason: 'CapacityShortfall',
  action: 'Place',
  note: '2 of 5 not placed',
};

function newRecorder() {
  const clock = new ManualClock(Date.parse('2026-11-23T10:00:00Z'));
  const { calls, client } = recordingClient();
  const recorder = new EventRecorder({
    client,
    reportingController: 'vmfleet.io/operator',
    reportingInstance: 'pod-1',
    logger: pino({ level: 'silent' }),
    clock,
  });
  return { clock, calls, recorder };
}

describe('EventRecorder aggregation', () => {
  it('creates once, patches the series on the second occurrence, then batches counts per flush interval', async () => {
    const { clock, calls, recorder } = newRecorder();
    recorder.record(subject, shortfall);
    await settle();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ verb: 'create', namespace: 'team-a', count: undefined });
    const name = calls[0]?.name ?? '';
    expect(name).toMatch(/^web\.[0-9a-f]+$/);

    clock.advance(1000);
    recorder.record(subject, shortfall);
    await settle();
    expect(calls[1]).toEqual({ verb: 'patch', namespace: 'team-a', name, count: 2 });

    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      recorder.record(subject, shortfall);
    }
    await settle();
    expect(calls).toHaveLength(2);
    clock.advance(60_000);
    await settle();
    expect(calls[2]).toEqual({ verb: 'patch', namespace: 'team-a', name, count: 12 });

    // Nothing new: the flush timer does not write again.
    clock.advance(10 * 60_000);
    await settle();
    expect(calls).toHaveLength(3);
  });

  it('starts a new Event once a series has been quiet for 6 minutes', async () => {
    const { clock, calls, recorder } = newRecorder();
    recorder.record(subject, shortfall);
    clock.advance(6 * 60_000);
    recorder.record(subject, shortfall);
    await recorder.flush();
    expect(calls.map((c) => c.verb)).toEqual(['create', 'create']);
    expect(calls[0]?.name).not.toBe(calls[1]?.name);
  });

  it('keeps different reasons, notes and objects apart', async () => {
    const { calls, recorder } = newRecorder();
    recorder.record(subject, shortfall);
    recorder.record(subject, { ...shortfall, note: 'other note' });
    recorder.record(subject, { ...shortfall, reason: 'QuotaExceeded' });
    recorder.record({ ...subject, metadata: { ...subject.metadata, name: 'api', uid: 'u2' } }, shortfall);
    await recorder.flush();
    expect(calls.map((c) => c.verb)).toEqual(['create', 'create', 'create', 'create']);
  });

  it('never throws into the caller when the API fails, and records nothing after stop', async () => {
    const clock = new ManualClock();
    let attempts = 0;
    const recorder = new EventRecorder({
      client: {
        createEvent: () => {
          attempts++;
          return Promise.reject(new Error('API down'));
        },
        patchEvent: () => Promise.reject(new Error('API down')),
      },
      reportingController: 'vmfleet.io/operator',
      reportingInstance: 'pod-1',
      logger: pino({ level: 'silent' }),
      clock,
    });
    expect(() => {
      recorder.record(subject, shortfall);
    }).not.toThrow();
    await recorder.stop();
    expect(attempts).toBe(1);
    recorder.record(subject, { ...shortfall, note: 'after stop' });
    await settle();
    expect(attempts).toBe(1);
  });
});
