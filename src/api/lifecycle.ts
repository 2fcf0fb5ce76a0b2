// ScaleSet lifecycle settings beyond placement: automatic repairs of unhealthy VMs, automatic zone
// rebalancing and schedule-based autoscale (reference/azure-domain.md §1.5, §1.9, §1.14). Kept apart from
// scaleset.ts so each feature's schema reads as one piece.
import { z } from 'zod';
import { Duration, withRules } from './common.ts';

const DURATION_TERM = /([0-9]+)(ms|s|m|h)/g;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a `Duration` (the schema's own format: integer terms of ms, s, m, h). */
export function durationMs(text: string): number {
  let total = 0;
  for (const match of text.matchAll(DURATION_TERM))
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
  return total;
}

/** Azure accepts a repair grace period of 10 to 90 minutes (PT10M–PT90M). */
export const REPAIR_GRACE_PERIOD = { minMs: 10 * 60_000, maxMs: 90 * 60_000 } as const;

export const AutomaticRepairsPolicy = withRules(
  z.object({
    enabled: z.boolean().default(false),
    gracePeriod: Duration.default('10m').describe(
      'How long a VM must be Unhealthy (and running) before it is repaired: 10m to 90m, as in Azure.',
    ),
    repairAction: z
      .enum(['Replace', 'Restart', 'Reimage'])
      .default('Replace')
      .describe('Replace deletes the VM and places a new one; Restart and Reimage keep the VM.'),
  }),
  [
    {
      cel: "duration(self.gracePeriod) >= duration('10m') && duration(self.gracePeriod) <= duration('90m')",
      holds: (p) =>
        durationMs(p.gracePeriod) >= REPAIR_GRACE_PERIOD.minMs &&
        durationMs(p.gracePeriod) <= REPAIR_GRACE_PERIOD.maxMs,
      message: 'gracePeriod must be between 10m and 90m',
      fieldPath: '.gracePeriod',
    },
  ],
);
export type AutomaticRepairsPolicy = z.output<typeof AutomaticRepairsPolicy>;

export const ResiliencyPolicy = z.object({
  automaticZoneRebalancing: z
    .object({
      enabled: z.boolean().default(false),
      rebalanceStrategy: z.enum(['Recreate']).default('Recreate'),
      rebalanceBehavior: z.enum(['CreateBeforeDelete']).default('CreateBeforeDelete'),
    })
    .default({ enabled: false, rebalanceStrategy: 'Recreate', rebalanceBehavior: 'CreateBeforeDelete' })
    .describe('After a zone comes back, move VMs one at a time until zones are at most 1 apart.'),
});
export type ResiliencyPolicy = z.output<typeof ResiliencyPolicy>;

export const AutoscaleCapacity = withRules(
  z.object({
    minimum: z.int().min(0).max(1000),
    maximum: z.int().min(0).max(1000),
    default: z.int().min(0).max(1000).describe('Capacity set when the profile becomes active.'),
  }),
  [
    {
      cel: 'self.minimum <= self.default && self.default <= self.maximum',
      holds: (c) => c.minimum <= c.default && c.default <= c.maximum,
      message: 'capacity must satisfy minimum <= default <= maximum',
      fieldPath: '.default',
    },
  ],
);
export type AutoscaleCapacity = z.output<typeof AutoscaleCapacity>;

export const Weekday = z.enum(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']);
export type Weekday = z.output<typeof Weekday>;

const ClockTime = z
  .string()
  .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/)
  .describe('Local time "HH:MM" (24 h).');

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const Recurrence = z.object({
  timeZone: z
    .string()
    .min(1)
    .max(64)
    .default('UTC')
    .refine(isTimeZone, { message: 'unknown IANA time zone' })
    .describe('IANA time zone the days and times are read in, e.g. "Europe/Berlin".'),
  days: z.array(Weekday).min(1).max(7).describe('Days the profile starts on.'),
  start: ClockTime,
  end: ClockTime.describe(
    'End, local time; at or before start means the next day (a window over midnight, or 24 h when equal).',
  ),
});
export type Recurrence = z.output<typeof Recurrence>;

export const AutoscaleProfile = z.object({
  name: z.string().min(1).max(63),
  capacity: AutoscaleCapacity,
  recurrence: Recurrence,
});
export type AutoscaleProfile = z.output<typeof AutoscaleProfile>;

export const Autoscale = z.object({
  profiles: z
    .array(AutoscaleProfile)
    .max(20)
    .default([])
    .describe('Schedule profiles; when several are active, the first listed wins.'),
  defaultCapacity: AutoscaleCapacity.optional().describe(
    'Bounds (and start value) when no profile is active.',
  ),
});
export type Autoscale = z.output<typeof Autoscale>;

/** What the lifecycle features report in ScaleSet status. */
export const RepairsStatus = z.object({
  action: z.enum(['Replace', 'Restart', 'Reimage']),
  unhealthy: z.int().min(0).describe('Unhealthy instances now.'),
  repairedTotal: z.int().min(0),
  inProgress: z.int().min(0),
  lastRepairAt: z.iso.datetime().optional(),
  lastBatch: z.array(z.string()).max(50).optional(),
  suspended: z
    .string()
    .max(256)
    .optional()
    .describe('Why repairs wait (scaling, paused, a batch in flight).'),
});
export type RepairsStatus = z.output<typeof RepairsStatus>;

export const RebalanceStatus = z.object({
  phase: z.enum(['Balanced', 'Moving', 'Blocked', 'Waiting']),
  moved: z.int().min(0),
  lastMoveAt: z.iso.datetime().optional(),
  inFlight: z
    .object({ fromZone: z.string(), toZone: z.string(), startedAt: z.iso.datetime() })
    .optional()
    .describe('The move under way: a VM created in toZone, one in fromZone deleted once it runs.'),
  message: z.string().max(1024).optional(),
});
export type RebalanceStatus = z.output<typeof RebalanceStatus>;

export const AutoscaleStatus = z.object({
  activeProfile: z.string().optional().describe('The active profile; absent when none is (defaultCapacity).'),
  since: z.iso.datetime().optional(),
  nextChangeAt: z.iso.datetime().optional(),
  minimum: z.int().min(0).optional(),
  maximum: z.int().min(0).optional(),
});
export type AutoscaleStatus = z.output<typeof AutoscaleStatus>;
