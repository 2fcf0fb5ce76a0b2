// An in-memory stand-in for the API server *and* the operator's caches, for unit tests of the group
// reconciler: writes through the fake client land in the same ObjectStores the reconciler reads, at once
// (a cache that never lags). Objects get uids, resourceVersions and generations as the API server gives
// them; deletes honour finalizers; status applies replace status. It is no fake of the API server's
// behaviour beyond that — the integration suite runs the real one.
import pino from 'pino';
import type { GalleryImage, Instance, Region } from '../../../../src/api/index.ts';
import {
  LedgerCounts,
  SimulatedCloud,
  UnavailableOfferingsByRegion,
  type RegionInstances,
} from '../../../../src/cloud/index.ts';
import type {
  GroupAdapter,
  GroupControllerDeps,
  GroupObject,
  GroupSteps,
} from '../../../../src/controllers/group.ts';
import { GroupReconciler } from '../../../../src/controllers/group.ts';
import { OWNER_INDEX, REGION_INDEX, ownerOf, regionOf } from '../../../../src/controllers/instances.ts';
import {
  COMPUTEFLEETS,
  GALLERYIMAGES,
  INSTANCES,
  REGIONS,
  SCALESETS,
} from '../../../../src/controllers/resources.ts';
import type { ScaleSetStepDeps } from '../../../../src/controllers/steps/index.ts';
import { createMetrics } from '../../../../src/metrics/index.ts';
import {
  EventRecorder,
  KubeApiError,
  ManualClock,
  ObjectStore,
  StatusWriter,
  type DeleteOptions,
  type EventBody,
  type KubeObject,
  type ObjectRef,
  type Patch,
  type ReconcileContext,
  type ResourceType,
} from '../../../../src/runtime/index.ts';

interface Stored extends KubeObject {
  spec?: unknown;
  status?: unknown;
}

export interface RecordedEvent {
  reason: string;
  note: string;
  type: string;
  subject: string;
}

export class MemoryCluster {
  readonly clock = new ManualClock(Date.parse('2026-12-03T08:00:00Z'));
  readonly scaleSets = new ObjectStore<GroupObject>();
  readonly computeFleets = new ObjectStore<GroupObject>();
  readonly instances = new ObjectStore<Instance>();
  readonly regions = new ObjectStore<Region>();
  readonly galleryImages = new ObjectStore<GalleryImage>();
  readonly events: RecordedEvent[] = [];
  /** Every write the reconciler sent, as `verb resource name`. */
  readonly writes: string[] = [];
  readonly unavailable = new UnavailableOfferingsByRegion();
  readonly metrics = createMetrics();
  /** The next this many deletes are refused (503), as by an API server that is away. */
  failDeletes = 0;
  private revision = 0;
  private uid = 0;

  constructor() {
    this.instances.addIndex(OWNER_INDEX, ownerOf);
    this.instances.addIndex(REGION_INDEX, regionOf);
  }

  private storeOf(resource: ResourceType): ObjectStore<Stored> {
    const stores = new Map<string, ObjectStore<Stored>>([
      [SCALESETS.plural, this.scaleSets as unknown as ObjectStore<Stored>],
      [COMPUTEFLEETS.plural, this.computeFleets as unknown as ObjectStore<Stored>],
      [INSTANCES.plural, this.instances as unknown as ObjectStore<Stored>],
      [REGIONS.plural, this.regions as unknown as ObjectStore<Stored>],
      [GALLERYIMAGES.plural, this.galleryImages as unknown as ObjectStore<Stored>],
    ]);
    const store = stores.get(resource.plural);
    if (store === undefined) throw new Error(`no store for ${resource.plural}`);
    return store;
  }

  private key(ref: ObjectRef): string {
    return ref.namespace === undefined || ref.namespace === '' ? ref.name : `${ref.namespace}/${ref.name}`;
  }

  private stamp(object: Stored, generation: number): Stored {
    this.revision += 1;
    return {
      ...object,
      metadata: { ...object.metadata, resourceVersion: String(this.revision), generation },
    };
  }

  /** Adds an object as `kubectl create` would (uid, generation 1). */
  add<T extends Stored>(resource: ResourceType, object: T): T {
    const store = this.storeOf(resource);
    if (store.has(this.key(object.metadata))) {
      throw new KubeApiError(409, 'AlreadyExists', `${object.metadata.name} already exists`);
    }
    this.uid += 1;
    const created = this.stamp(
      {
        ...structuredClone(object),
        metadata: { ...structuredClone(object.metadata), uid: `uid-${this.uid}` },
      },
      1,
    );
    store.set(created);
    return created as T;
  }

  /** Edits an object's spec as `kubectl edit` would (generation + 1). */
  editSpec(resource: ResourceType, ref: ObjectRef, edit: (spec: Record<string, unknown>) => void): void {
    const store = this.storeOf(resource);
    const current = store.get(this.key(ref));
    if (current === undefined) throw new Error(`${this.key(ref)} not found`);
    const copy = structuredClone(current) as Stored;
    edit(copy.spec as Record<string, unknown>);
    store.set(this.stamp(copy, (copy.metadata.generation ?? 0) + 1));
  }

  /** Sets an Instance's phase as the Instance controller and the simulated cloud would. */
  setPhase(name: string, namespace: string, phase: NonNullable<Instance['status']>['phase']): void {
    const current = this.instances.get(`${namespace}/${name}`);
    if (current === undefined) throw new Error(`${name} not found`);
    const copy = structuredClone(current) as Instance;
    copy.status = {
      ...copy.status,
      phase,
      pricePerHour: copy.status?.pricePerHour ?? 0.1,
    };
    this.instances.set(this.stamp(copy, copy.metadata.generation ?? 1) as Instance);
  }

  /** Removes the finalizers of Instances being deleted (the Instance controller's release). */
  releaseDeleted(): void {
    for (const instance of this.instances.list()) {
      if (instance.metadata.deletionTimestamp !== undefined)
        this.instances.delete(this.key(instance.metadata));
    }
  }

  readonly client = {
    get: (resource: ResourceType, ref: ObjectRef): Promise<unknown> => {
      const found = this.storeOf(resource).get(this.key(ref));
      if (found === undefined)
        return Promise.reject(new KubeApiError(404, 'NotFound', `${ref.name} not found`));
      return Promise.resolve(structuredClone(found));
    },
    create: (resource: ResourceType, object: unknown): Promise<unknown> => {
      const stored = object as Stored;
      this.writes.push(`create ${resource.plural} ${stored.metadata.name}`);
      try {
        return Promise.resolve(this.add(resource, stored));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    delete: (resource: ResourceType, ref: ObjectRef, options?: DeleteOptions): Promise<void> => {
      this.writes.push(`delete ${resource.plural} ${ref.name}`);
      if (this.failDeletes > 0) {
        this.failDeletes -= 1;
        return Promise.reject(new KubeApiError(503, 'ServiceUnavailable', 'the API server is away'));
      }
      const store = this.storeOf(resource);
      const found = store.get(this.key(ref));
      if (found === undefined)
        return Promise.reject(new KubeApiError(404, 'NotFound', `${ref.name} not found`));
      const uid = options?.preconditions?.uid;
      if (uid !== undefined && uid !== found.metadata.uid) {
        return Promise.reject(new KubeApiError(409, 'Conflict', 'precondition failed: uid'));
      }
      if ((found.metadata.finalizers ?? []).length === 0) {
        store.delete(this.key(ref));
      } else if (found.metadata.deletionTimestamp === undefined) {
        const copy = structuredClone(found) as Stored;
        copy.metadata.deletionTimestamp = new Date(this.clock.now()).toISOString();
        store.set(this.stamp(copy, copy.metadata.generation ?? 1));
      }
      return Promise.resolve();
    },
    patch: (resource: ResourceType, ref: ObjectRef, patch: Patch): Promise<unknown> => {
      this.writes.push(`patch ${resource.plural} ${ref.name}`);
      const found = this.storeOf(resource).get(this.key(ref));
      if (found === undefined)
        return Promise.reject(new KubeApiError(404, 'NotFound', `${ref.name} not found`));
      if (patch.type !== 'merge') return Promise.reject(new Error(`unsupported patch ${patch.type}`));
      const copy = { ...structuredClone(found), ...(patch.body as object) } as Stored;
      this.storeOf(resource).set(this.stamp(copy, copy.metadata.generation ?? 1));
      return Promise.resolve(copy);
    },
    patchStatus: (resource: ResourceType, ref: ObjectRef, patch: Patch): Promise<unknown> => {
      this.writes.push(`status ${resource.plural} ${ref.name}`);
      const found = this.storeOf(resource).get(this.key(ref));
      if (found === undefined)
        return Promise.reject(new KubeApiError(404, 'NotFound', `${ref.name} not found`));
      if (patch.type !== 'apply') return Promise.reject(new Error(`unsupported status patch ${patch.type}`));
      const copy = structuredClone(found) as Stored;
      copy.status = structuredClone((patch.body as { status: unknown }).status);
      const stamped = this.stamp(copy, copy.metadata.generation ?? 1);
      this.storeOf(resource).set(stamped);
      return Promise.resolve(stamped);
    },
    patchScale: (resource: ResourceType, ref: ObjectRef, replicas: number): Promise<unknown> => {
      this.writes.push(`scale ${resource.plural} ${ref.name}`);
      this.editSpec(resource, ref, (spec) => {
        spec['capacity'] = replicas;
      });
      return Promise.resolve({});
    },
  };

  readonly logger = pino({ level: 'silent' });

  readonly eventRecorder = new EventRecorder({
    client: {
      createEvent: (_namespace: string, event: EventBody) => {
        this.events.push({
          reason: event.reason,
          note: event.note,
          type: event.type,
          subject: event.regarding.name,
        });
        return Promise.resolve({});
      },
      patchEvent: () => Promise.resolve({}),
    },
    reportingController: 'vmfleet.io/test',
    reportingInstance: 'test',
    logger: this.logger,
    clock: this.clock,
  });

  readonly statusWriter = new StatusWriter({ client: this.client, fieldManager: 'vmfleet' });

  /** A region's Instances with the ledger's counts; the operator keeps it from the watch, here it is counted afresh. */
  regionInstances(region: string): RegionInstances {
    const ledger = new LedgerCounts({
      get: (key) => this.instances.get(key),
      inRegion: (name) => this.instances.byIndex(REGION_INDEX, name),
    });
    for (const instance of this.instances.byIndex(REGION_INDEX, region)) ledger.set(instance);
    return ledger.region(region);
  }

  /** What the operator hands the group reconciler and its steps, over this cluster. */
  readonly groupDeps: GroupControllerDeps & ScaleSetStepDeps = {
    client: this.client,
    provider: new SimulatedCloud(),
    unavailable: this.unavailable,
    regions: this.regions,
    instances: this.instances,
    regionInstances: (region) => this.regionInstances(region),
    statusWriter: this.statusWriter,
    events: this.eventRecorder,
    metrics: this.metrics.lifecycle,
    clock: this.clock,
    galleryImages: this.galleryImages,
  };

  /** A group reconciler over this cluster with these steps, as the operator wires it. */
  reconciler<S, M>(
    adapter: GroupAdapter<S>,
    groups: ObjectStore<GroupObject>,
    steps: GroupSteps<S, M>,
  ): (namespace: string, name: string) => Promise<{ requeueAfterMs?: number | undefined }> {
    const reconciler = new GroupReconciler(adapter, groups, this.groupDeps, steps);
    const context: ReconcileContext = {
      logger: this.logger,
      signal: new AbortController().signal,
      retries: 0,
    };
    return (namespace, name) =>
      reconciler.reconcile({ key: `${namespace}/${name}`, namespace, name }, context);
  }
}
