// Schedule-based autoscale: which profile is active when, across time zones, days and windows over midnight.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  activeSchedule,
  clampCapacity,
  decideAutoscale,
  nextScheduleChange,
  profileActive,
  type ScheduleProfile,
  type Weekday,
} from '../../../src/engine/schedule.ts';

const cap = (minimum: number, def: number, maximum: number) => ({ minimum, default: def, maximum });

function profile(
  name: string,
  days: Weekday[],
  start: string,
  end: string,
  timeZone = 'UTC',
  capacity = cap(1, 5, 10),
): ScheduleProfile {
  return { name, capacity, recurrence: { timeZone, days, start, end } };
}

const at = (iso: string) => Date.parse(iso);
const ALL: Weekday[] = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

describe('profileActive', () => {
  // 2026-12-02 is a Wednesday.
  const workday = profile('work', ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'], '09:00', '17:00');

  test('inside and at the edges of a same-day window (start inclusive, end exclusive)', () => {
    expect(profileActive(workday, at('2026-12-02T08:59:00Z'))).toBe(false);
    expect(profileActive(workday, at('2026-12-02T09:00:00Z'))).toBe(true);
    expect(profileActive(workday, at('2026-12-02T16:59:59Z'))).toBe(true);
    expect(profileActive(workday, at('2026-12-02T17:00:00Z'))).toBe(false);
    expect(profileActive(workday, at('2026-12-05T10:00:00Z'))).toBe(false); // Saturday
  });

  test('a window over midnight belongs to the day it starts on', () => {
    const night = profile('night', ['Friday'], '22:00', '02:00');
    expect(profileActive(night, at('2026-12-04T23:00:00Z'))).toBe(true); // Friday night
    expect(profileActive(night, at('2026-12-05T01:59:00Z'))).toBe(true); // Saturday early morning
    expect(profileActive(night, at('2026-12-05T02:00:00Z'))).toBe(false);
    expect(profileActive(night, at('2026-12-05T23:00:00Z'))).toBe(false); // Saturday night: not listed
    expect(profileActive(night, at('2026-12-04T01:00:00Z'))).toBe(false); // Friday early: Thursday not listed
  });

  test('equal start and end is a 24 h window', () => {
    const day = profile('day', ['Sunday'], '06:00', '06:00');
    expect(profileActive(day, at('2026-12-06T06:00:00Z'))).toBe(true);
    expect(profileActive(day, at('2026-12-07T05:59:00Z'))).toBe(true);
    expect(profileActive(day, at('2026-12-07T06:00:00Z'))).toBe(false);
  });

  test('days and times are read in the profile’s time zone', () => {
    // 09:00 in Tokyo (UTC+9) on Wednesday is 00:00 UTC Wednesday; 08:00 Tokyo is Tuesday 23:00 UTC.
    const tokyo = profile('tokyo', ['Wednesday'], '09:00', '10:00', 'Asia/Tokyo');
    expect(profileActive(tokyo, at('2026-12-02T00:30:00Z'))).toBe(true);
    expect(profileActive(tokyo, at('2026-12-01T23:30:00Z'))).toBe(false);
    // New York in summer is UTC−4, in winter UTC−5.
    const ny = profile('ny', ALL, '09:00', '17:00', 'America/New_York');
    expect(profileActive(ny, at('2026-07-01T13:00:00Z'))).toBe(true);
    expect(profileActive(ny, at('2026-12-02T13:30:00Z'))).toBe(false);
    expect(profileActive(ny, at('2026-12-02T14:00:00Z'))).toBe(true);
  });
});

describe('activeSchedule and nextScheduleChange', () => {
  test('the first active profile wins; the default applies when none is', () => {
    const a = profile('a', ALL, '08:00', '12:00', 'UTC', cap(2, 3, 4));
    const b = profile('b', ALL, '10:00', '14:00', 'UTC', cap(5, 6, 7));
    const fallback = cap(0, 1, 2);
    expect(activeSchedule([a, b], fallback, at('2026-12-02T11:00:00Z'))).toEqual({
      profile: 'a',
      capacity: a.capacity,
    });
    expect(activeSchedule([a, b], fallback, at('2026-12-02T13:00:00Z')).profile).toBe('b');
    expect(activeSchedule([a, b], fallback, at('2026-12-02T15:00:00Z'))).toEqual({
      profile: undefined,
      capacity: fallback,
    });
    expect(activeSchedule([], undefined, 0)).toEqual({ profile: undefined, capacity: undefined });
  });

  test('next change: the next start or end that changes the active profile', () => {
    const work = profile('work', ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'], '09:00', '17:00');
    expect(nextScheduleChange([work], at('2026-12-02T08:00:00Z'))).toBe(at('2026-12-02T09:00:00Z'));
    expect(nextScheduleChange([work], at('2026-12-02T10:00:00Z'))).toBe(at('2026-12-02T17:00:00Z'));
    // Friday evening → Monday morning.
    expect(nextScheduleChange([work], at('2026-12-04T18:00:00Z'))).toBe(at('2026-12-07T09:00:00Z'));
    const always = profile('always', ALL, '00:00', '00:00');
    expect(nextScheduleChange([always], at('2026-12-04T18:00:00Z'))).toBeUndefined();
  });

  test('next change across a DST switch in the profile’s zone', () => {
    // Europe/Berlin leaves summer time on 2026-10-25: 09:00 local is 07:00 UTC before, 08:00 UTC after.
    const berlin = profile('berlin', ALL, '09:00', '10:00', 'Europe/Berlin');
    expect(nextScheduleChange([berlin], at('2026-10-24T12:00:00Z'))).toBe(at('2026-10-25T08:00:00Z'));
  });

  test('property: the active profile is constant until the next change and differs at it', () => {
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland'];
    const clock = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45));
    const text = ([h, m]: [number, number]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
    const arbProfile = fc
      .record({
        days: fc.uniqueArray(fc.constantFrom(...ALL), { minLength: 1, maxLength: 7 }),
        start: clock,
        end: clock,
        timeZone: fc.constantFrom(...zones),
      })
      .map((r) => profile('p', r.days, text(r.start), text(r.end), r.timeZone));
    fc.assert(
      fc.property(
        fc
          .array(arbProfile, { minLength: 1, maxLength: 3 })
          .map((ps) => ps.map((p, i) => ({ ...p, name: `p${String(i)}` }))),
        fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-01-01T00:00:00Z') }),
        (profiles, now) => {
          const current = activeSchedule(profiles, undefined, now).profile;
          const next = nextScheduleChange(profiles, now);
          if (next === undefined) return;
          expect(next).toBeGreaterThan(now);
          expect(activeSchedule(profiles, undefined, next).profile).not.toBe(current);
          for (let k = 1; k <= 4; k++) {
            const probe = now + Math.floor(((next - now) * k) / 5);
            expect(activeSchedule(profiles, undefined, probe).profile).toBe(current);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('decideAutoscale', () => {
  const day = profile('day', ALL, '08:00', '20:00', 'UTC', cap(4, 6, 8));
  const night = cap(1, 2, 3);

  test('a profile that starts sets its default capacity', () => {
    const d = decideAutoscale({
      profiles: [day],
      defaultCapacity: night,
      recordedProfile: '',
      capacity: 2,
      nowMs: at('2026-12-02T08:00:00Z'),
    });
    expect(d).toMatchObject({ capacity: 6, changed: true, schedule: { profile: 'day' } });
  });

  test('a later manual scale stands within the bounds and is clamped outside them', () => {
    const input = {
      profiles: [day],
      defaultCapacity: night,
      recordedProfile: 'day',
      nowMs: at('2026-12-02T09:00:00Z'),
    };
    expect(decideAutoscale({ ...input, capacity: 7 }).capacity).toBeUndefined();
    expect(decideAutoscale({ ...input, capacity: 20 }).capacity).toBe(8);
    expect(decideAutoscale({ ...input, capacity: 0 }).capacity).toBe(4);
  });

  test('the end of a profile switches to the default capacity; with none, capacity is left alone', () => {
    const evening = at('2026-12-02T21:00:00Z');
    expect(
      decideAutoscale({
        profiles: [day],
        defaultCapacity: night,
        recordedProfile: 'day',
        capacity: 6,
        nowMs: evening,
      }).capacity,
    ).toBe(2);
    expect(
      decideAutoscale({
        profiles: [day],
        defaultCapacity: undefined,
        recordedProfile: 'day',
        capacity: 6,
        nowMs: evening,
      }).capacity,
    ).toBeUndefined();
  });

  test('clampCapacity', () => {
    expect(clampCapacity(5, undefined)).toBe(5);
    expect(clampCapacity(5, cap(6, 7, 9))).toBe(6);
  });
});
