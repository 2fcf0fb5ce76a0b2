// Assembles the operator: one reflector per kind (with the indexes the controllers look things up by),
// the controllers with their watches (Instance events reach the owner; a Region change fans out to every
// group in it), the cloud provider and the controllers it brings (the default, simulated cloud: the Region
// controller), the unavailable-offerings cache and the metrics.
// `vmfleet run` and the integration tests both start the operator through here.
import type { Logger } from 'pino';
import {
  UPGRADE_ALL_ANNOTATION,
  UPGRADE_ANNOTATION,
  type ComputeFleet,
  type GalleryImage,
  type Instance,
  type Region,
  type ScaleSet,
} from '../api/index.ts';
import {
  LedgerCounts,
  createDefaultProvider,
  instanceKey,
  UnavailableOfferingsByRegion,
  type CloudProvider,
} from '../cloud/index.ts';
import { createMetrics, MetricsServer, type VmfleetMetrics } from '../metrics/index.ts';
import {
  Controller,
  Manager,
  generationChanged,
  isBeingDeleted,
  keyOf,
  systemClock,
  type Clock,
  type DeepReadonly,
  type KubeClient,
  type Reflector,
} from '../runtime/index.ts';
import { computeFleetAdapter } from './computefleet.ts';
import { EvictionLedger } from './eviction-ledger.ts';
import { GALLERY_INDEX, GalleryImageReconciler, galleryImageOf } from './gallery.ts';
import { GroupReconciler, type GroupAdapter, type GroupObject, type GroupSteps } from './group.ts';
import { InstanceReconciler } from './instance.ts';
import { OWNER_INDEX, REGION_INDEX, ownerOf, regionOf } from './instances.ts';
import { checkRegion } from './region-spec.ts';
import { COMPUTEFLEETS, GALLERYIMAGES, INSTANCES, REGIONS, SCALESETS } from './resources.ts';
import { scaleSetAdapter } from './scaleset.ts';
import { computeFleetSteps, scaleSetSteps } from './steps/index.ts';

export const CONTROLLER_NAMES = ['scaleset', 'computefleet', 'instance', 'region', 'galleryimage'] as const;

export interface OperatorOptions {
  client: KubeClient;
  logger: Logger;
  /** Namespace of the leader-election Lease. */
  namespace: string;
  leaderElection: boolean;
  identity?: string;
  workers?: number;
  /** `false` serves no probes (tests); default port 8081. */
  healthPort?: number | false;
  /** `false` serves no /metrics (tests that read the registry directly); default port 8080. */
  metricsPort?: number | false;
  provider?: CloudProvider;
  clock?: Clock;
  /** Leader-election timing (tests shorten it). */
  leaseTiming?: { leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  /** Safety-net resync of every group; default 10 min. */
  resyncPeriodMs?: number;
}

export interface Operator {
  manager: Manager;
  metrics: VmfleetMetrics;
  /** Bound port of /metrics, once started (undefined when disabled). */
  metricsPort: number | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const GROUP_INDEX_BY_REGION = 'region';
/** Concurrent Instance reconciles: matches the group controllers' write concurrency. */
const INSTANCE_WORKERS = 16;

/** Drops what no controller reads, which matters with 10,000 Instances cached. */
function slimInstance(instance: Instance): Instance {
  const { annotations, ...metadata } = instance.metadata;
  // The one annotation a controller reads: a Manual-mode upgrade request.
  const upgrade = annotations?.[UPGRADE_ANNOTATION];
  return {
    ...instance,
    metadata:
      upgrade === undefined ? metadata : { ...metadata, annotations: { [UPGRADE_ANNOTATION]: upgrade } },
  };
}

/** A ScaleSet update worth a reconcile: a spec change, deletion, or a new upgrade-all request. */
function scaleSetChanged(previous: DeepReadonly<GroupObject>, current: DeepReadonly<GroupObject>): boolean {
  return (
    generationChanged(previous, current) ||
    previous.metadata.annotations?.[UPGRADE_ALL_ANNOTATION] !==
      current.metadata.annotations?.[UPGRADE_ALL_ANNOTATION]
  );
}

function regionOfGroup(group: DeepReadonly<GroupObject>): string[] {
  const spec = group.spec as { region?: unknown } | undefined;
  return [typeof spec?.region === 'string' ? spec.region : 'eastus'];
}

export function createOperator(options: OperatorOptions): Operator {
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  const metrics = createMetrics({ controllers: CONTROLLER_NAMES });
  const manager = new Manager({
    client: options.client,
    logger,
    namespace: options.namespace,
    ...(options.identity === undefined ? {} : { identity: options.identity }),
    leaderElection: options.leaderElection
      ? { leaseName: 'vmfleet-operator', ...options.leaseTiming }
      : false,
    health: options.healthPort === false ? false : { port: options.healthPort ?? 8081 },
    clock,
    observer: metrics.observer,
  });

  const regions = manager.reflector<Region>(REGIONS);
  const scaleSets = manager.reflector<ScaleSet>(SCALESETS);
  const computeFleets = manager.reflector<ComputeFleet>(COMPUTEFLEETS);
  const instances = manager.reflector<Instance>(INSTANCES, { transform: slimInstance });
  const galleryImages = manager.reflector<GalleryImage>(GALLERYIMAGES);
  instances.addIndex(OWNER_INDEX, ownerOf);
  instances.addIndex(REGION_INDEX, regionOf);
  const groupReflectors = [scaleSets, computeFleets] as unknown as Reflector<GroupObject>[];
  for (const reflector of groupReflectors) reflector.addIndex(GROUP_INDEX_BY_REGION, regionOfGroup);
  const scaleSetReflector = groupReflectors[0] as Reflector<GroupObject>;
  scaleSetReflector.addIndex(GALLERY_INDEX, galleryImageOf);

  // The ledger's usage per pool, kept in step with the Instance cache, so allocations and plans read
  // counts instead of recounting every VM of the region.
  const ledger = new LedgerCounts({
    get: (key) => instances.store.get(key),
    inRegion: (region) => instances.store.byIndex(REGION_INDEX, region),
    countInRegion: (region) => instances.store.countByIndex(REGION_INDEX, region),
  });
  instances.addEventHandler({
    onAdd: (instance) => {
      ledger.set(instance);
    },
    onUpdate: (_previous, current) => {
      ledger.set(current);
    },
    onDelete: (instance) => {
      ledger.delete(instanceKey(instance));
    },
  });
  const regionInstances = (region: string) => ledger.region(region);

  const provider = options.provider ?? createDefaultProvider();
  const unavailable = new UnavailableOfferingsByRegion();
  // Capacity, a zone or a quota given back in a Region lifts the blocks it explains before the groups in
  // that Region reconcile for the change (this handler runs as the event arrives; reconciles come later).
  regions.addEventHandler({
    onUpdate: (previous, current) => {
      if (previous.metadata.generation === current.metadata.generation) return;
      if (!checkRegion(previous).ok || !checkRegion(current).ok) return;
      const lifted = unavailable.forRegion(current.metadata.name).liftRaised(previous.spec, current.spec);
      if (lifted > 0) logger.info({ region: current.metadata.name, lifted }, 'unavailable offerings lifted');
    },
  });
  const evictionLedger = new EvictionLedger((key) => {
    const instance = instances.store.get(key);
    return instance !== undefined && !isBeingDeleted(instance);
  });
  const common = {
    provider,
    unavailable,
    statusWriter: manager.statusWriter,
    events: manager.events,
    metrics: metrics.lifecycle,
    regionInstances,
    clock,
  };

  metrics.setStateSource({
    scaleSets: () => scaleSets.store.list(),
    computeFleets: () => computeFleets.store.list(),
    instances: () => instances.store.list(),
    regions: () => regions.store.list(),
    unavailableOfferings: () =>
      regions.store.list().flatMap((r) =>
        unavailable
          .forRegion(r.metadata.name)
          .list(new Date(clock.now()))
          .map((o) => ({ ...o, region: r.metadata.name })),
      ),
  });

  const controllerOptions = (name: string) => ({
    name,
    logger,
    clock,
    workers: options.workers ?? 4,
    resyncPeriodMs: options.resyncPeriodMs ?? 600_000,
    observer: metrics.observer,
  });

  const addGroupController = <S, M>(
    name: string,
    adapter: GroupAdapter<S>,
    steps: GroupSteps<S, M>,
    reflector: Reflector<GroupObject>,
    primaryChanged: (
      previous: DeepReadonly<GroupObject>,
      current: DeepReadonly<GroupObject>,
    ) => boolean = generationChanged,
  ): Controller => {
    const reconciler = new GroupReconciler(
      adapter,
      reflector.store,
      { ...common, client: manager.client, regions: regions.store, instances: instances.store },
      steps,
    );
    const controller = new Controller({ ...controllerOptions(name), reconcile: reconciler.reconcile })
      .watchPrimary(reflector, { predicate: primaryChanged })
      .watch(instances, (instance) =>
        ownerOf(instance)
          .filter((owner) => owner.startsWith(`${adapter.kind}/`))
          .map((owner) => owner.slice(adapter.kind.length + 1)),
      )
      // Only spec changes of a Region (capacity, prices, faults, zones) fan out to its groups; its status
      // changes with every VM and would make every group reconcile for every other group's instance.
      .watch(
        regions,
        (region) =>
          reflector.store
            .byIndex(GROUP_INDEX_BY_REGION, region.metadata.name)
            .map((group) => keyOf({ namespace: group.metadata.namespace, name: group.metadata.name })),
        { predicate: generationChanged },
      );
    manager.addController(controller);
    return controller;
  };

  addGroupController(
    'scaleset',
    scaleSetAdapter,
    scaleSetSteps(scaleSetAdapter, { ...common, galleryImages: galleryImages.store }),
    scaleSetReflector,
    scaleSetChanged,
  )
    // A published, excluded or re-replicated version changes what the ScaleSets using the image resolve.
    .watch(galleryImages, (image: DeepReadonly<GalleryImage>) =>
      scaleSetReflector.store
        .byIndex(GALLERY_INDEX, `${image.metadata.namespace ?? ''}/${image.metadata.name}`)
        .map((group) => keyOf({ namespace: group.metadata.namespace, name: group.metadata.name })),
    );
  addGroupController(
    'computefleet',
    computeFleetAdapter,
    computeFleetSteps(computeFleetAdapter, { ...common, evictionLedger }),
    groupReflectors[1] as Reflector<GroupObject>,
  );

  const instanceReconciler = new InstanceReconciler({
    ...common,
    client: manager.client,
    instances: instances.store,
    regions: regions.store,
    scaleSets: scaleSets.store,
  });
  manager.addController(
    // Each Instance reconcile is one allocation and one status write; as many run at once as the group
    // controllers create at once, so VMs boot as fast as they are created.
    new Controller({
      ...controllerOptions('instance'),
      workers: Math.max(options.workers ?? 4, INSTANCE_WORKERS),
      reconcile: instanceReconciler.reconcile,
    })
      .watchPrimary(instances)
      // A Region spec change (provisioning delay, restored capacity) can unblock its instances.
      .watch(
        regions,
        (region) =>
          instances.store
            .byIndex(REGION_INDEX, region.metadata.name)
            .map((i) => keyOf({ namespace: i.metadata.namespace, name: i.metadata.name })),
        { predicate: generationChanged },
      ),
  );

  const providerControllers =
    provider.controllers?.({
      client: manager.client,
      regions,
      instances,
      regionInstances,
      statusWriter: manager.statusWriter,
      events: manager.events,
      metrics: metrics.lifecycle,
      evictionLedger,
      fleetMaintains: (namespace, name) =>
        computeFleets.store.get(`${namespace}/${name}`)?.spec.spot?.maintain,
      clock,
      controllerOptions,
    }) ?? [];
  for (const controller of providerControllers) manager.addController(controller);

  const galleryReconciler = new GalleryImageReconciler({
    galleryImages: galleryImages.store,
    statusWriter: manager.statusWriter,
    clock,
  });
  manager.addController(
    new Controller({
      ...controllerOptions('galleryimage'),
      workers: 1,
      reconcile: galleryReconciler.reconcile,
    }).watchPrimary(galleryImages, { predicate: generationChanged }),
  );

  const metricsServer =
    options.metricsPort === false
      ? undefined
      : new MetricsServer({ registry: metrics.registry, port: options.metricsPort ?? 8080 });
  const operator: Operator = {
    manager,
    metrics,
    metricsPort: undefined,
    async start() {
      if (metricsServer !== undefined) operator.metricsPort = await metricsServer.start();
      await manager.start();
    },
    async stop() {
      await manager.stop();
      await metricsServer?.stop();
    },
  };
  return operator;
}
