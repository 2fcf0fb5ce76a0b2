import { test } from 'vitest';
import { plan } from '../../../src/engine/index.ts';
import type { PlanInput } from '../../../src/engine/types.ts';
test('repro', () => {
  const input = {"spec":{"kind":"ComputeFleet","zones":["1","2"],"zonePolicy":{"kind":"Balanced","strict":false},"sizes":{"kind":"List","sizes":[{"name":"Standard_D2s_v5","rank":0}]},"capacityUnit":"VCpu","platformFaultDomainCount":1,"scaleInRule":"Default","limits":{"maxInstances":10000,"maxSizes":15},"modelHash":"m1","regular":{"capacity":1,"minCapacity":0,"allocationStrategy":"LowestPrice"},"spot":{"capacity":7,"minCapacity":0,"allocationStrategy":"PriceCapacityOptimized","maintain":true,"lostToEviction":0}},"region":{"zones":[{"name":"1","faultDomains":1,"available":true},{"name":"2","faultDomains":1,"available":true}],"sizes":[{"name":"Standard_D2s_v5","family":"DSv5","vCPUs":2,"memoryGiB":8,"architecture":"x64","category":"GeneralPurpose","burstable":false,"spotCapable":true}],"pools":[{"size":"Standard_D2s_v5","zone":"1","priority":"Regular","pricePerHour":0.01,"free":1},{"size":"Standard_D2s_v5","zone":"1","priority":"Spot","pricePerHour":0.0025,"free":3},{"size":"Standard_D2s_v5","zone":"2","priority":"Regular","pricePerHour":0.01,"free":0},{"size":"Standard_D2s_v5","zone":"2","priority":"Spot","pricePerHour":0.0025,"free":1}],"quota":{}},"current":[],"unavailable":[],"now":1795435200000} as unknown as PlanInput;
  const t = performance.now();
  const p = plan(input);
  console.log(performance.now() - t, JSON.stringify(p.creates), JSON.stringify(p.outcomes), p.provenOptimal);
});
