import { describe, expect, it } from 'vitest';
import {
  computeConditions,
  findCondition,
  formatTime,
  isConditionTrue,
  setCondition,
  type Condition,
} from '../../../src/runtime/conditions.ts';

const t0 = new Date('2026-11-23T10:00:00.456Z');
const t1 = new Date('2026-11-23T11:30:00.789Z');

describe('conditions', () => {
  it('formats times like metav1.Time (seconds precision)', () => {
    expect(formatTime(t0)).toBe('2026-11-23T10:00:00Z');
  });

  it('adds a new condition with now as lastTransitionTime and the reconciled generation', () => {
    const conditions = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'Provisioning' },
      { generation: 3, now: t0 },
    );
    expect(conditions).toEqual([
      {
        type: 'Ready',
        status: 'False',
        observedGeneration: 3,
        lastTransitionTime: '2026-11-23T10:00:00Z',
        reason: 'Provisioning',
        message: '',
      },
    ]);
  });

  it('keeps lastTransitionTime when the status is unchanged, even if reason, message and generation move', () => {
    const first = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'Provisioning', message: '2/5' },
      { generation: 1, now: t0 },
    );
    const second = setCondition(
      first,
      { type: 'Ready', status: 'False', reason: 'CapacityShortfall', message: '4/5' },
      { generation: 2, now: t1 },
    );
    expect(second).toEqual([
      {
        type: 'Ready',
        status: 'False',
        observedGeneration: 2,
        lastTransitionTime: '2026-11-23T10:00:00Z',
        reason: 'CapacityShortfall',
        message: '4/5',
      },
    ]);
  });

  it('moves lastTransitionTime when the status flips', () => {
    const first = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'Provisioning' },
      { generation: 1, now: t0 },
    );
    const second = setCondition(
      first,
      { type: 'Ready', status: 'True', reason: 'AllInstancesRunning' },
      { generation: 1, now: t1 },
    );
    expect(second[0]?.lastTransitionTime).toBe('2026-11-23T11:30:00Z');
  });

  it('leaves other conditions and their order alone and does not mutate the input', () => {
    const existing: Condition[] = [
      {
        type: 'Ready',
        status: 'True',
        observedGeneration: 1,
        lastTransitionTime: 'x',
        reason: 'Ok',
        message: '',
      },
      {
        type: 'Degraded',
        status: 'False',
        observedGeneration: 1,
        lastTransitionTime: 'y',
        reason: 'Ok',
        message: '',
      },
    ];
    const frozen = structuredClone(existing);
    const next = setCondition(
      existing,
      { type: 'Ready', status: 'False', reason: 'QuotaExceeded' },
      { generation: 2, now: t1 },
    );
    expect(existing).toEqual(frozen);
    expect(next.map((c) => c.type)).toEqual(['Ready', 'Degraded']);
    expect(next[1]).toEqual(existing[1]);
  });

  it('rejects a reason that is not a CamelCase word', () => {
    expect(() =>
      setCondition(
        undefined,
        { type: 'Ready', status: 'True', reason: 'not ok' },
        { generation: 1, now: t0 },
      ),
    ).toThrow(/CamelCase/);
  });

  it('computeConditions sets exactly the given conditions, in the given order', () => {
    const existing = computeConditions(
      undefined,
      [
        { type: 'Ready', status: 'False', reason: 'Provisioning' },
        { type: 'Stale', status: 'True', reason: 'Old' },
      ],
      { generation: 1, now: t0 },
    );
    const next = computeConditions(
      existing,
      [
        { type: 'Progressing', status: 'True', reason: 'ScalingOut' },
        { type: 'Ready', status: 'False', reason: 'Provisioning' },
      ],
      { generation: 2, now: t1 },
    );
    expect(next.map((c) => `${c.type}:${c.lastTransitionTime}:${c.observedGeneration}`)).toEqual([
      'Progressing:2026-11-23T11:30:00Z:2',
      'Ready:2026-11-23T10:00:00Z:2',
    ]);
    expect(findCondition(next, 'Stale')).toBeUndefined();
    expect(isConditionTrue(next, 'Progressing')).toBe(true);
    expect(isConditionTrue(next, 'Ready')).toBe(false);
  });

  it('an unchanged world computes an identical list (so no status write follows)', () => {
    const updates = [
      { type: 'Ready', status: 'True' as const, reason: 'AllInstancesRunning', message: '5/5' },
      { type: 'Degraded', status: 'False' as const, reason: 'AsExpected' },
    ];
    const first = computeConditions(undefined, updates, { generation: 4, now: t0 });
    const second = computeConditions(first, updates, { generation: 4, now: t1 });
    expect(second).toEqual(first);
  });
});
