// What the operator hands a provider that brings controllers of its own (CloudProvider.controllers): its
// caches, writers and timing, so those controllers share the operator's manager, metrics and leader
// election instead of building a second set. Types only: a provider's controllers are built from them.
import type { Instance, Region } from '../api/index.ts';
import type { LifecycleMetrics } from '../metrics/index.ts';
import type {
  Clock,
  Controller,
  ControllerOptions,
  EventRecorder,
  Reflector,
  ResourceClient,
  StatusWriter,
} from '../runtime/index.ts';
import type { RegionInstances } from './region-instances.ts';

/** Notes Spot VMs of a ComputeFleet that an eviction deleted (the fleet's status.spot.lostToEviction). */
export interface EvictionRecorder {
  record(ownerKey: string, instanceKey: string): void;
}

export interface ProviderControllerDeps {
  client: Pick<ResourceClient, 'delete' | 'patch'>;
  regions: Reflector<Region>;
  instances: Reflector<Instance>;
  /** A region's Instances with the ledger's counts (see region-instances.ts). */
  regionInstances: (region: string) => RegionInstances;
  statusWriter: StatusWriter;
  events: EventRecorder;
  metrics: LifecycleMetrics;
  evictionLedger: EvictionRecorder;
  /** Whether a ComputeFleet keeps (`maintain`) its Spot capacity; undefined for other owners. */
  fleetMaintains: (namespace: string, name: string) => boolean | undefined;
  clock: Clock;
  /** Logger, clock, workers, resync and observer as the operator's own controllers get them. */
  controllerOptions: (name: string) => Omit<ControllerOptions, 'reconcile'>;
}

/** The controllers to register, already watching what they need. */
export type ProviderControllers = Controller[];
