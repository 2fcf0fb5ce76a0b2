import { describe, expect, it } from 'vitest';
import type { LeaseRecord } from '../../../src/runtime/client.ts';
import {
  heldByOther,
  observeRecord,
  validateTiming,
  defaultLeaderElectionTiming,
} from '../../../src/runtime/leader-election.ts';

function record(holder: string, renewTime: string, overrides: Partial<LeaseRecord> = {}): LeaseRecord {
  return {
    resourceVersion: '1',
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    acquireTime: '2026-11-23T10:00:00.000000Z',
    renewTime,
    leaseTransitions: 0,
    ...overrides,
  };
}

describe('leader election timing', () => {
  it('accepts the 15 s / 10 s / 2 s defaults and rejects unsafe combinations', () => {
    expect(() => {
      validateTiming(defaultLeaderElectionTiming);
    }).not.toThrow();
    expect(() => {
      validateTiming({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 });
    }).toThrow(/leaseDuration/);
    expect(() => {
      validateTiming({ leaseDurationMs: 15_000, renewDeadlineMs: 2400, retryPeriodMs: 2000 });
    }).toThrow(/retryPeriod/);
  });
});

describe('lease expiry by local observation', () => {
  it('a holder whose record keeps changing is never expired, whatever its timestamps say', () => {
    // Remote timestamps from a clock far in the past: irrelevant, only changes on our clock count.
    let observation = observeRecord(undefined, record('b', '1999-01-01T00:00:00.000000Z'), 0);
    expect(heldByOther(observation, 'a', 14_999)).toBe(true);
    observation = observeRecord(
      observation,
      record('b', '1999-01-01T00:00:02.000000Z', { resourceVersion: '2' }),
      14_000,
    );
    expect(observation.observedAtMs).toBe(14_000);
    expect(heldByOther(observation, 'a', 28_999)).toBe(true);
  });

  it('expires another holder only after leaseDuration on our clock without any change', () => {
    let observation = observeRecord(undefined, record('b', 'T1'), 1000);
    observation = observeRecord(observation, record('b', 'T1'), 10_000);
    expect(observation.observedAtMs).toBe(1000);
    expect(heldByOther(observation, 'a', 15_999)).toBe(true);
    expect(heldByOther(observation, 'a', 16_000)).toBe(false);
  });

  it('a released (empty holder) lease and our own lease are free to take', () => {
    expect(heldByOther(observeRecord(undefined, record('', 'T1'), 0), 'a', 0)).toBe(false);
    expect(heldByOther(observeRecord(undefined, record('a', 'T1'), 0), 'a', 0)).toBe(false);
  });

  it('uses the lease duration written by the holder', () => {
    const observation = observeRecord(undefined, record('b', 'T1', { leaseDurationSeconds: 60 }), 0);
    expect(heldByOther(observation, 'a', 59_999)).toBe(true);
    expect(heldByOther(observation, 'a', 60_000)).toBe(false);
  });
});
