// Groups as the scenarios create and change them, and snapshots of everything the operator owns, read
// straight from the API server as the admin (never from the operator's cache).
import { API_GROUP_VERSION, type Instance, type Region, type RegionSpec } from '../../../src/api/index.ts';
import { COMPUTEFLEETS, INSTANCES, REGIONS, SCALESETS } from '../../../src/controllers/resources.ts';
import type { KubeClient, ResourceType } from '../../../src/runtime/index.ts';
import { regionFixture, type RegionOptions } from '../../support/region-fixture.ts';

export type GroupKind = 'ScaleSet' | 'ComputeFleet';

export interface GroupRef {
  kind: GroupKind;
  namespace: string;
  name: string;
}

export function resourceOf(kind: GroupKind): ResourceType {
  return kind === 'ScaleSet' ? SCALESETS : COMPUTEFLEETS;
}

export const groupKey = (g: GroupRef): string => `${g.kind}/${g.namespace}/${g.name}`;

/** A copy of the built-in catalogue: VMs run at once, no quotas; `options` edit it (e.g. capacityFactor). */
export function regionManifest(name: string, options: RegionOptions = {}): Region {
  return regionFixture(name, { provisioningDelay: '0s', quotas: {}, ...options });
}

export interface GroupManifest {
  apiVersion: string;
  kind: GroupKind;
  metadata: { name: string; namespace: string };
  spec: Record<string, unknown>;
}

/** A Uniform ScaleSet over three zones. */
export function scaleSet(
  ref: Omit<GroupRef, 'kind'>,
  region: string,
  capacity: number,
  extra: Record<string, unknown> = {},
): GroupManifest {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: 'ScaleSet',
    metadata: { name: ref.name, namespace: ref.namespace },
    spec: {
      region,
      orchestrationMode: 'Uniform',
      vmSize: 'Standard_D2s_v5',
      zones: ['1', '2', '3'],
      capacity,
      ...extra,
    },
  };
}

const FLEET_SIZES = ['Standard_D2s_v5', 'Standard_D2as_v5', 'Standard_D4s_v5', 'Standard_D4as_v5'];

/** A ComputeFleet with independent Regular and Spot targets (VMs), balanced over three zones. */
export function computeFleet(
  ref: Omit<GroupRef, 'kind'>,
  region: string,
  regular: number,
  spot: number,
  extra: Record<string, unknown> = {},
): GroupManifest {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: 'ComputeFleet',
    metadata: { name: ref.name, namespace: ref.namespace },
    spec: {
      region,
      zones: ['1', '2', '3'],
      zoneAllocationPolicy: { distributionStrategy: 'Balanced' },
      vmSizes: FLEET_SIZES.map((name) => ({ name })),
      regular: { capacity: regular, allocationStrategy: 'LowestPrice' },
      spot: { capacity: spot, allocationStrategy: 'PriceCapacityOptimized', evictionPolicy: 'Delete' },
      ...extra,
    },
  };
}

export function refOf(manifest: GroupManifest): GroupRef {
  return { kind: manifest.kind, namespace: manifest.metadata.namespace, name: manifest.metadata.name };
}

/** The group's target in VMs as its spec says (ScaleSet capacity; fleet Regular + Spot). */
export function targetOf(group: GroupObjectView): number {
  const spec = group.spec as {
    capacity?: number;
    regular?: { capacity?: number };
    spot?: { capacity?: number };
  };
  if (group.kind === 'ScaleSet') return spec.capacity ?? 0;
  return (spec.regular?.capacity ?? 0) + (spec.spot?.capacity ?? 0);
}

/** Sets a group's target: the scale subresource's field for a ScaleSet, Regular/Spot for a fleet. */
export async function setTarget(
  admin: KubeClient,
  ref: GroupRef,
  target: number | { regular: number; spot: number },
): Promise<void> {
  const body =
    typeof target === 'number'
      ? ref.kind === 'ScaleSet'
        ? { spec: { capacity: target } }
        : { spec: { regular: { capacity: target }, spot: { capacity: 0 } } }
      : { spec: { regular: { capacity: target.regular }, spot: { capacity: target.spot } } };
  await admin.patch(resourceOf(ref.kind), ref, { type: 'merge', body });
}

// ---------------------------------------------------------------------------------------------------
// Snapshots

export interface ConditionView {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

export interface GroupObjectView {
  kind: GroupKind;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation: number;
    deletionTimestamp?: string;
  };
  spec: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: ConditionView[];
    capacity?: number;
    readyInstances?: number;
    regular?: { target: number; fulfilled: number; instances: number };
    spot?: { target: number; fulfilled: number; instances: number };
    plan?: { creates?: unknown[]; deletes?: unknown[] };
  };
}

export interface RegionView {
  metadata: { name: string; generation: number };
  spec: RegionSpec;
  status?: {
    observedGeneration?: number;
    instances?: number;
    usage?: { vmSize: string; zone: string; priority: string; count: number; vCPUs: number }[];
    quotaUsage?: { name: string; used: number; limit?: number }[];
  };
}

export interface Snapshot {
  groups: GroupObjectView[];
  instances: Instance[];
  regions: RegionView[];
}

/** Every object of a kind, page by page (a consistent list per page, as kubectl does). */
export async function listAll(
  admin: KubeClient,
  resource: ResourceType,
  namespace?: string,
): Promise<unknown[]> {
  const items: unknown[] = [];
  let continueToken: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const result = await admin.list(resource, { namespace, limit: 2_000, continueToken });
    items.push(...result.items);
    continueToken = result.continueToken;
    if (continueToken === undefined) return items;
  }
  throw new Error(`listing ${resource.plural} did not end`);
}

export async function snapshot(admin: KubeClient, namespace?: string): Promise<Snapshot> {
  const [scaleSets, fleets, instances, regions] = await Promise.all([
    listAll(admin, SCALESETS, namespace),
    listAll(admin, COMPUTEFLEETS, namespace),
    listAll(admin, INSTANCES, namespace),
    listAll(admin, REGIONS),
  ]);
  return {
    groups: [
      ...(scaleSets as Omit<GroupObjectView, 'kind'>[]).map((g) => ({ ...g, kind: 'ScaleSet' as const })),
      ...(fleets as Omit<GroupObjectView, 'kind'>[]).map((g) => ({ ...g, kind: 'ComputeFleet' as const })),
    ],
    instances: instances as Instance[],
    regions: regions as RegionView[],
  };
}

export function phaseOf(instance: Instance): string {
  return instance.status?.phase ?? 'Pending';
}
