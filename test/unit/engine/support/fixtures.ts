// Small builders for engine inputs, so each test states only what its rule is about.
import { fleetLimits, scaleSetLimits } from '../../../../src/engine/limits.ts';
import type {
  ComputeFleetGroupSpec,
  CurrentInstance,
  PlanInput,
  PoolInfo,
  Priority,
  RegionInput,
  ScaleSetGroupSpec,
  SizeInfo,
  ZoneInfo,
} from '../../../../src/engine/types.ts';

export const NOW = Date.parse('2026-11-23T12:00:00Z');

export function size(name: string, vCPUs: number, extra: Partial<SizeInfo> = {}): SizeInfo {
  return {
    name,
    family: extra.family ?? name.replace(/^Standard_/, '').replace(/\d+/, ''),
    vCPUs,
    memoryGiB: vCPUs * 4,
    architecture: 'x64',
    category: 'GeneralPurpose',
    burstable: false,
    spotCapable: true,
    ...extra,
  };
}

export function zones(names: readonly string[], faultDomains = 3): ZoneInfo[] {
  return names.map((name) => ({ name, faultDomains, available: true }));
}

export function pool(
  sizeName: string,
  zone: string,
  priority: Priority,
  pricePerHour: number,
  free: number,
): PoolInfo {
  return { size: sizeName, zone, priority, pricePerHour, free };
}

export function region(partial: Partial<RegionInput> & Pick<RegionInput, 'sizes' | 'pools'>): RegionInput {
  return { zones: zones(['1', '2', '3']), quota: {}, ...partial };
}

export function scaleSet(partial: Partial<ScaleSetGroupSpec> = {}): ScaleSetGroupSpec {
  return {
    kind: 'ScaleSet',
    zones: ['1', '2', '3'],
    zonePolicy: { kind: 'Balanced', strict: false },
    sizes: { kind: 'List', sizes: [{ name: 'Standard_D2s_v5', rank: 0 }] },
    capacityUnit: 'VM',
    platformFaultDomainCount: 1,
    scaleInRule: 'Default',
    limits: scaleSetLimits({
      orchestrationMode: 'Flexible',
      imageSource: 'Marketplace',
      singlePlacementGroup: false,
    }),
    modelHash: 'm1',
    capacity: 0,
    priority: 'Regular',
    allocationStrategy: 'LowestPrice',
    spotMaxPricePerHour: -1,
    ...partial,
  };
}

export function fleet(partial: Partial<ComputeFleetGroupSpec> = {}): ComputeFleetGroupSpec {
  return {
    kind: 'ComputeFleet',
    zones: ['1', '2', '3'],
    zonePolicy: { kind: 'Balanced', strict: false },
    sizes: { kind: 'List', sizes: [{ name: 'Standard_D2s_v5', rank: 0 }] },
    capacityUnit: 'VM',
    platformFaultDomainCount: 1,
    scaleInRule: 'Default',
    limits: fleetLimits(),
    modelHash: 'm1',
    ...partial,
  };
}

let nextId = 1000;

export function instance(partial: Partial<CurrentInstance> & Pick<CurrentInstance, 'zone'>): CurrentInstance {
  return {
    id: partial.id ?? nextId++,
    size: 'Standard_D2s_v5',
    faultDomain: 0,
    priority: 'Regular',
    phase: 'Running',
    protectedFromScaleIn: false,
    protectedFromScaleSetActions: false,
    modelHash: 'm1',
    ...partial,
  };
}

export function input(partial: Partial<PlanInput> & Pick<PlanInput, 'spec' | 'region'>): PlanInput {
  return { current: [], unavailable: [], now: NOW, ...partial };
}

/** Creates per zone, summed over sizes, fault domains and priorities. */
export function perZone(creates: readonly { zone: string; count: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of creates) out[c.zone] = (out[c.zone] ?? 0) + c.count;
  return out;
}

/** Creates per size name. */
export function perSize(creates: readonly { size: string; count: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of creates) out[c.size] = (out[c.size] ?? 0) + c.count;
  return out;
}

/** One pool per zone for each (size, priority, price, free) row. */
export function poolsIn(
  zoneNames: readonly string[],
  rows: readonly (readonly [string, Priority, number, number])[],
): PoolInfo[] {
  return zoneNames.flatMap((zone) =>
    rows.map(([s, priority, price, free]) => pool(s, zone, priority, price, free)),
  );
}

/** Running instances in a zone with the given ids (fault domain 0 unless given). */
export function running(
  zone: string,
  ids: readonly number[],
  partial: Partial<CurrentInstance> = {},
): CurrentInstance[] {
  return ids.map((id) => instance({ zone, id, ...partial }));
}

export function totalCreated(creates: readonly { count: number }[]): number {
  return creates.reduce((sum, c) => sum + c.count, 0);
}
