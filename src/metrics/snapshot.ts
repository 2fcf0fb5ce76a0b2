// Computes every state gauge's samples from one read of the caches. Pure: same state and time, same
// samples; the prom-client gauges only copy them (./state-gauges.ts).
import type { ComputeFleet, Instance, Priority, Region, RegionVmSize, ScaleSet } from '../api/index.ts';
import type { DeepReadonly } from '../runtime/objects.ts';
import { STATE_METRICS } from './definitions.ts';
import {
  capacityTypeOf,
  groupKey,
  groupOfInstance,
  isBilled,
  isPlaced,
  isReady,
  type CapacityType,
  type GroupRef,
} from './groups.ts';
import { SeriesSet, type Sample } from './series.ts';
import { eligibleCells, placementGrid, spreadOf, type SpreadPolicy } from './spread.ts';
import type { FleetStateSource } from './state.ts';

type StateMetrics = typeof STATE_METRICS;
type LabelNameOf<K extends keyof StateMetrics> = StateMetrics[K]['labelNames'][number];

export type StateSeries = {
  readonly [K in keyof StateMetrics]: readonly Sample<LabelNameOf<K>>[];
};

/** A group the caches hold now, with the capacity types its spec uses. */
export interface LiveGroup {
  readonly ref: GroupRef;
  readonly capacityTypes: readonly CapacityType[];
}

export interface StateSnapshot {
  readonly series: StateSeries;
  readonly groups: readonly LiveGroup[];
}

/** What the state gauges need to know about one group. Orphans (group gone, instances left) have no spec. */
interface GroupView {
  readonly ref: GroupRef;
  readonly spec?: {
    readonly region: string;
    readonly policy: SpreadPolicy;
    readonly capacityTypes: readonly CapacityType[];
    readonly desiredInstances?: number;
    readonly desiredVcpus?: number;
  };
  readonly instances: DeepReadonly<Instance>[];
}

function scaleSetView(set: DeepReadonly<ScaleSet>): GroupView {
  const { spec } = set;
  // A Spot set with a priority mix holds Regular VMs too.
  const capacityTypes: CapacityType[] =
    spec.priority === 'Spot'
      ? spec.priorityMix === undefined
        ? ['spot']
        : ['regular', 'spot']
      : ['regular'];
  return {
    ref: { namespace: set.metadata.namespace ?? '', kind: 'ScaleSet', name: set.metadata.name },
    spec: { region: spec.region, policy: spec, capacityTypes, desiredInstances: spec.capacity },
    instances: [],
  };
}

function computeFleetView(fleet: DeepReadonly<ComputeFleet>): GroupView {
  const { spec } = fleet;
  const capacityTypes: CapacityType[] = [
    ...(spec.regular === undefined ? [] : ['regular' as const]),
    ...(spec.spot === undefined ? [] : ['spot' as const]),
  ];
  const target = (spec.regular?.capacity ?? 0) + (spec.spot?.capacity ?? 0);
  return {
    ref: { namespace: fleet.metadata.namespace ?? '', kind: 'ComputeFleet', name: fleet.metadata.name },
    spec: {
      region: spec.region,
      policy: spec,
      capacityTypes,
      ...(spec.capacityType === 'VCpu' ? { desiredVcpus: target } : { desiredInstances: target }),
    },
    instances: [],
  };
}

/** Groups from the caches, each with its Instances; Instances of unknown groups form orphan views. */
function groupViews(state: FleetStateSource): GroupView[] {
  const views = new Map<string, GroupView>();
  for (const view of [
    ...state.scaleSets().map(scaleSetView),
    ...state.computeFleets().map(computeFleetView),
  ]) {
    views.set(groupKey(view.ref), view);
  }
  for (const instance of state.instances()) {
    const ref = groupOfInstance(instance);
    if (ref === undefined) continue;
    const key = groupKey(ref);
    let view = views.get(key);
    if (view === undefined) {
      view = { ref, instances: [] };
      views.set(key, view);
    }
    view.instances.push(instance);
  }
  return [...views.values()];
}

interface RegionIndex {
  readonly region: DeepReadonly<Region>;
  readonly sizes: ReadonlyMap<string, DeepReadonly<RegionVmSize>>;
}

function indexRegions(regions: readonly DeepReadonly<Region>[]): Map<string, RegionIndex> {
  return new Map(
    regions.map((region) => [
      region.metadata.name,
      { region, sizes: new Map(region.spec.vmSizes.map((size) => [size.name, size])) },
    ]),
  );
}

/** Catalogue price (USD/h) of one VM of `size` in `zone`; undefined for Spot on a size that has no Spot. */
export function offeringPrice(
  size: DeepReadonly<RegionVmSize>,
  zone: string,
  priority: Priority,
): number | undefined {
  if (priority === 'Regular') return size.pricePerHour;
  if (!size.spotCapable) return undefined;
  return size.capacity.find((c) => c.zone === zone)?.spotPricePerHour ?? size.spotPricePerHour;
}

function sizeOf(regions: ReadonlyMap<string, RegionIndex>, instance: DeepReadonly<Instance>) {
  return regions.get(instance.spec.region)?.sizes.get(instance.spec.vmSize);
}

/**
 * The price a Running instance is billed at: its status.pricePerHour (what the provider charged), else the
 * catalogue price of its pool, else 0 (unknown size: better a visible gap than an invented price).
 */
function billedPrice(regions: ReadonlyMap<string, RegionIndex>, instance: DeepReadonly<Instance>): number {
  const size = sizeOf(regions, instance);
  const catalogue = size && offeringPrice(size, instance.spec.zone, instance.spec.priority);
  return instance.status?.pricePerHour ?? catalogue ?? 0;
}

class Snapshot {
  readonly instances = new SeriesSet<LabelNameOf<'instances'>>();
  readonly readyInstances = new SeriesSet<LabelNameOf<'readyInstances'>>();
  readonly desiredInstances = new SeriesSet<LabelNameOf<'desiredInstances'>>();
  readonly desiredVcpus = new SeriesSet<LabelNameOf<'desiredVcpus'>>();
  readonly vcpus = new SeriesSet<LabelNameOf<'vcpus'>>();
  readonly hourlyCost = new SeriesSet<LabelNameOf<'hourlyCost'>>();
  readonly regularEquivalentHourlyCost = new SeriesSet<LabelNameOf<'regularEquivalentHourlyCost'>>();
  readonly zoneSkew = new SeriesSet<LabelNameOf<'zoneSkew'>>();
  readonly faultDomainSkew = new SeriesSet<LabelNameOf<'faultDomainSkew'>>();
  readonly largestZoneShare = new SeriesSet<LabelNameOf<'largestZoneShare'>>();
  readonly offeringHourlyPrice = new SeriesSet<LabelNameOf<'offeringHourlyPrice'>>();
  readonly offeringAvailableCapacity = new SeriesSet<LabelNameOf<'offeringAvailableCapacity'>>();
  readonly unavailableOfferings = new SeriesSet<LabelNameOf<'unavailableOfferings'>>();
  readonly unavailableOfferingExpiry = new SeriesSet<LabelNameOf<'unavailableOfferingExpiry'>>();

  series(): StateSeries {
    return {
      instances: this.instances.samples(),
      readyInstances: this.readyInstances.samples(),
      desiredInstances: this.desiredInstances.samples(),
      desiredVcpus: this.desiredVcpus.samples(),
      vcpus: this.vcpus.samples(),
      hourlyCost: this.hourlyCost.samples(),
      regularEquivalentHourlyCost: this.regularEquivalentHourlyCost.samples(),
      zoneSkew: this.zoneSkew.samples(),
      faultDomainSkew: this.faultDomainSkew.samples(),
      largestZoneShare: this.largestZoneShare.samples(),
      offeringHourlyPrice: this.offeringHourlyPrice.samples(),
      offeringAvailableCapacity: this.offeringAvailableCapacity.samples(),
      unavailableOfferings: this.unavailableOfferings.samples(),
      unavailableOfferingExpiry: this.unavailableOfferingExpiry.samples(),
    };
  }
}

function addGroup(out: Snapshot, view: GroupView, regions: ReadonlyMap<string, RegionIndex>): void {
  const group = { namespace: view.ref.namespace, kind: view.ref.kind, name: view.ref.name };
  const spec = view.spec;
  const region = spec && regions.get(spec.region);
  const cells = spec ? eligibleCells(spec.policy, region?.region.spec) : new Map<string, number[]>();

  // Zero-fill every eligible cell for every capacity type the group uses, so min/max/skew in PromQL see
  // empty zones and fault domains, and rates and sums see both capacity types from the start.
  for (const capacityType of spec?.capacityTypes ?? []) {
    out.readyInstances.add({ ...group, capacity_type: capacityType }, 0);
    out.vcpus.add({ ...group, capacity_type: capacityType }, 0);
    for (const [zone, faultDomains] of cells) {
      out.hourlyCost.add({ ...group, zone, capacity_type: capacityType }, 0);
      out.regularEquivalentHourlyCost.add({ ...group, zone, capacity_type: capacityType }, 0);
      for (const fd of faultDomains) {
        out.instances.add({ ...group, zone, fault_domain: String(fd), capacity_type: capacityType }, 0);
      }
    }
  }

  const placed = view.instances.filter(isPlaced);
  for (const instance of placed) {
    const capacityType = capacityTypeOf(instance.spec.priority);
    const { zone, faultDomain } = instance.spec;
    out.instances.add({ ...group, zone, fault_domain: String(faultDomain), capacity_type: capacityType }, 1);
    out.vcpus.add({ ...group, capacity_type: capacityType }, sizeOf(regions, instance)?.vCPUs ?? 0);
  }
  for (const instance of view.instances.filter(isReady)) {
    out.readyInstances.add({ ...group, capacity_type: capacityTypeOf(instance.spec.priority) }, 1);
  }
  for (const instance of view.instances.filter(isBilled)) {
    const labels = {
      ...group,
      zone: instance.spec.zone,
      capacity_type: capacityTypeOf(instance.spec.priority),
    };
    const price = billedPrice(regions, instance);
    out.hourlyCost.add(labels, price);
    out.regularEquivalentHourlyCost.add(labels, sizeOf(regions, instance)?.pricePerHour ?? price);
  }

  if (spec === undefined) return;
  if (spec.desiredInstances !== undefined) out.desiredInstances.add(group, spec.desiredInstances);
  if (spec.desiredVcpus !== undefined) out.desiredVcpus.add(group, spec.desiredVcpus);
  const spread = spreadOf(
    placementGrid(
      cells,
      placed.map((instance) => instance.spec),
    ),
  );
  out.zoneSkew.add(group, spread.zoneSkew);
  out.faultDomainSkew.add(group, spread.faultDomainSkew);
  out.largestZoneShare.add(group, spread.largestZoneShare);
}

/** VMs per size × zone × priority held in a region: its status.usage, else counted from the Instances. */
function regionUsage(
  index: RegionIndex,
  instances: readonly DeepReadonly<Instance>[],
): (size: string, zone: string, priority: Priority) => number {
  const key = (size: string, zone: string, priority: Priority) => `${size}\u0000${zone}\u0000${priority}`;
  const usage = new Map<string, number>();
  const reported = index.region.status?.usage;
  if (reported !== undefined) {
    for (const pool of reported) usage.set(key(pool.vmSize, pool.zone, pool.priority), pool.count);
  } else {
    for (const instance of instances) {
      // Failed VMs never got compute; deallocated ones gave it back to the region.
      if (instance.spec.region !== index.region.metadata.name) continue;
      const phase = instance.status?.phase;
      if (!isPlaced(instance) || phase === 'Failed' || phase === 'Deallocated') continue;
      const k = key(instance.spec.vmSize, instance.spec.zone, instance.spec.priority);
      usage.set(k, (usage.get(k) ?? 0) + 1);
    }
  }
  return (size, zone, priority) => usage.get(key(size, zone, priority)) ?? 0;
}

function addRegion(out: Snapshot, index: RegionIndex, instances: readonly DeepReadonly<Instance>[]): void {
  const { region } = index;
  const used = regionUsage(index, instances);
  const availableZones = new Set(region.spec.zones.filter((z) => z.available).map((z) => z.name));
  for (const size of region.spec.vmSizes) {
    for (const pool of size.capacity) {
      for (const priority of ['Regular', 'Spot'] as const) {
        const price = offeringPrice(size, pool.zone, priority);
        if (price === undefined) continue;
        const labels = {
          kind: 'Region',
          name: region.metadata.name,
          vm_size: size.name,
          zone: pool.zone,
          capacity_type: capacityTypeOf(priority),
        };
        const capacity = priority === 'Regular' ? pool.regular : pool.spot;
        const free = availableZones.has(pool.zone)
          ? Math.max(0, capacity - used(size.name, pool.zone, priority))
          : 0;
        out.offeringHourlyPrice.add(labels, price);
        out.offeringAvailableCapacity.add(labels, free);
      }
    }
  }
}

function addUnavailableOfferings(out: Snapshot, state: FleetStateSource, nowMs: number): void {
  for (const offering of state.unavailableOfferings()) {
    const untilMs = Date.parse(offering.until);
    if (untilMs <= nowMs) continue;
    const labels = {
      kind: 'Region',
      name: offering.region ?? '',
      vm_size: offering.vmSize,
      zone: offering.zone,
      capacity_type: capacityTypeOf(offering.priority),
      reason: offering.code,
    };
    out.unavailableOfferings.max(labels, 1);
    out.unavailableOfferingExpiry.max(labels, untilMs / 1000);
  }
}

export function computeStateSnapshot(state: FleetStateSource, nowMs: number): StateSnapshot {
  const out = new Snapshot();
  const regions = indexRegions(state.regions());
  const views = groupViews(state);
  for (const view of views) addGroup(out, view, regions);
  const instances = state.instances();
  for (const index of regions.values()) addRegion(out, index, instances);
  addUnavailableOfferings(out, state, nowMs);
  const groups = views.flatMap((view) =>
    view.spec === undefined ? [] : [{ ref: view.ref, capacityTypes: view.spec.capacityTypes }],
  );
  return { series: out.series(), groups };
}
