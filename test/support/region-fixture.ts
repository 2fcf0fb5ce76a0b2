// One builder for the API Region objects of the tests: a copy of a catalogue (the built-in eastus one by
// default) with the edits tests make, as named options. Used by the integration tests' worlds (and their
// `editRegion`) and by the unit fixtures that build API Regions.
//
//   regionFixture('rgn-a', { provisioningDelay: '3s', zoneAvailable: { '3': false } })
//   regionFixture('rgn-b', { capacity: [{ vmSize: 'Standard_D2s_v5', zone: '2', priority: 'Spot', count: 1 }] })
//   withRegionOptions(spec, { faults: [], healthFaults: [{ instance: 'web-0', reason: 'ProbeTimeout' }] })
import { z } from 'zod';
import {
  API_GROUP_VERSION,
  EASTUS,
  Region,
  type HealthFault,
  type Priority,
  type RegionSpec,
  type SimulatedFault,
} from '../../src/api/index.ts';

/** The capacity of one pool: a VM size in a zone, of one priority. */
export interface PoolCapacity {
  vmSize: string;
  zone: string;
  priority: Priority;
  count: number;
}

type CapacityRow = RegionSpec['vmSizes'][number]['capacity'][number];

export interface RegionOptions {
  /** Time from Provisioning to Running, e.g. '0s', '3s'. */
  provisioningDelay?: string;
  /** Replaces the zones. */
  zones?: RegionSpec['zones'];
  /** Zone name → available (an unavailable zone takes no new VMs). */
  zoneAvailable?: Record<string, boolean>;
  /** Sets the capacity of these pools (each must have a capacity row in its zone). */
  capacity?: PoolCapacity[];
  /** Per size: replaces all of its capacity rows. */
  capacityRows?: Record<string, CapacityRow[]>;
  /** Multiplies every capacity row (Regular and Spot). */
  capacityFactor?: number;
  /** Injected allocation errors (replaces the list). */
  faults?: SimulatedFault[];
  /** Injected health failures (replaces the list). */
  healthFaults?: HealthFault[];
  quotas?: RegionSpec['quotas'];
  spotEvictionRatePerHour?: number;
  seed?: number;
  /** Anything else, applied last (e.g. an edit computed from the catalogue's prices). */
  edit?: (spec: RegionSpec) => void;
}

export interface RegionFixtureOptions extends RegionOptions {
  /** The catalogue to copy (a Region spec as written, defaults applied by the schema); eastus by default. */
  base?: z.input<typeof Region>['spec'];
}

function capacityRow(spec: RegionSpec, vmSize: string, zone: string): CapacityRow {
  const row = spec.vmSizes.find((s) => s.name === vmSize)?.capacity.find((c) => c.zone === zone);
  if (row === undefined) throw new Error(`${vmSize} has no capacity in zone ${zone}`);
  return row;
}

/** The capacity of a pool in a Region spec. */
export function capacityOf(spec: RegionSpec, vmSize: string, zone: string, priority: Priority): number {
  const row = capacityRow(spec, vmSize, zone);
  return priority === 'Regular' ? row.regular : row.spot;
}

/** Applies the options to `spec` in place and returns it. */
export function applyRegionOptions(spec: RegionSpec, options: RegionOptions): RegionSpec {
  if (options.zones !== undefined) spec.zones = options.zones;
  for (const [name, available] of Object.entries(options.zoneAvailable ?? {})) {
    const zone = spec.zones.find((z) => z.name === name);
    if (zone === undefined) throw new Error(`no zone ${name}`);
    zone.available = available;
  }
  for (const [name, rows] of Object.entries(options.capacityRows ?? {})) {
    const size = spec.vmSizes.find((s) => s.name === name);
    if (size === undefined) throw new Error(`no size ${name}`);
    size.capacity = rows;
  }
  if (options.capacityFactor !== undefined) {
    for (const size of spec.vmSizes) {
      for (const row of size.capacity) {
        row.regular *= options.capacityFactor;
        row.spot *= options.capacityFactor;
      }
    }
  }
  for (const pool of options.capacity ?? []) {
    const row = capacityRow(spec, pool.vmSize, pool.zone);
    if (pool.priority === 'Regular') row.regular = pool.count;
    else row.spot = pool.count;
  }
  if (options.quotas !== undefined) spec.quotas = options.quotas;
  const simulation = spec.simulation;
  if (options.provisioningDelay !== undefined) simulation.provisioningDelay = options.provisioningDelay;
  if (options.faults !== undefined) simulation.faults = options.faults;
  if (options.healthFaults !== undefined) simulation.healthFaults = options.healthFaults;
  if (options.spotEvictionRatePerHour !== undefined) {
    simulation.spotEvictionRatePerHour = options.spotEvictionRatePerHour;
  }
  if (options.seed !== undefined) simulation.seed = options.seed;
  options.edit?.(spec);
  return spec;
}

/** A copy of `spec` with the options applied. */
export function withRegionOptions(spec: RegionSpec, options: RegionOptions): RegionSpec {
  return applyRegionOptions(structuredClone(spec), options);
}

/** A Region named `name`: a copy of the catalogue (eastus by default) with the options applied. */
export function regionFixture(name: string, options: RegionFixtureOptions = {}): Region {
  const { base, ...edits } = options;
  const region = Region.parse({
    apiVersion: API_GROUP_VERSION,
    kind: 'Region',
    metadata: { name },
    spec: structuredClone(base ?? EASTUS.spec),
  });
  applyRegionOptions(region.spec, edits);
  // Once more through the schema, so what the options put in gets its defaults too.
  return Region.parse(region);
}
