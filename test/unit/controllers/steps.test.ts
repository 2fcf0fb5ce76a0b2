// Each step of a ScaleSet's reconcile on its own (src/controllers/steps/), fed a StepInput built here: what
// it asks the reconciler for (spec change, refusal, deletes, restarts, plan, status, requeue) and what it
// remembers only once its writes went through (commit). No cluster, no reconciler: the reconciler's part is
// in group-reconciler.test.ts.
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import {
  EASTUS,
  ScaleSetSpec,
  parseWith,
  type GalleryImage,
  type Instance,
  type InstanceStatus,
  type ScaleSetSpec as ScaleSetSpecType,
} from '../../../src/api/index.ts';
import { SimulatedCloud, UnavailableOfferingsByRegion, LedgerCounts } from '../../../src/cloud/index.ts';
import type { GroupObject } from '../../../src/controllers/group.ts';
import { newInstance } from '../../../src/controllers/instances.ts';
import { scaleSetAdapter } from '../../../src/controllers/scaleset.ts';
import { autoscaleStep } from '../../../src/controllers/steps/autoscale.ts';
import { imageStep } from '../../../src/controllers/steps/image.ts';
import { placeStep } from '../../../src/controllers/steps/place.ts';
import { rebalanceStep } from '../../../src/controllers/steps/rebalance.ts';
import { repairStep } from '../../../src/controllers/steps/repair.ts';
import { seedScaleSetMemory, type ScaleSetMemory } from '../../../src/controllers/steps/scaleset-memory.ts';
import type { GroupStep, StepInput, StepState } from '../../../src/controllers/steps/step.ts';
import { upgradeStep } from '../../../src/controllers/steps/upgrade.ts';
import { spotEvictionsStep } from '../../../src/controllers/steps/spot-evictions.ts';
import { EvictionLedger } from '../../../src/controllers/eviction-ledger.ts';
import { normalizeScaleSet } from '../../../src/engine/normalize.ts';
import { ObjectStore, type EventBody } from '../../../src/runtime/index.ts';

const NOW = new Date('2026-12-03T12:00:00Z');
const MINUTE = 60_000;

function specOf(fields: Record<string, unknown>): ScaleSetSpecType {
  const parsed = parseWith(ScaleSetSpec, {
    region: 'eastus',
    vmSize: 'Standard_D2s_v5',
    zones: ['1', '2', '3'],
    ...fields,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

const region = { ...structuredClone(EASTUS), metadata: { name: 'eastus' } };

/** `zones` VMs of the set, one per entry, with the model of `spec` unless `stale`. */
function vms(
  spec: ScaleSetSpecType,
  zones: readonly string[],
  status: Partial<InstanceStatus> = { phase: 'Running' },
  stale = false,
): Instance[] {
  const modelHash = stale ? 'old-model' : normalizeScaleSet(spec).modelHash;
  const ref = { kind: 'ScaleSet' as const, name: 'web', namespace: 'team', uid: 'uid-web', region: 'eastus' };
  return zones.map((zone, id) => {
    const instance = newInstance(
      ref,
      { size: spec.vmSize ?? 'Standard_D2s_v5', zone, faultDomain: 0, priority: 'Regular' },
      id,
      { image: spec.image, modelHash },
    );
    instance.metadata.uid = `vm-${id}`;
    instance.status = { ...status };
    return instance;
  });
}

interface Harness {
  input: StepInput<ScaleSetSpecType, ScaleSetMemory>;
  events: EventBody[];
}

function harness(
  spec: ScaleSetSpecType,
  instances: readonly Instance[],
  options: {
    status?: Record<string, unknown>;
    generation?: number;
    state?: Partial<StepState<ScaleSetSpecType>>;
  } = {},
): Harness {
  const group: GroupObject = {
    apiVersion: 'compute.vmfleet.io/v1alpha1',
    kind: 'ScaleSet',
    metadata: { name: 'web', namespace: 'team', uid: 'uid-web', generation: options.generation ?? 1 },
    spec,
    status: options.status ?? {},
  };
  const events: EventBody[] = [];
  return {
    events,
    input: {
      group,
      region,
      now: NOW,
      paused: spec.paused,
      logger: pino({ level: 'silent' }),
      subject: {
        apiVersion: 'compute.vmfleet.io/v1alpha1',
        kind: 'ScaleSet',
        metadata: { name: 'web', namespace: 'team', uid: 'uid-web' },
      },
      memory: seedScaleSetMemory(group),
      state: { spec, instances, placement: { surge: 0 }, repairing: false, ...options.state },
    },
  };
}

function recorder(events: EventBody[]) {
  return {
    record: (_subject: unknown, event: EventBody) => void events.push(event),
  } as unknown as Parameters<typeof autoscaleStep>[0]['events'];
}

async function run(
  make: (events: ReturnType<typeof recorder>) => GroupStep<ScaleSetSpecType, ScaleSetMemory>,
  h: Harness,
) {
  return make(recorder(h.events)).run(h.input);
}

describe('autoscale step', () => {
  const everyDay = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  const profile = (start: string, end: string) => ({
    name: 'business',
    capacity: { minimum: 4, default: 5, maximum: 8 },
    recurrence: { timeZone: 'UTC', days: everyDay, start, end },
  });

  test.each([
    { case: 'a profile in force sets its default', capacity: 3, window: ['11:00', '13:00'], scaleTo: 5 },
    {
      case: 'outside every profile nothing is written',
      capacity: 3,
      window: ['13:00', '14:00'],
      scaleTo: undefined,
    },
  ])('$case', async ({ capacity, window, scaleTo }) => {
    const spec = specOf({ capacity, autoscale: { profiles: [profile(window[0] ?? '', window[1] ?? '')] } });
    const h = harness(spec, []);
    const result = await run((events) => autoscaleStep({ events }), h);
    expect(result.scaleTo).toBe(scaleTo);
    expect(result.spec?.capacity).toBe(scaleTo ?? capacity);
    expect(result.requeueAfterMs).toBeGreaterThan(0);
    // The capacity write is remembered, and announced, only once it went through.
    expect(h.events).toHaveLength(0);
    expect(h.input.memory.autoscale.wroteCapacity).toBeUndefined();
    result.commit?.();
    expect(h.input.memory.autoscale.wroteCapacity?.capacity).toBe(scaleTo);
    expect(h.events.map((e) => e.reason)).toEqual(scaleTo === undefined ? [] : ['AutoscaleCapacity']);
  });

  test('paused: the profile is published, nothing is written', async () => {
    const spec = specOf({ capacity: 3, paused: true, autoscale: { profiles: [profile('11:00', '13:00')] } });
    const result = await run((events) => autoscaleStep({ events }), harness(spec, []));
    expect(result.scaleTo).toBeUndefined();
    expect(result.status).toHaveProperty('autoscale');
  });
});

describe('image step', () => {
  const gallery = (versions: { name: string; regions: string[] }[]): ObjectStore<GalleryImage> => {
    const store = new ObjectStore<GalleryImage>();
    store.set({
      apiVersion: 'compute.vmfleet.io/v1alpha1',
      kind: 'GalleryImage',
      metadata: { name: 'base', namespace: 'team', resourceVersion: '1' },
      spec: {
        osType: 'Linux',
        versions: versions.map((v) => ({
          name: v.name,
          excludeFromLatest: false,
          regions: v.regions.map((name) => ({ name, replicaCount: 1 })),
        })),
      },
    } as unknown as GalleryImage);
    return store;
  };
  const galleryImage = { source: 'Gallery', name: 'base', version: 'latest' };

  test.each([
    { case: 'a missing image refuses', store: new ObjectStore<GalleryImage>(), refused: 'ImageNotFound' },
    {
      case: 'a version not replicated to the region refuses',
      store: gallery([{ name: '1.0.0', regions: ['westeurope'] }]),
      refused: 'ImageVersionNotFound',
    },
  ])('$case, naming spec.image', async ({ store, refused }) => {
    const spec = specOf({ capacity: 2, image: galleryImage });
    const result = await run((events) => imageStep({ events, galleryImages: store }), harness(spec, []));
    expect(result.refuse?.reason).toBe(refused);
    expect(result.refuse?.errors[0]?.field).toBe('spec.image');
    expect(result.deletes).toBeUndefined();
  });

  test('latest resolves to the highest replicated version; one replica limits the plan to 20 provisioning', async () => {
    const spec = specOf({ capacity: 50, image: galleryImage });
    const store = gallery([
      { name: '1.0.0', regions: ['eastus'] },
      { name: '1.1.0', regions: ['eastus'] },
      { name: '2.0.0', regions: ['westeurope'] },
    ]);
    const h = harness(spec, []);
    const result = await run((events) => imageStep({ events, galleryImages: store }), h);
    expect(result.spec?.image.version).toBe('1.1.0');
    const limit = result.placement?.limit;
    expect(limit).toBeDefined();
    const plan = await placeStep(scaleSetAdapter, placeDeps()).run({
      ...h.input,
      state: { ...h.input.state, spec: result.spec ?? spec },
    });
    const planned = plan.plan?.plan;
    if (planned === undefined || limit === undefined) throw new Error('no plan');
    const creates = (p: typeof planned) => p.creates.reduce((n, c) => n + c.count, 0);
    expect(creates(planned)).toBe(50);
    expect(creates(limit(planned, []))).toBe(20);
    expect(h.events.map((e) => e.reason)).toEqual(['ImageThrottled']);
    expect(result.status?.['image']).toMatchObject({ throttled: true });
  });
});

function placeDeps() {
  const instances = new ObjectStore<Instance>();
  return {
    provider: new SimulatedCloud(),
    unavailable: new UnavailableOfferingsByRegion(),
    regionInstances: (name: string) =>
      new LedgerCounts({ get: (key) => instances.get(key), inRegion: () => instances.list() }).region(name),
  };
}

describe('upgrade step', () => {
  test.each([
    { mode: 'Automatic', stale: 3, deletes: 3 },
    { mode: 'Manual', stale: 3, deletes: 0 },
    { mode: 'Rolling', stale: 4, deletes: 1 },
  ])('$mode with $stale stale VMs asks for $deletes deletes, in order', async ({ mode, stale, deletes }) => {
    const spec = specOf({
      capacity: stale,
      upgradePolicy: { mode, rollingUpgradePolicy: { maxBatchInstancePercent: 20 } },
    });
    const zones = ['1', '2', '3', '1'].slice(0, stale);
    const h = harness(spec, vms(spec, zones, { phase: 'Running' }, true));
    const result = await run((events) => upgradeStep({ events }), h);
    expect(result.deletes?.victims.length ?? 0).toBe(deletes);
    if (deletes > 0) {
      expect(result.deletes?.inOrder).toBe(true);
      expect(result.deletes?.victims.every((v) => v.reason === 'upgrade')).toBe(true);
    }
    expect(result.status?.['upgrade']).toMatchObject({ mode });
    expect(typeof (result.status?.['upgrade'] as { pending?: unknown }).pending).toBe('number');
    // The step's bookkeeping takes effect only after its deletes went through.
    expect(h.input.memory.upgrade).toBeUndefined();
    result.commit?.();
    expect(h.input.memory.upgrade?.revision ?? 0).toBeGreaterThanOrEqual(deletes > 0 ? 1 : 0);
  });

  test('a protected VM replaced passes its protection to a replacement', async () => {
    const spec = specOf({ capacity: 2, upgradePolicy: { mode: 'Automatic' } });
    const [a, b] = vms(spec, ['1', '2'], { phase: 'Running' }, true);
    if (a === undefined || b === undefined) throw new Error('fixture');
    a.spec.protection.fromScaleIn = true;
    const result = await run((events) => upgradeStep({ events }), harness(spec, [a, b]));
    expect(result.placement?.protection?.owed).toBe(1);
    result.commit?.();
    result.placement?.protection?.created(1);
    expect(result.status?.['upgrade']).not.toHaveProperty('protectionOwed');
  });
});

describe('place step', () => {
  test.each([
    { case: 'a new set', capacity: 3, surge: 0, moving: false, creates: 3 },
    { case: "an upgrade's surge", capacity: 3, surge: 2, moving: false, creates: 5 },
    { case: "a zone move's extra VM", capacity: 3, surge: 0, moving: true, creates: 4 },
  ])('$case: $creates VMs', async ({ capacity, surge, moving, creates }) => {
    const spec = specOf({ capacity });
    const h = harness(spec, [], { state: { placement: { surge } } });
    if (moving) h.input.memory.rebalance.inFlight = { fromZone: '1', toZone: '2', startedAt: NOW.getTime() };
    const result = await placeStep<ScaleSetSpecType, ScaleSetMemory>(
      scaleSetAdapter,
      placeDeps(),
      (m) => m.rebalance,
    ).run(h.input);
    expect(result.plan?.plan.creates.reduce((n, c) => n + c.count, 0)).toBe(creates);
    expect(result.plan?.spec.capacity).toBe(capacity + surge);
  });

  test("an abandoned move's undo labels the plan once, after it was applied", async () => {
    const spec = specOf({ capacity: 3 });
    const h = harness(spec, vms(spec, ['1', '2', '3', '1']));
    const undo = { reason: 'rebalance' as const, event: 'ZoneRebalanceAbandoned', note: 'abandoned' };
    h.input.memory.rebalance.undo = undo;
    const result = await placeStep<ScaleSetSpecType, ScaleSetMemory>(
      scaleSetAdapter,
      placeDeps(),
      (m) => m.rebalance,
    ).run(h.input);
    expect(result.plan?.plan.deletes).toHaveLength(1);
    expect(result.plan?.scaleInUndoes).toEqual(undo);
    result.commit?.();
    expect(h.input.memory.rebalance.undo).toBeUndefined();
  });
});

describe('repair step', () => {
  const unhealthySince = (ms: number): Partial<InstanceStatus> => ({
    phase: 'Running',
    health: 'Unhealthy',
    healthChangedAt: new Date(NOW.getTime() - ms).toISOString(),
    launchedAt: new Date(NOW.getTime() - 60 * MINUTE).toISOString(),
  });

  test.each([
    { action: 'Replace', since: 15 * MINUTE, deletes: 1, restarts: 0 },
    { action: 'Restart', since: 15 * MINUTE, deletes: 0, restarts: 1 },
    { action: 'Reimage', since: 15 * MINUTE, deletes: 0, restarts: 1 },
    { action: 'Replace', since: 5 * MINUTE, deletes: 0, restarts: 0 },
  ])(
    '$action after $since ms unhealthy: $deletes deletes, $restarts restarts',
    async ({ action, since, deletes, restarts }) => {
      const spec = specOf({
        capacity: 3,
        automaticRepairsPolicy: { enabled: true, gracePeriod: '10m', repairAction: action },
      });
      const [sick, ...rest] = vms(spec, ['1', '2', '3']);
      if (sick === undefined) throw new Error('fixture');
      sick.status = { ...sick.status, ...unhealthySince(since) };
      const h = harness(spec, [sick, ...rest], { state: { plan: undefined } });
      const result = await run((events) => repairStep({ events }), h);
      expect(result.deletes?.victims.length ?? 0).toBe(deletes);
      expect(result.restarts?.length ?? 0).toBe(restarts);
      expect(result.repairing).toBe(deletes + restarts > 0);
      result.commit?.();
      expect(h.input.memory.repairs.repaired).toBe(deletes + restarts);
      expect(h.events.map((e) => e.reason)).toEqual(deletes + restarts > 0 ? ['RepairingInstances'] : []);
    },
  );

  test('a set still scaling is not repaired', async () => {
    const spec = specOf({ capacity: 4, automaticRepairsPolicy: { enabled: true, gracePeriod: '10m' } });
    const [sick, ...rest] = vms(spec, ['1', '2', '3']);
    if (sick === undefined) throw new Error('fixture');
    sick.status = { ...sick.status, ...unhealthySince(15 * MINUTE) };
    const result = await run((events) => repairStep({ events }), harness(spec, [sick, ...rest]));
    expect(result.deletes).toBeUndefined();
    expect(result.status?.['repairs']).toMatchObject({ unhealthy: 1, suspended: 'scaling' });
  });
});

describe('rebalance step', () => {
  const rebalancing = { resiliencyPolicy: { automaticZoneRebalancing: { enabled: true } } };

  test.each([
    { case: 'balanced zones', zones: ['1', '2', '3'], phase: 'Balanced', starts: false },
    { case: 'skewed zones start a move', zones: ['1', '1', '1', '2'], phase: 'Moving', starts: true },
  ])('$case', async ({ zones, phase, starts }) => {
    const spec = specOf({ capacity: zones.length, ...rebalancing });
    const h = harness(spec, vms(spec, zones));
    const result = await run((events) => rebalanceStep({ events }), h);
    expect(result.status?.['rebalance']).toMatchObject({ phase });
    expect(h.input.memory.rebalance.inFlight !== undefined).toBe(starts);
    expect(result.deletes).toBeUndefined();
  });

  test('a move whose new VM runs deletes one VM of the full zone, reported on commit', async () => {
    const spec = specOf({ capacity: 4, ...rebalancing });
    const h = harness(spec, vms(spec, ['1', '1', '1', '2', '3']));
    h.input.memory.rebalance.inFlight = { fromZone: '1', toZone: '3', startedAt: NOW.getTime() - MINUTE };
    const result = await run((events) => rebalanceStep({ events }), h);
    expect(result.deletes?.victims.map((v) => [v.instance.spec.zone, v.reason])).toEqual([
      ['1', 'rebalance'],
    ]);
    expect(h.input.memory.rebalance.inFlight).toBeDefined();
    result.commit?.();
    expect(h.input.memory.rebalance.inFlight).toBeUndefined();
    expect(h.input.memory.rebalance.moved).toBe(1);
    expect(h.events.map((e) => e.reason)).toEqual(['ZoneRebalanced']);
  });

  test('turning rebalancing off mid-move abandons it: the next plan takes the extra VM back', async () => {
    const spec = specOf({ capacity: 3, zoneBalance: true });
    const h = harness(spec, vms(spec, ['1', '2', '3', '3']));
    h.input.memory.rebalance.inFlight = { fromZone: '1', toZone: '3', startedAt: NOW.getTime() };
    const result = await run((events) => rebalanceStep({ events }), h);
    expect(h.input.memory.rebalance.inFlight).toBeUndefined();
    expect(h.input.memory.rebalance.undo?.event).toBe('ZoneRebalanceAbandoned');
    expect(result.requeueAfterMs).toBeGreaterThan(0);
    expect(h.events.map((e) => e.reason)).toEqual(['ZoneRebalanceAbandoned']);
  });
});

describe('evictions step (ComputeFleet)', () => {
  const fleet = (lost: number): GroupObject => ({
    apiVersion: 'compute.vmfleet.io/v1alpha1',
    kind: 'ComputeFleet',
    metadata: { name: 'batch', namespace: 'team', uid: 'uid-batch', generation: 1 },
    spec: {},
    status: { spot: { lostToEviction: lost } },
  });

  test.each([
    { case: 'nothing recorded: what status says', cached: 2, evicted: [], lost: 2 },
    { case: 'recorded evictions on top of status', cached: 2, evicted: ['batch-7', 'batch-9'], lost: 4 },
  ])('$case', async ({ cached, evicted, lost }) => {
    const ledger = new EvictionLedger();
    for (const name of evicted) ledger.record('team/batch', `team/${name}`);
    const group = fleet(cached);
    const result = await spotEvictionsStep(ledger).run({
      ...harness(specOf({ capacity: 1 }), []).input,
      group,
    } as unknown as Parameters<ReturnType<typeof spotEvictionsStep>['run']>[0]);
    expect(result.placement?.lostToEviction).toBe(lost);
    // Once a status write carried the total, the cache showing the old status does not count it twice.
    result.onStatusWritten?.({ spot: { lostToEviction: lost } });
    expect(ledger.total('team/batch', cached)).toBe(lost);
    expect(ledger.total('team/batch', lost)).toBe(lost);
  });
});
