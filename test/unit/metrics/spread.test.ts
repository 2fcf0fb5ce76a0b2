import { describe, expect, it } from 'vitest';
import { eligibleCells, placementGrid, spreadOf } from '../../../src/metrics/index.ts';

/** A grid with one fault domain per zone, holding `counts`. */
function zones(...counts: number[]) {
  return new Map(counts.map((count, i) => [String(i + 1), new Map([[0, count]])]));
}

const REGION = {
  zones: [
    { name: '1', faultDomains: 5 },
    { name: '2', faultDomains: 5 },
    { name: '3', faultDomains: 3 },
  ],
};

describe('spreadOf', () => {
  // The worked examples of reference/observability.md §6.
  it.each([
    [[4, 4, 4], 0, 1 / 3],
    [[5, 4, 3], 2, 5 / 12],
    [[6, 3, 3], 3, 0.5],
    [[6, 6, 0], 6, 0.5],
    [[201, 200, 200], 1, 201 / 601],
    [[300, 150, 150], 150, 0.5],
  ])('zones %j → skew %d, largest share %f', (counts, skew, share) => {
    const spread = spreadOf(zones(...counts));
    expect(spread.zoneSkew).toBe(skew);
    expect(spread.largestZoneShare).toBeCloseTo(share, 12);
    expect(spread.faultDomainSkew).toBe(0);
  });

  it('is all zeros for an empty group and for no zones at all', () => {
    expect(spreadOf(zones(0, 0, 0))).toEqual({ zoneSkew: 0, faultDomainSkew: 0, largestZoneShare: 0 });
    expect(spreadOf(new Map())).toEqual({ zoneSkew: 0, faultDomainSkew: 0, largestZoneShare: 0 });
  });

  it('fault-domain skew is the worst zone’s max − min over its fault domains', () => {
    const grid = new Map([
      [
        '1',
        new Map([
          [0, 2],
          [1, 2],
          [2, 1],
        ]),
      ],
      [
        '2',
        new Map([
          [0, 3],
          [1, 0],
          [2, 0],
        ]),
      ],
    ]);
    expect(spreadOf(grid).faultDomainSkew).toBe(3);
  });
});

describe('eligibleCells', () => {
  it('max spreading uses each zone’s fault domains from the Region', () => {
    const cells = eligibleCells({ zones: ['1', '3'], platformFaultDomainCount: 1 }, REGION);
    expect(Object.fromEntries(cells)).toEqual({ '1': [0, 1, 2, 3, 4], '3': [0, 1, 2] });
  });

  it('fixed spreading uses exactly N fault domains in every zone', () => {
    const cells = eligibleCells({ zones: ['1', '3'], platformFaultDomainCount: 5 }, REGION);
    expect(Object.fromEntries(cells)).toEqual({ '1': [0, 1, 2, 3, 4], '3': [0, 1, 2, 3, 4] });
  });

  it('a regional group is the single scope "" with the fault domains every zone offers (or N when fixed)', () => {
    expect(Object.fromEntries(eligibleCells({ zones: [], platformFaultDomainCount: 1 }, REGION))).toEqual({
      '': [0, 1, 2],
    });
    expect(Object.fromEntries(eligibleCells({ zones: [], platformFaultDomainCount: 2 }, REGION))).toEqual({
      '': [0, 1],
    });
  });

  it('without a known Region a max-spreading zone is listed with no cells; placed instances still count', () => {
    const cells = eligibleCells({ zones: ['1', '2'], platformFaultDomainCount: 1 }, undefined);
    expect(Object.fromEntries(cells)).toEqual({ '1': [], '2': [] });
    const grid = placementGrid(cells, [
      { zone: '1', faultDomain: 3 },
      { zone: '9', faultDomain: 0 },
    ]);
    expect(Object.fromEntries([...grid].map(([zone, fds]) => [zone, Object.fromEntries(fds)]))).toEqual({
      '1': { '3': 1 },
      '2': {},
      '9': { '0': 1 },
    });
    expect(spreadOf(grid).zoneSkew).toBe(1);
  });
});
