// The controller runtime's public surface. Controllers import from here.
//
// Wiring a controller (test/unit/runtime/usage.test.ts compiles and checks this shape):
//
//   const manager = new Manager({
//     client: new KubeClient(loadKubeConfig()),
//     logger,                                             // pino; every reconcile line gets {controller, key}
//     namespace: 'vmfleet-system',                        // holds the Lease
//     leaderElection: { leaseName: 'vmfleet-operator' },  // 15 s / 10 s / 2 s
//     health: { port: 8081 },                             // /healthz, /readyz (= caches synced)
//     observer: metrics,                                  // optional RuntimeObserver (prom-client lives elsewhere)
//   });
//   const scaleSetCache = manager.reflector<ScaleSet>(scaleSets);          // one list+watch per kind
//   const instanceCache = manager.reflector<Instance>(instances);
//   const regionCache = manager.reflector<Region>(regions);
//   instanceCache.addIndex('owner', ownerKeyOf);                           // children of one group, fast
//   scaleSetCache.addIndex('region', (s) => [s.spec.region]);
//
//   manager
//     .createController({ name: 'scaleset', workers: 4, reconcile })
//     .watchPrimary(scaleSetCache, { predicate: generationChanged })
//     .watch(instanceCache, mapAll(mapToControllerOwner({ group, kind: 'ScaleSet' }), mapByLabel('vmfleet.io/scaleset')))
//     .watch(regionCache, (region) => scaleSetCache.store.byIndex('region', region.metadata.name).map(objectKey));
//
//   async function reconcile({ key }, { logger }) {
//     const scaleSet = scaleSetCache.store.get(key);     // frozen; cloneObject() before changing
//     if (scaleSet === undefined) return {};
//     ... engine plan, create/delete Instances through manager.client ...
//     await manager.statusWriter.update(scaleSets, scaleSet, { readyInstances, conditions });  // SSA, only if changed
//     manager.events.record(subjectOf(scaleSet), { type: 'Normal', reason: 'InstancesCreated', action: 'Create', note });
//     return { requeueAfterMs: 5_000 };                  // or {} when done; throw to retry with backoff
//   }
//
//   await manager.start();
//   manager.handleSignals();                              // SIGTERM: drain, release the lease
//   const exit = await manager.done;                      // 'stopped' → exit 0; 'leadership-lost' | 'failed' → 1

export * from './backoff.ts';
export * from './client.ts';
export * from './clock.ts';
export * from './conditions.ts';
export * from './controller.ts';
export * from './events.ts';
export * from './finalizers.ts';
export * from './health.ts';
export * from './leader-election.ts';
export * from './manager.ts';
export * from './objects.ts';
export * from './observer.ts';
export * from './reflector.ts';
export * from './status.ts';
export * from './store.ts';
export * from './workqueue.ts';
export * from './write-pool.ts';
