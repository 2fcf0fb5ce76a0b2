// A small Region and an Instance factory for the cloud layer's tests. Small capacities so that every
// limit is reached in a handful of VMs.
import {
  API_GROUP_VERSION,
  Instance,
  type InstancePhase,
  type Priority,
  type Region,
} from '../../../src/api/index.ts';
import {
  regionFixture,
  type RegionFixtureOptions,
  type RegionOptions,
} from '../../support/region-fixture.ts';

export const T0 = new Date('2030-01-01T00:00:00.000Z');

export function at(offsetMs: number): Date {
  return new Date(T0.getTime() + offsetMs);
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** The edits the cloud tests make; `capacity` replaces a size's capacity rows. */
export type RegionOverrides = Omit<RegionOptions, 'capacity' | 'capacityRows'> & {
  /** Per size: replaces its capacity rows. */
  capacity?: RegionOptions['capacityRows'];
};

/**
 * Zones 1, 2 (5 fault domains) and 3 (3 fault domains). Sizes:
 * - D2s_v5 (DSv5, 2 vCPUs, 0.10 $/h, Spot 0.02; zone 3 Spot 0.03): Regular 3/3/3, Spot 2/2/2
 * - D4s_v5 (DSv5, 4 vCPUs, 0.20 $/h, Spot 0.04): Regular 2/2/0, Spot 1/1/0 (no zone 3 row)
 * - E4s_v5 (ESv5, 4 vCPUs, 0.25 $/h, Spot 0.05): Regular 2/2/2, Spot 2/2/2
 * - B2s (BS, burstable, 2 vCPUs, 0.04 $/h): Regular 5/5/5, never Spot
 * VMs boot in 5 s, no quotas, no evictions, seed 42.
 */
const TESTLAND: RegionFixtureOptions['base'] = {
  zones: [
    { name: '1', faultDomains: 5 },
    { name: '2', faultDomains: 5 },
    { name: '3', faultDomains: 3 },
  ],
  vmSizes: [
    {
      name: 'Standard_D2s_v5',
      family: 'DSv5',
      vCPUs: 2,
      memoryGiB: 8,
      pricePerHour: 0.1,
      spotPricePerHour: 0.02,
      capacity: [
        { zone: '1', regular: 3, spot: 2 },
        { zone: '2', regular: 3, spot: 2 },
        { zone: '3', regular: 3, spot: 2, spotPricePerHour: 0.03 },
      ],
    },
    {
      name: 'Standard_D4s_v5',
      family: 'DSv5',
      vCPUs: 4,
      memoryGiB: 16,
      pricePerHour: 0.2,
      spotPricePerHour: 0.04,
      capacity: [
        { zone: '1', regular: 2, spot: 1 },
        { zone: '2', regular: 2, spot: 1 },
      ],
    },
    {
      name: 'Standard_E4s_v5',
      family: 'ESv5',
      vCPUs: 4,
      memoryGiB: 32,
      category: 'MemoryOptimized',
      pricePerHour: 0.25,
      spotPricePerHour: 0.05,
      capacity: [
        { zone: '1', regular: 2, spot: 2 },
        { zone: '2', regular: 2, spot: 2 },
        { zone: '3', regular: 2, spot: 2 },
      ],
    },
    {
      name: 'Standard_B2s',
      family: 'BS',
      vCPUs: 2,
      memoryGiB: 4,
      burstable: true,
      spotCapable: false,
      pricePerHour: 0.04,
      capacity: [
        { zone: '1', regular: 5, spot: 0 },
        { zone: '2', regular: 5, spot: 0 },
        { zone: '3', regular: 5, spot: 0 },
      ],
    },
  ],
  quotas: {},
  simulation: { provisioningDelay: '5s', spotEvictionRatePerHour: 0, seed: 42, faults: [] },
};

/** The small catalogue above, named testland, with `overrides` applied. */
export function testRegion(overrides: RegionOverrides = {}): Region {
  const { capacity, ...options } = overrides;
  return regionFixture('testland', {
    base: TESTLAND,
    ...options,
    ...(capacity === undefined ? {} : { capacityRows: capacity }),
  });
}

export interface VmOptions {
  name: string;
  namespace?: string;
  uid?: string;
  size?: string;
  zone?: string;
  priority?: Priority;
  /** undefined = no status at all (a freshly created Instance). */
  phase?: InstancePhase;
  instanceId?: number;
  maxPricePerHour?: number;
  launchedAt?: Date;
  createdAt?: Date;
  deleting?: boolean;
}

export function vm(options: VmOptions): Instance {
  const priority = options.priority ?? 'Regular';
  const instanceId = options.instanceId ?? Number(/(\d+)$/.exec(options.name)?.[1] ?? 0);
  return Instance.parse({
    apiVersion: API_GROUP_VERSION,
    kind: 'Instance',
    metadata: {
      name: options.name,
      namespace: options.namespace ?? 'default',
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.createdAt ? { creationTimestamp: options.createdAt.toISOString() } : {}),
      ...(options.deleting ? { deletionTimestamp: T0.toISOString() } : {}),
    },
    spec: {
      region: 'testland',
      instanceId,
      vmSize: options.size ?? 'Standard_D2s_v5',
      zone: options.zone ?? '1',
      faultDomain: 0,
      priority,
      ...(priority === 'Spot'
        ? {
            evictionPolicy: 'Deallocate',
            ...(options.maxPricePerHour === undefined ? {} : { maxPricePerHour: options.maxPricePerHour }),
          }
        : {}),
    },
    ...(options.phase === undefined
      ? {}
      : {
          status: {
            phase: options.phase,
            ...(options.launchedAt ? { launchedAt: options.launchedAt.toISOString() } : {}),
          },
        }),
  });
}

/** `count` Instances named `<prefix>-<i>` with the same options. */
export function vms(prefix: string, count: number, options: Omit<VmOptions, 'name'> = {}): Instance[] {
  return Array.from({ length: count }, (_, i) => vm({ ...options, name: `${prefix}-${i}`, instanceId: i }));
}

/** The same Instance as the cache would show it after the controller wrote the status. */
export function withPhase(instance: Instance, phase: InstancePhase): Instance {
  return { ...instance, status: { ...instance.status, phase } };
}
