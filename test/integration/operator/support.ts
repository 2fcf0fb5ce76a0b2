// Support for the operator's integration tests: the whole operator (createOperator) runs in-process against
// the shared control plane with the OPERATOR's kubeconfig, so it holds only the RBAC of deploy/.
//
// Isolation. Test files run in parallel (and tests inside a file may run concurrently), each with its own
// operator, and an operator watches cluster-wide: two of them would both act on every group. So each test
// gets a "world" — a namespace and a Region of its own (a copy of the built-in eastus catalogue) — and its
// operators see only that world: their client narrows the list and watch calls of vmfleet's kinds to the
// namespace (namespaced kinds) and to the Region (by name). Writes, leases and events go through unchanged.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { expect, type TestContext } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  API_GROUP,
  API_GROUP_VERSION,
  ComputeFleetSpec,
  INSTANCE_LABELS,
  ScaleSetSpec,
  parseWith,
  type AutoscaleStatus,
  type ImageStatus,
  type Instance,
  type Priority,
  type RebalanceStatus,
  type Region,
  type RegionSpec,
  type RepairsStatus,
  type UpgradeStatus,
} from '../../../src/api/index.ts';
import { computePools, toEngineRegion, type CloudProvider, type Pool } from '../../../src/cloud/index.ts';
import { createOperator, type Operator } from '../../../src/controllers/operator.ts';
import { COMPUTEFLEETS, INSTANCES, REGIONS, SCALESETS } from '../../../src/controllers/resources.ts';
import { plan, type Plan } from '../../../src/engine/index.ts';
import { normalizeComputeFleet, normalizeScaleSet } from '../../../src/engine/normalize.ts';
import {
  KubeClient,
  type Clock,
  type KubeApiError,
  type ListOptions,
  type ListPage,
  type ResourceType,
  type WatchEventType,
  type WatchHandle,
  type WatchOptions,
} from '../../../src/runtime/index.ts';
import { OPERATOR_NAMESPACE } from '../../cluster/controlplane.ts';
import { regionFixture, withRegionOptions, type RegionOptions } from '../../support/region-fixture.ts';
import { eventually, kubectlOk, uniqueName, useCluster } from '../cluster.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

export type GroupKind = 'ScaleSet' | 'ComputeFleet';

export function resourceOf(kind: GroupKind): ResourceType {
  return kind === 'ScaleSet' ? SCALESETS : COMPUTEFLEETS;
}

// ---------------------------------------------------------------------------------------------------------
// Clients

function kubeConfig(file: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(file);
  return config;
}

export function adminClient(): KubeClient {
  return new KubeClient(kubeConfig(useCluster().adminKubeconfig));
}

/** Wraps one create call: `send` performs it; the wrapper may delay, fail or lose its answer. */
export type CreateInterceptor = (
  send: () => Promise<unknown>,
  resource: ResourceType,
  object: unknown,
) => Promise<unknown>;

export interface Scope {
  namespace: string;
  region: string;
}

/** The operator's client, seeing only one namespace and one Region of vmfleet's kinds. */
export class ScopedKubeClient extends KubeClient {
  readonly scope: Scope;
  private readonly interceptCreate: CreateInterceptor | undefined;

  constructor(config: KubeConfig, scope: Scope, interceptCreate?: CreateInterceptor) {
    super(config);
    this.scope = scope;
    this.interceptCreate = interceptCreate;
  }

  override list(resource: ResourceType, options: ListOptions): Promise<ListPage> {
    return super.list(resource, this.narrow(resource, options));
  }

  override watch(
    resource: ResourceType,
    options: WatchOptions,
    onEvent: (type: WatchEventType, object: unknown) => void,
    onDone: (error: KubeApiError | null) => void,
  ): Promise<WatchHandle> {
    return super.watch(resource, this.narrow(resource, options), onEvent, onDone);
  }

  override create(
    resource: ResourceType,
    object: unknown,
    options: { fieldManager?: string } = {},
  ): Promise<unknown> {
    const send = () => super.create(resource, object, options);
    return this.interceptCreate === undefined ? send() : this.interceptCreate(send, resource, object);
  }

  private narrow<O extends { namespace?: string | undefined; fieldSelector?: string | undefined }>(
    resource: ResourceType,
    options: O,
  ): O {
    if (resource.group !== API_GROUP) return options;
    if (resource.namespaced) return { ...options, namespace: this.scope.namespace };
    if (resource.plural === REGIONS.plural) {
      return { ...options, fieldSelector: `metadata.name=${this.scope.region}` };
    }
    return options;
  }
}

// ---------------------------------------------------------------------------------------------------------
// A test's world: namespace + Region, and the operators running on it

export interface World {
  namespace: string;
  region: string;
  admin: KubeClient;
  /** Starts an operator on this world; it is stopped when the test finishes. */
  startOperator(options?: OperatorTestOptions): Promise<Operator>;
}

export interface OperatorTestOptions {
  leaderElection?: boolean;
  identity?: string;
  leaseTiming?: { leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  interceptCreate?: CreateInterceptor;
  /** The cloud the operator drives (default: a fresh SimulatedCloud, as in production). */
  provider?: CloudProvider;
  /** The operator's clock (default: the system clock); an AdjustableClock lets a test jump ahead. */
  clock?: Clock;
}

/**
 * The built-in eastus catalogue under another name, VMs Running at once (unless `options` give another
 * provisioning delay); `options` edit the copy.
 */
export function testRegion(name: string, options: RegionOptions = {}): Region {
  return regionFixture(name, { ...options, provisioningDelay: options.provisioningDelay ?? '0s' });
}

/**
 * Creates a namespace and a Region of its own for the running test (`context` is the test's context, so
 * concurrent tests each stop their own operators).
 */
export async function newWorld(
  context: Pick<TestContext, 'onTestFinished'>,
  prefix: string,
  region: RegionOptions = {},
): Promise<World> {
  const admin = adminClient();
  const namespace = uniqueName(`op-${prefix}`);
  const regionName = uniqueName(`rgn-${prefix}`);
  await kubectlOk(['create', 'namespace', namespace]);
  await admin.create(REGIONS, testRegion(regionName, region));
  const operators: Operator[] = [];
  context.onTestFinished(async () => {
    await Promise.all(operators.map((operator) => operator.stop()));
  });
  return {
    namespace,
    region: regionName,
    admin,
    async startOperator(options: OperatorTestOptions = {}) {
      const cluster = useCluster();
      const client = new ScopedKubeClient(
        kubeConfig(cluster.operatorKubeconfig),
        { namespace, region: regionName },
        options.interceptCreate,
      );
      const operator = createOperator({
        client,
        logger: pino({ level: process.env['OPERATOR_TEST_LOG'] ?? 'silent' }),
        namespace: OPERATOR_NAMESPACE,
        leaderElection: options.leaderElection ?? false,
        healthPort: false,
        metricsPort: false,
        ...(options.identity === undefined ? {} : { identity: options.identity }),
        ...(options.leaseTiming === undefined ? {} : { leaseTiming: options.leaseTiming }),
        ...(options.provider === undefined ? {} : { provider: options.provider }),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      });
      operators.push(operator);
      await operator.start();
      return operator;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Objects

export interface ConditionView {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}

export interface PriorityStatusView {
  target: number;
  fulfilled: number;
  instances: number;
  vCPUs: number;
  lostToEviction?: number;
}

export interface GroupView {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string; generation: number };
  spec: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: ConditionView[];
    capacity?: number;
    readyInstances?: number;
    selector?: string;
    hourlyCost?: number;
    spread?: { zoneSkew: number; faultDomainSkew: number; largestZoneShare: number };
    byPriority?: { regular: number; spot: number };
    unavailableOfferings?: { vmSize: string; zone: string; priority?: string; code: string; until: string }[];
    regular?: PriorityStatusView;
    spot?: PriorityStatusView;
    plan?: {
      creates: { vmSize: string; zone: string; faultDomain: number; priority: string; count: number }[];
      deletes: { name: string; rule: string }[];
      projectedHourlyCost: number;
      decisions: string[];
    };
    // ScaleSet lifecycle, as the API defines it.
    upgrade?: UpgradeStatus;
    image?: ImageStatus;
    repairs?: RepairsStatus;
    rebalance?: RebalanceStatus;
    autoscale?: AutoscaleStatus;
  };
}

export interface RegionView {
  metadata: { name: string; generation: number };
  spec: RegionSpec;
  status?: {
    instances?: number;
    usage?: { vmSize: string; zone: string; priority: Priority; count: number; vCPUs: number }[];
  };
}

/** A manifest shaped like the API objects, with the spec left open for tests to fill. */
export interface GroupManifest {
  apiVersion: string;
  kind: GroupKind;
  metadata: { name: string; namespace?: string };
  spec: Record<string, unknown>;
}

export function scaleSet(world: World, name: string, spec: Record<string, unknown>): GroupManifest {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: 'ScaleSet',
    metadata: { name, namespace: world.namespace },
    spec: { region: world.region, ...spec },
  };
}

export function computeFleet(world: World, name: string, spec: Record<string, unknown>): GroupManifest {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: 'ComputeFleet',
    metadata: { name, namespace: world.namespace },
    spec: { region: world.region, ...spec },
  };
}

/** An example of deploy/examples/, moved into the world (its namespace and Region). */
export function example(world: World, file: string): GroupManifest {
  const manifest = parseYaml(readFileSync(join(ROOT, 'deploy', 'examples', file), 'utf8')) as GroupManifest;
  return {
    ...manifest,
    metadata: { name: manifest.metadata.name, namespace: world.namespace },
    spec: { ...manifest.spec, region: world.region },
  };
}

export async function createGroup(world: World, manifest: GroupManifest): Promise<void> {
  await world.admin.create(resourceOf(manifest.kind), manifest);
}

export async function getGroup(world: World, kind: GroupKind, name: string): Promise<GroupView> {
  return (await world.admin.get(resourceOf(kind), { namespace: world.namespace, name })) as GroupView;
}

/** Merge-patches a group's spec as the admin (the user). */
export async function patchSpec(
  world: World,
  kind: GroupKind,
  name: string,
  spec: Record<string, unknown>,
): Promise<GroupView> {
  return (await world.admin.patch(
    resourceOf(kind),
    { namespace: world.namespace, name },
    { type: 'merge', body: { spec } },
  )) as GroupView;
}

export async function getRegion(world: World): Promise<RegionView> {
  return (await world.admin.get(REGIONS, { name: world.region })) as RegionView;
}

/** Edits the world's Region spec as the admin would with `kubectl edit region`. */
export async function editRegion(world: World, options: RegionOptions): Promise<void> {
  const spec = withRegionOptions((await getRegion(world)).spec, options);
  await world.admin.patch(REGIONS, { name: world.region }, { type: 'merge', body: { spec } });
}

export function ownerLabel(kind: GroupKind): string {
  return kind === 'ScaleSet' ? INSTANCE_LABELS.scaleSet : INSTANCE_LABELS.computeFleet;
}

export async function instancesOf(world: World, kind: GroupKind, name: string): Promise<Instance[]> {
  const page = await world.admin.list(INSTANCES, {
    namespace: world.namespace,
    labelSelector: `${ownerLabel(kind)}=${name}`,
  });
  return (page.items as Instance[]).sort((a, b) => a.spec.instanceId - b.spec.instanceId);
}

export function phase(instance: Instance): string {
  return instance.status?.phase ?? 'Pending';
}

export function conditionOf(group: GroupView, type: string): ConditionView | undefined {
  return group.status?.conditions?.find((c) => c.type === type);
}

/** The condition, asserted to describe the group's current generation. */
export function currentCondition(group: GroupView, type: string): ConditionView {
  const condition = conditionOf(group, type);
  expect(condition, `${type} condition`).toBeDefined();
  expect(condition?.observedGeneration, `${type} observedGeneration`).toBe(group.metadata.generation);
  return condition as ConditionView;
}

/**
 * Waits until the group's current generation is Ready=True and it holds `count` instances, all Running;
 * returns the group and its instances.
 */
export async function waitReady(
  world: World,
  kind: GroupKind,
  name: string,
  count: number,
  timeoutMs = 45_000,
): Promise<{ group: GroupView; instances: Instance[] }> {
  return eventually(
    async () => {
      const instances = await instancesOf(world, kind, name);
      expect(instances.map(phase)).toEqual(Array<string>(count).fill('Running'));
      const group = await getGroup(world, kind, name);
      const ready = currentCondition(group, 'Ready');
      expect(ready.status, `Ready: ${ready.reason} ${ready.message}`).toBe('True');
      return { group, instances };
    },
    { timeoutMs, intervalMs: 100 },
  );
}

export interface StartOptions {
  /** Edits of the world's Region (see testRegion). */
  region?: RegionOptions;
  /** How the operator is started. */
  operator?: OperatorTestOptions;
}

export interface Started {
  world: World;
  operator: Operator;
  manifest: GroupManifest;
}

export interface StartedReady extends Started {
  group: GroupView;
  instances: Instance[];
}

/**
 * The setup most operator tests share: a new world (namespace + Region, `options.region` applied), an
 * operator on it, the group `build` makes for that world created; with `wait`, waits (waitReady) for the
 * group to be Ready with that many Running instances, within `timeoutMs` (waitReady's default otherwise).
 */
export async function startWithGroup(
  context: Pick<TestContext, 'onTestFinished'>,
  prefix: string,
  build: (world: World) => GroupManifest,
  options: StartOptions & { wait: number; timeoutMs?: number },
): Promise<StartedReady>;
export async function startWithGroup(
  context: Pick<TestContext, 'onTestFinished'>,
  prefix: string,
  build: (world: World) => GroupManifest,
  options?: StartOptions,
): Promise<Started>;
export async function startWithGroup(
  context: Pick<TestContext, 'onTestFinished'>,
  prefix: string,
  build: (world: World) => GroupManifest,
  options: StartOptions & { wait?: number; timeoutMs?: number } = {},
): Promise<Started | StartedReady> {
  const world = await newWorld(context, prefix, options.region);
  const operator = await world.startOperator(options.operator);
  const manifest = build(world);
  await createGroup(world, manifest);
  if (options.wait === undefined) return { world, operator, manifest };
  const ready = await waitReady(
    world,
    manifest.kind,
    manifest.metadata.name,
    options.wait,
    options.timeoutMs,
  );
  return { world, operator, manifest, ...ready };
}

// ---------------------------------------------------------------------------------------------------------
// Expectations derived from the Region data and the engine

/** The engine's plan for a manifest placed into an empty copy of `regionSpec` (no instances, nothing blocked). */
export function planOnEmptyRegion(manifest: GroupManifest, regionSpec: RegionSpec): Plan {
  const region = toEngineRegion(regionSpec, computePools(regionSpec, []));
  if (manifest.kind === 'ScaleSet') {
    const parsed = parseWith(ScaleSetSpec, manifest.spec);
    if (!parsed.ok) throw new Error(`invalid ScaleSet spec: ${JSON.stringify(parsed.errors)}`);
    return plan({
      spec: normalizeScaleSet(parsed.value),
      region,
      current: [],
      unavailable: [],
      now: Date.now(),
    });
  }
  const parsed = parseWith(ComputeFleetSpec, manifest.spec);
  if (!parsed.ok) throw new Error(`invalid ComputeFleet spec: ${JSON.stringify(parsed.errors)}`);
  return plan({
    spec: normalizeComputeFleet(parsed.value),
    region,
    current: [],
    unavailable: [],
    now: Date.now(),
  });
}

/** The pools (size × zone × priority) of a Region spec with nothing allocated: prices and capacity. */
export function emptyPools(regionSpec: RegionSpec): Pool[] {
  return computePools(regionSpec, []).pools;
}

export function poolOf(pools: readonly Pool[], size: string, zone: string, priority: Priority): Pool {
  const pool = pools.find((p) => p.vmSize === size && p.zone === zone && p.priority === priority);
  if (pool === undefined) throw new Error(`no pool ${size} zone ${zone} ${priority}`);
  return pool;
}

/** Counts keyed `size zone/faultDomain priority`, comparable with a plan's distribution. */
export function distributionOf(instances: readonly Instance[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const i of instances) {
    const key = `${i.spec.vmSize} ${i.spec.zone}/${i.spec.faultDomain} ${i.spec.priority}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export function planDistribution(expected: Plan): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of expected.distribution) {
    if (p.count === 0) continue;
    const key = `${p.size} ${p.zone}/${p.faultDomain} ${p.priority}`;
    counts[key] = (counts[key] ?? 0) + p.count;
  }
  return counts;
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** max − min instance count over `zones` (zones without instances count 0). */
export function zoneSkew(instances: readonly Instance[], zones: readonly string[]): number {
  const counts = zones.map((zone) => instances.filter((i) => i.spec.zone === zone).length);
  return Math.max(...counts) - Math.min(...counts);
}

export function hourlyCostOf(instances: readonly Instance[]): number {
  return instances
    .filter((i) => phase(i) === 'Running')
    .reduce((sum, i) => sum + (i.status?.pricePerHour ?? 0), 0);
}

/**
 * Fills `count` VMs into pools taken in `order`, each up to its free capacity: what the engine does within
 * one zone once a strategy has ordered the pools (DESIGN §4). Returns counts per size.
 */
export function fillInOrder(order: readonly Pool[], count: number): Record<string, number> {
  const counts: Record<string, number> = {};
  let left = count;
  for (const pool of order) {
    const take = Math.min(left, pool.free);
    if (take > 0) counts[pool.vmSize] = take;
    left -= take;
  }
  if (left > 0) throw new Error(`the pools hold only ${count - left} of ${count}`);
  return counts;
}

// ---------------------------------------------------------------------------------------------------------
// Events and metrics

export interface EventView {
  reason: string;
  type: string;
  note: string;
  action: string;
  regarding: { kind: string; name: string; namespace?: string; uid?: string };
}

/** events.k8s.io/v1 Events regarding the group. */
export async function eventsAbout(world: World, kind: GroupKind, name: string): Promise<EventView[]> {
  const out = await kubectlOk(['get', 'events.v1.events.k8s.io', '-n', world.namespace, '-o', 'json']);
  return (JSON.parse(out) as { items: EventView[] }).items.filter(
    (e) => e.regarding.kind === kind && e.regarding.name === name,
  );
}

/** Sum of a counter's values over all label sets (0 when the counter has none yet). */
export async function counterTotal(operator: Operator, name: string): Promise<number> {
  const metric = operator.metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

/** Reconciles one controller of the operator has run (any result). */
export async function reconcilesOf(operator: Operator, controller: string): Promise<number> {
  const metric = operator.metrics.registry.getSingleMetric('controller_runtime_reconcile_total');
  if (metric === undefined) throw new Error('no metric controller_runtime_reconcile_total');
  const { values } = await metric.get();
  return values.filter((v) => v.labels['controller'] === controller).reduce((sum, v) => sum + v.value, 0);
}
