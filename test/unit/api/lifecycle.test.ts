// The ScaleSet lifecycle schemas: defaults, the repair grace period bounds, autoscale capacity and time zones.
import { expect, test } from 'vitest';
import { ScaleSetSpec, durationMs, parseWith } from '../../../src/api/index.ts';

const base = { vmSize: 'Standard_D2s_v5', capacity: 3 };

test('defaults: repairs Replace after 10m, rebalancing Recreate / CreateBeforeDelete, all off', () => {
  const parsed = parseWith(ScaleSetSpec, {
    ...base,
    automaticRepairsPolicy: {},
    resiliencyPolicy: {},
    autoscale: {},
  });
  expect(parsed.ok && parsed.value.automaticRepairsPolicy).toEqual({
    enabled: false,
    gracePeriod: '10m',
    repairAction: 'Replace',
  });
  expect(parsed.ok && parsed.value.resiliencyPolicy).toEqual({
    automaticZoneRebalancing: {
      enabled: false,
      rebalanceStrategy: 'Recreate',
      rebalanceBehavior: 'CreateBeforeDelete',
    },
  });
  expect(parsed.ok && parsed.value.autoscale).toEqual({ profiles: [] });
});

test('grace period: 10m to 90m, in any spelling', () => {
  expect(durationMs('1h30m')).toBe(90 * 60_000);
  for (const [gracePeriod, ok] of [
    ['10m', true],
    ['600s', true],
    ['1h30m', true],
    ['9m59s', false],
    ['91m', false],
  ] as const) {
    const parsed = parseWith(ScaleSetSpec, {
      ...base,
      automaticRepairsPolicy: { enabled: true, gracePeriod },
    });
    expect(parsed.ok, gracePeriod).toBe(ok);
    if (!parsed.ok) expect(parsed.errors.map((e) => e.field)).toEqual(['automaticRepairsPolicy.gracePeriod']);
  }
});

test('an unknown time zone is refused naming the field (the operator says InvalidSpec)', () => {
  const parsed = parseWith(ScaleSetSpec, {
    ...base,
    autoscale: {
      profiles: [
        {
          name: 'p',
          capacity: { minimum: 1, default: 2, maximum: 3 },
          recurrence: { timeZone: 'Mars/Olympus_Mons', days: ['Monday'], start: '09:00', end: '17:00' },
        },
      ],
    },
  });
  expect(parsed.ok).toBe(false);
  if (!parsed.ok)
    expect(parsed.errors.map((e) => e.field)).toEqual(['autoscale.profiles[0].recurrence.timeZone']);
});
