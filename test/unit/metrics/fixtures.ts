// A hand-built world for the metrics tests: one Region, one ScaleSet, one ComputeFleet and their Instances,
// each passed through its zod schema so the defaults the controllers would see apply.
import {
  API_GROUP_VERSION,
  ComputeFleet,
  INSTANCE_LABELS,
  Instance,
  ScaleSet,
  type InstancePhase,
  type Priority,
} from '../../../src/api/index.ts';
import { regionFixture } from '../../support/region-fixture.ts';

export const REGION = regionFixture('eastus', {
  base: {
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
        pricePerHour: 0.096,
        spotPricePerHour: 0.0192,
        capacity: [
          { zone: '1', regular: 100, spot: 50 },
          { zone: '2', regular: 100, spot: 50 },
          { zone: '3', regular: 100, spot: 50, spotPricePerHour: 0.02112 },
        ],
      },
      {
        name: 'Standard_D4s_v5',
        family: 'DSv5',
        vCPUs: 4,
        memoryGiB: 16,
        pricePerHour: 0.192,
        spotPricePerHour: 0.0384,
        capacity: [
          { zone: '1', regular: 10, spot: 5 },
          { zone: '2', regular: 10, spot: 5 },
        ],
      },
      {
        name: 'Standard_B2s',
        family: 'BS',
        vCPUs: 2,
        memoryGiB: 4,
        burstable: true,
        spotCapable: false,
        pricePerHour: 0.0416,
        capacity: [{ zone: '1', regular: 4, spot: 0 }],
      },
    ],
  },
});

/** ScaleSet default/web: zones 1–3, max spreading (5, 5 and 3 fault domains), 6 Regular D2s_v5. */
export const WEB = ScaleSet.parse({
  apiVersion: API_GROUP_VERSION,
  kind: 'ScaleSet',
  metadata: { name: 'web', namespace: 'default' },
  spec: { zones: ['1', '2', '3'], capacity: 6, vmSize: 'Standard_D2s_v5' },
});

/** ComputeFleet batch/jobs: zones 1–2, 2 Regular + 4 Spot over two sizes. */
export const JOBS = ComputeFleet.parse({
  apiVersion: API_GROUP_VERSION,
  kind: 'ComputeFleet',
  metadata: { name: 'jobs', namespace: 'batch' },
  spec: {
    zones: ['1', '2'],
    vmSizes: [{ name: 'Standard_D2s_v5' }, { name: 'Standard_D4s_v5' }],
    regular: { capacity: 2 },
    spot: { capacity: 4 },
  },
});

interface InstanceSpec {
  vmSize?: string;
  zone: string;
  faultDomain: number;
  priority?: Priority;
  phase?: InstancePhase;
  price?: number;
  deleting?: boolean;
}

export function instanceOf(owner: ScaleSet | ComputeFleet, instanceId: number, spec: InstanceSpec): Instance {
  const priority = spec.priority ?? 'Regular';
  const ownerLabel = owner.kind === 'ScaleSet' ? INSTANCE_LABELS.scaleSet : INSTANCE_LABELS.computeFleet;
  return Instance.parse({
    apiVersion: API_GROUP_VERSION,
    kind: 'Instance',
    metadata: {
      name: `${owner.metadata.name}-${instanceId}`,
      namespace: owner.metadata.namespace,
      labels: { [ownerLabel]: owner.metadata.name },
      ...(spec.deleting ? { deletionTimestamp: '2026-11-01T00:00:00Z' } : {}),
    },
    spec: {
      region: 'eastus',
      instanceId,
      vmSize: spec.vmSize ?? 'Standard_D2s_v5',
      zone: spec.zone,
      faultDomain: spec.faultDomain,
      priority,
      ...(priority === 'Spot' ? { evictionPolicy: 'Delete' } : {}),
    },
    status: {
      phase: spec.phase ?? 'Running',
      ...(spec.price === undefined ? {} : { pricePerHour: spec.price }),
    },
  });
}

/**
 * web: zone 1 holds 3 Running (fault domains 0, 1, 0), zone 2 holds 1 Running and 1 Failed (placed until
 * replaced), zone 3 holds 1 Provisioning; plus a Running VM being deleted (neither placed nor billed).
 * jobs: 2 Regular D4s_v5 in zone 1, 3 Spot D2s_v5 in zone 2, 1 Deallocated Spot in zone 1.
 */
export const INSTANCES: Instance[] = [
  instanceOf(WEB, 0, { zone: '1', faultDomain: 0, price: 0.096 }),
  instanceOf(WEB, 1, { zone: '1', faultDomain: 1, price: 0.096 }),
  instanceOf(WEB, 2, { zone: '1', faultDomain: 0, price: 0.096 }),
  instanceOf(WEB, 3, { zone: '2', faultDomain: 0, price: 0.096 }),
  instanceOf(WEB, 4, { zone: '3', faultDomain: 2, phase: 'Provisioning' }),
  instanceOf(WEB, 5, { zone: '2', faultDomain: 1, phase: 'Failed' }),
  instanceOf(WEB, 6, { zone: '3', faultDomain: 0, price: 0.096, deleting: true }),
  instanceOf(JOBS, 0, { vmSize: 'Standard_D4s_v5', zone: '1', faultDomain: 0, price: 0.192 }),
  instanceOf(JOBS, 1, { vmSize: 'Standard_D4s_v5', zone: '1', faultDomain: 1, price: 0.192 }),
  instanceOf(JOBS, 2, { zone: '2', faultDomain: 0, priority: 'Spot', price: 0.0192 }),
  instanceOf(JOBS, 3, { zone: '2', faultDomain: 1, priority: 'Spot', price: 0.0192 }),
  instanceOf(JOBS, 4, { zone: '2', faultDomain: 2, priority: 'Spot', price: 0.0192 }),
  instanceOf(JOBS, 5, { zone: '1', faultDomain: 2, priority: 'Spot', phase: 'Deallocated' }),
];
