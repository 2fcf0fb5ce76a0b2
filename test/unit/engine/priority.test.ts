// The priority decision: Spot Priority Mix splits and per-priority targets.
import { describe, expect, test } from 'vitest';
import { plan, priorityMixSplit } from '../../../src/engine/index.ts';
import { input, perSize, pool, region, running, scaleSet, size, totalCreated } from './support/fixtures.ts';

describe('Spot Priority Mix split (reference §1.11: regular = min(C, base) + floor(max(0, C − base) × pct / 100))', () => {
  test.each([
    // capacity, base, pct, regular, spot
    [10, 10, 50, 10, 0],
    [20, 10, 50, 15, 5],
    [41, 10, 50, 25, 16], // the reference's example: 31 above the base at 50 % → 15 Regular, 16 Spot
    [5, 10, 50, 5, 0], // below the base everything is Regular
    [10, 0, 25, 2, 8], // floor(2.5): rounding favours Spot
    [100, 0, 0, 0, 100],
    [100, 0, 100, 100, 0],
    [0, 3, 50, 0, 0],
  ])('capacity %i, base %i, %i percent → %i Regular + %i Spot', (capacity, base, pct, regular, spot) => {
    expect(
      priorityMixSplit(capacity, { baseRegularPriorityCount: base, regularPriorityPercentageAboveBase: pct }),
    ).toEqual({ regular, spot });
  });
});

const sizes = [size('Standard_D2s_v5', 2)];
const pools = ['1', '2', '3'].flatMap((zone) => [
  pool('Standard_D2s_v5', zone, 'Regular', 0.096, 50),
  pool('Standard_D2s_v5', zone, 'Spot', 0.0192, 50),
]);
const mix = { baseRegularPriorityCount: 10, regularPriorityPercentageAboveBase: 50 };

describe('ScaleSet with a Spot Priority Mix', () => {
  test('a fresh scale-out splits 20 VMs into 15 Regular and 5 Spot', () => {
    const result = plan(
      input({
        spec: scaleSet({ capacity: 20, priority: 'Spot', priorityMix: mix }),
        region: region({ sizes, pools }),
      }),
    );
    const byPriority = (p: string) => totalCreated(result.creates.filter((c) => c.priority === p));
    expect(byPriority('Regular')).toBe(15);
    expect(byPriority('Spot')).toBe(5);
  });

  test('existing VMs are never converted: after Spot evictions only Spot is added back', () => {
    // 15 Regular and 1 Spot left after 4 Spot VMs were evicted and deleted.
    const current = [
      ...running('1', [1, 2, 3, 4, 5]),
      ...running('2', [6, 7, 8, 9, 10]),
      ...running('3', [11, 12, 13, 14, 15]),
      ...running('1', [16], { priority: 'Spot' }),
    ];
    const result = plan(
      input({
        spec: scaleSet({ capacity: 20, priority: 'Spot', priorityMix: mix }),
        region: region({ sizes, pools }),
        current,
      }),
    );
    expect(result.creates.every((c) => c.priority === 'Spot')).toBe(true);
    expect(totalCreated(result.creates)).toBe(4);
    expect(result.deletes).toEqual([]);
  });

  test('scale-in removes from whichever priority is above its target', () => {
    // 20 → 12: targets become 11 Regular + 1 Spot; we hold 15 Regular + 5 Spot.
    const current = [
      ...running('1', [1, 2, 3, 4, 5]),
      ...running('2', [6, 7, 8, 9, 10]),
      ...running('3', [11, 12, 13, 14, 15]),
      ...running('1', [16, 17], { priority: 'Spot' }),
      ...running('2', [18, 19], { priority: 'Spot' }),
      ...running('3', [20], { priority: 'Spot' }),
    ];
    const result = plan(
      input({
        spec: scaleSet({ capacity: 12, priority: 'Spot', priorityMix: mix }),
        region: region({ sizes, pools }),
        current,
      }),
    );
    const removed = (p: string) => result.deletes.filter((d) => d.priority === p).length;
    expect(removed('Regular')).toBe(4);
    expect(removed('Spot')).toBe(4);
    expect(result.creates).toEqual([]);
  });
});

describe('ScaleSet without a mix', () => {
  test('instances of the other priority count toward capacity and are reported stale, not replaced', () => {
    // The set switched from Spot to Regular: its 3 Spot VMs still count.
    const current = running('1', [1, 2, 3], { priority: 'Spot' });
    const result = plan(
      input({ spec: scaleSet({ capacity: 5 }), region: region({ sizes, pools }), current }),
    );
    expect(totalCreated(result.creates)).toBe(2);
    expect(perSize(result.creates)).toEqual({ Standard_D2s_v5: 2 });
    expect(result.stale.map((s) => s.reasons)).toEqual([
      ['PriorityChanged'],
      ['PriorityChanged'],
      ['PriorityChanged'],
    ]);
  });
});
