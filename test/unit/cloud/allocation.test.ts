import { describe, expect, it } from 'vitest';
import type { Instance, InstancePhase, Region } from '../../../src/api/index.ts';
import { ledgerOf } from '../../../src/cloud/ledger.ts';
import type { AllocationResult } from '../../../src/cloud/provider.ts';
import { checkAllocation } from '../../../src/cloud/simulated/allocation.ts';
import { HOUR, T0, at, testRegion, vm, vms } from './fixtures.ts';

function allocate(region: Region, instance: Instance, others: Instance[] = [], now = T0): AllocationResult {
  return checkAllocation({
    instance,
    spec: region.spec,
    location: region.metadata.name,
    ledger: ledgerOf(others),
    now,
  });
}

function failure(result: AllocationResult) {
  if (result.ok) throw new Error('expected a failure');
  return result;
}

describe('checkAllocation: success', () => {
  it('bills the Regular price and returns an Azure-style provider ID', () => {
    const result = allocate(testRegion(), vm({ name: 'web-0', namespace: 'shop' }));
    expect(result).toEqual({
      ok: true,
      pricePerHour: 0.1,
      providerID:
        'azure:///subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/vmfleet-shop/providers/Microsoft.Compute/virtualMachines/web-0',
    });
  });

  it('bills the zone’s Spot price when the Region sets one, else the size’s', () => {
    const region = testRegion();
    expect(allocate(region, vm({ name: 's-0', priority: 'Spot', zone: '3' }))).toMatchObject({
      ok: true,
      pricePerHour: 0.03,
    });
    expect(allocate(region, vm({ name: 's-1', priority: 'Spot', zone: '1' }))).toMatchObject({
      ok: true,
      pricePerHour: 0.02,
    });
  });
});

describe('checkAllocation: capacity', () => {
  it('answers ZonalAllocationFailed when the zone’s capacity for the size and priority is used up', () => {
    const region = testRegion();
    const running = vms('web', 3, { zone: '1', phase: 'Running' });
    const result = failure(allocate(region, vm({ name: 'web-3', zone: '1' }), running));
    expect(result).toMatchObject({
      code: 'ZonalAllocationFailed',
      vmSize: 'Standard_D2s_v5',
      zone: '1',
      priority: 'Regular',
    });
    expect(result.message).toMatch(
      /^Allocation failed\. We do not have sufficient capacity for the requested VM size in this zone\./,
    );
    // Another zone, or the other priority, still has room.
    expect(allocate(region, vm({ name: 'web-4', zone: '2' }), running).ok).toBe(true);
    expect(allocate(region, vm({ name: 'web-5', zone: '1', priority: 'Spot' }), running).ok).toBe(true);
  });

  it('counts Provisioning and Running VMs, not Pending, Failed or Deallocated ones', () => {
    const region = testRegion();
    const spot = (name: string, phase: InstancePhase) => vm({ name, priority: 'Spot', zone: '1', phase });
    const notHolding = [
      spot('a-0', 'Pending'),
      spot('a-1', 'Failed'),
      spot('a-2', 'Deallocated'),
      spot('a-3', 'Deallocated'),
    ];
    expect(allocate(region, vm({ name: 'n-0', priority: 'Spot', zone: '1' }), notHolding).ok).toBe(true);
    const holding = [spot('b-0', 'Provisioning'), spot('b-1', 'Running')];
    expect(failure(allocate(region, vm({ name: 'n-1', priority: 'Spot', zone: '1' }), holding)).code).toBe(
      'ZonalAllocationFailed',
    );
  });

  it('treats a size without a capacity row for the zone as capacity 0', () => {
    expect(
      failure(allocate(testRegion(), vm({ name: 'x-0', size: 'Standard_D4s_v5', zone: '3' }))).code,
    ).toBe('ZonalAllocationFailed');
  });

  it('answers ZonalAllocationFailed in a zone marked unavailable (outage), even with capacity left', () => {
    const region = testRegion({
      zones: [
        { name: '1', faultDomains: 5, available: false },
        { name: '2', faultDomains: 5, available: true },
        { name: '3', faultDomains: 3, available: true },
      ],
    });
    expect(failure(allocate(region, vm({ name: 'web-0', zone: '1' }))).code).toBe('ZonalAllocationFailed');
    expect(allocate(region, vm({ name: 'web-1', zone: '2' })).ok).toBe(true);
  });

  it('places a regional VM in the zones’ shared room and answers AllocationFailed when none is left', () => {
    const region = testRegion();
    // D4s_v5 Regular: 2 + 2 + 0 = 4 in the region. Two zonal VMs in zone 1, one regional VM: one left.
    const holding = [
      ...vms('z', 2, { size: 'Standard_D4s_v5', zone: '1', phase: 'Running' }),
      vm({ name: 'r-0', size: 'Standard_D4s_v5', zone: '', phase: 'Running' }),
    ];
    expect(allocate(region, vm({ name: 'r-1', size: 'Standard_D4s_v5', zone: '' }), holding).ok).toBe(true);
    const full = [...holding, vm({ name: 'r-1', size: 'Standard_D4s_v5', zone: '', phase: 'Running' })];
    const regional = failure(allocate(region, vm({ name: 'r-2', size: 'Standard_D4s_v5', zone: '' }), full));
    expect(regional.code).toBe('AllocationFailed');
    expect(regional.message).toMatch(/in this region\./);
    // Zone 2 has two free slots on paper, but both are taken by the regional VMs.
    expect(
      failure(allocate(region, vm({ name: 'z-9', size: 'Standard_D4s_v5', zone: '2' }), full)).code,
    ).toBe('ZonalAllocationFailed');
  });
});

describe('checkAllocation: sizes and Spot', () => {
  it('answers SkuNotAvailable for a size the Region does not offer', () => {
    const result = failure(allocate(testRegion(), vm({ name: 'x-0', size: 'Standard_M128s', zone: '2' })));
    expect(result.code).toBe('SkuNotAvailable');
    expect(result.message).toContain(
      "'Standard_M128s' is currently not available in location 'testland' zones '2'",
    );
  });

  it('answers SkuNotAvailable for a zone the Region does not have', () => {
    expect(failure(allocate(testRegion(), vm({ name: 'x-0', zone: '7' }))).code).toBe('SkuNotAvailable');
  });

  it('refuses Spot on a B-series size', () => {
    const result = failure(
      allocate(testRegion(), vm({ name: 'b-0', size: 'Standard_B2s', priority: 'Spot' })),
    );
    expect(result).toMatchObject({ code: 'SkuNotAvailable', priority: 'Spot' });
    expect(result.message).toContain('AzureSpotIsNotSupportedForThisVMSize');
  });

  it('refuses a Spot VM whose max price is below the Spot price, and accepts -1 or no max price', () => {
    const region = testRegion();
    const low = failure(
      allocate(region, vm({ name: 's-0', priority: 'Spot', zone: '3', maxPricePerHour: 0.025 })),
    );
    expect(low.code).toBe('SpotPriceGreaterThanProvidedMaxPrice');
    expect(low.message).toContain(
      'current Spot price 0.03 USD/hour is greater than the provided max price 0.025',
    );
    expect(allocate(region, vm({ name: 's-1', priority: 'Spot', zone: '3', maxPricePerHour: 0.03 })).ok).toBe(
      true,
    );
    expect(allocate(region, vm({ name: 's-2', priority: 'Spot', zone: '3', maxPricePerHour: -1 })).ok).toBe(
      true,
    );
    expect(allocate(region, vm({ name: 's-3', priority: 'Spot', zone: '3' })).ok).toBe(true);
  });
});

describe('checkAllocation: quotas', () => {
  it('refuses past the regional vCPU quota with Azure’s Total Regional Cores message', () => {
    const region = testRegion({ quotas: { regionalVCPUs: 9 } });
    const running = [
      ...vms('r', 2, { size: 'Standard_D2s_v5', zone: '1', phase: 'Running' }), // 4 vCPUs
      vm({ name: 's-0', size: 'Standard_D2s_v5', zone: '2', priority: 'Spot', phase: 'Running' }), // 2 vCPUs
    ];
    const result = failure(
      allocate(region, vm({ name: 'n-0', size: 'Standard_E4s_v5', zone: '2' }), running),
    );
    expect(result.code).toBe('OperationNotAllowed');
    expect(result.quota).toEqual({ name: 'regionalVCPUs', limit: 9, used: 6, required: 4 });
    expect(result.message).toBe(
      'Operation could not be completed as it results in exceeding approved Total Regional Cores quota. ' +
        'Additional details - Deployment Model: Resource Manager, Location: testland, Current Limit: 9, ' +
        'Current Usage: 6, Additional Required: 4, (Minimum) New Limit Required: 10. Submit a request for ' +
        'Quota increase by specifying parameters listed in the ‘Details’ section for deployment to succeed.',
    );
    // Spot VMs count toward the regional quota too (Region API); a 2-vCPU VM still fits.
    expect(allocate(region, vm({ name: 'n-1', size: 'Standard_D2s_v5', zone: '2' }), running).ok).toBe(true);
  });

  it('counts Deallocated VMs toward quota (Azure counts allocated and deallocated cores)', () => {
    const region = testRegion({ quotas: { spotVCPUs: 4 } });
    const deallocated = vms('s', 2, { priority: 'Spot', zone: '1', phase: 'Deallocated' });
    const result = failure(allocate(region, vm({ name: 'n-0', priority: 'Spot', zone: '2' }), deallocated));
    expect(result.quota).toEqual({ name: 'spotVCPUs', limit: 4, used: 4, required: 2 });
  });

  it('refuses Spot past the Spot quota with LowPriorityCores, leaving Regular alone', () => {
    const region = testRegion({ quotas: { spotVCPUs: 2 } });
    const running = [vm({ name: 's-0', priority: 'Spot', zone: '1', phase: 'Running' })];
    const result = failure(allocate(region, vm({ name: 's-1', priority: 'Spot', zone: '2' }), running));
    expect(result.code).toBe('OperationNotAllowed');
    expect(result.message).toContain('exceeding approved LowPriorityCores quota');
    expect(result.message).toContain('Current Limit: 2, Current Usage: 2, Additional Required: 2');
    expect(allocate(region, vm({ name: 'r-0', zone: '2' }), running).ok).toBe(true);
  });

  it('refuses Regular past the family quota, other families and Spot unaffected', () => {
    const region = testRegion({ quotas: { families: { DSv5: 6 } } });
    const running = vms('d', 2, { size: 'Standard_D2s_v5', zone: '1', phase: 'Running' }); // 4 DSv5 vCPUs
    const result = failure(
      allocate(region, vm({ name: 'n-0', size: 'Standard_D4s_v5', zone: '2' }), running),
    );
    expect(result.code).toBe('OperationNotAllowed');
    expect(result.quota).toEqual({ name: 'family/DSv5', limit: 6, used: 4, required: 4 });
    expect(result.message).toContain('exceeding approved standardDSv5Family Cores quota');
    expect(allocate(region, vm({ name: 'n-1', size: 'Standard_E4s_v5', zone: '2' }), running).ok).toBe(true);
    expect(
      allocate(region, vm({ name: 'n-2', size: 'Standard_D4s_v5', zone: '2', priority: 'Spot' }), running).ok,
    ).toBe(true);
  });

  it('checks quota before capacity, as Azure does when it accepts the request', () => {
    const region = testRegion({ quotas: { regionalVCPUs: 6 } });
    const running = vms('web', 3, { zone: '1', phase: 'Running' });
    expect(failure(allocate(region, vm({ name: 'web-3', zone: '1' }), running)).code).toBe(
      'OperationNotAllowed',
    );
  });
});

describe('checkAllocation: injected faults', () => {
  it('fails matching allocations with the fault’s code and says it was simulated', () => {
    const region = testRegion({
      faults: [{ vmSize: 'Standard_D2s_v5', zone: '2', priority: 'Regular', code: 'ZonalAllocationFailed' }],
    });
    const result = failure(allocate(region, vm({ name: 'web-0', zone: '2' })));
    expect(result.code).toBe('ZonalAllocationFailed');
    expect(result.message).toMatch(/\(simulated: spec\.simulation\.faults\[0\]\)$/);
    expect(allocate(region, vm({ name: 'web-1', zone: '1' })).ok).toBe(true);
    expect(allocate(region, vm({ name: 'web-2', zone: '2', priority: 'Spot' })).ok).toBe(true);
    expect(allocate(region, vm({ name: 'web-3', zone: '2', size: 'Standard_E4s_v5' })).ok).toBe(true);
  });

  it('ends a fault at its `until`; a fault without one lasts', () => {
    const region = testRegion({
      faults: [
        { zone: '1', code: 'AllocationFailed', until: at(HOUR).toISOString() },
        { zone: '3', code: 'OverconstrainedAllocationRequest' },
      ],
    });
    expect(failure(allocate(region, vm({ name: 'a-0', zone: '1' }), [], at(HOUR - 1))).code).toBe(
      'AllocationFailed',
    );
    expect(allocate(region, vm({ name: 'a-1', zone: '1' }), [], at(HOUR)).ok).toBe(true);
    const forever = failure(
      allocate(region, vm({ name: 'a-2', zone: '3', priority: 'Spot' }), [], at(1000 * HOUR)),
    );
    expect(forever.code).toBe('OverconstrainedAllocationRequest');
    expect(forever.message).toContain(
      'Constraints applied are: VM Size: Standard_D2s_v5, Availability Zone: 3, Low Priority VMs',
    );
  });

  it('takes the first matching fault in list order', () => {
    const region = testRegion({
      faults: [{ priority: 'Spot', code: 'SkuNotAvailable' }, { code: 'AllocationFailed' }],
    });
    expect(failure(allocate(region, vm({ name: 'a-0', priority: 'Spot' }))).code).toBe('SkuNotAvailable');
    expect(failure(allocate(region, vm({ name: 'a-1' }))).code).toBe('AllocationFailed');
  });

  it('reports an injected quota fault with the quota the VM would hit', () => {
    const region = testRegion({
      faults: [{ code: 'OperationNotAllowed' }],
      quotas: { families: { DSv5: 100 } },
    });
    const running = [vm({ name: 'd-0', phase: 'Running' })];
    expect(failure(allocate(region, vm({ name: 'a-0' }), running)).quota).toEqual({
      name: 'family/DSv5',
      limit: 100,
      used: 2,
      required: 2,
    });
    expect(failure(allocate(region, vm({ name: 'a-1', priority: 'Spot' }), running)).quota).toEqual({
      name: 'spotVCPUs',
      limit: 0,
      used: 0,
      required: 2,
    });
  });

  it('never makes a size exist: static checks come first', () => {
    const region = testRegion({ faults: [{ code: 'AllocationFailed' }] });
    expect(failure(allocate(region, vm({ name: 'a-0', size: 'Standard_M128s' }))).code).toBe(
      'SkuNotAvailable',
    );
  });
});
