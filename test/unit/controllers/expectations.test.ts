// Expectations: a group waits for its own writes to reach the cache; writes whose failure did not say
// whether they happened are settled by asking the API server (confirm), not by waiting out the TTL.
import { describe, expect, it } from 'vitest';
import { Expectations } from '../../../src/controllers/expectations.ts';
import { ManualClock } from '../../../src/runtime/index.ts';
type CacheState = 'present' | 'deleting' | 'absent';
const cache =
  (states: Record<string, CacheState>) =>
  (name: string): CacheState =>
    states[name] ?? 'absent';

describe('Expectations', () => {
  it('waits until the cache shows the creates and deletes, or the TTL passes', () => {
    const clock = new ManualClock();
    const expectations = new Expectations(clock, 30_000);
    expectations.expect('g', { creates: ['g-1'], deletes: ['g-0'] });
    expect(expectations.satisfied('g', cache({ 'g-0': 'present' }))).toBe(false);
    expect(expectations.satisfied('g', cache({ 'g-0': 'deleting', 'g-1': 'present' }))).toBe(true);
    expectations.expect('g', { creates: ['g-2'] });
    clock.advance(29_999);
    expect(expectations.satisfied('g', cache({}))).toBe(false);
    clock.advance(1);
    expect(expectations.satisfied('g', cache({}))).toBe(true);
  });

  it('an uncertain write confirmed as not done stops the wait; one that happened keeps it', () => {
    const expectations = new Expectations(new ManualClock(), 30_000);
    expectations.expect('g', { creates: ['g-1', 'g-2'], deletes: ['g-0'] });
    expectations.writesFailed('g', 'creates', [], ['g-1']);
    expectations.writesFailed('g', 'deletes', [], ['g-0']);
    expect(expectations.uncertain('g')).toEqual({ creates: ['g-1'], deletes: ['g-0'] });
    // g-2 reached the cache; g-1 and the delete of g-0 did not.
    const seen = cache({ 'g-0': 'present', 'g-2': 'present' });
    expect(expectations.satisfied('g', seen)).toBe(false);
    expectations.confirm('g', 'g-1', 'notDone'); // the server has no g-1
    expectations.confirm('g', 'g-0', 'happened'); // the server has g-0 marked for deletion
    expect(expectations.uncertain('g')).toEqual({ creates: [], deletes: [] });
    expect(expectations.satisfied('g', seen)).toBe(false);
    expect(expectations.satisfied('g', cache({ 'g-0': 'deleting', 'g-2': 'present' }))).toBe(true);
  });

  it('a failed batch stops the wait for the writes certainly not done', () => {
    const expectations = new Expectations(new ManualClock(), 30_000);
    expectations.expect('g', { deletes: ['g-0', 'g-1'] });
    expectations.writesFailed('g', 'deletes', ['g-1'], []);
    expect(expectations.satisfied('g', cache({ 'g-1': 'present' }))).toBe(true);
  });

  it('lowering a write also forgets that it was uncertain', () => {
    const expectations = new Expectations(new ManualClock(), 30_000);
    expectations.expect('g', { creates: ['g-1'] });
    expectations.writesFailed('g', 'creates', [], ['g-1']);
    expectations.lower('g', { creates: ['g-1'] });
    expect(expectations.uncertain('g')).toEqual({ creates: [], deletes: [] });
    expect(expectations.satisfied('g', cache({}))).toBe(true);
  });
});
