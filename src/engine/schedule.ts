// Schedule-based autoscale (reference/azure-domain.md §1.14): which profile is active at an instant, and
// when that next changes. Pure: the instant comes in as milliseconds, time zones are read with Intl.
//
// A profile is active from `start` on each of its `days` (local time in its time zone) until `end` the
// same day, or — when `end` is at or before `start` — until `end` the next day (a window over midnight;
// equal times give 24 h). The first active profile in list order wins. With none active, `defaultCapacity`
// (when given) is in force.

export type Weekday = 'Monday' | 'Tuesday' | 'Wednesday' | 'Thursday' | 'Friday' | 'Saturday' | 'Sunday';

export interface ScheduleCapacity {
  readonly minimum: number;
  readonly maximum: number;
  readonly default: number;
}

export interface ScheduleProfile {
  readonly name: string;
  readonly capacity: ScheduleCapacity;
  readonly recurrence: {
    readonly timeZone: string;
    readonly days: readonly Weekday[];
    readonly start: string;
    readonly end: string;
  };
}

export interface ActiveSchedule {
  /** The active profile's name; undefined when none is (defaultCapacity, if any, applies). */
  readonly profile: string | undefined;
  /** The bounds and start value in force; undefined when neither a profile nor a default applies. */
  readonly capacity: ScheduleCapacity | undefined;
}

const WEEKDAYS: readonly Weekday[] = [
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
];
const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;

interface LocalTime {
  /** Days since the epoch of the local calendar date (as if it were UTC). */
  readonly day: number;
  readonly weekday: Weekday;
  /** Minutes since local midnight. */
  readonly minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock time of `ms` in `timeZone`, as milliseconds of the same wall time in UTC. */
function wallMs(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return Date.UTC(
    parts['year'] ?? 1970,
    (parts['month'] ?? 1) - 1,
    parts['day'] ?? 1,
    parts['hour'] ?? 0,
    parts['minute'] ?? 0,
  );
}

function localTime(ms: number, timeZone: string): LocalTime {
  const wall = wallMs(Math.floor(ms / MINUTE_MS) * MINUTE_MS, timeZone);
  const day = Math.floor(wall / 86_400_000);
  // 1970-01-01 was a Thursday (index 3 from Monday).
  const weekday = WEEKDAYS[(((day + 3) % 7) + 7) % 7] ?? 'Monday';
  return { day, weekday, minutes: Math.floor((wall - day * 86_400_000) / MINUTE_MS) };
}

function parseClock(text: string): number {
  const [h = '0', m = '0'] = text.split(':');
  return Number(h) * 60 + Number(m);
}

/** True when the profile's window covers the instant. */
export function profileActive(profile: ScheduleProfile, nowMs: number): boolean {
  const { timeZone, days, start, end } = profile.recurrence;
  const local = localTime(nowMs, timeZone);
  const startMin = parseClock(start);
  const endMin = parseClock(end);
  const today = days.includes(local.weekday);
  if (endMin > startMin) return today && local.minutes >= startMin && local.minutes < endMin;
  // Over midnight (or 24 h): from start today, or until end if the window began yesterday.
  const yesterday = days.includes(WEEKDAYS[(WEEKDAYS.indexOf(local.weekday) + 6) % 7] ?? 'Monday');
  return (today && local.minutes >= startMin) || (yesterday && local.minutes < endMin);
}

export function activeSchedule(
  profiles: readonly ScheduleProfile[],
  defaultCapacity: ScheduleCapacity | undefined,
  nowMs: number,
): ActiveSchedule {
  const active = profiles.find((p) => profileActive(p, nowMs));
  if (active !== undefined) return { profile: active.name, capacity: active.capacity };
  return { profile: undefined, capacity: defaultCapacity };
}

/**
 * The UTC instant of a local wall time (minutes since the local midnight of `day`) in `timeZone`. For a
 * wall time skipped by a DST change, the instant just after the gap; for a repeated one, the first.
 */
function instantOf(day: number, minutes: number, timeZone: string): number {
  const wall = day * 86_400_000 + minutes * MINUTE_MS;
  let guess = wall;
  for (let i = 0; i < 3; i++) {
    const offset = wallMs(guess, timeZone) - guess;
    const next = wall - offset;
    if (next === guess) break;
    guess = next;
  }
  return guess;
}

/**
 * The first instant after `nowMs` at which the active profile changes, looking 8 days ahead (every weekly
 * schedule repeats within that); undefined when it never changes.
 */
export function nextScheduleChange(profiles: readonly ScheduleProfile[], nowMs: number): number | undefined {
  const current = activeSchedule(profiles, undefined, nowMs).profile;
  const candidates = new Set<number>();
  for (const p of profiles) {
    const today = localTime(nowMs, p.recurrence.timeZone).day;
    for (let d = -1; d <= 8; d++) {
      for (const at of [p.recurrence.start, p.recurrence.end]) {
        const minutes = parseClock(at);
        if (minutes >= DAY_MINUTES) continue;
        const instant = instantOf(today + d, minutes, p.recurrence.timeZone);
        if (instant > nowMs) candidates.add(instant);
      }
    }
  }
  for (const instant of [...candidates].sort((a, b) => a - b)) {
    if (activeSchedule(profiles, undefined, instant).profile !== current) return instant;
  }
  return undefined;
}

/** Clamps a capacity into the bounds in force (unchanged when none are). */
export function clampCapacity(capacity: number, bounds: ScheduleCapacity | undefined): number {
  if (bounds === undefined) return capacity;
  return Math.min(bounds.maximum, Math.max(bounds.minimum, capacity));
}

export interface AutoscaleDecision {
  /** The capacity to write, or undefined to leave spec.capacity alone. */
  readonly capacity: number | undefined;
  readonly schedule: ActiveSchedule;
  /** True when the active profile differs from the one recorded (a profile started or ended). */
  readonly changed: boolean;
}

/**
 * How the schedule and manual scaling interact: when the active profile changes (a profile starts or ends,
 * including the switch to defaultCapacity), capacity is set to the new profile's default; at any other time a
 * manual scale (kubectl scale, HPA) stands, clamped to [minimum, maximum] of what is in force.
 */
export function decideAutoscale(input: {
  profiles: readonly ScheduleProfile[];
  defaultCapacity: ScheduleCapacity | undefined;
  /** The profile recorded in status by the previous decision ("" for none; undefined when never decided). */
  recordedProfile: string | undefined;
  capacity: number;
  nowMs: number;
}): AutoscaleDecision {
  const schedule = activeSchedule(input.profiles, input.defaultCapacity, input.nowMs);
  const changed = input.recordedProfile === undefined || input.recordedProfile !== (schedule.profile ?? '');
  const wanted =
    schedule.capacity === undefined
      ? input.capacity
      : changed
        ? schedule.capacity.default
        : clampCapacity(input.capacity, schedule.capacity);
  return { capacity: wanted === input.capacity ? undefined : wanted, schedule, changed };
}
